// Screenshots of the pages this release touched, at 1024x700 and 1920x1080,
// light and dark, with real content (a registry, a sources list with labels,
// CSV rules with long references, a partial clone in History, a transfer
// through a tar file handed from step to step, and its story):
// `FERRY_BIN=build/bin/ferry-test node tests/ui/shots-touched.mjs`.
// Writes into FERRY_SHOTS (default build/shots).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, launchBrowser, makeHome, openPage, pushImage, shotsDir, startFerry, startRegistry } from './harness.mjs';

const sizes = [
  [1024, 700],
  [1920, 1080],
];

const home = makeHome();
const registry = await startRegistry();
const R = registry.host;
await pushImage(R, 'lowside/alpine', '3.20', [4096]);
await pushImage(R, 'lowside/busybox', '1.36', [2048]);
await pushImage(R, 'lowside/app', '2.0', [1024]);
const builtin = `127.0.0.1:${await freePort()}`;
const ferry = await startFerry(home, { FERRY_BUILTIN_REGISTRY: builtin });
const work = mkdtempSync(path.join(os.tmpdir(), 'ferry-shots-'));
const sources = [
  `# low side, March`,
  `${R}/lowside/alpine:3.20,team=base,tier=prod`,
  `${R}/lowside/busybox:1.36,team=base`,
  `${R}/lowside/app:2.0,team=apps,tier=prod,owner=platform-engineering`,
  `${R}/lowside/missing:1`,
  '',
].join('\n');
const src = '(index .Annotations "vnd.act3-ace.manifest.source")';

try {
  let partialRun = '';
  let storyRun = '';
  for (const colorScheme of ['light', 'dark']) {
    const context = await launchBrowser({ colorScheme });
    const { page } = await openPage(context, ferry.url + '#/sources');
    const go = async (id) => {
      await page.click(`nav a[data-nav="${id}"]`);
      await page.locator('h1').waitFor();
    };
    await page.setViewportSize({ width: 1920, height: 1080 });
    if (!partialRun) {
      await page.locator('.cm-content[aria-label="Sources list"]').fill(sources);
      await page.waitForSelector('[data-sources-state="valid"]');
      await page.click('button:has-text("Check sources")');
      await page.waitForSelector('.check[data-check="error"]');
      await go('mapping');
      await page.selectOption('select[aria-label="Mapper type"]', 'first-prefix');
      await page.locator('.cm-content').first().waitFor({ state: 'detached' }).catch(() => {});
      await page.click('button:has-text("Add rule")');
      await page.fill('input[aria-label="From (prefix), row 1"]', `${R}/lowside/`);
      await page.fill('input[aria-label="To, row 1"]', `${R}/highside/mirror/lowside/`);
      await page.selectOption('select[aria-label="Mapper type"]', 'go-template');
      await page.locator('.cm-content[aria-label="Go template"]').fill(`${R}/cloned/{{ Repository ${src} }}:{{ Tag ${src} }}`);
      await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Mapping preview"] tbody tr').length === 4);
      // A clone that delivers three images of four: the fourth does not exist.
      await go('transfer');
      await page.click('[role="tab"][data-op="clone"]');
      await page.check('input[name="continue"]');
      await page.click('button[data-start]');
      await page.waitForSelector('section[aria-label="Running job"]:not([data-run-state="running"])', { timeout: 60_000 });
      partialRun = await page.locator('section[aria-label="Running job"]').getAttribute('data-run-detail');
      // A transfer through a tar file, each step handed to the next: the
      // next-step offers, the filled forms and the story.
      const run = async () => {
        await page.waitForFunction(() => document.querySelector('button[data-start]') && !document.querySelector('button[data-start]').disabled);
        await page.click('button[data-start]');
        await page.waitForSelector('section[aria-label="Running job"][data-run-state="succeeded"]', { timeout: 60_000 });
        return page.locator('section[aria-label="Running job"]').getAttribute('data-run-detail');
      };
      await page.click('[role="tab"][data-op="gather"]');
      await page.fill('input[name="image"]', `${R}/transfer/shots:1`);
      // Not the missing image: only the images labelled team=base.
      await page.fill('textarea[name="selectors"]', 'team=base');
      await run();
      await page.click('section[aria-label="Next step"] button:has-text("Go to serialize")');
      await page.fill('input[name="path"]', path.join(work, 'shots.tar'));
      await run();
      await page.click('section[aria-label="Next step"] button:has-text("Go to deserialize")');
      await page.fill('input[name="image"]', `${R}/highside/transfer/shots:1`);
      storyRun = await run();
    }
    for (const [width, height] of sizes) {
      await page.setViewportSize({ width, height });
      const shot = (name) => page.screenshot({ path: path.join(shotsDir, `touched-${name}-${width}-${colorScheme}.png`) });
      await go('sources');
      await page.waitForSelector('[data-sources-state="valid"]');
      await shot('sources');
      await go('mapping');
      await page.selectOption('select[aria-label="Mapper type"]', 'first-prefix');
      await page.locator('input[aria-label="To, row 1"]').waitFor();
      await shot('mapping-csv');
      await page.selectOption('select[aria-label="Mapper type"]', 'go-template');
      const editor = page.locator('.cm-content[aria-label="Go template"]');
      await editor.fill(`${R}/cloned/{{ Repository ${src} }}:{{ Tag ${src} }}`);
      await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Mapping preview"] tbody tr').length === 4);
      await page.click('summary:has-text("Fields and functions")');
      // Half typed: the last good preview stays, with the problem.
      await editor.press('Control+End');
      await page.keyboard.type('/{{ .');
      await page.locator('[data-preview-stale]').waitFor();
      await shot('mapping-template');
      await page.click('summary:has-text("Fields and functions")');
      await editor.fill(`${R}/cloned/{{ Repository ${src} }}:{{ Tag ${src} }}`);
      await go('transfer');
      // The card of the clone lives in the window that started it (the light one).
      if (colorScheme === 'light') {
        await page.click('[role="tab"][data-op="clone"]');
        await page.locator(`section[data-run-detail="${partialRun}"]`).waitFor();
        await shot('transfer-partial');
      }
      await page.click('[role="tab"][data-op="deserialize"]');
      await page.locator('section[aria-label="Next step"]').waitFor();
      await shot('transfer-next-step');
      await page.click('[role="tab"][data-op="scatter"]');
      await page.locator('[data-filled-from]').waitFor();
      await shot('transfer-scatter');
      // A form naming the built-in registry while it is stopped.
      const typed = await page.inputValue('input[name="image"]');
      await page.fill('input[name="image"]', `${builtin}/high/transfer:practice`);
      await page.locator('[data-builtin-offer]').waitFor();
      await shot('transfer-builtin-offer');
      await page.fill('input[name="image"]', typed);
      await page.click('[role="tab"][data-op="deserialize"]');
      await page.click('section[aria-label="Next step"] a[data-story-link]');
      await page.locator(`section[aria-label="Transfer story"][data-story="${storyRun}"] [data-story-step]`).first().waitFor();
      await shot('transfer-story');
      await go('history');
      await page.locator('table.runs tbody tr').first().waitFor();
      await shot('history');
      await page.click(`tr[data-run="${partialRun}"] td.args`);
      await page.locator(`section[data-run-detail="${partialRun}"] [data-result]`).waitFor();
      await shot('history-partial');
      await go('drives');
      await shot('drives');
      await go('settings');
      await shot('settings');
    }
    await context.close();
  }
} finally {
  await ferry.stop();
  await registry.stop();
  home.remove();
  rmSync(work, { recursive: true, force: true });
}
