// Drives the demo page in headless Chromium (playwright-core + Debian's /usr/bin/chromium) the
// way a person uses it, and prints what the page shows as one JSON line. Called by
// tests/test_web_demo.py; usable by hand:
//   node web_demo/test/page.mjs URL SCENARIO '{"files": [...]}'
// Scenarios:
//   load                         wait until the page is ready (or shows an error)
//   photos {files, whole}        pick photo files (whole: tick "the image is one cropped face")
//   model {file}                 load another model file with "Load model..."
//   camera {y4m, frames}         fake camera fed by a .y4m file; press Camera, wait for N frames
//   golden                       press "Check golden faces"
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// ../shared/docs/PITFALLS.md: flags that keep a headless Chromium quiet and off the network
export const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch(extraFlags = []) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraFlags], viewport: { width: 1000, height: 800 },
  });
  const close = async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); };
  return { context, close };
}

const TIMEOUT = Number(process.env.EDGE_PAGE_TIMEOUT_MS || 120000);

async function waitState(page, states) {
  await page.waitForFunction((wanted) => wanted.includes(document.body.dataset.state), states, { timeout: TIMEOUT });
}

async function snapshot(page) {
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.getElementById('status').textContent,
    message: document.getElementById('message').hidden ? '' : document.getElementById('message').textContent,
    messageKind: document.getElementById('message').className,
    modelInfo: document.getElementById('model-info').textContent,
    results: Array.from(document.querySelectorAll('#faces li'), (li) => ({ text: li.textContent, ...JSON.parse(li.dataset.result) })),
    frames: Number(document.body.dataset.frames || 0),
    loadSeconds: window.edgeDemo?.loadSeconds ?? null,
  }));
}

async function main() {
  const [url, scenario, argsJson] = process.argv.slice(2);
  const args = argsJson ? JSON.parse(argsJson) : {};
  const flags = scenario === 'camera'
    ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${args.y4m}`]
    : [];
  const { context, close } = await launch(flags);
  const errors = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await waitState(page, ['ready', 'error']);
    if (scenario === 'photos') {
      if (args.whole) await page.check('#whole');
      await page.setInputFiles('#photo', args.files);
      await waitState(page, ['done']);
    } else if (scenario === 'model') {
      await page.setInputFiles('#model-file', args.file);
      await waitState(page, ['done']);
    } else if (scenario === 'golden') {
      await page.click('#golden');
      await waitState(page, ['done']);
    } else if (scenario === 'camera') {
      await page.click('#camera');
      await page.waitForFunction((n) => Number(document.body.dataset.frames || 0) >= n, args.frames || 3, { timeout: TIMEOUT });
    } else if (scenario !== 'load') {
      throw new Error(`unknown scenario ${scenario}`);
    }
    const result = await snapshot(page);
    if (args.screenshot) await page.screenshot({ path: args.screenshot });
    console.log(JSON.stringify({ ...result, pageErrors: errors }));
  } finally {
    await close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
}
