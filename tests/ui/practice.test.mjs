// Browser suite: the practice transfer on a laptop with no registry. First
// start offers "Try it with practice images"; the built-in registry starts,
// the forms fill in, gather -> serialize -> deserialize -> scatter run from
// the window, and the images arrive on the high side of the built-in
// registry with their digests. A restart keeps the registry's content.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, launchBrowser, makeHome, openPage, shot, startFerry } from './harness.mjs';

const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** The digest host/repo:tag resolves to, '' when absent. */
async function digestOf(host, repo, tag) {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: manifestTypes } });
  return res.ok ? (res.headers.get('docker-content-digest') ?? '') : '';
}

const practiceImages = [
  ['apps/multi', '1.0'],
  ['apps/docker', '1.0'],
  ['artifacts/notes', '1.0'],
];

describe('the practice transfer on a laptop without a registry', () => {
  let home, server, browser, page, errors, builtin;
  const low = {};

  before(async () => {
    home = makeHome();
    // The built-in registry on a free loopback port, so that this suite
    // never meets another registry on 5000.
    builtin = `127.0.0.1:${await freePort()}`;
    server = await startFerry(home, { FERRY_BUILTIN_REGISTRY: builtin });
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, server.url + '#/transfer'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    home?.remove();
  });

  async function runStep(kind) {
    const panel = page.locator('section[aria-label="Running job"]');
    const before = (await panel.count()) ? await panel.getAttribute('data-run-detail') : null;
    await page.click(`[data-practice-step="${kind}"] button`);
    await page.waitForFunction((k) => document.querySelector(`[role="tab"][data-op="${k}"]`)?.getAttribute('aria-selected') === 'true', kind);
    await page.waitForFunction(() => document.querySelector('button[data-start]') && !document.querySelector('button[data-start]').disabled, null, {
      timeout: 20_000,
    });
    await page.click('button[data-start]');
    // This step's run, not the panel the previous step left on the page.
    await page.waitForFunction(
      (prev) => {
        const p = document.querySelector('section[aria-label="Running job"]');
        return p && p.getAttribute('data-run-detail') !== prev && p.getAttribute('data-run-state') !== 'running';
      },
      before,
      { timeout: 60_000 },
    );
    const state = await panel.getAttribute('data-run-state');
    if (state !== 'succeeded') {
      assert.fail(`${kind} ended ${state}:\n${await panel.innerText()}`);
    }
    await page.locator(`[data-practice-step="${kind}"][data-step-state="succeeded"]`).waitFor();
  }

  test('first start offers the practice images; nothing answers on the built-in address yet', async () => {
    assert.equal(await digestOf(builtin, 'low/apps/multi', '1.0').catch(() => 'refused'), 'refused');
    const offer = page.locator('button', { hasText: 'Try it with practice images' });
    await offer.waitFor();
    await shot(page, 'practice-offer');
    await offer.click();
    await page.locator('section[data-practice="ready"]').waitFor({ timeout: 30_000 });
    for (const [repo, tag] of practiceImages) {
      low[repo] = await digestOf(builtin, `low/${repo}`, tag);
      assert.match(low[repo], /^sha256:[0-9a-f]{64}$/, `low/${repo}:${tag} on the built-in registry`);
    }
    // The gather form is filled in: nothing to type.
    assert.equal(await page.inputValue('input[name="image"]'), `${builtin}/low/transfer:practice`);
  });

  test('gather, serialize, deserialize and scatter run from the window, step by step', async () => {
    // What each step hands to the next: nothing of it is typed.
    const handed = {
      gather: ['serialize', 'image', `${builtin}/low/transfer:practice`],
      serialize: ['deserialize', 'path', /practice\/practice\.tar$/],
      deserialize: ['scatter', 'image', `${builtin}/high/transfer:practice`],
    };
    for (const kind of ['gather', 'serialize', 'deserialize', 'scatter']) {
      await runStep(kind);
      if (!handed[kind]) continue;
      const [next, field, want] = handed[kind];
      await page.locator(`section[aria-label="Next step"][data-next-step="${next}"]`).waitFor();
      await page.click(`[role="tab"][data-op="${next}"]`);
      const got = await page.inputValue(`input[name="${field}"]`);
      if (want instanceof RegExp) assert.match(got, want, `${next}'s ${field}`);
      else assert.equal(got, want, `${next}'s ${field}`);
      await page.locator('[data-filled-from]').waitFor();
      // Scatter names the rule set it will use: the practice rules file.
      if (next === 'scatter') assert.match(await page.locator('[data-rules-name]').innerText(), /^Uses the file \/.*practice\/\S+ \(First prefix\)$/);
    }
    await page.locator('section[data-practice="ready"] .notice', { hasText: 'Done' }).waitFor();
    await shot(page, 'practice-done');
  });

  test('the scattered images are on the high side with the digests of the low side', async () => {
    for (const [repo, tag] of practiceImages) {
      assert.equal(await digestOf(builtin, `high/${repo}`, tag), low[repo], `high/${repo}:${tag}`);
    }
  });

  test('Settings shows the running built-in registry, its size and repositories', async () => {
    await page.click('nav a[data-nav="settings"]');
    const panel = page.locator('section[aria-label="Built-in registry"][data-builtin-state="running"]');
    await panel.waitFor();
    assert.equal((await panel.locator('[data-builtin-address]').innerText()).trim(), builtin);
    const repos = await panel.locator('[data-builtin-repos]').innerText();
    for (const r of ['low/apps/multi', 'low/transfer', 'high/apps/multi', 'high/artifacts/notes', 'high/transfer']) assert.match(repos, new RegExp(`^${r}$`, 'm'));
    assert.match(await panel.locator('[data-builtin-size]').innerText(), /MiB|MB/);
    await shot(page, 'practice-settings');
    await panel.locator('button', { hasText: 'Stop' }).click();
    await page.locator('section[aria-label="Built-in registry"][data-builtin-state="stopped"]').waitFor();
    assert.equal(await digestOf(builtin, 'high/apps/multi', '1.0').catch(() => 'refused'), 'refused');
  });

  test('after a restart of the app the registry starts again with its content', async () => {
    await server.stop();
    server = await startFerry(home, { FERRY_BUILTIN_REGISTRY: builtin });
    ({ page, errors } = await openPage(browser, server.url + '#/settings'));
    const panel = page.locator('section[aria-label="Built-in registry"]');
    await page.locator('section[aria-label="Built-in registry"][data-builtin-state="stopped"]').waitFor();
    await panel.locator('button', { hasText: 'Start' }).click();
    await page.locator('section[aria-label="Built-in registry"][data-builtin-state="running"]').waitFor();
    for (const [repo, tag] of practiceImages) {
      assert.equal(await digestOf(builtin, `high/${repo}`, tag), low[repo], `high/${repo}:${tag} after the restart`);
    }
    assert.deepEqual(errors, []);
  });
});
