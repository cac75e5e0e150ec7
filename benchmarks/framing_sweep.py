"""How a model's answers move when the same faces are framed tighter or wider.

Usage: .venv/bin/python benchmarks/framing_sweep.py MODEL.tflite DATA [--split val|all] [--run RUN_DIR]

Each face is re-framed by a scale s before the spec's resize: s < 1 keeps the centre s x s of the
image (tighter), s > 1 mirrors the borders out to s times the side (wider; the mirrored border stands
in for the context a real photo would have). Prints one Markdown row per scale: gender accuracy,
age MAE in years, and for Adience faces exact / 1-off accuracy in its 8 groups (from the years) and
the median predicted years of its three children's groups. ``--split val`` scores the run's own
validation faces (``--run``, default: the model's run directory); ``all`` every face of DATA.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from edge.cache import load_images
from edge.datasets import load_dataset
from edge.decode import decode_outputs, regroup
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.train.run_data import split_records

SCALES = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5)


def reframe(images: np.ndarray, scale: float) -> np.ndarray:
    """Centre crop (scale < 1) or mirrored border (scale > 1), back to the input size."""
    import cv2

    size = images.shape[1]
    out = []
    for image in images:
        if scale < 1:
            cut = round(size * (1 - scale) / 2)
            image = image[cut:size - cut, cut:size - cut]
        elif scale > 1:
            pad = round(size * (scale - 1) / 2)
            image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
        resized = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        out.append(resized.reshape(images.shape[1:]))
    return np.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--split", choices=("val", "all"), default="val")
    parser.add_argument("--run", type=Path, help="run directory whose split.json names the validation faces")
    args = parser.parse_args()
    model = TFLiteModel(args.model, num_threads=2)
    if args.split == "val":
        records = split_records(args.run or args.model.parent.parent, "val")
    else:
        records = load_dataset(args.data).records
    images = load_images(records, model.spec)
    records = images.records
    years = np.asarray([np.nan if r.age_years is None else r.age_years for r in records])
    gender = np.asarray([-1 if r.gender is None else r.gender for r in records])
    groups = np.asarray([-1 if r.adience_group is None else r.adience_group for r in records])
    adience = bool((groups >= 0).any())
    header = "| scale | faces | gender | MAE (y) |" + (" exact | 1-off | median years: 0-2 / 4-6 / 8-12 |" if adience else "")
    print(header)
    print("|" + "---:|" * (header.count("|") - 1))
    for scale in SCALES:
        decoded = decode_outputs(model.spec, model.run(to_model_input(reframe(images.images, scale), model.spec)))
        known_gender, known_age = gender >= 0, ~np.isnan(years)
        row = (f"| {scale:.2f} | {len(records):,} | {(decoded.gender[known_gender] == gender[known_gender]).mean():.1%} | "
               f"{np.abs(decoded.age_years[known_age] - years[known_age]).mean():.2f} |")
        if adience:
            predicted = np.asarray(regroup(decoded, "adience8").age_class)
            known = groups >= 0
            exact = (predicted[known] == groups[known]).mean()
            one_off = (np.abs(predicted[known] - groups[known]) <= 1).mean()
            medians = " / ".join(f"{np.median(decoded.age_years[groups == g]):.1f}" for g in range(3))
            row += f" {exact:.1%} | {one_off:.1%} | {medians} |"
        print(row)


if __name__ == "__main__":
    main()
