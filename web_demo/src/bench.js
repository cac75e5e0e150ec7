// Side-by-side harness for benchmarks/web_latency.mjs: our int8 model (LiteRT.js, WebAssembly) --
// the default file and, for a flip-averaged export, the page's "one look per face" file of the same
// weights -- and face-api.js's age/gender net (@vladmandic/face-api, its bundled tfjs on the WASM
// backend), loaded in the same page, run on the same face images, one face at a time.
import * as faceapi from 'face-api';
import { loadClassifier } from './classifier.js';
import { initRuntime, runtimeInfo } from './litert.js';
import { rgbFromImageData } from './preprocess.js';

const canvas = document.createElement('canvas');
const context = canvas.getContext('2d', { willReadFrequently: true });

const SITE = JSON.parse(document.getElementById('site').textContent);
const params = new URLSearchParams(location.search);

// ?threads=1: LiteRT.js's threaded build (the page is cross-origin isolated)
async function setUp() {
  await initRuntime(`./${SITE.litert}/core/wasm/`, { threads: params.get('threads') === '1' });
  const manifest = await (await fetch('./assets/web_assets.json', { cache: 'no-store' })).json();
  const load = async (name) => loadClassifier(new Uint8Array(await (await fetch(`./${SITE.assets}/${name}`)).arrayBuffer()), name);
  const classifier = await load(manifest.model);
  const onePass = manifest.looks?.one ? await load(manifest.looks.one.model) : null;
  faceapi.tf.setWasmPaths(`./${SITE.litert}/tfjs-backend-wasm/dist/`);
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  await faceapi.nets.ageGenderNet.loadFromUri(`./${SITE.litert}/face-api/model`);
  return { classifier, onePass, backend: faceapi.tf.getBackend(), tfjs: faceapi.tf.version_core, threads: runtimeInfo.threads,
    flipAveraged: Boolean(classifier.spec.flip_averaged) };
}

/** Decode JPEG/PNG bytes (base64) to {canvas copy, rgb} without timing it. */
async function decode(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  context.drawImage(bitmap, 0, 0);
  const faceCanvas = document.createElement('canvas');
  faceCanvas.width = bitmap.width;
  faceCanvas.height = bitmap.height;
  faceCanvas.getContext('2d').drawImage(bitmap, 0, 0);
  bitmap.close();
  return { faceCanvas, rgb: rgbFromImageData(context.getImageData(0, 0, canvas.width, canvas.height)) };
}

/**
 * Run every model on every face, one face per call. Two passes over all faces: the first warms up
 * (JIT, weight packing, caches), only the second is timed. In the timed pass each face goes through
 * ours (default file), ours (one look, when the export has it) and face-api.js one after the other,
 * so a busy moment on a shared machine slows all of them alike and the ratios stay side by side.
 * Per face, the time covers the model's own preprocessing from the decoded image to its labels.
 */
window.runBenchmark = async (faces) => {
  const { classifier, onePass, backend, tfjs } = window.bench;
  const images = [];
  for (const face of faces) images.push(await decode(face.base64));
  const ours = [], oursOne = [], theirs = [];
  const timeOurs = async (model, rgb, into, pass) => {
    const started = performance.now();
    const out = await model.classify(rgb, [0, 0, rgb.width, rgb.height]);
    const ms = performance.now() - started;
    if (pass === 1) into.push({ ms, model_ms: out.ms.model, age: out.decoded.age_years, gender: out.decoded.gender });
  };
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < images.length; i++) {
      const { rgb } = images[i];
      await timeOurs(classifier, rgb, ours, pass);
      if (onePass) await timeOurs(onePass, rgb, oursOne, pass);
      const started = performance.now();
      const result = await faceapi.nets.ageGenderNet.predictAgeAndGender(images[i].faceCanvas);
      const ms = performance.now() - started;
      if (pass === 1) theirs.push({ ms, age: result.age, gender: result.gender === 'female' ? 1 : 0 });
    }
  }
  return { ours, oursOne: onePass ? oursOne : null, theirs, backend, tfjs, crossOriginIsolated: self.crossOriginIsolated,
    threads: window.bench.threads, flipAveraged: window.bench.flipAveraged };
};

setUp().then((bench) => { window.bench = bench; document.body.dataset.state = 'ready'; })
  .catch((error) => { document.body.dataset.state = 'error'; document.body.dataset.error = String(error.stack || error); });
