// Browser suite: nothing lost and one transfer as one story. A reload in the
// middle of editing keeps the sources, the rules and every Transfer form;
// each finished step fills in the next one's form; a check-only scatter lists
// what it planned where it ran; a partial scatter says n of m with a retry;
// the story view links gather, serialize, the medium, deserialize and
// scatter from either side; a form naming the built-in registry offers to
// start it; forms offer only the options their operation takes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { goTo, freePort, launchBrowser, listTags, makeHome, openPage, pushImage, shot, startFerry, startRegistry } from './harness.mjs';

describe('one transfer as one story, nothing lost on the way', () => {
  let home, server, registry, browser, page, errors, work, R, builtin;
  const runs = {};

  before(async () => {
    home = makeHome();
    work = mkdtempSync(path.join(os.tmpdir(), 'ferry-story-'));
    registry = await startRegistry();
    R = registry.host;
    await pushImage(R, 'lowside/alpine', '3.20', [24 * 1024]);
    await pushImage(R, 'lowside/busybox', '1.36', [16 * 1024]);
    await pushImage(R, 'lowside/app', '2.0', [8 * 1024]);
    builtin = `127.0.0.1:${await freePort()}`;
    server = await startFerry(home, { FERRY_BUILTIN_REGISTRY: builtin });
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, server.url + '#/sources'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await registry?.stop();
    home?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const go = (id, title) => goTo(page, id, title);
  const tab = async (kind) => {
    await page.click(`[role="tab"][data-op="${kind}"]`);
    await page.locator(`[role="tab"][data-op="${kind}"][aria-selected="true"]`).waitFor();
  };
  const sourcesText = () => `${R}/lowside/alpine:3.20\n${R}/lowside/busybox:1.36\n${R}/lowside/app:2.0\n`;
  const template = () => `${R}/highside/{{ Repository (index .Annotations "vnd.act3-ace.manifest.source") }}:{{ Tag (index .Annotations "vnd.act3-ace.manifest.source") }}`;
  const draft = (name) => page.evaluate((n) => window.go.main.App.Draft(n), name);

  /** Starts the form's job and waits for its end; returns the run id and how it ended. */
  async function runForm() {
    await page.waitForFunction(() => document.querySelector('button[data-start]') && !document.querySelector('button[data-start]').disabled);
    await page.click('button[data-start]');
    const panel = page.locator('section[aria-label="Running job"]');
    await panel.waitFor({ timeout: 20_000 });
    await page.waitForSelector('section[aria-label="Running job"][data-run-state]:not([data-run-state="running"])', { timeout: 60_000 });
    await panel.locator('.result').waitFor();
    return { id: await panel.getAttribute('data-run-detail'), state: await panel.getAttribute('data-run-state'), panel };
  }
  async function runOK(kind) {
    const r = await runForm();
    if (r.state !== 'succeeded') assert.fail(`${kind} ended ${r.state}:\n${await r.panel.innerText()}`);
    runs[kind] = r.id;
    return r;
  }

  test('a reload in the middle of editing, and a restart, restore the sources, the rules and every form', async () => {
    await page.locator('.cm-content[aria-label="Sources list"]').fill(sourcesText());
    await page.waitForSelector('[data-sources-state="valid"]');
    await go('mapping', 'Mapping');
    await page.selectOption('select[aria-label="Mapper type"]', 'go-template');
    await page.locator('.cm-content[aria-label="Go template"]').fill(template());
    await go('transfer', 'Transfer');
    await tab('gather');
    await page.fill('input[name="image"]', `${R}/transfer/story:1`);
    await tab('serialize');
    await page.fill('input[name="path"]', path.join(work, 'story.tar'));
    await page.check('input[name="force"]');
    // The drafts are written once typing pauses: wait for the last edit to be kept.
    await page.waitForFunction(async () => {
      const t = JSON.parse((await window.go.main.App.Draft('transfer')) || '{}');
      return t.kind === 'serialize' && t.forms?.serialize?.force === true && t.forms?.gather?.image?.endsWith('/transfer/story:1');
    }, null, { timeout: 20_000, polling: 200 });
    await page.waitForFunction(async () => (await window.go.main.App.Draft('mapping')).includes('/highside/'), null, { timeout: 20_000, polling: 200 });
    await page.reload();
    await page.locator('form[aria-label="Serialize form"]').waitFor();
    assert.equal(await page.inputValue('input[name="path"]'), path.join(work, 'story.tar'));
    assert.equal(await page.isChecked('input[name="force"]'), true);
    await tab('gather');
    assert.equal(await page.inputValue('input[name="image"]'), `${R}/transfer/story:1`);
    await go('sources', 'Sources');
    await page.waitForFunction((want) => document.querySelector('.cm-content[aria-label="Sources list"]')?.textContent?.includes(want), `${R}/lowside/app:2.0`);
    await go('mapping', 'Mapping');
    await page.waitForFunction((want) => document.querySelector('.cm-content[aria-label="Go template"]')?.textContent?.startsWith(want), `${R}/highside/`);
    assert.equal(await draft('sources'), sourcesText());
    // And after a restart of the app: the forms come back from its store.
    await page.close();
    await server.stop();
    server = await startFerry(home, { FERRY_BUILTIN_REGISTRY: builtin });
    ({ page, errors } = await openPage(browser, server.url + '#/transfer'));
    // The operation last shown (gather, after the reload) and every form.
    await page.locator('form[aria-label="Gather form"]').waitFor();
    assert.equal(await page.inputValue('input[name="image"]'), `${R}/transfer/story:1`);
    await tab('serialize');
    assert.equal(await page.inputValue('input[name="path"]'), path.join(work, 'story.tar'));
    assert.equal(await page.isChecked('input[name="force"]'), true);
  });

  test('forms offer only the options their operation takes', async () => {
    await go('transfer', 'Transfer');
    await tab('gather');
    assert.equal(await page.locator('input[name="dryRun"]').count(), 0, 'gather has no dry run');
    await tab('scatter');
    assert.equal(await page.locator('input[name="dryRun"]').count(), 0, 'scatter has no dry run');
    assert.equal(await page.locator('input[name="check"]').count(), 1);
    await tab('deserialize');
    assert.equal(await page.locator('input[name="dryRun"]').count(), 1, 'deserialize has --dry-run');
    // The command line is the backend's, as history records it.
    await page.fill('input[name="image"]', `${R}/highside/story:1`);
    await page.locator('[data-command="ready"]', { hasText: `${R}/highside/story:1` }).waitFor();
    assert.match(await page.locator('[data-command="ready"]').innerText(), /^ferry mirror deserialize SOURCE /);
  });

  test('a form naming the built-in registry offers to start it', async () => {
    await tab('gather');
    const typed = await page.inputValue('input[name="image"]');
    await page.fill('input[name="image"]', `${builtin}/low/try:1`);
    const offer = page.locator('[data-builtin-offer]');
    await offer.waitFor();
    assert.match(await offer.innerText(), new RegExp(`built-in registry at ${builtin.replace(/\./g, '\\.')} is not running`));
    await shot(page, 'transfer-builtin-offer');
    await offer.locator('button', { hasText: 'Start it' }).click();
    await offer.waitFor({ state: 'detached' });
    assert.equal((await page.evaluate(() => window.go.main.App.BuiltinRegistryStatus())).running, true);
    await page.evaluate(() => window.go.main.App.StopBuiltinRegistry());
    await page.fill('input[name="image"]', typed);
  });

  test('each finished step fills in the next form and offers it', async () => {
    await runOK('gather');
    const next = page.locator('section[aria-label="Next step"][data-next-step="serialize"]');
    await next.waitFor();
    await shot(page, 'transfer-next-step');
    await next.locator('button', { hasText: 'Go to serialize' }).click();
    assert.equal(await page.inputValue('input[name="image"]'), `${R}/transfer/story:1`);
    await page.locator(`[data-filled-from="${runs.gather}"]`).waitFor();
    await runOK('serialize');
    assert.ok(statSync(path.join(work, 'story.tar')).size > 24 * 1024);
    await page.locator('section[aria-label="Next step"][data-next-step="deserialize"] button').click();
    assert.equal(await page.inputValue('input[name="path"]'), path.join(work, 'story.tar'));
    assert.equal(await page.inputValue('input[name="image"]'), `${R}/highside/story:1`);
    await runOK('deserialize');
    await page.locator('section[aria-label="Next step"][data-next-step="scatter"] button').click();
    assert.equal(await page.inputValue('input[name="image"]'), `${R}/highside/story:1`);
    // Its placeholder names the high side, never a low-side registry.
    assert.match(await page.getAttribute('input[name="image"]', 'placeholder'), /high/);
    await shot(page, 'transfer-scatter-filled');
  });

  test('a check-only scatter lists the planned destinations where it ran', async () => {
    await page.check('input[name="check"]');
    const { panel, state, id } = await runForm();
    assert.equal(state, 'succeeded');
    runs.check = id;
    assert.match(await panel.locator('.result').innerText(), /3 destinations planned; nothing was pushed/);
    assert.equal(await panel.locator('table[aria-label="Planned destinations"] tbody tr').count(), 3);
    assert.deepEqual(await listTags(R, 'highside/lowside/alpine'), []);
    await page.click('button:has-text("New scatter")');
    await page.uncheck('input[name="check"]');
  });

  test('a partial scatter says n of m delivered, which failed, and offers the retry', async () => {
    // The app image goes to a registry that does not answer; the others land.
    await go('mapping', 'Mapping');
    await page.selectOption('select[aria-label="Mapper type"]', 'first-prefix');
    await page.click('div[aria-label="Edit as"] button:has-text("Text")');
    await page.locator('.cm-content[aria-label="Mapping rules CSV"]').fill(`${R}/lowside/app,127.0.0.1:9/dead/app\n${R}/lowside/,${R}/delivered/\n`);
    await page.waitForSelector('[data-rules-state="valid"]');
    await go('transfer', 'Transfer');
    await page.check('input[name="continue"]');
    const { panel, id } = await runForm();
    runs.partial = id;
    await page.locator('section[aria-label="Running job"][data-outcome="partial"]').waitFor();
    assert.match(await panel.locator('.result').innerText(), /2 of 3 images delivered in .*; 1 failed: 127\.0\.0\.1:9\/dead\/app/);
    assert.equal(await panel.locator('[data-count]').innerText(), '2 of 3, 1 failed');
    // The bar counts images, not the bytes of the one that failed.
    assert.ok(Number(await panel.locator('[role="progressbar"]').first().getAttribute('aria-valuenow')) >= 66);
    await panel.locator('button[data-action="rerun"]', { hasText: 'Re-run 1 failed' }).waitFor();
    await panel.locator('.result button', { hasText: 're-run the 1 failed' }).waitFor();
    assert.deepEqual(await listTags(R, 'delivered/alpine'), ['3.20']);
    await shot(page, 'transfer-scatter-partial');
  });

  test('the story view links the steps of the transfer, from either side', async () => {
    const want = ['gather', 'serialize', 'deserialize', 'scatter', 'scatter'];
    const steps = async () => {
      await page.locator('section[aria-label="Transfer story"] [data-story-step]').first().waitFor();
      return page.locator('section[aria-label="Transfer story"] [data-story-step]').evaluateAll((li) => li.map((l) => [l.dataset.storyStep, l.dataset.run]));
    };
    // From the low side: the gather's row in History.
    await go('history', 'History');
    await page.locator(`tr[data-run="${runs.gather}"] a[data-story-link]`).click();
    await page.locator(`section[aria-label="Transfer story"][data-story="${runs.gather}"]`).waitFor();
    const fromGather = await steps();
    assert.deepEqual(
      fromGather.map(([k]) => k),
      want,
    );
    assert.deepEqual(
      fromGather.map(([, id]) => id),
      [runs.gather, runs.serialize, runs.deserialize, runs.check, runs.partial],
    );
    // The medium: its sync id, the volume, written by serialize and read by deserialize.
    const medium = page.locator('table[aria-label="Media of the transfer"] tbody tr');
    assert.equal(await medium.count(), 1);
    assert.match(await medium.getAttribute('data-sync-id'), /\S/);
    assert.match(await medium.innerText(), /story\.tar[\s\S]*serialize, deserialize/);
    await shot(page, 'transfer-story');
    // Each step opens its run.
    await page.locator(`[data-story-step="deserialize"] a[href="#/history/${runs.deserialize}"]`).click();
    await page.locator(`section[data-run-detail="${runs.deserialize}"]`).waitFor();
    // From the high side: the scatter's job card on the Transfer page.
    await go('transfer', 'Transfer');
    await page.locator('section[aria-label="Next step"] a[data-story-link]').click();
    await page.locator(`section[aria-label="Transfer story"][data-story="${runs.partial}"]`).waitFor();
    assert.deepEqual(await steps(), fromGather);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  test('a deserialize dry run says where it ran what it read, and hands nothing on', async () => {
    await page.click('a:has-text("Back to the forms")');
    await tab('deserialize');
    await page.click('button:has-text("New deserialize")');
    await page.check('input[name="dryRun"]');
    const { panel, state, id } = await runForm();
    assert.equal(state, 'succeeded');
    assert.match(await panel.locator('.result').innerText(), new RegExp(`Dry run in .*: the medium was read and checked \\(\\d+ blobs, .*\\); nothing was written to ${R}/highside/story:1\\.`));
    // Nothing was written, so Scatter is not offered a new image.
    assert.equal(await page.getAttribute('section[aria-label="Next step"]', 'data-next-step'), '');
    await page.goto(`${server.url}#/transfer/${id}`);
    await page.locator(`[data-story-step="deserialize"][data-run="${id}"] [data-story-check]`, { hasText: 'dry run' }).waitFor();
    await page.locator(`[data-run="${runs.check}"] [data-story-check]`, { hasText: 'check only' }).waitFor();
  });
});
