"""Several exported files side by side on the same faces of a run's split, by the age bands of edge.groups.

Usage: .venv/bin/python benchmarks/age_bands.py RUN_DIR MODEL.tflite [MODEL.tflite ...] [--split val]

Every file reads the same faces (RUN_DIR's split.json: the split is a function of the dataset and the
split seed, so runs with one --split-seed share their faces): gender accuracy and age MAE per band
(0-2, 3-9, 10-19, 20-39, 40-59, 60+) and overall, and for the babies how often the age said lies
inside 0-2 (under 3 years). The choice between files is made on --split val, never on test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from edge.cache import load_images
from edge.decode import decode_outputs
from edge.groups import AGE_BANDS
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.train.run_data import split_records


def score(model_file: Path, records) -> dict[str, str]:
    """One column of the table: 'gender % / MAE y' per band, and the babies' share said to be under 3."""
    model = TFLiteModel(model_file, num_threads=2)
    images = load_images(records, model.spec)
    decoded = decode_outputs(model.spec, model.run(to_model_input(images.images, model.spec)))
    ages = np.asarray([r.age_years for r in images.records], np.float64)
    right = decoded.gender == np.asarray([r.gender for r in images.records])
    error = np.abs(decoded.age_years - ages)
    column = {}
    for name, low, high in AGE_BANDS + (("all", 0.0, 1e9),):
        band = (ages >= low) & (ages < high)
        column[name] = f"{100 * right[band].mean():.1f}% / {error[band].mean():.2f} y ({band.sum()})"
    babies = ages < 3
    column["0-2 said under 3"] = f"{100 * (decoded.age_years[babies] < 3).mean():.1f}%"
    column["0-2 median said"] = f"{np.median(decoded.age_years[babies]):.1f} y"
    return column


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run directory: its split.json chooses the faces")
    parser.add_argument("models", type=Path, nargs="+", help="exported .tflite files to compare")
    parser.add_argument("--split", default="val", choices=("train", "val", "test"))
    args = parser.parse_args()
    records = split_records(args.run, args.split)
    columns = {str(model): score(model, records) for model in args.models}
    rows = list(next(iter(columns.values())))
    print(f"| {args.split} faces: gender / MAE (faces) | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in rows:
        print(f"| {row} | " + " | ".join(column[row] for column in columns.values()) + " |")


if __name__ == "__main__":
    main()
