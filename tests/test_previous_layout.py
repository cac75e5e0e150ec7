"""Run and export folders written by the previous version of edge still load, export and validate."""

from __future__ import annotations

import json
import shutil

import pytest

from edge.errors import EdgeError
from edge.layout import ExportDir, ModelKind, RunDir
from tests.conftest import PROJECT_ROOT, run_cli

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "previous_layout" / "run"
RECORDED_DATA = "/work/shared/data/utkface"  # where the fixture's faces were when it was made


def _relocated(tmp_path, utkface_dir):
    """The fixture copied, its dataset paths pointed at this machine's UTKFace."""
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    for name in ("config.json", "split.json", "export/split.json"):
        path = run / name
        path.write_text(path.read_text().replace(RECORDED_DATA, str(utkface_dir.resolve())))
    return run


def test_a_previous_run_exports_and_its_export_validates(tmp_path, utkface_dir):
    run = _relocated(tmp_path, utkface_dir)
    result = run_cli("validate", run / "export", "--data", utkface_dir, "--threads", "1", "--no-keras")
    assert result.exit_code == 0, result.output
    report = json.loads((run / "export" / "validation" / "validation.json").read_text())
    assert report["faces"] == 30 and "float32" in report["models"] and report["calibration"] is None

    result = run_cli("export", run)  # replaces the previous export: its .edge-export marker proves it is edge's
    assert result.exit_code == 0, result.output
    new = json.loads((run / "export" / "export_report.json").read_text())
    assert new["schema"] == "edge.export_report/2" and new["shipped_model"] == "model_float32.tflite"
    assert list(new["models"]) == ["float32"] and new["checks"]["gate"]["shipped"] == "float32"
    spec = json.loads((run / "export" / "spec.json").read_text())
    assert spec["decoding"]["tuple_age_thresholds"]  # the run's learned decoding carried into the new export
    photo = sorted(utkface_dir.iterdir())[0]
    assert run_cli("predict", FIXTURE / "export" / "model_float32.tflite", photo, "--json").exit_code == 0


def test_a_previous_export_report_reads_in_todays_names():
    """A report the previous version wrote (no schema, models keyed ``model_float32``) reads as /2: one name per model."""
    export = ExportDir(FIXTURE / "export")
    report = export.report()
    assert report["schema"] == "edge.export_report/2"
    assert list(report["models"]) == ["float32"] and {"keras", "float32"} <= set(report["checks"])
    assert report["checks"]["gate"]["shipped"] == "float32" and report["shipped_model"] == ModelKind.FLOAT32.file
    assert export.models() == {ModelKind.FLOAT32: FIXTURE / "export" / "model_float32.tflite"}
    assert not export.is_folds and export.split()["data"] == RECORDED_DATA


def test_typed_folders_name_every_file_and_find_folds(tmp_path):
    run = RunDir(FIXTURE)
    assert run.model_keras.is_file() and run.split_json.is_file() and run.default_export == FIXTURE / "export"
    assert not run.is_folds and run.folds() == []
    folds = RunDir(tmp_path)
    for name in ("fold_0", "fold_1", ".fold_2.staging-1-x"):  # a hidden staging folder is never a fold
        (folds.folds_dir / name).mkdir(parents=True)
    assert folds.is_folds and [fold.path.name for fold in folds.folds()] == ["fold_0", "fold_1"]
    (tmp_path / "model.keras").write_bytes(b"")  # a model at the top: a single run, not a folds run
    assert not folds.is_folds
    with pytest.raises(EdgeError, match="has no split.json"):
        folds.split()
