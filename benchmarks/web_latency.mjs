// Browser benchmark behind BENCHMARKS.md ("In the browser"): our int8 model in LiteRT.js vs
// face-api.js's age/gender net (@vladmandic/face-api, its bundled tfjs, WASM backend), in ONE
// headless Chromium run, on the same faces; plus the demo page's load time and bytes.
//
//   node benchmarks/web_latency.mjs --export runs/mobile-utk/export [--faces 300] [--data ../shared/data/utkface]
//   node benchmarks/web_latency.mjs --export runs/mobile-utk/export --list /tmp/adience_faces.json
//   node benchmarks/web_latency.mjs --export runs/mobile-utk/export --throttle 4 --threads 1
// --throttle N: Chromium's CPU throttling (DevTools Emulation.setCPUThrottlingRate), like a mid-range
// phone, for the per-face run; --threads 1: LiteRT.js's threaded build (edge serve makes the page
// cross-origin isolated). A flip-averaged export's web assets also hold the page's "one look per face"
// file: it is timed in the same run, face by face beside the default file and face-api.js.
// Page load (--load-throttles 1,4, each with --loads fresh profiles, for each setting of the page):
// a phone-sized first visit and a repeat visit in one profile, bytes counted by the server, and two
// times from the navigation: "interactive" (the photo and camera buttons work) and "model ready"
// (a face can be classified: engine, model and face finder compiled).
//
// The export must be an `edge export --int8` directory (its web/ assets are written by `edge serve`
// when missing). Without --list the faces are the UTKFace test split of its split.json, evenly
// spaced (--faces of them). With --list they are every face of a list written by
// benchmarks/face_list.py (any dataset edge loads; labels from the project's loader); when faces
// carry an Adience group, both models are also scored on the 8 Adience groups, a predicted age
// mapped to a group by the list's own ranges and rule (Python's edge.labels). Both models get the
// whole image as the face crop, whatever its size. Needs `npm ci` in web_demo/ and Debian's
// chromium (.ci/deps/web.sh). Prints a summary and a JSON line; --json FILE also writes it to FILE
// (benchmarks/browser.sh runs the page's settings so; benchmarks/results.py reads them).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEVICES, launch, startEdgeServe, writeJsonAtomic } from '../web_demo/test/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = { export: 'runs/mobile-utk/export', faces: 300, data: '../shared/data/utkface', loads: 3,
  python: path.join(root, '.venv/bin/python'), throttle: 1, threads: 0, 'load-throttles': '1,4' };
