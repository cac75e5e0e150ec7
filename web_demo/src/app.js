// The page: load LiteRT.js, the exported model (spec embedded) and the face detector, then
// classify faces from the camera or from photos. `edge serve` / `edge site` (edge/app/site.py)
// name the folders in index.html's #site: page files, the runtime and the web assets live under
// content-hashed folders; assets/web_assets.json (the model manifest) names the files.
// Every state change is written to body[data-state] and every face to li[data-result] (JSON), so
// the browser tests read what a person sees.
import { loadClassifier } from './classifier.js';
import { decodeOutputs, differencesFromPython, labelText, sentenceText } from './decode.js';
import { cropBox, FaceDetector } from './detector.js';
import { compileModel, initRuntime, runtime, runtimeInfo } from './litert.js';
import { rgbFromImageData } from './preprocess.js';
import { ModelFileError } from './spec.js';

const SITE = JSON.parse(document.getElementById('site').textContent);
const params = new URLSearchParams(location.search);
const WASM_DIRECTORY = `./${SITE.litert}/core/wasm/`;
const ASSETS = `./${SITE.assets}/`;
const MODEL_MANIFEST = './assets/web_assets.json';
const LABEL_GAP = 2; // px between a label and its box or another label
const LOOKS_KEY = 'edge.looks'; // the "two looks" / "one look" setting, remembered on this device
const LOOKS_WORDS = { two: 'more accurate: two looks per face', one: 'faster: one look per face' };

const $ = (id) => document.getElementById(id);
const state = { classifier: null, detector: null, manifest: null, stream: null, facing: 'user', running: false,
  lastFiles: [], frames: 0, analysed: 0, resumeCamera: false, looks: null, ready: null };

function setStatus(text) { $('status').textContent = text; }

function showMessage(text, kind = 'error') {
  const message = $('message');
  message.textContent = text;
  message.className = kind;
  message.hidden = !text;
}

function setState(name) { document.body.dataset.state = name; }

// Photos and the camera work from the first paint: what is picked before the model is ready waits
// for it (the status says so in words); only a failed load disables them.
function enableControls() {
  const ready = Boolean(state.classifier && state.detector);
  const usable = document.body.dataset.state !== 'error';
  $('camera').disabled = !usable;
  $('photo').disabled = !usable;
  $('photo-button').setAttribute('aria-disabled', String(!usable));
  $('golden').disabled = !ready || !goldenFile();
  $('switch').hidden = $('stop').hidden = !state.stream;
  $('camera').hidden = Boolean(state.stream);
}

