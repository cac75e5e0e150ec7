"""The over-40 rows without retraining: can a monotone remap of the years a file says undo the older faces' bias?

Usage: .venv/bin/python benchmarks/age_remap.py RUN_DIR MODEL.tflite

Reads RUN_DIR's validation faces (split.json) through MODEL.tflite and prints the age MAE by band (edge.groups)
as the file says it, then after each remap fitted on validation faces and scored by 5-fold cross-validation
inside them (each face's remapped age comes from a fit that never saw it): isotonic regression of the true
years on the said years, the same on log years, and a least-absolute-deviation line. Test faces are never read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.isotonic import IsotonicRegression

from edge.cache import load_images
from edge.decode import decode_outputs
from edge.groups import AGE_BANDS
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.train.run_data import split_records


def said_and_true(model_file: Path, records) -> tuple[np.ndarray, np.ndarray]:
    """The years the file says for each face, and the labelled years."""
    model = TFLiteModel(model_file, num_threads=2)
    images = load_images(records, model.spec)
    decoded = decode_outputs(model.spec, model.run(to_model_input(images.images, model.spec)))
    return decoded.age_years, np.asarray([r.age_years for r in images.records], np.float64)


def isotonic(said: np.ndarray, true: np.ndarray):
    return IsotonicRegression(out_of_bounds="clip").fit(said, true).predict


def isotonic_log(said: np.ndarray, true: np.ndarray):
    fitted = isotonic(np.log1p(said), np.log1p(true))
    return lambda years: np.expm1(fitted(np.log1p(years)))


def lad_line(said: np.ndarray, true: np.ndarray):
    """true ~ a + b * said minimising absolute error (iteratively reweighted least squares)."""
    a, b = 0.0, 1.0
    for _ in range(50):
        weight = 1 / np.maximum(np.abs(true - (a + b * said)), 0.5)
        design = np.stack([np.ones_like(said), said], axis=1) * weight[:, None]
        a, b = np.linalg.lstsq(design, true * weight, rcond=None)[0]
    return lambda years: a + b * years


def cross_validated(fit, said: np.ndarray, true: np.ndarray, folds: int = 5) -> np.ndarray:
    """Each face's remapped years from a remap fitted on the other folds."""
    fold = np.random.default_rng(0).permutation(len(said)) % folds
    out = np.empty_like(said)
    for k in range(folds):
        out[fold == k] = fit(said[fold != k], true[fold != k])(said[fold == k])
    return out


def band_maes(said: np.ndarray, true: np.ndarray) -> list[str]:
    cells = []
    for _, low, high in AGE_BANDS + (("all", 0.0, 1e9),):
        band = (true >= low) & (true < high)
        cells.append(f"{np.abs(said[band] - true[band]).mean():.2f}")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run directory: its split.json chooses the validation faces")
    parser.add_argument("model", type=Path, help="an exported .tflite")
    args = parser.parse_args()
    said, true = said_and_true(args.model, split_records(args.run, "val"))
    print(f"| {len(true):,} validation faces, age MAE (y) | " + " | ".join(n for n, _, _ in AGE_BANDS) + " | all |")
    print("|---|" + "---:|" * (len(AGE_BANDS) + 1))
    print("| as the file says | " + " | ".join(band_maes(said, true)) + " |")
    for name, fit in (("isotonic remap", isotonic), ("isotonic remap, log years", isotonic_log),
                      ("least-absolute-deviation line", lad_line)):
        print(f"| {name} (5-fold CV) | " + " | ".join(band_maes(cross_validated(fit, said, true), true)) + " |")


if __name__ == "__main__":
    main()
