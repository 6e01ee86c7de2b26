// Shared helpers for the browser suite: start `ferry ui` on a free loopback
// port with its own data folders, and drive the system Chromium through
// playwright-core (never a downloaded browser).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

// playwright-core is a dev dependency of the frontend; resolve it from there.
const require = createRequire(path.join(repoRoot, 'frontend/package.json'));
const { chromium } = require('playwright-core');

export const shotsDir = path.resolve(process.env.FERRY_SHOTS || path.join(repoRoot, 'build/shots'));
mkdirSync(shotsDir, { recursive: true });

export function ferryBin() {
  const bin = process.env.FERRY_BIN;
  if (!bin) throw new Error('set FERRY_BIN to a ferry binary built with -tags demo');
  return path.resolve(bin);
}

/** A temporary home for one server's data and configuration, kept across restarts. */
export function makeHome() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ferry-ui-'));
  return {
    root,
    env: {
      XDG_DATA_HOME: path.join(root, 'data'),
      XDG_CONFIG_HOME: path.join(root, 'config'),
      XDG_CACHE_HOME: path.join(root, 'cache'),
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `ferry ui` and resolves once it serves the page. */
export async function startFerry(home) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(ferryBin(), ['ui', '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, ...home.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:', NO_AT_BRIDGE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ferry ui exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(url);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ferry ui did not answer on ${url} within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    output: () => output,
    /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches the system Chromium with a fresh profile. Returns a browser
 * context; close() also removes the profile.
 */
export async function launchBrowser({ colorScheme = 'light' } = {}) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 800 },
    colorScheme,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

/** Opens a page and collects uncaught errors so a test can assert there were none. */
export async function openPage(context, url) {
  const page = await context.newPage();
  // Every step here takes well under a second; fail fast rather than at 30 s.
  page.setDefaultTimeout(10_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.locator('nav[aria-label="Main"]').waitFor();
  return { page, errors };
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
}
