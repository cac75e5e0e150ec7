// The page: load LiteRT.js, the exported model (spec embedded) and the face detector, then
// classify faces from the camera or from photos. Files come from `edge serve`:
//   ./node_modules/@litertjs/core/wasm/   the runtime (npm package)
//   ./assets/web_assets.json             the index `edge export --web-assets` wrote (file names)
// Every state change is written to body[data-state] and every face to #faces li[data-result]
// (JSON) so the browser tests read what a person sees.
import { loadClassifier } from './classifier.js';
import { labelText } from './decode.js';
import { cropBox, FaceDetector } from './detector.js';
import { compileModel, initRuntime, runtime } from './litert.js';
import { rgbFromImageData } from './preprocess.js';
import { ModelFileError } from './spec.js';

const WASM_DIRECTORY = './node_modules/@litertjs/core/wasm/';
const params = new URLSearchParams(location.search);
const ASSETS = (params.get('assets') || './assets/').replace(/\/?$/, '/');
const MANIFEST = 'web_assets.json';

const $ = (id) => document.getElementById(id);
const view = $('view');
const context = view.getContext('2d', { willReadFrequently: true });
const state = { classifier: null, detector: null, manifest: null, stream: null, facing: 'user', running: false };

function setStatus(text) { $('status').textContent = text; }

function showMessage(text, kind = 'error') {
  const message = $('message');
  message.textContent = text;
  message.className = kind;
  message.hidden = !text;
}

function setState(name) { document.body.dataset.state = name; }

function enableControls() {
  const ready = Boolean(state.classifier && state.detector);
  for (const id of ['camera', 'photo', 'golden']) $(id).disabled = !ready;
  $('switch').disabled = $('stop').disabled = !state.stream;
}

