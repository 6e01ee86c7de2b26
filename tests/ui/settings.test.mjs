// The workflow's registry setup from Settings alone: a registry that only
// speaks plain HTTP, on an address that is not loopback (so Ferry refuses
// plain HTTP to it until told), fails a gather with an error that links to
// its settings; it is added, tested, fixed from the test's own link, tested
// again, and the gather runs, with no YAML typed. Then the Settings page
// fits 1024x700 and 1920x1080 with the form and the results open, light
// and dark, and is photographed so (settings-registries-*.png).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, makeHome, openPage, pushImage, shotsDir, startFerry, startRegistry } from './harness.mjs';
import { layoutProblems } from './layoutcheck.mjs';

/** This machine's first IPv4 address off loopback. */
function outsideAddress() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no IPv4 address off loopback: the test needs one to show plain HTTP refused');
}

/** Forwards address:port (a free one) to target host:port; resolves with the listening host:port. */
function forward(address, target) {
  const [thost, tport] = target.split(':');
  const server = net.createServer((c) => {
    const up = net.connect(Number(tport), thost);
    c.pipe(up).pipe(c);
    const end = () => (c.destroy(), up.destroy());
    c.on('error', end);
    up.on('error', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve({ host: `${address}:${server.address().port}`, close: () => server.close() }));
  });
}