for (let i = 2; i < process.argv.length; i += 2) options[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

// UTKFace: age_gender_race_date.jpg.chip.jpg, gender 0 = male, 1 = female
function utkLabels(file) {
  const [age, gender] = path.basename(file).split('_').map(Number);
  return Number.isInteger(age) && (gender === 0 || gender === 1) ? { age, gender } : null;
}

// faces: [{file, age (years or null), gender (0/1 or null), adienceGroup (0..7 or null), base64}]
function testFaces() {
  const split = JSON.parse(fs.readFileSync(path.resolve(root, options.export, 'split.json'), 'utf8'));
  const count = Math.min(Number(options.faces), split.test.length);
  const faces = [];
  for (let i = 0; i < count; i++) {
    const recorded = split.paths[split.test[Math.floor((i * split.test.length) / count)]];
    const file = fs.existsSync(recorded) ? recorded : path.resolve(root, options.data, path.basename(recorded));
    const labels = utkLabels(file);
    if (labels) faces.push({ file, ...labels, adienceGroup: null, base64: fs.readFileSync(file).toString('base64') });
  }
  return { faces, testSize: split.test.length, seed: split.seed ?? null };
}

// Python's edge.labels.adience_group_of_years over the list's ranges: the range holding the age,
// else the nearest range by distance to its closest edge; an exact tie goes to the older group.
export function adienceGroupOf(years, ranges) {
  let best = 0, bestDistance = Infinity;
  ranges.forEach(([low, high], index) => {
    const distance = low <= years && years <= high ? 0 : Math.min(Math.abs(years - low), Math.abs(years - high));
    if (distance <= bestDistance) { best = index; bestDistance = distance; } // '<=': a tie picks the older group
  });
  return best;
}

function listFaces(file) {
  let list;
  try {
    list = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the face list (${error.message}): write it with benchmarks/face_list.py`);
  }
  if (!Array.isArray(list.faces) || !list.faces.length) {
    throw new Error(`${file} has no "faces": write it with benchmarks/face_list.py --data DIR --out ${file}`);
  }
  const ranges = list.adience_groups ?? null;
  if (list.faces.some((face) => face.adience_group != null)) {
    if (!Array.isArray(ranges) || !Array.isArray(list.adience_group_checks)) {
      throw new Error(`${file}: faces carry adience_group but the list has no "adience_groups"/"adience_group_checks": `
        + 'write it again with benchmarks/face_list.py');
    }
    // the group rule is Python's: refuse to score if this copy of it disagrees anywhere on the grid
    const wrong = list.adience_group_checks.filter(([years, group]) => adienceGroupOf(years, ranges) !== group);
    if (wrong.length) throw new Error(`adienceGroupOf disagrees with edge.labels at ages ${wrong.slice(0, 5).map((w) => w[0])}: fix it`);
  }
  const faces = list.faces.map((face) => ({ file: face.path, age: face.age_years ?? null, gender: face.gender ?? null,
    adienceGroup: face.adience_group ?? null, base64: fs.readFileSync(face.path).toString('base64') }));
  return { faces, ranges, names: list.adience_group_names ?? null, source: list.source ?? file,
    kind: list.kind ?? null, total: list.total_records ?? faces.length };
}

const median = (values) => { const s = [...values].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const percentile = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const round = (value, digits = 2) => Number(value.toFixed(digits));

async function throttled(context, page, rate = Number(options.throttle)) {
  if (rate > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  }
}

async function ready(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') throw new Error(`page did not get ready: ${await page.textContent('#message')}`);
}

/** Seconds from the navigation's start: the buttons working ("interactive") and the model ready. */
async function readyTimes(page) {
  return page.evaluate(() => ({ interactive: window.edgeDemo.interactiveSeconds, model: window.edgeDemo.loadSeconds }));
}

async function pageLoad(server, url, rate, looks) {
  // a fresh profile: a phone's first visit (nothing cached), then a repeat visit in the same profile
  const { browser, close } = await launch();
  const address = `${url}?looks=${looks}`;
  try {
    const context = await browser.newContext({ ...DEVICES.phone });
    let page = await context.newPage();
    await throttled(context, page, rate);
    const before = await server.bytesSent();
    await page.goto(address);
    await ready(page);
    const first = await readyTimes(page);
    await page.waitForFunction(() => document.body.dataset.offline, null, { timeout: 120000 });
    const firstBytes = await server.bytesSent();
    await page.close();
    page = await context.newPage();
    await throttled(context, page, rate);
    await page.goto(address);
    await ready(page);
    const repeat = await readyTimes(page);
    const repeatBytes = await server.bytesSent();
    const threads = await page.evaluate(() => window.edgeDemo.threads);
    const shown = await page.evaluate(() => document.body.dataset.looks);
    if (shown !== looks) throw new Error(`the page used the '${shown}' setting, not '${looks}'`);
    return { rate, looks, interactive: first.interactive, seconds: first.model, repeatInteractive: repeat.interactive,
      repeatSeconds: repeat.model, bytes: firstBytes - before, repeatBytes: repeatBytes - firstBytes, threads };
  } finally {
    await close();
  }
}

async function main() {
  const server = await startEdgeServe({ python: options.python, cwd: root, exportDir: options.export, bench: true });
  const { url } = server;
  try {
    const manifest = await (await fetch(`${url}assets/web_assets.json`)).json(); // as the page reads it
    const settings = manifest.looks ? Object.keys(manifest.looks).sort().reverse() : ['two']; // two, one
    const loads = [];
    for (const rate of String(options['load-throttles']).split(',').map(Number).filter((r) => r >= 1)) {
      for (const looks of settings) {
        for (let i = 0; i < Number(options.loads); i++) loads.push(await pageLoad(server, url, rate, looks));
      }
    }
    const listed = options.list ? listFaces(options.list) : null;
    const { faces, testSize } = listed ? { faces: listed.faces, testSize: null } : testFaces();
    const { browser, close } = await launch();
    let run;
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await throttled(context, page);
      await page.goto(`${url}bench.html?threads=${Number(options.threads) ? 1 : 0}`);
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120000 });
      const error = await page.evaluate(() => document.body.dataset.error);
      if (error) throw new Error(`benchmark page: ${error}`);
      run = await page.evaluate((list) => window.runBenchmark(list), faces.map(({ base64 }) => ({ base64 })));
    } finally {
      await close();
    }
    // each metric over the faces that carry its label (all of them for UTKFace file names)
    const withAge = faces.map((f, i) => i).filter((i) => faces[i].age !== null);
    const withGender = faces.map((f, i) => i).filter((i) => faces[i].gender !== null);
    const withGroup = faces.map((f, i) => i).filter((i) => faces[i].adienceGroup !== null);
    const score = (predictions) => {
      const scored = {
        mae_years: round(mean(withAge.map((i) => Math.abs(predictions[i].age - faces[i].age))), 3),
        gender_accuracy: round(mean(withGender.map((i) => (predictions[i].gender === faces[i].gender ? 1 : 0))), 4),
      };
      if (withGroup.length) {
        const off = withGroup.map((i) => Math.abs(adienceGroupOf(predictions[i].age, listed.ranges) - faces[i].adienceGroup));
        // per true group: faces, mean predicted years (a bias shows here), exact accuracy
        const perGroup = listed.ranges.map((range, group) => {
          const members = withGroup.filter((i) => faces[i].adienceGroup === group);
          return { group: listed.names?.[group] ?? String(range), faces: members.length,
            mean_predicted_years: members.length ? round(mean(members.map((i) => predictions[i].age)), 1) : null,
            exact: members.length ? round(mean(members.map((i) => (adienceGroupOf(predictions[i].age, listed.ranges) === group ? 1 : 0))), 3) : null };
        });
        scored.adience8 = { exact: round(mean(off.map((d) => (d === 0 ? 1 : 0))), 4),
          one_off: round(mean(off.map((d) => (d <= 1 ? 1 : 0))), 4), per_group: perGroup };
      }
      return scored;
    };
    const ours = run.ours.map((r) => r.ms), theirs = run.theirs.map((r) => r.ms);
    const one = run.oursOne ? run.oursOne.map((r) => r.ms) : null;
    const loadSummary = {};
    for (const load of loads) {
      const key = `x${load.rate}_${load.looks}`;
      (loadSummary[key] ??= []).push(load);
    }
    for (const [key, list] of Object.entries(loadSummary)) {
      loadSummary[key] = { loads: list.length, interactive_s_median: round(median(list.map((l) => l.interactive))),
        model_ready_s_median: round(median(list.map((l) => l.seconds))),
        repeat_interactive_s_median: round(median(list.map((l) => l.repeatInteractive))),
        repeat_model_ready_s_median: round(median(list.map((l) => l.repeatSeconds))),
        first_visit_bytes: list[0].bytes, repeat_visit_bytes: list[0].repeatBytes, page_threads: list[0].threads };
    }
    const result = {
      export: options.export, faces: faces.length, test_split_size: testSize,
      ...(listed ? { list: options.list, list_source: listed.source, list_kind: listed.kind, list_total_records: listed.total,
        faces_with_age: withAge.length, faces_with_gender: withGender.length, faces_with_adience_group: withGroup.length } : {}),
      browser: 'Debian chromium, headless', cpu_throttling: Number(options.throttle),
      ours_runtime: `LiteRT.js (@litertjs/core) WebAssembly, ${run.threads ? 'threaded build' : '1 thread'}`
        + `${run.flipAveraged ? ', flip-averaged file (two passes per face)' : ', one pass per face'}`,
      faceapi_runtime: `@vladmandic/face-api, tfjs ${run.tfjs} backend ${run.backend}, crossOriginIsolated ${run.crossOriginIsolated}`,
      ours_ms: { median: round(median(ours), 3), p90: round(percentile(ours, 0.9), 3), mean: round(mean(ours), 3),
        model_only_median: round(median(run.ours.map((r) => r.model_ms)), 3) },
      faceapi_ms: { median: round(median(theirs), 3), p90: round(percentile(theirs, 0.9), 3), mean: round(mean(theirs), 3) },
      speedup_median: round(median(theirs) / median(ours), 1), speedup_mean: round(mean(theirs) / mean(ours), 1),
      ...(one ? { ours_one_look_ms: { median: round(median(one), 3), p90: round(percentile(one, 0.9), 3), mean: round(mean(one), 3),
        model_only_median: round(median(run.oursOne.map((r) => r.model_ms)), 3) },
      speedup_one_look_median: round(median(theirs) / median(one), 1), speedup_one_look_mean: round(mean(theirs) / mean(one), 1),
      ours_one_look_accuracy: score(run.oursOne) } : {}),
      ours_accuracy: score(run.ours), faceapi_accuracy: score(run.theirs),
      page_load: loadSummary,
    };
    console.log(listed
      ? `faces: ${result.faces} from ${options.list} (${listed.kind ?? 'faces'} in ${listed.source}, ${listed.total} records; `
        + `${withAge.length} with an age, ${withGender.length} with a gender, ${withGroup.length} with an Adience group)`
      : `faces: ${result.faces} of the ${testSize}-face test split (${options.export}/split.json)`);
    console.log(`per face, median (p90, mean): ours ${result.ours_ms.median} ms (${result.ours_ms.p90}, ${result.ours_ms.mean}; `
      + `model alone ${result.ours_ms.model_only_median}), face-api.js ${result.faceapi_ms.median} ms (${result.faceapi_ms.p90}, `
      + `${result.faceapi_ms.mean}) -> ${result.speedup_median}x faster by median, ${result.speedup_mean}x by mean`);
    console.log(`accuracy: ours MAE ${result.ours_accuracy.mae_years} y, gender ${(100 * result.ours_accuracy.gender_accuracy).toFixed(1)}%; `
      + `face-api.js MAE ${result.faceapi_accuracy.mae_years} y, gender ${(100 * result.faceapi_accuracy.gender_accuracy).toFixed(1)}%`);
    if (one) {
      console.log(`one look per face (same weights, same run): ours ${result.ours_one_look_ms.median} ms (${result.ours_one_look_ms.p90}, `
        + `${result.ours_one_look_ms.mean}; model alone ${result.ours_one_look_ms.model_only_median}) -> `
        + `${result.speedup_one_look_median}x faster than face-api.js by median, ${result.speedup_one_look_mean}x by mean; `
        + `MAE ${result.ours_one_look_accuracy.mae_years} y, gender ${(100 * result.ours_one_look_accuracy.gender_accuracy).toFixed(1)}%`);
    }
    if (withGroup.length) {
      const pct = (value) => `${(100 * value).toFixed(1)}%`;
      console.log(`Adience 8 groups (${withGroup.length} faces; predicted years -> group by edge.labels' rule): `
        + `ours exact ${pct(result.ours_accuracy.adience8.exact)}, 1-off ${pct(result.ours_accuracy.adience8.one_off)}; `
        + `face-api.js exact ${pct(result.faceapi_accuracy.adience8.exact)}, 1-off ${pct(result.faceapi_accuracy.adience8.one_off)}`);
    for (const [index, ours] of result.ours_accuracy.adience8.per_group.entries()) {
      const theirs = result.faceapi_accuracy.adience8.per_group[index];
      if (!ours.faces) continue;
      console.log(`  group ${ours.group} (${ours.faces} faces): mean predicted years ours ${ours.mean_predicted_years}, `
        + `face-api.js ${theirs.mean_predicted_years}; exact ours ${pct(ours.exact)}, face-api.js ${pct(theirs.exact)}`);
    }
    }
    for (const [key, load] of Object.entries(result.page_load)) {
      console.log(`page load ${key} (phone profile, localhost; median of ${load.loads}): first visit interactive `
        + `${load.interactive_s_median} s, model ready ${load.model_ready_s_median} s, `
        + `${(load.first_visit_bytes / 1e6).toFixed(2)} MB sent; repeat visit interactive ${load.repeat_interactive_s_median} s, `
        + `model ready ${load.repeat_model_ready_s_median} s, ${(load.repeat_visit_bytes / 1e3).toFixed(1)} KB sent`);
    }
    console.log(JSON.stringify(result));
    if (options.json) writeJsonAtomic(options.json, result);
  } finally {
    server.stop();
  }
}

// run as a script; imported (tests/test_face_list.py checks adienceGroupOf against Python), only export
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
}
