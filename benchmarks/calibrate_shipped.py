"""Calibrate the shipped model file (the Android app's assets) without its training run, and lay out its
test split for `edge validate --by`.

The shipped model was trained by benchmarks/accuracy.sh (mobile, UTKFace, --split-seed 42, default
fractions). Its split is a pure function of the dataset listing and the seed, so it is rebuilt here
exactly; the calibration (export/calibrate.py) is fitted on the VALIDATION faces only and the new
spec is embedded into the same weights. The test split is written as split.json beside a copy of
the calibrated file in OUT, so `edge validate OUT/model_int8_qat.tflite --data UTKFACE --by age,gender,race`
measures it on faces neither training nor calibration saw.

Usage: .venv/bin/python benchmarks/calibrate_shipped.py [--data ../shared/data/utkface] [--out bench/shipped]
       [--assets android_demo/app/src/main/assets] [--write-assets]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "utkface")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "shipped")
    parser.add_argument("--assets", type=Path, default=ROOT / "android_demo" / "app" / "src" / "main" / "assets")
    parser.add_argument("--write-assets", action="store_true", help="also replace the assets' model.tflite and spec.json")
    parser.add_argument("--card", type=Path, default=ROOT / "docs" / "MODEL_CARD.md", help="where the shipped model's card goes")
    parser.add_argument("--parameters", type=int, default=352_221, help="the shipped network's parameter count (its run's log; utk28)")
    args = parser.parse_args()

    from edge.cache import load_images
    from edge.datasets import load_dataset
    from edge.owned_folder import OwnedFolder
    from edge.preprocess import to_model_input
    from edge.splits import holdout_split
    from edge.targets import targets_for
    from edge.tflite_meta import embed_spec, read_spec, strip_appended_archive
    from edge.export.calibrate import fit_calibration

    model_path = args.assets / "model.tflite"
    spec = read_spec(model_path)
    records = load_dataset(args.data, "utkface").records
    split = holdout_split(records, test_frac=0.15, val_frac=0.1, seed=42)  # train.config's defaults, --split-seed 42
    val = [records[i] for i in split.val]
    images = load_images(val, spec)
    bare = strip_appended_archive(model_path.read_bytes())
    calibrated = fit_calibration(bare, spec, to_model_input(images.images, spec),
                                 targets_for(images.records, spec.label_scheme), print)
    model_bytes = embed_spec(bare, calibrated)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model_int8_qat.tflite").write_bytes(model_bytes)
    (args.out / "split.json").write_text(json.dumps({
        "data": str(args.data.resolve()), "kind": "utkface", "extra_data": [],
        "paths": [r.path for r in records], **{k: v for k, v in split.to_dict().items() if k != "name"}}))
    print(f"calibrated copy and its test split ({len(split.test):,} faces): {args.out}")
    _write_card(args, model_bytes, calibrated, [records[i] for i in split.test])
    if args.write_assets:
        folder = OwnedFolder(args.assets, "--android-assets")
        files = {name: (args.assets / name).read_bytes() for name in folder.owned}
        files.update({"model.tflite": model_bytes, "spec.json": (calibrated.to_json() + "\n").encode()})
        folder.write(files)
        print(f"android assets updated: {args.assets}")


def _write_card(args, model_bytes: bytes, spec, test_records) -> None:
    """The shipped file's model card (docs/MODEL_CARD.md), from its test split: metrics and groups with intervals."""
    from datetime import datetime, timezone

    from edge.cache import load_images
    from edge.decode import decode_outputs
    from edge.groups import disaggregate, group_labels
    from edge.metrics import label_metrics
    from edge.preprocess import to_model_input
    from edge.runtime import TFLiteModel
    from edge.targets import targets_for
    from edge.export.card import write_model_card

    images = load_images(test_records, spec)
    truth = targets_for(images.records, spec.label_scheme)
    decoded = decode_outputs(spec, TFLiteModel(model_bytes).run(to_model_input(images.images, spec)))
    groups = disaggregate({"shipped": decoded}, truth, group_labels(images.records, truth), "shipped", None, 100)
    metrics = label_metrics(decoded, truth.age_class, truth.age_years, truth.gender, len(spec.age_class_names))
    report = {"run_dir": "benchmarks/accuracy.sh: mobile-utk-s42 (UTKFace, --split-seed 42), calibrated on its validation faces",
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "parameters": args.parameters,
              "command": "benchmarks/calibrate_shipped.py", "check_images": len(images.records),
              "models": {"int8_qat": {"size_bytes": len(model_bytes)}},
              "checks": {"int8_qat": metrics, "by_group": groups.to_dict()}}
    config = {"data": "UTKFace", "kind": "utkface", "seed": 42, "epochs": 40, "extra_data": []}
    write_model_card(args.card, report, config, spec)
    print(f"model card: {args.card}")


if __name__ == "__main__":
    main()