async function fetchBytes(url) {
  const response = await fetch(url); // immutable URLs: the HTTP cache and the service worker keep them
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchJson(url, init = {}) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function describeModel() {
  const { classifier: c, detector: d } = state;
  if (!c) return;
  const spec = c.spec;
  $('model-info').textContent = `Model ${c.fileName} (${(c.sizeBytes / 1024).toFixed(0)} KB, ${spec.family || 'model'}, `
    + `${spec.image_size}x${spec.image_size} ${spec.color}, ${c.inputDtype} input, labels ${spec.label_scheme}`
    + `${spec.flip_averaged ? ', each face read twice (with its mirror image)' : ''}); `
    + (d ? `detector ${d.config.name}; ` : '')
    + `runtime LiteRT.js (WebAssembly, ${runtimeInfo.threads ? 'threads' : 'one thread'}); version ${SITE.version}`;
}

// --- the "two looks" / "one look" setting ----------------------------------------------------------

/** The manifest's entry for a setting: {model, golden}; a model without the setting has only "two". */
function lookFiles(looks) {
  return state.manifest?.looks?.[looks] ?? { model: state.manifest?.model, golden: state.manifest?.golden };
}

function goldenFile() { return state.manifest ? lookFiles(state.looks).golden : null; }

/** ?looks=one|two, else what this device remembers, else the manifest's default. */
function chosenLooks(manifest) {
  const offered = Object.keys(manifest.looks ?? {});
  let remembered = null;
  try { remembered = localStorage.getItem(LOOKS_KEY); } catch { /* storage off: the default */ }
  for (const wanted of [params.get('looks'), remembered]) if (offered.includes(wanted)) return wanted;
  return manifest.default_looks ?? 'two';
}

function showLooks() {
  const offered = Boolean(state.manifest?.looks);
  $('settings').hidden = !offered;
  for (const input of document.querySelectorAll('input[name=looks]')) input.checked = input.value === state.looks;
  document.body.dataset.looks = state.looks ?? '';
}

async function onLooks(looks) {
  if (looks === state.looks || !state.manifest?.looks?.[looks]) return;
  try { localStorage.setItem(LOOKS_KEY, looks); } catch { /* not remembered: still used now */ }
  showMessage('');
  setState('busy');
  setStatus(`Loading the ${LOOKS_WORDS[looks].split(':')[0]} setting…`);
  try {
    const name = lookFiles(looks).model;
    state.classifier = await loadClassifier(await fetchBytes(ASSETS + name), name);
    state.looks = looks;
    describeModel();
    setStatus(`Now ${LOOKS_WORDS[looks]}.`);
  } catch (error) {
    showMessage(`The ${LOOKS_WORDS[looks].split(':')[0]} setting did not load (${error.message}); still ${LOOKS_WORDS[state.looks]}.`);
  }
  showLooks();
  if (state.lastFiles.length && !state.stream) await onPhotos(state.lastFiles); // the same photos, read again
  else setState('done');
}

// --- loading: everything in parallel, said in words -------------------------------------------------

/** A new task: each compile runs in a task of its own, so a tap between them is answered. */
const nextTask = () => new Promise((resolve) => { setTimeout(resolve, 0); });

async function loadEverything() {
  const parts = 3; // the engine (LiteRT.js), the age and gender model, the face finder
  let done = 0;
  const progress = (value) => {
    done += 1;
    if (done < parts) setStatus(`Getting ready: ${done} of ${parts} parts loaded. You can already pick photos.`);
    return value;
  };
  setStatus('Getting ready: loading the engine and the models. You can already pick photos.');
  const liteRt = initRuntime(WASM_DIRECTORY, { threads: params.get('threads') !== '0' }).catch((error) => {
    throw new Error(`LiteRT.js did not load from ${WASM_DIRECTORY} (${error.message}): run \`npm ci\` in web_demo/ and use \`edge serve\``);
  });
  const manifest = fetchJson(MODEL_MANIFEST, { cache: 'no-store' }).catch((error) => {
    throw new Error(`no web assets at ${MODEL_MANIFEST} (${error.message}): run \`edge serve\` on an export or a model`);
  });
  liteRt.then(progress, () => {});
  // the downloads run while the engine compiles; each model compiles once the engine is there
  const classifier = manifest.then(async (loaded) => {
    state.manifest = loaded;
    state.looks = chosenLooks(loaded);
    showLooks();
    const name = lookFiles(state.looks).model;
    const bytes = await fetchBytes(ASSETS + name);
    await liteRt;
    await nextTask();
    return loadClassifier(bytes, name);
  }).then(progress);
  const detector = manifest.then(async (loaded) => {
    const config = await fetchJson(ASSETS + loaded.detector);
    const bytes = await fetchBytes(ASSETS + config.file);
    await classifier.catch(() => {}); // one compile at a time: the classifier first
    await liteRt;
    await nextTask();
    return new FaceDetector(config, await compileModel(bytes), runtime);
  }).then(progress);
  [state.classifier, state.detector] = await Promise.all([classifier, detector, liteRt]);
  window.edgeDemo.loadSeconds = performance.now() / 1000; // from the navigation, as a person waits
  window.edgeDemo.threads = runtimeInfo.threads;
  describeModel();
  setStatus('Point the camera at a face, or pick photos.');
}

// --- offline: the service worker keeps what this page loaded -----------------------------------

async function keepOffline() {
  if (!('serviceWorker' in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.register('sw.js');
    await navigator.serviceWorker.ready;
    // the runtime files this browser picked (threaded or not) and the model of this device's setting:
    // already in the HTTP cache, so no new download
    const runtimeUrls = performance.getEntriesByType('resource').map((entry) => entry.name)
      .filter((url, index, all) => (url.includes(`/${SITE.litert}/`) || url.includes(`/${SITE.assets}/`)) && all.indexOf(url) === index);
    const worker = registration.active;
    const reply = new MessageChannel();
    const done = new Promise((resolve) => { reply.port1.onmessage = (event) => resolve(event.data); });
    worker.postMessage({ keep: runtimeUrls }, [reply.port2]);
    const answer = await done;
    document.body.dataset.offline = answer.ok ? 'ready' : `failed: ${answer.error}`;
  } catch (error) {
    document.body.dataset.offline = `failed: ${error.message}`;
  }
}

// --- one picture with its boxes and labels -----------------------------------------------------

/** A picture card: {item, frame, overlay, caption, list}. ``media`` is the canvas or the video. */
function makeShot(media, name, container) {
  const item = container || document.createElement('li');
  if (!container) item.className = 'shot';
  const frame = item.querySelector('.frame') || document.createElement('div');
  if (!container) {
    frame.className = 'frame';
    const overlay = document.createElement('div');
    overlay.className = 'overlay';
    frame.append(media, overlay);
    const caption = document.createElement('p');
    caption.className = 'caption';
    caption.setAttribute('aria-live', 'polite');
    item.append(frame, caption);
  }
  const shot = { item, frame, overlay: frame.querySelector('.overlay'), caption: item.querySelector('.caption'), name,
    width: 0, height: 0, results: [], unread: 0, mirrored: false };
  new ResizeObserver(() => layoutLabels(shot)).observe(frame);
  return shot;
}

/** Draw boxes and labels for ``results`` (image pixels) on the shot, and say what was found in words. */
function showResults(shot, results, unread, width, height, source) {
  Object.assign(shot, { results, unread, width, height });
  shot.overlay.replaceChildren();
  for (const result of results) {
    const box = document.createElement('div');
    box.className = `box${result.unread ? ' unread' : ''}`;
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = result.unread ? 'too small to read' : result.label;
    shot.overlay.append(box, label);
  }
  layoutLabels(shot);
  const read = results.filter((r) => !r.unread);
  const words = [];
  if (!read.length && !unread) words.push(source === 'camera' ? 'No face in view.' : 'No face found. Try a photo where the face is frontal and larger.');
  else words.push(`${read.length} face${read.length === 1 ? '' : 's'}.`);
  if (unread) words.push(`${unread} more face${unread === 1 ? ' was' : 's were'} found but too small to read: come closer or use a larger photo.`);
  shot.caption.replaceChildren();
  if (shot.name) {
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = shot.name;
    shot.caption.append(name);
  }
  shot.caption.append(words.join(' '));
  if (read.length) {
    const list = document.createElement('ol');
    list.className = 'faces';
    for (const result of read) {
      const item = document.createElement('li');
      item.dataset.result = JSON.stringify({ ...result, source });
      item.append(sentenceText(result.decoded));
      const details = document.createElement('span');
      details.className = 'details';
      details.textContent = `${result.ms.total.toFixed(1)} ms per face (model ${result.ms.model.toFixed(1)} ms), `
        + `box ${result.box.map((v) => Math.round(v)).join(', ')}, detector score ${result.score.toFixed(2)}`;
      item.append(details);
      list.append(item);
    }
    shot.caption.append(list);
  }
}

/**
 * Place each box over the picture as shown (CSS px) and its label above it (inside when there is
 * no room above), kept inside the picture and moved down or up until it overlaps no other label.
 */
function layoutLabels(shot) {
  const shown = shot.frame.querySelector('canvas, video');
  if (!shown || !shot.width) return;
  const W = shown.clientWidth, H = shown.clientHeight;
  const scale = W / shot.width;
  const nodes = Array.from(shot.overlay.children);
  const placed = [];
  const order = shot.results.map((r, i) => i).sort((a, b) => shot.results[a].box[1] - shot.results[b].box[1]);
  for (const i of order) {
    const [bx, by, bw, bh] = shot.results[i].box;
    const left = shot.mirrored ? W - (bx + bw) * scale : bx * scale;
    const box = nodes[2 * i], label = nodes[2 * i + 1];
    Object.assign(box.style, { left: `${left}px`, top: `${by * scale}px`, width: `${bw * scale}px`, height: `${bh * scale}px` });
    const w = label.offsetWidth, h = label.offsetHeight;
    let x = Math.min(Math.max(0, left), Math.max(0, W - w));
    let y = by * scale - h - LABEL_GAP;
    if (y < 0) y = by * scale + LABEL_GAP; // no room above: inside the box's top
    y = Math.min(Math.max(0, y), Math.max(0, H - h));
    const hits = (y0) => placed.find((p) => x < p.x + p.w && p.x < x + w && y0 < p.y + p.h + LABEL_GAP && p.y < y0 + h + LABEL_GAP);
    for (let tries = 0; tries < placed.length * 2 + 1; tries++) {
      const other = hits(y);
      if (!other) break;
      const below = other.y + other.h + LABEL_GAP;
      y = below + h <= H ? below : other.y - h - LABEL_GAP;
      if (y < 0) { // no room in this column: move sideways past the other label
        y = Math.min(Math.max(0, by * scale), Math.max(0, H - h));
        x = other.x + other.w + LABEL_GAP + w <= W ? other.x + other.w + LABEL_GAP : Math.max(0, other.x - w - LABEL_GAP);
      }
    }
    placed.push({ x, y, w, h });
    Object.assign(label.style, { left: `${x}px`, top: `${y}px` });
  }
}

/** Detect (unless ``whole``) and classify every face of an RGB image: {results, unread}. */
async function analyse(image, whole) {
  const faces = whole
    ? [{ box: [0, 0, image.width, image.height], score: 1, keypoints: [] }]
    : await state.detector.detect(image, 0); // every face: those under the spec's readable size are said, not dropped
  const readable = state.classifier.spec.face_crop.min_face_px;
  const results = [];
  let unread = 0;
  for (const face of faces) {
    const crop = whole ? [0, 0, image.width, image.height]
      : cropBox(face.box, state.classifier.spec.face_crop.margin, image.width, image.height);
    const box = face.box.map((v) => Math.round(v * 10) / 10);
    const tooSmall = !whole && Math.max(face.box[2], face.box[3]) < readable; // as edge predict decides
    if (tooSmall || crop[2] - crop[0] < 1 || crop[3] - crop[1] < 1) { // found, but too small to read
      results.push({ box, score: face.score, crop, unread: true });
      unread += 1;
      continue;
    }
    const out = await state.classifier.classify(image, crop);
    results.push({
      box, score: face.score, crop, label: labelText(out.decoded), sentence: sentenceText(out.decoded),
      decoded: out.decoded, raw: out.raw.map((a) => Array.from(a)),
      dequantized: Object.fromEntries(Object.entries(out.dequantized).map(([k, v]) => [k, Array.from(v)])),
      input: Array.from(out.inputTensor), ms: out.ms,
    });
  }
  return { results, unread };
}

// --- photos ------------------------------------------------------------------------------------

async function drawFile(file, canvas) {
  let bitmap;
  try {
    // no colour management: the pixels are the file's bytes, as OpenCV decodes them
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  } catch {
    throw new ModelFileError(`${file.name} is not an image this browser can decode: pick a JPEG or PNG photo`);
  }
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return rgbFromImageData(context.getImageData(0, 0, canvas.width, canvas.height));
}

/** Classify every picked photo; each gets its own card, in the order picked. */
async function onPhotos(files, { whole = $('whole').checked, source = null } = {}) {
  stopCamera();
  showMessage('');
  setState('busy');
  state.lastFiles = files;
  if (!(state.classifier && state.detector)) {
    setStatus(`Getting the model ready; your ${files.length === 1 ? 'photo is' : `${files.length} photos are`} read as soon as it is…`);
    try {
      await state.ready;
    } catch {
      return []; // the load failed: its message is shown
    }
  }
  const list = $('photos');
  list.replaceChildren();
  let count = 0, empty = 0, failed = 0;
  const all = [];
  for (const file of files) {
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', file.name);
    const shot = makeShot(canvas, file.name);
    list.append(shot.item);
    try {
      const image = await drawFile(file, canvas);
      const { results, unread } = await analyse(image, whole);
      showResults(shot, results, unread, image.width, image.height, source ?? file.name);
      const read = results.filter((r) => !r.unread);
      count += read.length;
      if (!read.length) empty += 1;
      all.push(...read);
    } catch (error) {
      failed += 1;
      shot.caption.textContent = error instanceof ModelFileError ? error.message : `${file.name}: ${error.message}`;
      showMessage(shot.caption.textContent);
    }
  }
  if (empty && !failed) {
    const which = Array.from(list.children).filter((li) => !li.querySelector('li[data-result]'))
      .map((li) => li.querySelector('.name')?.textContent).filter(Boolean);
    showMessage(`No face found in ${which.join(', ')}. Try a photo where the face is frontal and larger`
      + `${whole ? '' : ', or (Developer) tick "Each photo is one cropped face" for an already-cropped face'}.`, 'warning');
  }
  setStatus(`${count} face${count === 1 ? '' : 's'} in ${files.length} photo${files.length === 1 ? '' : 's'}.`);
  setState('done');
  return all;
}

// --- camera ------------------------------------------------------------------------------------

let live = null;
const grabCanvas = document.createElement('canvas');
const grab = grabCanvas.getContext('2d', { willReadFrequently: true });

async function startCamera() {
  stopCamera();
  showMessage('');
  if (!navigator.mediaDevices?.getUserMedia) {
    showMessage('The camera needs a secure page (https:// or http://localhost). On a phone use `edge serve --cert/--key`, '
      + 'or pick photos instead (that works everywhere).');
    return;
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: state.facing }, audio: false });
  } catch (error) {
    showMessage(`The camera did not open (${error.name}: ${error.message}). Allow camera access, or pick photos instead.`);
    return;
  }
  $('photos').replaceChildren();
  const video = $('video');
  video.srcObject = state.stream;
  $('live').hidden = false;
  live ??= makeShot(video, '', $('live'));
  // a selfie is shown as in a mirror (what people expect); the analysis reads the camera's own pixels
  const facing = state.stream.getVideoTracks()[0]?.getSettings().facingMode;
  live.mirrored = state.facing === 'user' && facing !== 'environment';
  $('live').classList.toggle('mirrored', live.mirrored);
  await video.play();
  enableControls();
  state.running = true;
  setStatus(`Camera on (${state.facing === 'user' ? 'front' : 'back'}).`);
  nextFrame();
}

