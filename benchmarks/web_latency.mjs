// Browser benchmark behind BENCHMARKS.md ("In the browser"): our int8 model in LiteRT.js vs
// face-api.js's age/gender net (@vladmandic/face-api, its bundled tfjs, WASM backend), in ONE
// headless Chromium run, on the same faces; plus the demo page's load time and bytes.
//
//   node benchmarks/web_latency.mjs --export runs/mobile-utk/export [--faces 300] [--data ../shared/data/utkface]
//   node benchmarks/web_latency.mjs --export runs/mobile-utk/export --list /tmp/adience_faces.json
//
// The export must be an `edge export --int8` directory (its web/ assets are written by `edge serve`
// when missing). Without --list the faces are the UTKFace test split of its split.json, evenly
// spaced (--faces of them). With --list they are every face of a list written by
// benchmarks/face_list.py (any dataset edge loads; labels from the project's loader); when faces
// carry an Adience group, both models are also scored on the 8 Adience groups, a predicted age
// mapped to a group by the list's own ranges and rule (Python's edge.labels). Both models get the
// whole image as the face crop, whatever its size. Needs `npm ci` in web_demo/ and Debian's
// chromium (.ci/deps/web.sh). Prints a summary and a JSON line.
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
    const listed = options.list ? listFaces(options.list) : null;
    const { faces, testSize } = listed ? { faces: listed.faces, testSize: null } : testFaces();
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
    const result = {
      export: options.export, faces: faces.length, test_split_size: testSize,
      ...(listed ? { list: options.list, list_source: listed.source, list_kind: listed.kind, list_total_records: listed.total,
        faces_with_age: withAge.length, faces_with_gender: withGender.length, faces_with_adience_group: withGroup.length } : {}),
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
    console.log(listed
      ? `faces: ${result.faces} from ${options.list} (${listed.kind ?? 'faces'} in ${listed.source}, ${listed.total} records; `
        + `${withAge.length} with an age, ${withGender.length} with a gender, ${withGroup.length} with an Adience group)`
      : `faces: ${result.faces} of the ${testSize}-face test split (${options.export}/split.json)`);
    console.log(`per face, median (p90, mean): ours ${result.ours_ms.median} ms (${result.ours_ms.p90}, ${result.ours_ms.mean}; `
      + `model alone ${result.ours_ms.model_only_median}), face-api.js ${result.faceapi_ms.median} ms (${result.faceapi_ms.p90}, `
      + `${result.faceapi_ms.mean}) -> ${result.speedup_median}x faster by median, ${result.speedup_mean}x by mean`);
    console.log(`accuracy: ours MAE ${result.ours_accuracy.mae_years} y, gender ${(100 * result.ours_accuracy.gender_accuracy).toFixed(1)}%; `
      + `face-api.js MAE ${result.faceapi_accuracy.mae_years} y, gender ${(100 * result.faceapi_accuracy.gender_accuracy).toFixed(1)}%`);
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
    console.log(`page load (fresh profile, localhost): ${result.page_load.seconds_median} s median of ${loads.length}, `
      + `${(result.page_load.bytes / 1e6).toFixed(2)} MB downloaded`);
    console.log(JSON.stringify(result));
  } finally {
    server.kill('SIGINT');
  }
}

// run as a script; imported (tests/test_face_list.py checks adienceGroupOf against Python), only export
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
}
