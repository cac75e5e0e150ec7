// Browser benchmark behind BENCHMARKS.md ("In the browser"): our int8 model in LiteRT.js vs
// face-api.js's age/gender net (@vladmandic/face-api, its bundled tfjs, WASM backend), in ONE
// headless Chromium run, on the same UTKFace test faces; plus the demo page's load time and bytes.
//
//   node benchmarks/web_latency.mjs --export runs/mobile-utk/export [--faces 300] [--data ../shared/data/utkface]
//
// The export must be an `edge export --int8` directory (its web/ assets are written by `edge serve`
// when missing) holding split.json: the test faces are that split's, evenly spaced. Needs
// `npm ci` in web_demo/ and Debian's chromium (.ci/deps/web.sh). Prints a summary and a JSON line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../web_demo/test/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = { export: 'runs/mobile-utk/export', faces: 300, data: '../shared/data/utkface', loads: 3,
  edge: path.join(root, '.venv/bin/edge') };
for (let i = 2; i < process.argv.length; i += 2) options[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

function startServer() {
  return new Promise((resolve, reject) => {
    // stderr (one line per request) is dropped
    const server = spawn(options.edge, ['serve', options.export, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/open (http\S+)/);
      if (match) resolve({ server, url: match[1] });
    });
    server.on('exit', (code) => reject(new Error(`edge serve exited with ${code}: ${output}`)));
  });
}

// UTKFace: age_gender_race_date.jpg.chip.jpg, gender 0 = male, 1 = female
function utkLabels(file) {
  const [age, gender] = path.basename(file).split('_').map(Number);
  return Number.isInteger(age) && (gender === 0 || gender === 1) ? { age, gender } : null;
}

function testFaces() {
  const split = JSON.parse(fs.readFileSync(path.resolve(root, options.export, 'split.json'), 'utf8'));
  const count = Math.min(Number(options.faces), split.test.length);
  const faces = [];
  for (let i = 0; i < count; i++) {
    const recorded = split.paths[split.test[Math.floor((i * split.test.length) / count)]];
    const file = fs.existsSync(recorded) ? recorded : path.resolve(root, options.data, path.basename(recorded));
    const labels = utkLabels(file);
    if (labels) faces.push({ file, ...labels, base64: fs.readFileSync(file).toString('base64') });
  }
  return { faces, testSize: split.test.length, seed: split.seed ?? null };
}

const median = (values) => { const s = [...values].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const percentile = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const round = (value, digits = 2) => Number(value.toFixed(digits));

async function pageLoad(url) {
  // a fresh profile each time: nothing cached, everything downloaded from the local server
  const { context, close } = await launch();
  try {
    const page = await context.newPage();
    const responses = [];
    page.on('response', (response) => responses.push(response));
    const started = Date.now();
    await page.goto(url);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120000 });
    const seconds = (Date.now() - started) / 1000;
    const state = await page.evaluate(() => document.body.dataset.state);
    if (state !== 'ready') throw new Error(`page did not get ready: ${await page.textContent('#message')}`);
    let bytes = 0;
    const files = [];
    for (const response of responses) {
      const size = (await response.request().sizes()).responseBodySize;
      bytes += size;
      files.push([new URL(response.url()).pathname, size]);
    }
    return { seconds, bytes, files: files.sort((a, b) => b[1] - a[1]) };
  } finally {
    await close();
  }
}

async function main() {
  const { server, url } = await startServer();
  try {
    const loads = [];
    for (let i = 0; i < Number(options.loads); i++) loads.push(await pageLoad(url));
    const { faces, testSize } = testFaces();
    const { context, close } = await launch();
    let run;
    try {
      const page = await context.newPage();
      await page.goto(`${url}bench.html`);
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120000 });
      const error = await page.evaluate(() => document.body.dataset.error);
      if (error) throw new Error(`benchmark page: ${error}`);
      run = await page.evaluate((list) => window.runBenchmark(list), faces.map(({ base64 }) => ({ base64 })));
    } finally {
      await close();
    }
    const score = (predictions) => ({
      mae_years: round(mean(predictions.map((p, i) => Math.abs(p.age - faces[i].age))), 3),
      gender_accuracy: round(mean(predictions.map((p, i) => (p.gender === faces[i].gender ? 1 : 0))), 4),
    });
    const ours = run.ours.map((r) => r.ms), theirs = run.theirs.map((r) => r.ms);
    const result = {
      export: options.export, faces: faces.length, test_split_size: testSize,
      browser: 'Debian chromium, headless', ours_runtime: 'LiteRT.js (@litertjs/core) WebAssembly, 1 thread',
      faceapi_runtime: `@vladmandic/face-api, tfjs ${run.tfjs} backend ${run.backend}, crossOriginIsolated ${run.crossOriginIsolated}`,
      ours_ms: { median: round(median(ours), 3), p90: round(percentile(ours, 0.9), 3), mean: round(mean(ours), 3),
        model_only_median: round(median(run.ours.map((r) => r.model_ms)), 3) },
      faceapi_ms: { median: round(median(theirs), 3), p90: round(percentile(theirs, 0.9), 3), mean: round(mean(theirs), 3) },
      speedup_median: round(median(theirs) / median(ours), 1), speedup_mean: round(mean(theirs) / mean(ours), 1),
      ours_accuracy: score(run.ours), faceapi_accuracy: score(run.theirs),
      page_load: { seconds_median: round(median(loads.map((l) => l.seconds)), 2), bytes: loads[0].bytes,
        largest_files: loads[0].files.slice(0, 6) },
    };
    console.log(`faces: ${result.faces} of the ${testSize}-face test split (${options.export}/split.json)`);
    console.log(`per face, median (p90, mean): ours ${result.ours_ms.median} ms (${result.ours_ms.p90}, ${result.ours_ms.mean}; `
      + `model alone ${result.ours_ms.model_only_median}), face-api.js ${result.faceapi_ms.median} ms (${result.faceapi_ms.p90}, `
      + `${result.faceapi_ms.mean}) -> ${result.speedup_median}x faster by median, ${result.speedup_mean}x by mean`);
    console.log(`accuracy: ours MAE ${result.ours_accuracy.mae_years} y, gender ${(100 * result.ours_accuracy.gender_accuracy).toFixed(1)}%; `
      + `face-api.js MAE ${result.faceapi_accuracy.mae_years} y, gender ${(100 * result.faceapi_accuracy.gender_accuracy).toFixed(1)}%`);
    console.log(`page load (fresh profile, localhost): ${result.page_load.seconds_median} s median of ${loads.length}, `
      + `${(result.page_load.bytes / 1e6).toFixed(2)} MB downloaded`);
    console.log(JSON.stringify(result));
  } finally {
    server.kill('SIGINT');
  }
}

main().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
