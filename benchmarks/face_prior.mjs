// Face descriptors from face-api.js's faceRecognitionNet (@vladmandic/face-api: dlib's ResNet face
// descriptor network ported to tfjs; 128 numbers per face, 150x150 input) for the "face prior"
// question of docs/experiments/2026-12-04-face-prior-teacher.md: does a small head on them tell
// gender and age better than our model? benchmarks/face_prior_head.py fits and scores that head.
//
//   node benchmarks/face_prior.mjs --split runs/utk28-s42/split.json [--train 5000] [--seed 42]
//        [--out bench/face-prior] [--export DIR] [--data ../shared/data/utkface] [--limit N]
//
// Faces: EVERY validation face of the split, then the first --train of its training faces in a seeded
// shuffle (--seed: the same seed and a larger --train extend the same subset). The test faces are
// never read. Each UTKFace chip goes whole to the net, which resizes it to 150x150 itself (bilinear;
// a 200x200 chip needs no padding), as face-api.js does with the face crops of its own pipeline.
// Runs in ONE headless Chromium (Debian's chromium, as benchmarks/web_latency.mjs), face-api.js's
// bundled tfjs on its WASM backend, one thread (WASM_HAS_MULTITHREAD_SUPPORT off, page not
// cross-origin isolated). The page is a small harness this script serves itself beside `edge serve
// --bench`'s files (face-api.js's dist, model and the tfjs WASM files are on its bench allow-list);
// --export is the export edge serve needs (default: the export/ folder beside the split).
// Out: OUT/descriptors.jsonl, one line per face {split, index, file, ms, descriptor[128]} (index:
// into the split's paths), appended every few faces; a rerun skips the faces already there, so an
// interrupted run resumes. --limit N stops after N new faces (to time a few first). OUT/meta.json:
// the runtime, the counts and this run's per-face times.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, startEdgeServe } from '../web_demo/test/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = { split: 'runs/utk28-s42/split.json', export: null, data: '../shared/data/utkface', out: 'bench/face-prior',
  train: 5000, seed: 42, limit: 0, chunk: 20, python: path.join(root, '.venv/bin/python') };
for (let i = 2; i < process.argv.length; i += 2) options[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const splitFile = path.resolve(root, options.split);
const exportDir = path.resolve(root, options.export ?? path.join(path.dirname(options.split), 'export'));
const outDir = path.resolve(root, options.out);
const descriptorsFile = path.join(outDir, 'descriptors.jsonl');

// The harness page: face-api.js from edge serve's bench files ({{litert}}: its versioned folder)
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">{"imports": {"face-api": "./{{litert}}/face-api/dist/face-api.esm.js"}}</script></head>
<body data-state="loading"><script type="module">
import * as faceapi from 'face-api';
const base = './{{litert}}';
async function setUp() {
  faceapi.tf.setWasmPaths(base + '/tfjs-backend-wasm/dist/');
  faceapi.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  await faceapi.nets.faceRecognitionNet.loadFromUri(base + '/face-api/model');
  return { backend: faceapi.tf.getBackend(), tfjs: faceapi.tf.version_core, faceapi: faceapi.version,
    simd: await faceapi.tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    multithread: await faceapi.tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), crossOriginIsolated: self.crossOriginIsolated };
}
// faces: [base64 JPEG] -> [{descriptor, ms, width, height}]; ms: the net alone (resize, normalise, ResNet)
window.describe = async (faces) => {
  const out = [];
  for (const base64 of faces) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    bitmap.close();
    const started = performance.now();
    const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(canvas);
    out.push({ descriptor: Array.from(descriptor), ms: performance.now() - started, width: canvas.width, height: canvas.height });
  }
  return { out, tensors: faceapi.tf.memory().numTensors };
};
setUp().then((info) => { window.info = info; document.body.dataset.state = 'ready'; })
  .catch((error) => { document.body.dataset.state = 'error'; document.body.dataset.error = String(error.stack || error); });
