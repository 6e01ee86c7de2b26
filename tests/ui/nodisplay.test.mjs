// `ferry` with no arguments and no display says what to do and exits 1,
// never GTK's panic: with no display set, and with one that cannot be opened.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ferryBin, makeHome } from './harness.mjs';

for (const [what, display] of [
  ['no display set', {}],
  ['a display that cannot be opened', { DISPLAY: ':97' }],
]) {
  test(`ferry with ${what} points to ferry ui and exits 1`, () => {
    const home = makeHome();
    try {
      const env = { ...process.env, ...home.env, ...display };
      if (!display.DISPLAY) delete env.DISPLAY;
      delete env.WAYLAND_DISPLAY;
      const r = spawnSync(ferryBin(), [], { env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, `exit status ${r.status} (signal ${r.signal}):\n${r.stderr}`);
      assert.match(r.stderr, /ferry ui/);
      assert.match(r.stderr, /DISPLAY/);
      assert.doesNotMatch(r.stderr + r.stdout, /panic|goroutine/);
    } finally {
      home.remove();
    }
  });
}
