// Drives the page in headless Chromium (playwright-core + Debian's /usr/bin/chromium) the way a
// person uses it, and prints what the page shows as JSON. Called by tests/test_web_demo.py:
//   node web_demo/test/page.mjs session CONFIG.json   many scenarios, ONE browser, one JSON line out
//   node web_demo/test/page.mjs visit URL PHOTO       first visit, repeat visit, offline reload; it prints
//                                                     a line after each step and waits for a line on stdin
//                                                     (the test reads the server's byte count, then stops it)
// Session scenarios (CONFIG.scenarios: [{name, kind, device, url, ...}]):
//   photos {files, whole, repick}   pick photos; repick: pick the same files again
//   layout {files}                  pick photos, measure the layout facts, screenshot
//   golden                          Developer -> Check golden faces
//   model {file}                    Developer -> Load model...
//   camera {frames}                 fake camera (CONFIG.y4m), press Camera, wait for N analysed frames
//   looks {looks, files}            Settings -> the "one look" / "two looks" setting, layout facts with it
//                                   open, the files as cropped faces, the golden check, then a reload
//                                   (is the setting remembered?)
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// ../shared/docs/PITFALLS.md: flags that keep a headless Chromium quiet and off the network
export const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const DEVICES = {
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false },
};

/** One browser; contexts (phone or desktop) come from browser.newContext(DEVICES[...]). */
export async function launch(extraFlags = []) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraFlags] });
  return { browser, close: () => browser.close() };
}

const TIMEOUT = Number(process.env.EDGE_PAGE_TIMEOUT_MS || 120000);

async function waitState(page, states) {
  await page.waitForFunction((wanted) => wanted.includes(document.body.dataset.state), states, { timeout: TIMEOUT });
}

export async function snapshot(page) {
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.getElementById('status').textContent,
    message: document.getElementById('message').hidden ? '' : document.getElementById('message').textContent,
    messageKind: document.getElementById('message').className,
    modelInfo: document.getElementById('model-info').textContent,
    shots: Array.from(document.querySelectorAll('#photos > li, #live:not([hidden])'), (shot) => ({
      name: shot.querySelector('.name')?.textContent ?? '', caption: shot.querySelector('.caption').textContent,
      labels: Array.from(shot.querySelectorAll('.label'), (l) => l.textContent) })),
    results: Array.from(document.querySelectorAll('li[data-result]'), (li) => ({ text: li.textContent, ...JSON.parse(li.dataset.result) })),
    frames: Number(document.body.dataset.frames || 0),
    loadSeconds: window.edgeDemo?.loadSeconds ?? null,
    looks: document.body.dataset.looks ?? null,
    threads: window.edgeDemo?.threads ?? null,
    crossOriginIsolated: self.crossOriginIsolated,
  }));
}

/** What a person can see and touch, measured in CSS px (the test asserts the rules). */
async function layoutFacts(page) {
  return page.evaluate(() => {
    const rect = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
    const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
    const shots = Array.from(document.querySelectorAll('#photos > li, #live:not([hidden])'), (shot) => ({
      image: rect(shot.querySelector('canvas, video')),
      labels: Array.from(shot.querySelectorAll('.label'), (l) => ({ text: l.textContent, ...rect(l), font: parseFloat(getComputedStyle(l).fontSize) })),
      boxes: Array.from(shot.querySelectorAll('.box'), rect) }));
    const targets = Array.from(document.querySelectorAll('button, .button, summary, input[type=checkbox], input[type=radio]'))
      .filter(visible).map((el) => ({ id: el.id || el.textContent.trim().slice(0, 20), ...rect(el),
        // a checkbox's or a radio button's touch target is its whole label
        ...(['checkbox', 'radio'].includes(el.type) ? rect(el.closest('label')) : {}) }));
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (walker.currentNode.textContent.trim() && visible(el)) texts.push({ text: walker.currentNode.textContent.trim().slice(0, 30), font: parseFloat(getComputedStyle(el).fontSize) });
    }
    return { shots, targets, texts, viewport: { w: innerWidth, h: innerHeight }, scrollWidth: document.documentElement.scrollWidth };
  });
}