function stopCamera() {
  state.running = false;
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  state.stream = null;
  $('live').hidden = true;
  enableControls();
}

// Analyse each new camera frame once: requestVideoFrameCallback fires per presented frame, and the
// next one is asked for only after this one is done (keep-only-latest), so no frame is read twice.
function nextFrame() {
  const video = $('video');
  if (!state.running) return;
  if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(onFrame);
  else setTimeout(() => onFrame(performance.now(), null), 100);
}

async function onFrame() {
  const video = $('video');
  if (!state.running || document.hidden) return;
  if (!(state.classifier && state.detector)) {
    setStatus('Camera on. Getting the model ready…');
    await state.ready.catch(() => {});
    if (!state.running) return;
    setStatus(`Camera on (${state.facing === 'user' ? 'front' : 'back'}).`);
  }
  if (video.videoWidth) {
    grabCanvas.width = video.videoWidth;
    grabCanvas.height = video.videoHeight;
    grab.drawImage(video, 0, 0);
    const image = rgbFromImageData(grab.getImageData(0, 0, grabCanvas.width, grabCanvas.height));
    const { results, unread } = await analyse(image, false);
    state.frames += 1;
    showResults(live, results, unread, image.width, image.height, 'camera');
    document.body.dataset.frames = String(state.frames);
    setState(results.length ? 'faces' : 'no-faces');
  }
  nextFrame();
}

