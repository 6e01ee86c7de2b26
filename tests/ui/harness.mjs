// Shared helpers for the browser suite: start `ferry ui` on a free loopback
// port with its own data folders, and drive the system Chromium through
// playwright-core (never a downloaded browser).

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `ferry ui` and resolves once it serves the page; env adds variables (fake drives). */
export async function startFerry(home, env = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(ferryBin(), ['ui', '--listen', `127.0.0.1:${port}`, '--insecure-no-token'], {
    env: { ...process.env, ...home.env, ...env, DBUS_SESSION_BUS_ADDRESS: 'disabled:', NO_AT_BRIDGE: '1' },
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

/** Opens a page from the sidebar and waits for its heading to read title. */
export async function goTo(page, id, title) {
  await page.click(`nav a[data-nav="${id}"]`);
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, title);
}

export async function shot(page, name) {
  // A settled screen, not a progress bar mid-transition (endless
  // animations, such as an indeterminate bar, are left running).
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => {})),
    ),
  );
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
}

// ---------------------------------------------------------------------------
// A real registry for the transfer tests: CNCF Distribution on a free
// loopback port, filesystem storage in a temporary folder.

/** Starts /usr/bin/docker-registry and resolves once /v2/ answers. */
export async function startRegistry() {
  const bin = process.env.DOCKER_REGISTRY || '/usr/bin/docker-registry';
  const port = await freePort();
  const root = mkdtempSync(path.join(os.tmpdir(), 'ferry-registry-'));
  const config = path.join(root, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(root, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not answer within 15 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const sha256 = (buf) => 'sha256:' + createHash('sha256').update(buf).digest('hex');

async function pushBlob(host, repo, data) {
  const digest = sha256(data);
  const head = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  if (head.ok) return digest;
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload to ${repo}: ${start.status} ${await start.text()}`);
  const loc = new URL(start.headers.get('location'), `http://${host}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob PUT to ${repo}: ${put.status} ${await put.text()}`);
  return digest;
}

/**
 * Pushes a small OCI image (random layers of the given sizes) as repo:tag and
 * returns its manifest digest. The layers are plain bytes: registries and
 * Ferry move blobs by digest and do not unpack them.
 */
export async function pushImage(host, repo, tag, layerSizes = [2048]) {
  const layers = [];
  for (const size of layerSizes) {
    const data = randomBytes(size);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await pushBlob(host, repo, data), size });
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: {} }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(host, repo, config), size: config.length },
      layers,
    }),
  );
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 201) throw new Error(`manifest PUT ${repo}:${tag}: ${res.status} ${await res.text()}`);
  return sha256(manifest);
}

/** The tags of a repository, [] when it does not exist. */
export async function listTags(host, repo) {
  const res = await fetch(`http://${host}/v2/${repo}/tags/list`);
  if (!res.ok) return [];
  return (await res.json()).tags ?? [];
}

// ---------------------------------------------------------------------------
// Fake tape drives: a sysfs class tree shaped like Linux's (as in
// backend/cli/drives_test.go) and a device folder of plain files. Ferry lists
// them; asking a plain file for tape status fails, as on a host without st.

export function makeFakeDrives(root) {
  const sysfs = path.join(root, 'sys', 'class', 'scsi_tape');
  const dev = path.join(root, 'dev');
  mkdirSync(sysfs, { recursive: true });
  mkdirSync(dev, { recursive: true });
  const write = (p, content) => {
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  };
  const drives = [
    { n: '0', scsi: '0:0:3:0', attrs: { vendor: 'IBM     \n', model: 'ULT3580-TD9     \n', vpd_pg80: '\x01\x80\x00\x0c1013000123  ' } },
    { n: '1', scsi: '1:0:0:0', attrs: { vendor: 'HP      \n', model: 'Ultrium 6-SCSI  \n' } },
  ];
  for (const d of drives) {
    const scsi = path.join(root, 'sys', 'devices', 'host' + d.n, d.scsi);
    for (const [name, content] of Object.entries(d.attrs)) write(path.join(scsi, name), Buffer.from(content, 'latin1'));
    for (const name of ['st' + d.n, 'nst' + d.n]) {
      const node = path.join(scsi, 'scsi_tape', name);
      write(path.join(node, 'default_blksize'), '-1\n');
      for (const c of ['read_byte_cnt', 'write_byte_cnt', 'read_cnt', 'write_cnt', 'other_cnt', 'read_ns', 'write_ns', 'io_ns', 'in_flight', 'resid_cnt']) {
        write(path.join(node, 'stats', c), '0');
      }
      symlinkSync(path.join('..', '..'), path.join(node, 'device'));
      symlinkSync(node, path.join(sysfs, name));
      write(path.join(dev, name), '');
    }
  }
  return { FERRY_SYSFS_ROOT: sysfs, FERRY_DEV_DIR: dev };
}