async function fetchBytes(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function describeModel() {
  const { classifier: c, detector: d } = state;
  if (!c) return;
  const spec = c.spec;
  $('model-info').textContent = `Model ${c.fileName} (${(c.sizeBytes / 1024).toFixed(0)} KB, ${spec.family || 'model'}, `
    + `${spec.image_size}x${spec.image_size} ${spec.color}, ${c.inputDtype} input, labels ${spec.label_scheme}); `
    + (d ? `detector ${d.config.name}; ` : '') + 'runtime LiteRT.js (WebAssembly)';
}

async function loadEverything() {
  const started = performance.now();
  try {
    await initRuntime(WASM_DIRECTORY);
  } catch (error) {
    throw new Error(`LiteRT.js did not load from ${WASM_DIRECTORY} (${error.message}): run \`npm ci\` in web_demo/ and use \`edge serve\``);
  }
  try {
    state.manifest = await fetchJson(ASSETS + MANIFEST);
  } catch (error) {
    throw new Error(`no web assets at ${ASSETS}${MANIFEST} (${error.message}): run \`edge export RUN --int8 --web-assets DIR\` `
      + 'and `edge serve DIR`');
  }
  const modelName = state.manifest.model;
  state.classifier = await loadClassifier(await fetchBytes(ASSETS + modelName), modelName);
  const detectorConfig = await fetchJson(ASSETS + state.manifest.detector);
  const detectorBytes = await fetchBytes(ASSETS + detectorConfig.file);
  state.detector = new FaceDetector(detectorConfig, await compileModel(detectorBytes), runtime);
  const seconds = (performance.now() - started) / 1000;
  window.edgeDemo.loadSeconds = seconds;
  describeModel();
  setStatus(`Ready in ${seconds.toFixed(1)} s. Open the camera or pick a photo.`);
}

// --- drawing and results -----------------------------------------------------------------------

function drawFaces(results, scale = 1) {
  context.lineWidth = Math.max(2, view.width / 300);
  context.font = `${Math.max(14, Math.round(view.width / 40))}px system-ui, sans-serif`;
  for (const result of results) {
    const [x0, y0, x1, y1] = result.crop;
    const [bx, by, bw, bh] = result.box;
    context.strokeStyle = '#00e676';
    context.strokeRect(bx * scale, by * scale, bw * scale, bh * scale);
    context.setLineDash([6, 4]);
    context.strokeStyle = 'rgba(255,255,255,0.6)';
    context.strokeRect(x0, y0, x1 - x0, y1 - y0);
    context.setLineDash([]);
    const text = result.label;
    const width = context.measureText(text).width + 10;
    const height = parseInt(context.font, 10) + 8;
    const top = Math.max(0, by - height);
    context.fillStyle = 'rgba(0,0,0,0.7)';
    context.fillRect(bx, top, width, height);
    context.fillStyle = '#fff';
    context.fillText(text, bx + 5, top + height - 7);
  }
}

function listFaces(results, source, append = false) {
  const list = $('faces');
  if (!append) list.replaceChildren();
  for (const result of results) {
    const item = document.createElement('li');
    item.dataset.result = JSON.stringify({ ...result, source });
    item.append(`${result.label}`);
    const latency = document.createElement('span');
    latency.className = 'latency';
    latency.textContent = `  ${result.ms.total.toFixed(1)} ms per face (model ${result.ms.model.toFixed(1)} ms)`
      + (source ? ` · ${source}` : '');
    item.append(latency);
    list.append(item);
  }
}

/** Detect (unless ``whole``) and classify every face of an RGB image. */
async function analyse(image, whole) {
  const faces = whole
    ? [{ box: [0, 0, image.width, image.height], score: 1, keypoints: [] }]
    : await state.detector.detect(image, state.classifier.spec.face_crop.min_face_px);
  const results = [];
  for (const face of faces) {
    const crop = whole ? [0, 0, image.width, image.height]
      : cropBox(face.box, state.classifier.spec.face_crop.margin, image.width, image.height);
    if (crop[2] - crop[0] < 1 || crop[3] - crop[1] < 1) continue;
    const out = await state.classifier.classify(image, crop);
    results.push({
      box: face.box.map((v) => Math.round(v * 10) / 10), score: face.score, crop, label: labelText(out.decoded),
      decoded: out.decoded, raw: out.raw.map((a) => Array.from(a)),
      dequantized: Object.fromEntries(Object.entries(out.dequantized).map(([k, v]) => [k, Array.from(v)])),
      input: Array.from(out.inputTensor), ms: out.ms,
    });
  }
  return results;
}

// --- photos ------------------------------------------------------------------------------------

async function imageFromFile(file) {
  let bitmap;
  try {
    // no colour management: the pixels are the file's bytes, as OpenCV decodes them
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  } catch {
    throw new ModelFileError(`${file.name} is not an image this browser can decode: pick a JPEG or PNG photo`);
  }
  view.width = bitmap.width;
  view.height = bitmap.height;
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return rgbFromImageData(context.getImageData(0, 0, view.width, view.height));
}

async function onPhotos(files) {
  stopCamera();
  showMessage('');
  setState('busy');
  $('faces').replaceChildren();
  const misses = [];
  let count = 0;
  for (const file of files) {
    try {
      const image = await imageFromFile(file);
      const results = await analyse(image, $('whole').checked);
      if (!results.length) misses.push(file.name);
      drawFaces(results);
      listFaces(results, file.name, true);
      count += results.length;
    } catch (error) {
      misses.push(file.name);
      showMessage(error instanceof ModelFileError ? error.message : `${file.name}: ${error.message}`);
    }
  }
  if (misses.length && !$('message').textContent) {
    showMessage(`No face found in ${misses.join(', ')}. Try a photo where the face is frontal and larger, `
      + 'or tick "the image is one cropped face" for an already-cropped face.', 'warning');
  }
  setStatus(`${count} face${count === 1 ? '' : 's'} in ${files.length} photo${files.length === 1 ? '' : 's'}.`);
  setState('done');
}

// --- camera ------------------------------------------------------------------------------------

async function startCamera() {
  stopCamera();
  showMessage('');
  if (!navigator.mediaDevices?.getUserMedia) {
    showMessage('The camera needs a secure page (https:// or http://localhost). On a phone use `edge serve --cert/--key`, '
      + 'or pick a photo instead (that works everywhere).');
    return;
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: state.facing }, audio: false });
  } catch (error) {
    showMessage(`The camera did not open (${error.name}: ${error.message}). Allow camera access, or pick a photo instead.`);
    return;
  }
  const video = $('video');
  video.srcObject = state.stream;
  await video.play();
  enableControls();
  state.running = true;
  setStatus(`Camera on (${state.facing === 'user' ? 'front' : 'back'}).`);
  loop();
}

