#!/usr/bin/env bash
# The accuracy issue's goal table, reproduced: BENCHMARKS.md "Accuracy per kilobyte".
# Usage: benchmarks/accuracy.sh [OUT_DIR]   (default bench/accuracy, inside the repository); then
#        .venv/bin/python benchmarks/results.py OUT_DIR   prints the goal table (--write fills docs/RESULTS.md).
# Every step is the user's own CLI with the DEFAULT mobile recipe (train/models.py); runs on CPU or
# GPU, whichever TensorFlow sees (each log records the device). A step whose output exists is skipped,
# so an interrupted benchmark continues where it stopped. Choices were made on validation splits only.
# TEACHER_LABELS=FILE distils a teacher into each UTKFace run (--teacher-labels; made by
# `edge teacher pack` + benchmarks/teacher/train_teacher.py on a GPU, see BENCHMARKS.md "Distillation").
set -uo pipefail
cd "$(dirname "$0")/.."
EDGE=${EDGE:-.venv/bin/edge}
DATA=${EDGE_DATA_DIR:-../shared/data}
OUT=${1:-bench/accuracy}
SEEDS=${SEEDS:-42 43}
TEACHER=()
[ -n "${TEACHER_LABELS:-}" ] && TEACHER=(--teacher-labels "$TEACHER_LABELS")
mkdir -p "$OUT"

. benchmarks/steps.sh  # step NAME DONE_FILE CMD...; train_step NAME RUN_DIR CMD... (resumes)

for seed in $SEEDS; do
  run="$OUT/mobile-utk-s$seed"
  # UTKFace: the seed-42 85/15 split for every training seed (--split-seed), so seeds share test faces
  train_step train-s$seed "$run" $EDGE train --data $DATA/utkface --model mobile --epochs 40 --seed $seed --split-seed 42 "${TEACHER[@]}" --out "$run"
  step export-s$seed "$run/export/export_report.json" $EDGE export "$run" --int8
  step validate-s$seed "$OUT/validate-s$seed/validation.json" $EDGE validate "$run/export" --data $DATA/utkface --threads 2 --by age,gender,race --report "$OUT/validate-s$seed"
  # the same weights and QAT fine-tune (same seed) exported one pass per face: what flip averaging
  # inside the file (the export default) buys, and what it costs in size and latency
  step export-single-s$seed "$OUT/single-pass-s$seed/export_report.json" $EDGE export "$run" --int8 --no-flip-average --out "$OUT/single-pass-s$seed"
  step validate-single-s$seed "$OUT/validate-single-s$seed/validation.json" $EDGE validate "$OUT/single-pass-s$seed" --data $DATA/utkface --threads 2 --report "$OUT/validate-single-s$seed"
  # Cross-dataset: never trained on Adience, tested on all its faces, years -> Adience's 8 groups;
  # as aligned faces (the spec's path) and through the shipped detector + crop (the phone's path)
  step cross-s$seed "$OUT/cross-s$seed/validation.json" $EDGE validate "$run/export" --data $DATA/adience --split all --threads 2 --by age,gender --report "$OUT/cross-s$seed"
  step cross-crop-s$seed "$OUT/cross-crop-s$seed/validation.json" $EDGE validate "$run/export" --data $DATA/adience --split all --face-crop --threads 2 --by age,gender --report "$OUT/cross-crop-s$seed"
done

# Adience benchmark protocol (5 subject-disjoint folds): every fold starts from the first UTKFace run
# (10 epochs at half the rate: the transferred features converge fast)
first_seed=${SEEDS%% *}
adience="$OUT/mobile-adience-transfer"
train_step adience-train "$adience" $EDGE train --data $DATA/adience --model mobile --folds 5 --epochs 10 --lr 0.001 --seed 42 --init-from "$OUT/mobile-utk-s$first_seed" --out "$adience"
# the fold models are measured, never shipped: their exports keep int8 even where the release gate would
# refuse it (limits opened wide), and the validate step below applies the default gate to every fold; the
# results page prints that outcome (one fold's group rule failed on 12 faces on 2026-12-04)
step adience-export "$adience/export/folds" $EDGE export "$adience" --int8 --max-gender-drop 100 --max-mae-increase 100 --max-group-gender-drop 100 --max-group-mae-increase 100
step adience-validate "$OUT/adience-validate/validation.json" $EDGE validate "$adience/export" --data $DATA/adience --threads 2 --report "$OUT/adience-validate"

.venv/bin/python benchmarks/results.py "$OUT" | tee "$OUT/goal_table.md"
