"""A small head on face-api.js's face descriptors against our model, on the same validation faces.

Usage: .venv/bin/python benchmarks/face_prior_head.py RUN_DIR [--descriptors bench/face-prior/descriptors.jsonl]
           [--train-faces N] [--models model_float32.tflite,model_int8_qat.tflite] [--out bench/face-prior/report.json]

The descriptors come from benchmarks/face_prior.mjs (faceRecognitionNet, 128 numbers per face) over
RUN_DIR's split.json: every validation face and some or all training faces. Labels come from the
dataset records (edge's loader over the split's paths), never from the descriptor file. A test face
in the file is refused.

The head is fitted on the TRAINING faces only, its kind and strength chosen by 5-fold
cross-validation on them (gender: accuracy; age: MAE in years):
  gender  logistic regression (C from a grid) or a one-hidden-layer MLP classifier;
  age     ridge regression on years or on log(1 + years) (alpha from a grid), an RBF support-vector
          regression on years (C 10 or 100), or a one-hidden-layer MLP regressor on years or on log(1 + years).
Then the chosen heads, refitted on all training faces, read the validation faces, and our exported
files (RUN_DIR/export/..., LiteRT, one thread, as `edge predict --no-detect` decodes them) read the same
faces. Printed: gender accuracy and age MAE overall, per age band and per UTKFace race, with the
paired bootstrap 95% interval of (head - our first file) overall and per age band.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core: a training shares the machine
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVR  # noqa: E402

from edge.cache import load_images  # noqa: E402
from edge.decode import decode_outputs  # noqa: E402
from edge.preprocess import to_model_input  # noqa: E402
from edge.runtime import TFLiteModel  # noqa: E402
from edge.train.run_data import split_info, split_records  # noqa: E402

BANDS = (("0-9", 0, 10), ("10-19", 10, 20), ("20-39", 20, 40), ("40-59", 40, 60), ("60+", 60, 1000))
RACES = ("White", "Black", "Asian", "Indian", "Others")
FOLDS = 5
BOOTSTRAP = 2000


def log_years(regressor):
    """Fit on log(1 + years), predict in years."""
    return TransformedTargetRegressor(regressor=regressor, func=np.log1p, inverse_func=np.expm1)


def gender_candidates() -> dict:
    heads = {f"logistic C={c:g}": make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
             for c in (0.01, 0.1, 1.0, 10.0)}
    heads["MLP 256, alpha 1e-2"] = make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(256,), alpha=1e-2, early_stopping=True, max_iter=500, random_state=0))
    return heads


def age_candidates() -> dict:
    heads = {}
    for alpha in (1.0, 10.0, 100.0):
        heads[f"ridge years, alpha {alpha:g}"] = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
        heads[f"ridge log(1+years), alpha {alpha:g}"] = log_years(make_pipeline(StandardScaler(), Ridge(alpha=alpha)))
    for c in (10.0, 100.0):
        heads[f"SVR rbf years, C {c:g}, epsilon 1"] = make_pipeline(StandardScaler(), SVR(C=c, epsilon=1.0))
    mlp = dict(hidden_layer_sizes=(256,), alpha=1e-2, early_stopping=True, max_iter=500, random_state=0)
    heads["MLP 256 years, alpha 1e-2"] = make_pipeline(StandardScaler(), MLPRegressor(**mlp))
    heads["MLP 256 log(1+years), alpha 1e-2"] = log_years(make_pipeline(StandardScaler(), MLPRegressor(**mlp)))
    return heads


def choose(candidates: dict, x: np.ndarray, y: np.ndarray, folds, scoring: str, higher_is_better: bool):
    """Cross-validate every candidate on the training faces; return (name, head refitted on all, scores)."""
    scores = {}
    for name, head in candidates.items():
        started = time.time()
        value = float(cross_val_score(head, x, y, cv=folds, scoring=scoring, n_jobs=1).mean())
        scores[name] = -value if scoring.startswith("neg_") else value
        print(f"  cv {name}: {scores[name]:.4f} ({time.time() - started:.0f} s)", flush=True)
    best = (max if higher_is_better else min)(scores, key=scores.get)
    return best, candidates[best].fit(x, y), scores


def read_descriptors(path: Path, run: Path) -> dict[str, dict[str, np.ndarray]]:
    """{split: {path: descriptor}}, checked against the run's split (a test face stops the script)."""
    info = split_info(run)
    members = {name: {info["paths"][i] for i in info[name]} for name in ("train", "val", "test")}
    out: dict[str, dict[str, np.ndarray]] = {"train": {}, "val": {}}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        file = info["paths"][row["index"]]
        if file in members["test"]:
            raise SystemExit(f"{path}: {file} is a TEST face of {run}: never used here; write the descriptors again")
        if file != row["file"] or file not in members[row["split"]]:
            raise SystemExit(f"{path}: line for {row['file']} does not match {run}/split.json (index {row['index']})")
        out[row["split"]][file] = np.asarray(row["descriptor"], np.float64)
    return out


def ours(run: Path, model_file: str, records) -> tuple[np.ndarray, np.ndarray]:
    """(gender 0/1, age years) of one exported file on the records, one interpreter thread."""
    model = TFLiteModel(run / "export" / model_file, num_threads=1)
    images = load_images(records, model.spec)
    if len(images.records) != len(records):
        raise SystemExit(f"{len(records) - len(images.records)} validation images did not decode")
    decoded = decode_outputs(model.spec, model.run(to_model_input(images.images, model.spec)))
    return decoded.gender.astype(int), decoded.age_years.astype(np.float64)


