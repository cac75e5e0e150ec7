"""Where the errors are: gender accuracy and age MAE of an exported model per age band.

Usage: .venv/bin/python benchmarks/gender_by_age.py RUN_DIR [MODEL_FILE] [SPLIT]
       (defaults: model_int8_qat.tflite, the run's test split; SPLIT val scores its validation faces,
       SPLIT train the faces it was trained on, un-augmented: how much of its own data the model fits)

After the table, the gender accuracy at other decision thresholds than the spec's 0.5 (a face is
read as female when P(female) >= the threshold, as in ``edge.decode``), to show whether moving it
would pay.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from edge.cache import load_images
from edge.decode import decode_outputs
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.train.run_data import split_records

BANDS = ((0, 10), (10, 20), (20, 40), (40, 60), (60, 121))
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6)


def main(run: Path, model_file: str = "model_int8_qat.tflite", split_name: str = "test") -> None:
    model = TFLiteModel(run / "export" / model_file, num_threads=1)
    images = load_images(split_records(run, split_name), model.spec)
    decoded = decode_outputs(model.spec, model.run(to_model_input(images.images, model.spec)))
    ages = np.asarray([r.age_years for r in images.records], np.float64)
    truth = np.asarray([r.gender for r in images.records])
    right = decoded.gender == truth
    error = np.abs(decoded.age_years - ages)
    print("| ages | faces | gender accuracy | errors | age MAE |\n|---|---:|---:|---:|---:|")
    for low, high in BANDS:
        band = (ages >= low) & (ages < high)
        print(f"| {low}-{high - 1} | {band.sum():,} | {right[band].mean():.1%} | {(~right[band]).sum()} | {error[band].mean():.2f} y |")
    print(f"| all | {len(right):,} | {right.mean():.1%} | {(~right).sum()} | {error.mean():.2f} y |")
    female = decoded.gender_prob
    print("\ngender accuracy by decision threshold: " +
          ", ".join(f"{t:.2f}: {((female >= t).astype(int) == truth).mean():.2%}" for t in THRESHOLDS))


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:4])