async function openPage(browser, device, url, errors) {
  const context = await browser.newContext({ ...DEVICES[device || 'phone'] });
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await waitState(page, ['ready', 'error']);
  return { context, page };
}

async function pick(page, files) {
  await page.setInputFiles('#photo', files);
  await waitState(page, ['done']);
}

async function developer(page) {
  await page.evaluate(() => { document.getElementById('developer').open = true; });
}

async function scenario(browser, step) {
  const errors = [];
  const { context, page } = await openPage(browser, step.device, step.url, errors);
  try {
    const out = {};
    if (step.kind === 'photos' || step.kind === 'layout') {
      if (step.whole) { await developer(page); await page.check('#whole'); }
      await pick(page, step.files);
      if (step.repick) {
        out.first = await snapshot(page);
        await page.evaluate(() => { document.body.dataset.state = 'picked-again'; });
        await pick(page, step.files);
      }
      if (step.kind === 'layout') out.layout = await layoutFacts(page);
    } else if (step.kind === 'golden') {
      await developer(page);
      await page.click('#golden');
      await waitState(page, ['done']);
    } else if (step.kind === 'model') {
      await developer(page);
      await page.setInputFiles('#model-file', step.file);
      await waitState(page, ['done']);
    } else if (step.kind === 'camera') {
      await page.click('#camera');
      await page.waitForFunction((n) => Number(document.body.dataset.frames || 0) >= n, step.frames || 3, { timeout: TIMEOUT });
      out.layout = await layoutFacts(page);
      out.mirrored = await page.evaluate(() => getComputedStyle(document.querySelector('#live video')).transform);
      // frames the camera presented vs frames analysed over one second (each new frame read once)
      out.rate = await page.evaluate(async () => {
        const video = document.querySelector('#live video');
        const before = Number(document.body.dataset.frames), presented0 = video.getVideoPlaybackQuality().totalVideoFrames;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return { analysed: Number(document.body.dataset.frames) - before,
          presented: video.getVideoPlaybackQuality().totalVideoFrames - presented0 };
      });
    } else if (step.kind === 'looks') {
      out.before = await page.evaluate(() => document.body.dataset.looks);
      await page.evaluate(() => { document.getElementById('settings').open = true; });
      await page.check(`input[name=looks][value=${step.looks}]`);
      await page.waitForFunction((wanted) => document.body.dataset.looks === wanted && document.body.dataset.state === 'done',
        step.looks, { timeout: TIMEOUT });
      out.layout = await layoutFacts(page);
      out.modelInfoAfterSwitch = await page.evaluate(() => document.getElementById('model-info').textContent);
      await developer(page);
      await page.check('#whole');
      await pick(page, step.files);
      out.photos = await snapshot(page);
      if (step.golden !== false) {
        await page.evaluate(() => { document.body.dataset.state = 'checking'; }); // 'done' again means the check is done
        await page.click('#golden');
        await waitState(page, ['done']);
        out.golden = await snapshot(page);
      }
      await page.reload();
      await waitState(page, ['ready', 'error']);
      out.remembered = await page.evaluate(() => document.body.dataset.looks);
    } else if (step.kind !== 'load') {
      throw new Error(`unknown scenario kind ${step.kind}`);
    }
    Object.assign(out, await snapshot(page));
    if (step.screenshot) await page.screenshot({ path: step.screenshot, fullPage: false });
    return { ...out, pageErrors: errors };
  } finally {
    await context.close();
  }
}

