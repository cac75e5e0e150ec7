#!/usr/bin/env bash
# The accuracy issue's "more faces" lever: UTKFace and Adience trained together (`edge train --extra-data`),
# measured on each dataset's own held-out faces against the default recipe trained on one dataset.
# Usage: benchmarks/more_faces.sh [OUT_DIR] (default bench/more-faces)
#        BASE=DIR: the benchmarks/accuracy.sh folder whose seed-42 UTKFace run and Adience transfer are
#        the comparison (default bench/accuracy). A step whose output exists is skipped.
# BENCHMARKS.md "More faces" holds the results. Nothing is chosen on a test split.
set -uo pipefail
cd "$(dirname "$0")/.."
EDGE=${EDGE:-.venv/bin/edge}
PY=${PY:-.venv/bin/python}
DATA=${EDGE_DATA_DIR:-../shared/data}
OUT=${1:-bench/more-faces}
BASE=${BASE:-bench/accuracy}
mkdir -p "$OUT"

. benchmarks/steps.sh  # step NAME DONE_FILE CMD...; train_step NAME RUN_DIR CMD... (resumes)

# 1. UTKFace's seed-42 split, every Adience face added to its training part (validation and test stay UTKFace's)
run="$OUT/utk-adience-s42"
train_step train "$run" $EDGE train --data $DATA/utkface --extra-data $DATA/adience --model mobile --seed 42 --split-seed 42 --out "$run"
step export "$run/export/export_report.json" $EDGE export "$run" --int8
step validate "$OUT/validate/validation.json" $EDGE validate "$run/export" --data $DATA/utkface --threads 2 --report "$OUT/validate"
# the choice is made here: validation faces in four framings, and by age band (int8)
step val-paths "$OUT/val_paths.md" sh -c "$PY benchmarks/val_paths.py $BASE/mobile-utk-s42 $run > $OUT/val_paths.md"
step bands "$OUT/bands.md" sh -c "$PY benchmarks/gender_by_age.py $BASE/mobile-utk-s42 model_int8_qat.tflite val > $OUT/bands.md; $PY benchmarks/gender_by_age.py $run model_int8_qat.tflite val >> $OUT/bands.md"

# 2. Adience's 5 subject-disjoint folds: the transfer of benchmarks/accuracy.sh (same start, epochs and rate),
#    with all UTKFace faces trained beside each fold's Adience training faces
adience="$OUT/adience-transfer-plus-utk"
train_step adience-train "$adience" $EDGE train --data $DATA/adience --extra-data $DATA/utkface --model mobile --folds 5 --epochs 10 --lr 0.001 --seed 42 --init-from "$BASE/mobile-utk-s42" --out "$adience"
step adience-export "$adience/export/folds" $EDGE export "$adience" --int8
step adience-validate "$OUT/adience-validate/validation.json" $EDGE validate "$adience/export" --data $DATA/adience --threads 2 --report "$OUT/adience-validate"
