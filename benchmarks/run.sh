#!/usr/bin/env bash
# The exact commands behind BENCHMARKS.md. Usage: benchmarks/run.sh [OUT_DIR]   (default bench/run, inside the repository)
# Runs on CPU or GPU, whichever TensorFlow sees; every log records the device.
set -uo pipefail
cd "$(dirname "$0")/.."
EDGE=${EDGE:-.venv/bin/edge}
DATA=${EDGE_DATA_DIR:-../shared/data}
OUT=${1:-bench/run}
mkdir -p "$OUT"

step() { local name=$1; shift; echo "=== $name: $*" >> "$OUT/commands.log"; /usr/bin/time -v "$@" > "$OUT/$name.log" 2>&1; echo "exit $?" >> "$OUT/$name.log"; }

# UTKFace, fixed seed, 85/15 split (validation carved from the 85)
[ -f "$OUT/mobile-utk/metrics.json" ] || step mobile-utk $EDGE train --data $DATA/utkface --model mobile --epochs 40 --seed 42 --test-frac 0.15 --out "$OUT/mobile-utk"
step cnn-utk     $EDGE train --data $DATA/utkface --model cnn --width 16 --depth 4 --epochs 15 --seed 42 --test-frac 0.15 --out "$OUT/cnn-utk"
step fcn2hot-utk $EDGE train --data $DATA/utkface --model fcn2hot --epochs 40 --seed 42 --test-frac 0.15 --out "$OUT/fcn2hot-utk"
step tuple-utk   $EDGE train --data $DATA/utkface --model tuple --epochs 40 --seed 42 --test-frac 0.15 --out "$OUT/tuple-utk"

# int8 export + validation of every UTKFace run (the float / PTQ / QAT table), with the DEFAULT
# release gate (accuracy deltas of the shipped QAT model vs float; agreement reported on decisive faces).
for family in mobile cnn fcn2hot tuple; do
  step export-$family-utk $EDGE export "$OUT/$family-utk" --int8 --qat-epochs 2
  step validate-$family-utk $EDGE validate "$OUT/$family-utk/export" --data $DATA/utkface --threads 2
done

# Adience benchmark protocol: 5-fold by subject, the dataset's own folds
step mobile-adience  $EDGE train --data $DATA/adience --model mobile --folds 5 --epochs 20 --seed 42 --out "$OUT/mobile-adience"
step fcn2hot-adience $EDGE train --data $DATA/adience --model fcn2hot --folds 5 --epochs 40 --seed 42 --out "$OUT/fcn2hot-adience"
step tuple-adience   $EDGE train --data $DATA/adience --model tuple --folds 5 --epochs 40 --seed 42 --out "$OUT/tuple-adience"

# Transfer: the UTKFace-trained mobile initialises every fold (its 20-group age head starts fresh)
step mobile-adience-transfer $EDGE train --data $DATA/adience --model mobile --folds 5 --epochs 20 --lr 0.001 --seed 42 --init-from "$OUT/mobile-utk" --out "$OUT/mobile-adience-transfer"
# Adience int8, the benchmark's form: every fold exported, each validated on its own test fold, mean +- std
step export-mobile-adience-transfer $EDGE export "$OUT/mobile-adience-transfer" --int8 --qat-epochs 2
step validate-mobile-adience-transfer $EDGE validate "$OUT/mobile-adience-transfer/export" --data $DATA/adience --threads 2

# Face detectors and the crop margin on composed photos of real faces (BENCHMARKS.md "Face
# detectors"); the classifier check runs the mobile QAT model on detector crops vs on chips
step detectors .venv/bin/python benchmarks/detectors.py --out "$OUT/detectors" --model "$OUT/mobile-utk/export/model_int8_qat.tflite"
# Every exported file: latency threads 1 and N, RSS, size, ratios, end-to-end per face (BENCHMARKS.md "edge benchmark")
step benchmark-mobile-utk $EDGE benchmark "$OUT/mobile-utk/export" --threads 2
# The anchors table and plots (BENCHMARKS.md "Against the anchors"); add --web-json with the
# JSON line of `node benchmarks/web_latency.mjs` for the measured face-api.js row
step anchors .venv/bin/python benchmarks/anchors.py --export "$OUT/mobile-utk/export" --out "$OUT/anchors"
