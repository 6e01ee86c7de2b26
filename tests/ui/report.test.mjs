// The printable transfer report from a run's detail in History: saved as
// HTML (a download in a browser), holding the run's images and digests, and
// laid out for paper (shots of the detail and of the report in print media).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ferryBin, launchBrowser, makeHome, openPage, pushImage, shotsDir, startFerry, startRegistry } from './harness.mjs';

describe('the printable report', () => {
  let home, server, registry, browser, page, errors, R, runId;

  before(async () => {
    home = makeHome();
    registry = await startRegistry();
    R = registry.host;
    await pushImage(R, 'lowside/alpine', '3.20', [4096]);
    await pushImage(R, 'lowside/app', '2.0', [1024]);
    const list = path.join(home.root, 'sources.list');
    writeFileSync(list, `${R}/lowside/alpine:3.20,team=base\n${R}/lowside/app:2.0,team=apps\n`);
    // The run comes from the CLI: History shows what either front end ran.
    const env = { ...process.env, ...home.env };
    execFileSync(ferryBin(), ['mirror', 'gather', '-q', list, `${R}/transfer/march:1`], { env });
    runId = JSON.parse(execFileSync(ferryBin(), ['history', 'list', '--json'], { env }).toString())[0].id;
    server = await startFerry(home);
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, server.url + '#/history'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await registry?.stop();
    home?.remove();
  });

  test('Printable report saves the HTML report of the run', async () => {
    await page.click(`tr[data-run="${runId}"] a`);
    const detail = page.locator(`[data-run-detail="${runId}"]`);
    await detail.locator('[data-state="succeeded"]').first().waitFor();
    for (const [width, height] of [[1024, 700], [1920, 1080]]) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: path.join(shotsDir, `touched-history-report-${width}-light.png`) });
    }
    const [download] = await Promise.all([page.waitForEvent('download'), detail.locator('button:has-text("Printable report")').click()]);
    assert.match(download.suggestedFilename(), /^ferry-gather-.*\.html$/);
    const html = readFileSync(await download.path(), 'utf8');
    assert.match(html, /Ferry transfer report/);
    assert.ok(html.includes(`${R}/lowside/alpine:3.20`), 'the report names the images');
    assert.match(html, /sha256:[0-9a-f]{64}/);
    assert.match(html, /@media print/);

    const report = await browser.newPage();
    await report.setContent(html);
    await report.emulateMedia({ media: 'print' });
    await report.setViewportSize({ width: 794, height: 1123 }); // A4 at 96 dpi
    await report.screenshot({ path: path.join(shotsDir, 'touched-printable-report-print.png'), fullPage: true });
    await report.close();
    assert.deepEqual(errors, []);
  });
});
