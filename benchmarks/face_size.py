"""How small can a face be before the model stops reading it? Accuracy against face size, on validation faces.

Each validation chip (UTKFace, 200 px; the detector's box spans about 0.92 of it) is shrunk so that the face's box is
S pixels across, then read the way `edge predict` reads a detected face of that size (the crop is
resized up to the model's input by the spec's interpolation). The readable size is the smallest S at
which gender accuracy is within 1 point and MAE within 0.3 years of the full-size chips.

Usage: .venv/bin/python benchmarks/face_size.py [MODEL] [--data ../shared/data/utkface]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = (12, 16, 20, 24, 28, 32, 40, 48, 64, 96)
FACE_SHARE = 0.92  # the BlazeFace box spans about 0.92 of a UTKFace chip's side (docs/FACE_DETECTION.md)


def main() -> None:
    import cv2

    from edge.cache import load_images
    from edge.datasets import load_dataset
    from edge.decode import decode_outputs
    from edge.preprocess import resize_and_convert, to_model_input
    from edge.runtime import TFLiteModel
    from edge.splits import holdout_split
    from edge.spec import Spec
    from edge.targets import targets_for

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, default=ROOT / "android_demo/app/src/main/assets/model.tflite")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "utkface")
    args = parser.parse_args()
    model = TFLiteModel(args.model)
    spec = model.spec
    records = load_dataset(args.data, "utkface").records
    val = [records[i] for i in holdout_split(records, 0.15, 0.1, 42).val]  # validation faces only
    chips = load_images(val, Spec.create(spec.label_scheme, 200, "rgb")).images  # 200 px RGB, as decoded
    truth = targets_for(val, spec.label_scheme)
    print(f"{len(val):,} validation faces; face box = {FACE_SHARE:.0%} of the chip side")
    print("| face box (px) | gender accuracy | MAE (y) |\n|---:|---:|---:|")
    for size in SIZES:
        side = max(2, round(size / FACE_SHARE))
        faces = np.stack([resize_and_convert(cv2.resize(chip[:, :, ::-1], (side, side), interpolation=cv2.INTER_AREA), spec)
                          for chip in chips])
        decoded = decode_outputs(spec, model.run(to_model_input(faces, spec)))
        known = truth.gender >= 0
        gender = np.mean(decoded.gender[known] == truth.gender[known])
        mae = np.nanmean(np.abs(decoded.age_years - truth.age_years))
        print(f"| {size} | {gender:.1%} | {mae:.2f} |")


if __name__ == "__main__":
    main()