</script></body></html>`;

/** A seeded shuffle (mulberry32 + Fisher-Yates): the same seed gives the same order on any machine. */
function shuffled(values, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The faces already described (a line cut short by an interruption is dropped from the file). */
function done() {
  if (!fs.existsSync(descriptorsFile)) return new Set();
  let text = fs.readFileSync(descriptorsFile, 'utf8');
  if (text && !text.endsWith('\n')) {
    text = text.slice(0, text.lastIndexOf('\n') + 1);
    fs.writeFileSync(descriptorsFile, text);
  }
  return new Set(text.split('\n').filter(Boolean).map((line) => JSON.parse(line).index));
}

const median = (values) => { const s = [...values].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main() {
  const split = JSON.parse(fs.readFileSync(splitFile, 'utf8'));
  for (const key of ['paths', 'train', 'val']) {
    if (!Array.isArray(split[key])) throw new Error(`${splitFile} has no "${key}" list: not an edge split.json`);
  }
  // the test faces are never read: only val and train indices are listed here
  const wanted = [...split.val.map((index) => ({ split: 'val', index })),
    ...shuffled(split.train, Number(options.seed)).slice(0, Number(options.train)).map((index) => ({ split: 'train', index }))];
  fs.mkdirSync(outDir, { recursive: true });
  const seen = done();
  let todo = wanted.filter((face) => !seen.has(face.index));
  if (Number(options.limit) > 0) todo = todo.slice(0, Number(options.limit));
  console.log(`${wanted.length} faces wanted (${split.val.length} val, ${wanted.length - split.val.length} train), `
    + `${wanted.length - wanted.filter((face) => !seen.has(face.index)).length} already in ${descriptorsFile}, ${todo.length} to do now`);
  if (!todo.length) return; // nothing new: meta.json keeps the run that wrote the faces
  const server = await startEdgeServe({ python: options.python, cwd: root, exportDir, bench: true });
  const { url } = server;
  const times = [];
  let info;
  try {
    const bench = await (await fetch(`${url}bench.html`)).text();
    const litert = bench.match(/"face-api": "\.\/(\S+)\/face-api\/dist\/face-api\.esm\.js"/)?.[1];
    if (!litert) throw new Error('edge serve --bench did not serve face-api.js (bench.html has no face-api import)');
    const { browser, close } = await launch();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.route(`${url}face-prior.html`, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8',
        body: PAGE.replaceAll('{{litert}}', litert) }));
      await page.goto(`${url}face-prior.html`);
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120000 });
      const error = await page.evaluate(() => document.body.dataset.error);
      if (error) throw new Error(`face-prior page: ${error}`);
      info = await page.evaluate(() => window.info);
      console.log(`face-api.js ${info.faceapi}, tfjs ${info.tfjs} on ${info.backend} (SIMD ${info.simd}, threads ${info.multithread}, `
        + `crossOriginIsolated ${info.crossOriginIsolated})`);
      const started = Date.now();
      for (let start = 0; start < todo.length; start += Number(options.chunk)) {
        const chunk = todo.slice(start, start + Number(options.chunk)).map((face) => {
          const recorded = split.paths[face.index];
          const file = fs.existsSync(recorded) ? recorded : path.resolve(root, options.data, path.basename(recorded));
          return { ...face, file: recorded, base64: fs.readFileSync(file).toString('base64') };
        });
        const { out, tensors } = await page.evaluate((faces) => window.describe(faces), chunk.map((face) => face.base64));
        const lines = out.map((result, i) => {
          if (result.descriptor.length !== 128 || !result.descriptor.every(Number.isFinite)) {
            throw new Error(`${chunk[i].file}: descriptor of ${result.descriptor.length} values, or not finite`);
          }
          times.push(result.ms);
          return JSON.stringify({ split: chunk[i].split, index: chunk[i].index, file: chunk[i].file, width: result.width,
            height: result.height, ms: Number(result.ms.toFixed(2)), descriptor: result.descriptor });
        });
        fs.appendFileSync(descriptorsFile, lines.map((line) => `${line}\n`).join(''));
        const finished = start + out.length, seconds = (Date.now() - started) / 1000;
        console.log(`${finished}/${todo.length} faces, net median ${median(times).toFixed(1)} ms, `
          + `${(seconds / finished).toFixed(3)} s per face wall (decode included), ~${((todo.length - finished) * seconds / finished / 60).toFixed(1)} min left, `
          + `tfjs tensors alive ${tensors}`);
      }
    } finally {
      await close();
    }
  } finally {
    server.stop();
  }
  const all = done();
  const counts = { val: wanted.filter((f) => f.split === 'val' && all.has(f.index)).length,
    train: wanted.filter((f) => f.split === 'train' && all.has(f.index)).length };
  const meta = { split: options.split, seed: Number(options.seed), train_requested: Number(options.train), faces_done: counts,
    runtime: { ...info, browser: 'Debian chromium, headless' },
    input: 'the whole chip; faceRecognitionNet resizes it to 150x150 (bilinear) and subtracts its mean colour',
    last_run: times.length ? { faces: times.length, net_ms_median: Number(median(times).toFixed(2)),
      net_ms_mean: Number((times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)) } : null };
  fs.writeFileSync(path.join(outDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  console.log(JSON.stringify(meta));
}

main().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