describe('registries from Settings, no YAML', () => {
  let home, ferry, registry, proxy, host;

  before(async () => {
    home = makeHome();
    registry = await startRegistry();
    await pushImage(registry.host, 'lowside/app', '1');
    proxy = await forward(outsideAddress(), registry.host);
    host = proxy.host;
    // Credentials go to docker's configuration: this test's own, with no
    // credential helper to find on the way.
    ferry = await startFerry(home, { DOCKER_CONFIG: path.join(home.root, 'docker'), PATH: '/usr/bin:/bin' });
  });

  after(async () => {
    await ferry?.stop();
    proxy?.close();
    await registry?.stop();
    home?.remove();
  });

  /** Fills the sources with the image behind the proxy and opens the gather form. */
  async function gatherForm(page) {
    await page.click('nav a[data-nav="sources"]');
    await page.locator('.cm-content[aria-label="Sources list"]').fill(`${host}/lowside/app:1\n`);
    await page.waitForSelector('[data-sources-state="valid"]');
    await page.click('nav a[data-nav="transfer"]');
    await page.click('[role="tab"][data-op="gather"]');
    await page.fill('input[name="image"]', `${registry.host}/transfer/gather:1`);
  }

  test('an error that names a registry setting links to that registry in Settings', async () => {
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser, ferry.url + '#/sources');
      await gatherForm(page);
      // The plan already says why, with the link.
      const plan = page.locator(`section[aria-label="Plan"] a[data-settings-link="${host}"]`);
      await plan.waitFor({ timeout: 20_000 });
      await page.click('button[data-start]');
      const run = page.locator('section[aria-label="Running job"]');
      await page.waitForSelector('section[aria-label="Running job"][data-run-state="failed"]', { timeout: 30_000 });
      assert.match(await run.innerText(), /plain HTTP/);
      const link = run.locator(`a[data-settings-link="${host}"]`).first();
      await link.click();
      assert.equal(decodeURIComponent(new URL(page.url()).hash), `#/settings/registry/${host}`);
      const form = page.locator(`form[data-registry-form="${host}"]`);
      await form.waitFor();
      assert.equal(await form.locator('input[name="host"]').inputValue(), host, 'the form is for the registry the error named');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test('add a plain-HTTP registry, test it, follow the error to its setting, test again', async () => {
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser, ferry.url + '#/settings');
      const list = page.locator('section[aria-label="Registries"]');
      await list.locator('[data-registry-row]').first().waitFor();
      // The built-in registry is listed without any file.
      assert.match(await list.locator('[data-registry-row="127.0.0.1:5000"]').innerText(), /built-in/);

      await list.locator('button:has-text("Add registry")').click();
      const form = list.locator('form[data-registry-form="new"]');
      await form.locator('input[name="host"]').fill(host);
      await form.locator('[data-test-connection]').click();
      // Saved as a plain HTTPS registry: the test says plain HTTP is refused
      // and links to the setting.
      const failed = list.locator('form[data-registry-form] [data-check-state="failed"]');
      await failed.waitFor({ timeout: 30_000 });
      const text = await failed.innerText();
      assert.match(text, /plain HTTP/, text);
      await failed.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shotsDir, 'settings-registry-plain-http-refused.png') });
      const link = failed.locator(`a[data-settings-link="${host}"]`).first();
      await link.waitFor();
      await link.click();
      assert.equal(decodeURIComponent(new URL(page.url()).hash), `#/settings/registry/${host}`);
      const own = list.locator(`form[data-registry-form="${host}"]`);
      await own.waitFor();
      assert.equal(await list.locator('form[data-registry-form]').count(), 1, 'one form open: the linked registry');

      await own.locator('input[name="plainHttp"]').check();
      await own.locator('[data-test-connection]').click();
      const ok = own.locator('[data-check-state="ok"]');
      await ok.waitFor({ timeout: 30_000 });
      const okText = await ok.innerText();
      assert.match(okText, new RegExp(`http://${host.replace(/\./g, '\\.')}`));
      assert.match(okText, /TLS: plain HTTP/);
      assert.match(okText, /credentials: none needed/);
      assert.match(await list.locator(`[data-registry-row="${host}"]`).innerText(), /plain HTTP/);

      // The file the Settings page shows holds it, written by the backend.
      const yaml = await page.locator('textarea[aria-label="Configuration YAML"]').inputValue();
      assert.match(yaml, new RegExp(`- http://${host.replace(/\./g, '\\.')}`));
      assert.match(yaml, /# Ferry configuration/, 'a file of its own, explained');
      assert.doesNotMatch(yaml, /rewritePull/, 'no example rule of the sample');

      // After a reload the registry is still there, as saved.
      await page.reload();
      await list.locator(`[data-registry-row="${host}"]`).waitFor();
      assert.match(await list.locator(`[data-registry-row="${host}"]`).innerText(), /plain HTTP/);

      // And the gather that failed before now runs.
      await gatherForm(page);
      await page.click('button[data-start]');
      await page.waitForSelector('section[aria-label="Running job"][data-run-state="succeeded"]', { timeout: 30_000 });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test('sign in: the credentials are checked, then kept in docker\'s configuration, not in Ferry\'s files', async () => {
    // A registry that wants op:secret, on loopback.
    const want = 'Basic ' + Buffer.from('op:secret').toString('base64');
    const [thost, tport] = registry.host.split(':');
    const guard = http.createServer((req, res) => {
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="lab"', 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      const up = http.request({ host: thost, port: Number(tport), path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise((r) => guard.listen(0, '127.0.0.1', r));
    const locked = `127.0.0.1:${guard.address().port}`;
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser, ferry.url + `#/settings/registry/${locked}`);
      const form = page.locator(`form[data-registry-form="${locked}"]`);
      await form.locator('[data-test-connection]').click();
      await form.locator('[data-check-state="failed"]').waitFor({ timeout: 30_000 });
      assert.match(await form.locator('[data-check-state]').innerText(), /credentials: needed/);

      await form.locator('input[name="username"]').fill('op');
      await form.locator('input[name="password"]').fill('wrong');
      await form.locator('button:has-text("Sign in")').click();
      await form.locator('.notice.error').waitFor();
      assert.match(await form.locator('.notice.error').innerText(), /refuses user op/);
      assert.equal(existsSync(path.join(home.root, 'docker', 'config.json')), false, 'refused credentials are not kept');

      await form.locator('input[name="password"]').fill('secret');
      await form.locator('button:has-text("Sign in")').click();
      await form.locator('[data-check-state="ok"]').waitFor({ timeout: 30_000 });
      assert.match(await form.locator('[data-check-state]').innerText(), /credentials: accepted \(op\)/);
      assert.equal(await form.locator('input[name="password"]').inputValue(), '', 'the password field is emptied');
      const docker = JSON.parse(readFileSync(path.join(home.root, 'docker', 'config.json'), 'utf8'));
      assert.ok(docker.auths?.[locked], `docker config.json holds ${locked}: ${JSON.stringify(Object.keys(docker.auths ?? {}))}`);

      // Nothing under Ferry's own directories holds the secret.
      const grep = (dir) =>
        readdirSync(dir, { withFileTypes: true, recursive: true })
          .filter((e) => e.isFile())
          .filter((e) => readFileSync(path.join(e.parentPath ?? e.path, e.name)).includes('secret'));
      for (const dir of [home.env.XDG_CONFIG_HOME, home.env.XDG_DATA_HOME].filter(existsSync)) {
        assert.deepEqual(grep(dir).map((e) => e.name), [], `the password is in ${dir}`);
      }

      // A new test uses the kept credentials.
      await form.locator('[data-test-connection]').click();
      await form.locator('[data-check-state="ok"]').waitFor({ timeout: 30_000 });
      await form.locator('button:has-text("Sign out")').click();
      await form.locator('.notice.ok').waitFor();
      assert.equal(JSON.parse(readFileSync(path.join(home.root, 'docker', 'config.json'), 'utf8')).auths?.[locked], undefined);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      guard.close();
    }
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`${colorScheme}: Settings fits 1024x700 and 1920x1080 with a registry form and its test open`, async () => {
      const browser = await launchBrowser({ colorScheme });
      try {
        const { page, errors } = await openPage(browser, ferry.url + `#/settings/registry/${host}`);
        const form = page.locator(`form[data-registry-form="${host}"]`);
        await form.waitFor();
        // Opened from a link, the form shows the saved settings, unchanged.
        assert.equal(await form.locator('input[name="plainHttp"]').isChecked(), true);
        assert.equal((await form.locator('[data-test-connection]').innerText()).trim(), 'Test connection');
        await form.locator('[data-test-connection]').click();
        await form.locator('[data-check-state="ok"]').waitFor({ timeout: 30_000 });
        for (const [width, height] of [
          [1024, 700],
          [1920, 1080],
        ]) {
          await page.setViewportSize({ width, height });
          await page.locator('section[aria-label="Registries"]').scrollIntoViewIfNeeded();
          const problems = await page.evaluate(layoutProblems);
          const sideways = await page.locator('section[aria-label="Registries"] .table-wrap').evaluate((el) => el.scrollWidth - el.clientWidth);
          assert.ok(sideways <= 1, `${width}x${height}: the registry table scrolls sideways by ${sideways}px`);
          await page.screenshot({ path: path.join(shotsDir, `settings-registries-${width}-${colorScheme}.png`) });
          assert.deepEqual(problems, [], `settings at ${width}x${height} (${colorScheme})`);
        }
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });
  }
});
