// Browser suite: "only what a site lacks" on the Serialize form. The low
// side holds a receipt of site high-a listing the whole gathered image; the
// form offers the site, and the plan shows every byte left out.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ferryBin, launchBrowser, makeHome, openPage, pushImage, shot, startFerry, startRegistry } from './harness.mjs';

const ferry = (home, ...args) => execFileSync(ferryBin(), args, { env: { ...process.env, ...home.env }, encoding: 'utf8' });

describe('serialize only what a site lacks', () => {
  let low, high, registry, server, browser, page, errors;

  before(async () => {
    low = makeHome();
    high = makeHome();
    registry = await startRegistry();
    const R = registry.host;
    await pushImage(R, 'lowside/app', '2.0', [64 * 1024]);
    const list = path.join(low.root, 'sources.list');
    writeFileSync(list, `${R}/lowside/app:2.0\n`);
    ferry(low, 'mirror', 'gather', list, `${R}/transfer/sync:1`);
    const receipt = path.join(high.root, 'receipt.json');
    ferry(high, 'receipt', 'create', `${R}/transfer/sync:1`, '--site', 'high-a', '-o', receipt);
    ferry(low, 'receipt', 'import', receipt);
    server = await startFerry(low);
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, server.url + '#/transfer'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await registry?.stop();
    low?.remove();
    high?.remove();
  });

  async function fill(p) {
    await p.click('[role="tab"][data-op="serialize"]');
    await p.fill('input[name="image"]', `${registry.host}/transfer/sync:1`);
    await p.fill('input[name="path"]', path.join(low.root, 'sync-1.tar'));
    const select = p.locator('select[name="sinceReceipt"]');
    await select.locator('option[value="high-a"]').waitFor({ state: 'attached' });
    await select.selectOption('high-a');
    const saved = p.locator('section[aria-label="Plan"][data-plan="backend"] [data-plan-saved]');
    await saved.waitFor();
    return saved;
  }

  test('the form offers the site and the plan shows the bytes saved', async () => {
    const saved = await fill(page);
    assert.ok(Number(await saved.getAttribute('data-plan-saved')) >= 64 * 1024);
    assert.match(await saved.innerText(), /high-a/);
    assert.match(await page.locator('[data-command]').innerText(), /--since-receipt[= ]high-a/);
    for (const [w, h] of [[1024, 700], [1920, 1080]]) {
      await page.setViewportSize({ width: w, height: h });
      await shot(page, `transfer-serialize-since-receipt-${w}-light`);
    }
    const dark = await launchBrowser({ colorScheme: 'dark' });
    try {
      const d = await openPage(dark, server.url + '#/transfer');
      await fill(d.page);
      for (const [w, h] of [[1024, 700], [1920, 1080]]) {
        await d.page.setViewportSize({ width: w, height: h });
        await shot(d.page, `transfer-serialize-since-receipt-${w}-dark`);
      }
      assert.deepEqual(d.errors, []);
    } finally {
      await dark.close();
    }
    assert.deepEqual(errors, []);
  });
});