def paired_interval(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Mean of (a - b) per face and its paired bootstrap 95% interval."""
    diff = a - b
    means = diff[rng.integers(0, len(diff), (BOOTSTRAP, len(diff)))].mean(axis=1)
    return float(diff.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--descriptors", type=Path, default=Path("bench/face-prior/descriptors.jsonl"))
    parser.add_argument("--models", default="model_float32.tflite,model_int8_qat.tflite")
    parser.add_argument("--out", type=Path, default=Path("bench/face-prior/report.json"))
    parser.add_argument("--train-faces", type=int, default=0,
                        help="only the first N training faces of the file (face_prior.mjs's seeded order); 0: all")
    args = parser.parse_args()

    descriptors = read_descriptors(args.descriptors, args.run)
    kept = list(descriptors["train"])[:args.train_faces or None]  # the file's order: face_prior.mjs's seeded shuffle
    train = [r for r in split_records(args.run, "train") if r.path in set(kept)]
    val = split_records(args.run, "val")
    missing = [r.path for r in val if r.path not in descriptors["val"]]
    if missing:
        raise SystemExit(f"{len(missing)} validation faces have no descriptor (e.g. {missing[0]}): run face_prior.mjs to the end")
    x_train = np.stack([descriptors["train"][r.path] for r in train])
    x_val = np.stack([descriptors["val"][r.path] for r in val])
    gender_train = np.asarray([r.gender for r in train])
    age_train = np.asarray([r.age_years for r in train], np.float64)
    gender = np.asarray([r.gender for r in val])
    age = np.asarray([r.age_years for r in val], np.float64)
    race = np.asarray([dict(r.attributes).get("race", "") for r in val])
    print(f"{len(train)} training faces with a descriptor (of {len(split_records(args.run, 'train'))}), {len(val)} validation faces")

    print("gender head, 5-fold cross-validation on the training faces (accuracy):")
    gender_name, gender_head, gender_cv = choose(gender_candidates(), x_train, gender_train,
                                                 StratifiedKFold(FOLDS, shuffle=True, random_state=0), "accuracy", True)
    print("age head, 5-fold cross-validation on the training faces (MAE, years):")
    age_name, age_head, age_cv = choose(age_candidates(), x_train, age_train,
                                        KFold(FOLDS, shuffle=True, random_state=0), "neg_mean_absolute_error", False)
    print(f"chosen: gender {gender_name} (cv {gender_cv[gender_name]:.4f}), age {age_name} (cv {age_cv[age_name]:.3f} y)")

    predictions = {"face-prior head": (gender_head.predict(x_val).astype(int), np.clip(age_head.predict(x_val), 0, None))}
    for model_file in args.models.split(","):
        predictions[f"ours {model_file}"] = ours(args.run, model_file, val)
    names = list(predictions)
    right = {name: (g == gender).astype(float) for name, (g, _) in predictions.items()}
    error = {name: np.abs(a - age) for name, (_, a) in predictions.items()}

    groups = [("all", np.ones(len(val), bool))]
    groups += [(f"ages {band}", (age >= low) & (age < high)) for band, low, high in BANDS]
    groups += [(f"race {name}", race == name) for name in RACES]
    rng = np.random.default_rng(0)
    teacher, reference = names[0], names[1]
    rows = []
    print(f"\n| validation faces | faces | {' | '.join(names)} | {teacher} - {reference}: gender pp, MAE y (95% CI) |")
    print("|---|---:|" + "---|" * len(names) + "---|")
    for label, mask in groups:
        cells = {name: (float(right[name][mask].mean()), float(error[name][mask].mean())) for name in names}
        gap_gender = paired_interval(right[teacher][mask], right[reference][mask], rng)
        gap_age = paired_interval(error[teacher][mask], error[reference][mask], rng)
        rows.append({"group": label, "faces": int(mask.sum()), "gender_accuracy": {n: c[0] for n, c in cells.items()},
                     "mae_years": {n: c[1] for n, c in cells.items()},
                     "teacher_minus_ours_gender": gap_gender, "teacher_minus_ours_mae": gap_age})
        shown = " | ".join(f"{100 * cells[n][0]:.1f}% / {cells[n][1]:.2f} y" for n in names)
        print(f"| {label} | {mask.sum():,} | {shown} | {100 * gap_gender[0]:+.1f} ({100 * gap_gender[1]:+.1f}, "
              f"{100 * gap_gender[2]:+.1f}); {gap_age[0]:+.2f} ({gap_age[1]:+.2f}, {gap_age[2]:+.2f}) |")
    for name in names:
        by_race = {r["group"]: r["gender_accuracy"][name] for r in rows if r["group"].startswith("race ")}
        worst, best = min(by_race, key=by_race.get), max(by_race, key=by_race.get)
        print(f"{name}: gender by race worst {worst} {100 * by_race[worst]:.1f}%, best {best} {100 * by_race[best]:.1f}%")
    report = {"run": str(args.run), "descriptors": str(args.descriptors), "train_faces": len(train), "val_faces": len(val),
              "gender_head": gender_name, "gender_cv": gender_cv, "age_head": age_name, "age_cv_mae": age_cv,
              "bootstrap": BOOTSTRAP, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
