"""Recipe choice on the VALIDATION split, through the framings a deployed model meets.

Usage: .venv/bin/python benchmarks/val_paths.py [--flip] RUN_DIR [RUN_DIR ...]

For each finished `edge train` run (float Keras model), on the run's own validation faces
(`split.json`; never the test split), four framings of the same faces:
  chips     the dataset chips, as trained;
  detector  the phone's path: the spec's default detector + crop rule on each chip (`--face-crop`);
  tight     an 80% centre crop of each chip (a face framed tighter than the chips);
  wide      each chip mirrored out to 125% of its side (a face framed wider than the chips, as
            another source's crops with a larger margin; the mirrored border stands in for the
            context a real photo would have).
Prints one Markdown row per run: gender accuracy and age MAE per framing. With --flip, a second
row per run reads each face as an export does by default: the mean of the outputs on the face and
on its mirror image (`edge export --flip-average`).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from edge.cache import load_images
from edge.decode import decode_outputs, flip_average, mirror
from edge.metrics import label_metrics
from edge.preprocess import decode_image, prepare_image
from edge.spec import Spec
from edge.targets import targets_for
from edge.tf_bootstrap import load_keras_model, predict_outputs
from edge.train.run_data import split_records

TIGHT = 0.8
WIDE = 1.25


def tight_images(records, spec: Spec) -> np.ndarray:
    out = []
    for record in records:
        image = decode_image(record.path)
        h, w = image.shape[:2]
        dy, dx = int(h * (1 - TIGHT) / 2), int(w * (1 - TIGHT) / 2)
        out.append(prepare_image(image[dy:h - dy, dx:w - dx], spec))
    return np.stack(out)


def wide_images(records, spec: Spec) -> np.ndarray:
    import cv2

    out = []
    for record in records:
        image = decode_image(record.path)
        h, w = image.shape[:2]
        dy, dx = round(h * (WIDE - 1) / 2), round(w * (WIDE - 1) / 2)
        out.append(prepare_image(cv2.copyMakeBorder(image, dy, dy, dx, dx, cv2.BORDER_REFLECT_101), spec))
    return np.stack(out)


def scores(model, spec: Spec, images: np.ndarray, records, flip: bool = False) -> tuple[float, float]:
    truth = targets_for(records, spec.label_scheme)
    outputs = predict_outputs(model, images, spec)
    if flip:
        outputs = flip_average(outputs, predict_outputs(model, mirror(images), spec))
    metrics = label_metrics(decode_outputs(spec, outputs), truth.age_class,
                            truth.age_years, truth.gender, len(spec.age_class_names))
    return metrics["gender_accuracy"], metrics["age_mae_years"]


def main(runs: list[str], flip: bool = False) -> None:
    print("| run | val faces | chips: gender / MAE | detector crop: gender / MAE | tight 80%: gender / MAE | wide 125%: gender / MAE |")
    print("|---|---:|---|---|---|---|")
    for run in map(Path, runs):
        spec = Spec.load(run / "spec.json")
        model = load_keras_model(run / "model.keras")
        records = split_records(run, "val")
        chips = load_images(records, spec)
        crop_spec = spec.with_updates(face_crop=replace(spec.face_crop, enabled=True))
        crops = load_images(chips.records, crop_spec)
        framings = [(chips.images, chips.records), (crops.images, crops.records),
                    (tight_images(chips.records, spec), chips.records), (wide_images(chips.records, spec), chips.records)]
        for flipped in (False, True) if flip else (False,):
            cells = [scores(model, spec, images, records, flipped) for images, records in framings]
            name = f"{run.name} + flip averaging" if flipped else run.name
            print(f"| {name} | {len(chips.records):,} | " + " | ".join(f"{g:.1%} / {m:.2f} y" for g, m in cells) + " |")


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a != "--flip"], flip="--flip" in sys.argv[1:])