// a hidden page (another app, screen off) stops the camera; it comes back when the page does
document.addEventListener('visibilitychange', () => {
  if (document.hidden && state.stream) {
    state.resumeCamera = true;
    stopCamera();
    setStatus('Camera paused while the page is hidden.');
  } else if (!document.hidden && state.resumeCamera) {
    state.resumeCamera = false;
    startCamera();
  }
});

// --- golden faces: the page's parity self-check against Python's golden.json ------------------

async function checkGolden() {
  const golden = await fetchJson(ASSETS + goldenFile());
  const files = [];
  for (const face of golden.faces) files.push(new File([await fetchBytes(ASSETS + face.image)], face.image));
  setState('busy');
  const results = await onPhotos(files, { whole: true, source: 'golden' });
  setState('busy');
  let worst = 0, matched = 0;
  const wrong = new Set();
  const spec = state.classifier.spec;
  golden.faces.forEach((face, index) => {
    const result = results[index];
    if (!result) return;
    const expected = {};
    for (const out of spec.outputs) {
      const step = out.quantization ? out.quantization.scale : 0;
      expected[out.name] = Float32Array.from(face.dequantized_outputs[out.name].flat(Infinity));
      const difference = Math.max(...result.dequantized[out.name].map((v, i) => Math.abs(v - expected[out.name][i])));
      worst = Math.max(worst, step ? difference / step : difference);
    }
    // what the page showed, and this decoder on Python's own outputs: labels, calibrated P(female),
    // "not sure" and the age range must all be Python's
    const differences = [...differencesFromPython(result.decoded, face.decoded, golden.spec.age_class_names),
      ...differencesFromPython(decodeOutputs(spec, expected), face.decoded, golden.spec.age_class_names)];
    differences.forEach((name) => wrong.add(name));
    matched += differences.length ? 0 : 1;
  });
  const ok = matched === golden.faces.length && worst <= 1;
  const reported = golden.faces[0]?.decoded ?? {};
  const compared = ['labels', 'gender probability', ...('gender_unsure' in reported ? ['"not sure"'] : []),
    ...('age_range' in reported ? ['age ranges'] : [])];
  showMessage(`${matched}/${golden.faces.length} golden faces decode to Python's ${compared.join(', ')}`
    + `${wrong.size ? ` (different: ${[...wrong].join(', ')})` : ''}; largest output difference `
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

window.edgeDemo = { state, analyse, interactiveSeconds: performance.now() / 1000 };
$('camera').addEventListener('click', startCamera);
$('switch').addEventListener('click', () => { state.facing = state.facing === 'user' ? 'environment' : 'user'; startCamera(); });
$('stop').addEventListener('click', () => { stopCamera(); setStatus('Camera off.'); });
$('photo').addEventListener('change', (event) => {
  const files = Array.from(event.target.files);
  event.target.value = ''; // picking the same photo again is a new change
  if (files.length) onPhotos(files);
});
$('whole').addEventListener('change', () => { if (state.lastFiles.length && !state.stream) onPhotos(state.lastFiles); });
$('details').addEventListener('change', (event) => document.body.classList.toggle('details', event.target.checked));
$('model-file').addEventListener('change', (event) => {
  const [file] = event.target.files;
  event.target.value = '';
  if (file) onModelFile(file);
});
for (const input of document.querySelectorAll('input[name=looks]')) {
  input.addEventListener('change', (event) => { if (event.target.checked) onLooks(event.target.value); });
}
$('golden').addEventListener('click', () => checkGolden().catch((error) => { showMessage(error.message); setState('done'); }));

// interactive now: photos and the camera wait for the model when picked early
enableControls();
document.body.dataset.interactive = 'yes';
state.ready = loadEverything();
state.ready
  .then(() => {
    enableControls();
    if (document.body.dataset.state === 'loading') setState('ready'); // not while early photos are read
    window.edgeDemo.modelReady = true;
    document.body.dataset.model = 'ready';
    return keepOffline();
  })
  .catch((error) => {
    setStatus('Not ready.');
    showMessage(error.message);
    setState('error');
    enableControls();
  });
