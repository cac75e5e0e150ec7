// Lighthouse (npm lighthouse@12.2.3, pinned in web_demo/package.json) on the page in mobile emulation,
// served by `edge serve` on this machine; Debian's Chromium with the project's headless flags.
//   node benchmarks/web_lighthouse.mjs --export runs/mobile-utk/export [--runs 3] [--looks two,one]
// Prints performance, accessibility and best-practices per run and per setting of the page (--looks:
// ?looks=two, the default file, and ?looks=one, the one-look file, alternating in the same run), the
// medians, what the failing audits found (console errors, source maps), and a JSON line (--json FILE: also
// written to FILE, for benchmarks/results.py).
// (BENCHMARKS.md, "In the browser"; the goals are accessibility >= 95 and performance >= 90.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, FLAGS, startEdgeServe, writeJsonAtomic } from '../web_demo/test/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'web_demo', 'package.json'));
const options = { export: 'runs/mobile-utk/export', runs: 3, looks: 'two,one', python: path.join(root, '.venv/bin/python') };
for (let i = 2; i < process.argv.length; i += 2) options[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const median = (values) => { const s = [...values].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main() {
  const { default: lighthouse } = await import(require.resolve('lighthouse'));
  const chromeLauncher = await import(require.resolve('chrome-launcher'));
  const server = await startEdgeServe({ python: options.python, cwd: root, exportDir: options.export });
  const { url } = server;
  const runs = [];
  const settings = String(options.looks).split(',').filter(Boolean);
  try {
    for (let i = 0; i < Number(options.runs); i++) for (const looks of settings) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-lighthouse-'));
      const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, userDataDir: profile, chromeFlags: FLAGS });
      try {
        // the default config: mobile form factor, Moto G Power screen, simulated slow 4G and 4x CPU
        const result = await lighthouse(`${url}?looks=${looks}`, { port: chrome.port, output: 'json', logLevel: 'error',
          onlyCategories: ['performance', 'accessibility', 'best-practices'] });
        const { categories, audits } = result.lhr;
        const found = (id) => (audits[id]?.details?.items ?? []).map((item) => item.description || item.scriptUrl || item.url || JSON.stringify(item)).slice(0, 5);
        runs.push({ looks, performance: Math.round(100 * categories.performance.score),
          accessibility: Math.round(100 * categories.accessibility.score),
          best_practices: Math.round(100 * categories['best-practices'].score),
          fcp_ms: Math.round(audits['first-contentful-paint'].numericValue), lcp_ms: Math.round(audits['largest-contentful-paint'].numericValue),
          tbt_ms: Math.round(audits['total-blocking-time'].numericValue),
          si_ms: Math.round(audits['speed-index'].numericValue), tti_ms: Math.round(audits.interactive.numericValue),
          failed: Object.values(audits).filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === 'binary').map((a) => a.id),
          console_errors: found('errors-in-console'), source_maps: found('valid-source-maps') });
        console.log(`run ${i + 1}: ${JSON.stringify(runs[runs.length - 1])}`);
      } finally {
        await chrome.kill();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    }
  } finally {
    server.stop();
  }
  const summary = { lighthouse: '12.2.3', url, runs: runs.length, settings: {} };
  for (const looks of settings) {
    const mine = runs.filter((r) => r.looks === looks);
    const entry = summary.settings[looks] = { runs: mine.length };
    for (const key of ['performance', 'accessibility', 'best_practices', 'fcp_ms', 'lcp_ms', 'si_ms', 'tbt_ms', 'tti_ms']) entry[key] = median(mine.map((r) => r[key]));
    console.log(`?looks=${looks}, median of ${mine.length}: performance ${entry.performance}, accessibility ${entry.accessibility}, `
      + `best practices ${entry.best_practices} (FCP ${entry.fcp_ms} ms, LCP ${entry.lcp_ms} ms, SI ${entry.si_ms} ms, `
      + `TBT ${entry.tbt_ms} ms, TTI ${entry.tti_ms} ms)`);
  }
  console.log(JSON.stringify(summary));
  if (options.json) writeJsonAtomic(options.json, summary);
}

main().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
