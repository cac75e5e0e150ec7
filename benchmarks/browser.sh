#!/usr/bin/env bash
# The page's figures in docs/RESULTS.md ("On the phone and in the browser"): our int8 file in LiteRT.js
# against face-api.js in one headless Chromium per setting, page loads, and Lighthouse.
# Usage: benchmarks/browser.sh [EXPORT_DIR] [OUT_DIR]
#        (defaults: bench/accuracy/mobile-utk-s42/export, the shipped file's export; bench/browser)
# then   .venv/bin/python benchmarks/results.py --write   fills RESULTS.md's browser table from OUT_DIR.
# Run it on a QUIET machine (no training, no test suite): these are timings. Needs `npm ci` in web_demo/
# and Debian's chromium (.ci/deps/web.sh). A setting whose JSON exists is skipped (delete it to re-measure).
set -uo pipefail
cd "$(dirname "$0")/.."
EXPORT=${1:-bench/accuracy/mobile-utk-s42/export}
OUT=${2:-bench/browser}
mkdir -p "$OUT"

. benchmarks/steps.sh  # step NAME DONE_FILE CMD...

latency() {  # NAME THREADS THROTTLE [more web_latency.mjs options]
  local name=$1 threads=$2 throttle=$3; shift 3
  step "$name" "$OUT/$name.json" node benchmarks/web_latency.mjs --export "$EXPORT" --faces 100 \
    --threads "$threads" --throttle "$throttle" --json "$OUT/$name.json" "$@"
}
# --threads 1: LiteRT.js's threaded build (the page's default where cross-origin isolated); 0: one thread.
# The first setting also times the page's loads (first and repeat visit) at 1x and 4x CPU throttling.
latency web-threaded 1 1 --loads 3 --load-throttles 1,4
latency web-threaded-x4 1 4 --loads 0 --load-throttles 0
latency web-1thread 0 1 --loads 0 --load-throttles 0
latency web-1thread-x4 0 4 --loads 0 --load-throttles 0
step lighthouse "$OUT/lighthouse.json" node benchmarks/web_lighthouse.mjs --export "$EXPORT" --runs 3 --json "$OUT/lighthouse.json"
