// Screenshots of the pages this release touched, at 1024x700 and 1920x1080,
// light and dark: `FERRY_BIN=build/bin/ferry-test node tests/ui/shots-touched.mjs`.
// Writes into FERRY_SHOTS (default build/shots).
import path from 'node:path';
import { launchBrowser, makeHome, openPage, shotsDir, startFerry } from './harness.mjs';

const home = makeHome();
const ferry = await startFerry(home);
try {
  for (const colorScheme of ['light', 'dark']) {
    const context = await launchBrowser({ colorScheme });
    const { page } = await openPage(context, ferry.url);
    await page.click('nav a[data-nav="sources"]');
    await page.locator('.cm-content[aria-label="Sources list"]').fill('reg.example/lowside/alpine:3.20\nreg.example/lowside/app:2.0,component=core\n');
    for (const [width, height] of [[1024, 700], [1920, 1080]]) {
      await page.setViewportSize({ width, height });
      await page.click('nav a[data-nav="mapping"]');
      // The rules are kept between windows: start from the template each time.
      await page.selectOption('select[aria-label="Mapper type"]', 'go-template');
      const editor = page.locator('.cm-content[aria-label="Go template"]');
      await editor.fill('reg.example/highside/x\n{{ repeat 20000000000 "xxxx" }}');
      await page.getByText(/exceeds its budget/).first().waitFor();
      await page.screenshot({ path: path.join(shotsDir, `touched-mapping-budget-${width}-${colorScheme}.png`) });
      await page.selectOption('select[aria-label="Mapper type"]', 'first-prefix');
      await page.getByText(/no rules/).first().waitFor();
      await page.screenshot({ path: path.join(shotsDir, `touched-mapping-norules-${width}-${colorScheme}.png`) });
      await page.selectOption('select[aria-label="Mapper type"]', 'nest');
      // The Scatter form names the rules it uses and holds back the sample.
      await page.click('nav a[data-nav="transfer"]');
      await page.click('[role="tab"][data-op="scatter"]');
      await page.locator('[data-rules-name]').waitFor();
      await page.screenshot({ path: path.join(shotsDir, `touched-scatter-sample-${width}-${colorScheme}.png`) });
      await page.click('nav a[data-nav="mapping"]');
      await page.selectOption('select[aria-label="Mapper type"]', 'go-template');
    }
    await context.close();
  }
} finally {
  await ferry.stop();
  home.remove();
}