async function session(configPath) {
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const flags = config.y4m ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${config.y4m}`] : [];
  const { browser, close } = await launch(flags);
  const results = {};
  try {
    for (const step of config.scenarios) {
      const started = Date.now();
      try {
        results[step.name] = await scenario(browser, step);
      } catch (error) {
        results[step.name] = { error: String(error.stack || error) };
      }
      results[step.name].seconds = (Date.now() - started) / 1000;
    }
  } finally {
    await close();
  }
  console.log(JSON.stringify(results));
}

// --- visit: first visit, repeat visit, offline ----------------------------------------------------

async function visit(url, photo) {
  const lines = readline.createInterface({ input: process.stdin });
  const iterator = lines[Symbol.asyncIterator]();
  const say = async (data) => { console.log(JSON.stringify(data)); return (await iterator.next()).value; };
  // a persistent profile: Chromium refuses to install from an incognito-like context ("in-incognito")
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS,
    ...DEVICES.phone });
  const close = async () => { await context.close().catch(() => {}); fs.rmSync(profile, { recursive: true, force: true }); };
  const errors = [];
  try {
    let page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await waitState(page, ['ready', 'error']);
    await page.waitForFunction(() => document.body.dataset.offline, null, { timeout: TIMEOUT });
    const first = await snapshot(page);
    first.offline = await page.evaluate(() => document.body.dataset.offline);
    const cdp = await context.newCDPSession(page);
    first.installabilityErrors = (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors;
    const manifest = await cdp.send('Page.getAppManifest');
    first.manifestErrors = manifest.errors;
    await say({ step: 'first', ...first, pageErrors: errors });
    // a repeat visit: a new tab in the same browser profile
    await page.close();
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await waitState(page, ['ready', 'error']);
    const repeat = await snapshot(page);
    repeat.controlled = await page.evaluate(() => Boolean(navigator.serviceWorker.controller));
    await say({ step: 'repeat', ...repeat, pageErrors: errors });
    // the test has stopped the server: offline, reload, classify a photo
    await context.setOffline(true);
    await page.reload();
    await waitState(page, ['ready', 'error']);
    await pick(page, [photo]);
    await say({ step: 'offline', ...(await snapshot(page)), pageErrors: errors });
  } finally {
    lines.close();
    await close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, ...args] = process.argv.slice(2);
  const run = command === 'session' ? session(args[0]) : command === 'visit' ? visit(args[0], args[1])
    : Promise.reject(new Error(`usage: page.mjs session CONFIG.json | visit URL PHOTO`));
  run.catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
}

// A benchmark's result as a JSON file, written whole or not at all (benchmarks/results.py reads it).
export function writeJsonAtomic(file, value) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify(value, null, 1)}\n`);
  fs.renameSync(partial, file);
}

// `edge serve` for a benchmark script, in a child Python process (edge.app.serve.make_server on a free
// port): the page and the export's web assets, and with bench: true also the benchmark harness
// (bench.html, face-api.js). Resolves to { url, bytesSent(), stop() }: bytesSent() asks the server how
// many bytes it has sent so far (a line on its stdin, a line back); stop() ends it.
export async function startEdgeServe({ python, cwd, exportDir, bench = false }) {
  const script = ['import sys, threading', 'from edge.app.serve import ServeOptions, make_server',
    `s = make_server(sys.argv[1], ServeOptions(port=0, quiet=True, bench=${bench ? 'True' : 'False'}), log=lambda m: None)`,
    'threading.Thread(target=s.serve_forever, daemon=True).start()', 'print("open", s.url, flush=True)',
    'for line in sys.stdin:', '    print("bytes", s.bytes_sent, flush=True)'].join('\n');
  const server = spawn(python, ['-c', script, exportDir], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: server.stdout })[Symbol.asyncIterator]();
  const next = async (wanted) => {
    const { value, done } = await lines.next();
    if (done || !value.startsWith(wanted)) {
      server.kill('SIGTERM');
      throw new Error(`edge serve (${exportDir}) ${done ? 'exited' : `printed "${value}"`} before "${wanted.trim()}": see its error above`);
    }
    return value.slice(wanted.length).trim();
  };
  const url = await next('open ');
  return {
    url,
    async bytesSent() { server.stdin.write('bytes\n'); return Number(await next('bytes ')); },
    stop() { server.stdin.end(); server.kill('SIGTERM'); },
  };
}

