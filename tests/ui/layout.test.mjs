// Every page fits the smallest and the largest screen Ferry is used on
// (1024x700 and 1920x1080), light and dark: no page scrolls sideways, no
// control sticks out of the panel (or scroll box) that holds it, and the
// fields that hold references show them whole (the Mapping page's CSV rules
// used to show "127.0.0.1" and nothing more at 1024 wide).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, makeHome, openPage, shot, startFerry } from './harness.mjs';
import { layoutProblems } from './layoutcheck.mjs';

const host = '127.0.0.1:43109';
const sources = [
  '# low side, March',
  `${host}/lowside/alpine:3.20,team=base,tier=prod`,
  `${host}/lowside/busybox:1.36,team=base`,
  `${host}/lowside/app:2.0,team=apps,tier=prod,owner=platform-engineering`,
  '',
].join('\n');

describe('every page fits 1024x700 and 1920x1080', () => {
  let home, server;

  before(async () => {
    home = makeHome();
    server = await startFerry(home);
    // Something in History: a demo run, started and finished through the backend.
    const browser = await launchBrowser();
    const { page } = await openPage(browser, server.url + '#/history');
    await page.click('section[aria-label="Demo job"] button:has-text("Start")');
    await page.locator('section[aria-label="Demo job"] [data-state="succeeded"]').waitFor({ timeout: 30_000 });
    await browser.close();
  });

  after(async () => {
    await server?.stop();
    home?.remove();
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`${colorScheme}: no page scrolls sideways and no control is clipped`, async () => {
      const browser = await launchBrowser({ colorScheme });
      try {
        const { page, errors } = await openPage(browser, server.url + '#/sources');
        await page.locator('.cm-content[aria-label="Sources list"]').fill(sources);
        await page.waitForSelector('[data-sources-state="valid"]');
        await page.click('nav a[data-nav="mapping"]');
        await page.selectOption('select[aria-label="Mapper type"]', 'first-prefix');
        await page.click('button:has-text("Add rule")');
        await page.fill('input[aria-label="From (prefix), row 1"]', `${host}/lowside/`);
        await page.fill('input[aria-label="To, row 1"]', `${host}/highside/mirror/lowside/`);

        for (const [width, height] of [
          [1024, 700],
          [1920, 1080],
        ]) {
          await page.setViewportSize({ width, height });
          for (const id of ['sources', 'mapping', 'transfer', 'history', 'drives', 'settings']) {
            await page.click(`nav a[data-nav="${id}"]`);
            await page.locator('h1').waitFor();
            if (id === 'mapping') {
              await page.selectOption('select[aria-label="Mapper type"]', 'first-prefix');
              await page.locator('input[aria-label="To, row 1"]').waitFor();
              // The rule fields show the whole reference, not its first part.
              for (const label of ['From (prefix), row 1', 'To, row 1']) {
                const fit = await page.locator(`input[aria-label="${label}"]`).evaluate((el) => [el.scrollWidth, el.clientWidth]);
                assert.ok(fit[0] <= fit[1] + 1, `${width}x${height}: "${label}" shows ${fit[1]} of ${fit[0]} px`);
              }
            }
            if (id === 'transfer') await page.click('[role="tab"][data-op="scatter"]');
            if (id === 'history') await page.locator('table.runs tbody tr').first().waitFor();
            const problems = await page.evaluate(layoutProblems);
            if (problems.length) await shot(page, `layout-${id}-${width}-${colorScheme}`);
            assert.deepEqual(problems, [], `${id} at ${width}x${height} (${colorScheme})`);
            if (id === 'history') {
              // A whole row opens the run, the Started cell as well as the link.
              await page.locator('table.runs tbody tr').first().locator('td.mono:not(.args)').click();
              await page.locator('section[aria-label="Run detail"] [data-result]').waitFor();
              const detail = await page.evaluate(layoutProblems);
              assert.deepEqual(detail, [], `history detail at ${width}x${height} (${colorScheme})`);
              // The story of that run, on the Transfer page.
              const run = await page.locator('table.runs tbody tr').first().getAttribute('data-run');
              await page.goto(`${server.url}#/transfer/${encodeURIComponent(run)}`);
              await page.locator(`section[aria-label="Transfer story"][data-story="${run}"] [data-story-step]`).waitFor();
              assert.deepEqual(await page.evaluate(layoutProblems), [], `transfer story at ${width}x${height} (${colorScheme})`);
              await page.goBack();
              await page.goBack();
            }
          }
        }
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });
  }

  test('Esc then Tab leaves a code editor, as the hint under it says', async () => {
    const browser = await launchBrowser();
    try {
      const { page } = await openPage(browser, server.url + '#/sources');
      const editor = page.locator('.cm-content[aria-label="Sources list"]');
      await editor.focus();
      const hint = await page.locator(`#${await editor.getAttribute('aria-describedby')}`).innerText();
      assert.match(hint, /Esc\s+then\s+Tab\s+leaves the editor/);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Sources list', 'Tab alone indents');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Tab');
      assert.notEqual(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Sources list', 'Esc, Tab moves on');
    } finally {
      await browser.close();
    }
  });
});
