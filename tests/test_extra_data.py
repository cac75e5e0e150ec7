"""More faces: `edge train --extra-data PATH` adds another dataset's faces to the training split only."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from edge.datasets import load_dataset
from edge.labels import ADIENCE8_RANGES
from tests.conftest import run_cli


def write_manifest(path: Path, records, gender: str | None = None, age_group: int | None = None) -> Path:
    """A CSV manifest of real faces; ``gender``/``age_group`` relabel every face (to see the labels being learned)."""
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "age", "gender"])
        for record in records:
            group = record.adience_group if age_group is None else age_group
            age = "" if group is None else "({}, {})".format(*ADIENCE8_RANGES[group])
            writer.writerow([record.path, age, gender or {0: "m", 1: "f", None: ""}[record.gender]])
    return path


def test_extra_faces_train_but_never_validate_or_test(utkface_dir, adience_dir, tmp_path):
    """Validation and test faces are exactly those of a run on --data alone; the extra faces only train,
    and what they are labelled is what the model learns: 400 Adience faces all labelled female and 60+
    outnumber UTKFace's real labels, so the model calls most UTKFace test faces female and old."""
    extra = write_manifest(tmp_path / "extra.csv", load_dataset(adience_dir).records[:400], gender="f", age_group=7)
    common = ("--data", utkface_dir, "--max-images", "150", "--img-size", "48", "--lr", "0.01", "--batch", "16")
    plain, more = tmp_path / "plain", tmp_path / "more"
    assert run_cli("train", *common, "--epochs", "1", "--out", plain).exit_code == 0
    result = run_cli("train", *common, "--epochs", "3", "--extra-data", extra, "--out", more)
    assert result.exit_code == 0, result.output
    extra_paths = {r.path for r in load_dataset(extra).records}  # (the manifest merges files with identical bytes)
    assert f"extra training faces: {len(extra_paths)} from" in " ".join(result.output.split())

    def parts(run: Path) -> dict[str, list[str]]:
        info = json.loads((run / "split.json").read_text())
        return {name: [info["paths"][i] for i in info[name]] for name in ("train", "val", "test")}

    before, after = parts(plain), parts(more)
    assert after["val"] == before["val"] and after["test"] == before["test"]
    assert set(after["train"]) == set(before["train"]) | extra_paths
    info = json.loads((more / "split.json").read_text())
    assert info["extra_data"] == [{"data": str(extra), "kind": "csv"}]
    assert json.loads((more / "config.json").read_text())["extra_data"] == [str(extra)]

    from edge.spec import Spec
    from edge.tf_bootstrap import import_tf, predict_outputs
    from edge.train.run_data import load_run_data, split_records

    assert len(split_records(more, "train")) == len(after["train"])
    _, keras = import_tf()
    spec = Spec.load(more / "spec.json")
    data = load_run_data(more, spec)  # export and validate rebuild the run's data from both sources
    assert len(data.paths) == len(info["paths"])
    outputs = predict_outputs(keras.models.load_model(more / "model.keras", compile=False), data.images[data.split.test], spec)
    gender = next(v for k, v in outputs.items() if "gender" in k).ravel()
    age = next(v for k, v in outputs.items() if "age" in k)
    assert gender.mean() > 0.7, gender.mean()  # about half the UTKFace test faces are male
    assert np.median(age.argmax(axis=1)) >= 10  # 60+ is a midpoint of 65 years: utk20 group 13


def test_extra_data_options_are_checked_before_anything_slow(utkface_dir, tmp_path):
    result = run_cli("train", "--data", utkface_dir, "--extra-data", tmp_path / "missing", "--out", tmp_path / "run")
    assert result.exit_code == 2 and "--extra-data" in result.output and "no such dataset" in result.output
    result = run_cli("train", "--data", utkface_dir, "--extra-data", utkface_dir, "--out", tmp_path / "run")
    assert result.exit_code == 2 and "is --data itself" in result.output
    teacher = tmp_path / "teacher.npz"
    teacher.write_bytes(b"")
    result = run_cli("train", "--data", utkface_dir, "--extra-data", tmp_path, "--teacher-labels", teacher,
                     "--out", tmp_path / "run")
    assert result.exit_code == 2 and "use one of the two" in result.output
    assert not (tmp_path / "run").exists()
