// Browser suite: the real UI in headless Chromium against `ferry ui`.
// Run: FERRY_BIN=build/bin/ferry-test node --test --test-concurrency=1 tests/ui/

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, makeHome, openPage, shot, startFerry } from './harness.mjs';

const pages = [
  ['sources', 'Sources'],
  ['mapping', 'Mapping'],
  ['transfer', 'Transfer'],
  ['history', 'History'],
  ['drives', 'Drives'],
  ['settings', 'Settings'],
];

describe('Ferry UI in a browser', () => {
  let home;
  let server;
  let browser;

  before(async () => {
    home = makeHome();
    server = await startFerry(home);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    home?.remove();
  });

  test('every page opens from the sidebar and renders', async () => {
    const { page, errors } = await openPage(browser, server.url);
    for (const [id, title] of pages) {
      await page.click(`nav a[data-nav="${id}"]`);
      await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, title);
      assert.equal(await page.getAttribute(`nav a[data-nav="${id}"]`, 'aria-current'), 'page');
      assert.match(page.url(), new RegExp(`#/${id}$`));
      await shot(page, `page-${id}`);
    }
    // The keyboard reaches every page too: Alt+N follows the sidebar order.
    await page.keyboard.press('Alt+3');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Transfer');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
    assert.equal(await page.textContent('footer[aria-label="Status"]'), 'Idle');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the dark theme follows the system', async () => {
    const dark = await launchBrowser({ colorScheme: 'dark' });
    try {
      const { page, errors } = await openPage(dark, server.url + '#/settings');
      await page.locator('textarea[aria-label="Configuration YAML"]').waitFor();
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(21, 24, 29)', 'dark background token');
      await shot(page, 'settings-dark');
      await page.goto(server.url + '#/transfer');
      await page.locator('h1', { hasText: 'Transfer' }).waitFor();
      await shot(page, 'transfer-dark');
      assert.deepEqual(errors, []);
    } finally {
      await dark.close();
    }
  });

  test('the configuration is checked as you type, problems at their line', async () => {
    const { page } = await openPage(browser, server.url + '#/settings');
    const editor = page.locator('textarea[aria-label="Configuration YAML"]');
    await page.waitForSelector('[data-config-state="valid"]');
    const original = await editor.inputValue();

    const lines = original.replace(/\n*$/, '').split('\n');
    const bad = lines.length + 1;
    await editor.fill(`${lines.join('\n')}\nthis line is not yaml\n`);
    await page.waitForSelector('[data-config-state="invalid"]');
    const marked = await page.locator('.gutter .num.bad').allTextContents();
    assert.ok(marked.length > 0, 'a line is marked in the gutter');
    const listed = await page.locator('ul[aria-label="Problems"] .where').allTextContents();
    assert.ok(listed.length > 0, 'problems are listed');
    assert.ok(marked.every((n) => Number(n) >= bad - 1), `marks ${marked} near the new line ${bad}`);
    assert.ok(listed.some((w) => w.startsWith(`Line ${marked[0]}`)), `list ${listed} names marked line ${marked[0]}`);
    await shot(page, 'settings-problems');

    await editor.fill(`${lines.join('\n')}\n# checked by the browser suite\n`);
    await page.waitForSelector('[data-config-state="valid"]');
    await page.locator('section[aria-label="Configuration"] button', { hasText: /^Save$/ }).click();
    await page.locator('[role="status"]', { hasText: 'Saved to' }).waitFor();
    await page.close();
  });

  test('preferences survive a restart', async () => {
    let { page } = await openPage(browser, server.url + '#/settings');
    await page.locator('input[name="concurrency"]').fill('7');
    await page.locator('input[name="blockSize"]').fill('512KiB');
    await page.locator('label', { hasText: 'Dark' }).click();
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'theme previews at once');
    await page.click('button:has-text("Save preferences")');
    await page.locator('[role="status"]', { hasText: 'Preferences saved' }).waitFor();
    await page.close();

    await server.stop();
    server = await startFerry(home);
    // A fresh browser profile: nothing may come from the page's local storage.
    const fresh = await launchBrowser();
    try {
      ({ page } = await openPage(fresh, server.url + '#/settings'));
      await page.waitForFunction(() => document.querySelector('input[name="concurrency"]')?.value === '7');
      assert.equal(await page.inputValue('input[name="blockSize"]'), '512KiB');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
      assert.ok(await page.isChecked('input[name="theme"][value="dark"]'));
      const text = await page.locator('textarea[aria-label="Configuration YAML"]').inputValue();
      assert.match(text, /# checked by the browser suite/, 'saved configuration is read back');
      await shot(page, 'settings-after-restart');

      // Back to the system theme for the screenshots that follow.
      await page.locator('label', { hasText: 'System' }).click();
      await page.click('button:has-text("Save preferences")');
      await page.locator('[role="status"]', { hasText: 'Preferences saved' }).waitFor();
    } finally {
      await fresh.close();
    }
  });

  test('a demo job shows progress, cancels, and is recorded as cancelled', async () => {
    const { page, errors } = await openPage(browser, server.url + '#/history');
    const card = page.locator('section[aria-label="Demo job"]');
    await card.waitFor();
    await card.locator('button:has-text("Start")').click();

    const bar = card.locator('[role="progressbar"]');
    const percent = async () => Number((await bar.getAttribute('aria-valuenow')) ?? 0);
    await page.waitForFunction(
      () => Number(document.querySelector('section[aria-label="Demo job"] [role="progressbar"]')?.getAttribute('aria-valuenow')) > 0,
    );
    const first = await percent();
    await page.waitForFunction(
      (p) => Number(document.querySelector('section[aria-label="Demo job"] [role="progressbar"]')?.getAttribute('aria-valuenow')) > p,
      first,
    );
    assert.ok((await percent()) > first, 'the bar moves');
    await page.locator('footer [data-status="running"]', { hasText: 'demo' }).waitFor();
    await shot(page, 'jobs-demo-running');

    await card.locator('button:has-text("Cancel")').click();
    await card.locator('[data-state="cancelled"]').waitFor();
    await page.locator('footer [data-status="idle"]').waitFor();
    const stopped = await percent();
    assert.ok(stopped < 100, `cancelled before the end (at ${stopped}%)`);
    await shot(page, 'jobs-demo-cancelled-card');

    const id = await card.getAttribute('data-demo-job');
    await card.locator('a:has-text("Open log")').click();
    const detail = page.locator(`[data-run-detail="${id}"]`);
    await detail.locator('[data-state="cancelled"]').waitFor();
    await page.locator(`tr[data-run="${id}"] [data-state="cancelled"]`).waitFor();
    await detail.locator('[role="tab"]', { hasText: 'Log' }).click();
    await detail.locator('[role="log"] .line').first().waitFor();
    assert.ok((await detail.locator('[role="log"] .line').count()) > 0, 'the run has log lines');
    await shot(page, 'jobs-demo-cancelled');

    // The record outlives the page: reload and it is still cancelled.
    await page.reload();
    await page.locator(`[data-run-detail="${id}"] [data-state="cancelled"]`).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
