"""Run and export folders written by the previous version of edge still load, export and validate."""

from __future__ import annotations

import json
import shutil

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
    assert new["schema"] == "edge.export_report/1" and new["shipped_model"] == "model_float32.tflite"
    spec = json.loads((run / "export" / "spec.json").read_text())
    assert spec["decoding"]["tuple_age_thresholds"]  # the run's learned decoding carried into the new export
    photo = sorted(utkface_dir.iterdir())[0]
    assert run_cli("predict", FIXTURE / "export" / "model_float32.tflite", photo, "--json").exit_code == 0