function stopCamera() {
  state.running = false;
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  state.stream = null;
  enableControls();
}

// Process the newest frame, then the next one: frames that arrive while a frame is being
// classified are dropped (keep-only-latest), so the overlay never lags behind.
async function loop() {
  const video = $('video');
  let frames = 0;
  while (state.running) {
    if (video.readyState >= 2 && video.videoWidth) {
      view.width = video.videoWidth;
      view.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const image = rgbFromImageData(context.getImageData(0, 0, view.width, view.height));
      const results = await analyse(image, false);
      drawFaces(results);
      listFaces(results, `camera frame ${++frames}`);
      document.body.dataset.frames = String(frames);
      setState(results.length ? 'faces' : 'no-faces');
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

// --- golden faces: the page's parity self-check against Python's golden.json ------------------

async function checkGolden() {
  setState('busy');
  const golden = await fetchJson(ASSETS + state.manifest.golden);
  let worst = 0, matched = 0;
  const results = [];
  for (const face of golden.faces) {
    const blob = new Blob([await fetchBytes(ASSETS + face.image)]);
    const image = await imageFromFile(new File([blob], face.image));
    const [result] = await analyse(image, true);
    for (const out of state.classifier.spec.outputs) {
      const step = out.quantization ? out.quantization.scale : 0;
      const expected = face.dequantized_outputs[out.name];
      const difference = Math.max(...result.dequantized[out.name].map((v, i) => Math.abs(v - expected[i])));
      worst = Math.max(worst, step ? difference / step : difference);
    }
    const same = result.decoded.age_class === (golden.spec.age_class_names.indexOf(face.decoded.age_group))
      && result.decoded.gender_name === face.decoded.gender;
    matched += same ? 1 : 0;
    results.push(result);
  }
  listFaces(results, 'golden');
  const ok = matched === golden.faces.length && worst <= 1;
  showMessage(`${matched}/${golden.faces.length} golden faces decode to Python's labels; largest output difference `
    + `${worst.toFixed(2)} quantization steps (allowed: 1).`, ok ? 'ok' : 'error');
  setState('done');
}

// --- another model file ------------------------------------------------------------------------

async function onModelFile(file) {
  showMessage('');
  setState('busy');
  try {
    const classifier = await loadClassifier(new Uint8Array(await file.arrayBuffer()), file.name);
    state.classifier = classifier;
    describeModel();
    setStatus(`Loaded ${file.name}.`);
  } catch (error) {
    const still = state.classifier ? ` Still using ${state.classifier.fileName}.` : '';
    showMessage((error instanceof ModelFileError ? error.message : `${file.name}: ${error.message}`) + still);
  }
  setState('done');
}

// --- wiring ------------------------------------------------------------------------------------

window.edgeDemo = { state, analyse };
$('camera').addEventListener('click', startCamera);
$('switch').addEventListener('click', () => { state.facing = state.facing === 'user' ? 'environment' : 'user'; startCamera(); });
$('stop').addEventListener('click', () => { stopCamera(); setStatus('Camera off.'); });
$('photo').addEventListener('change', (event) => event.target.files.length && onPhotos(Array.from(event.target.files)));
$('model-file').addEventListener('change', (event) => event.target.files.length && onModelFile(event.target.files[0]));
$('golden').addEventListener('click', () => checkGolden().catch((error) => { showMessage(error.message); setState('done'); }));

loadEverything()
  .then(() => { enableControls(); setState('ready'); })
  .catch((error) => {
    setStatus('Not ready.');
    showMessage(error.message);
    setState('error');
  });
