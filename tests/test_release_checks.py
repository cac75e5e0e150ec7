"""Checks that tell the truth: one release gate for export, validate and pipeline; a fold whose
Keras model is damaged loses only its Keras column; a full disk names where it happened."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from edge import layout
from edge.app.validate import ValidateOptions, _gate
from edge.gate import DEFAULT_MAX_GENDER_DROP, DEFAULT_MAX_MAE_INCREASE, GatePolicy
from edge.export.options import ExportOptions
from tests.conftest import run_cli
from tests.helpers import one_line_error, tmpfs


def _metrics(gender: float, mae: float) -> dict:
    return {"gender_accuracy": gender, "age_mae_years": mae}


def test_export_validate_and_pipeline_share_one_release_gate():
    """The same int8 model on the same faces passes or fails the same in every command."""
    export, validate = ExportOptions(), ValidateOptions(data=Path("."))
    assert export.gate == validate.gate == GatePolicy()
    assert (export.gate.max_gender_drop, export.gate.max_mae_increase) == (DEFAULT_MAX_GENDER_DROP, DEFAULT_MAX_MAE_INCREASE)
    reference = _metrics(0.900, 5.00)
    for candidate, passes in ((_metrics(0.895, 5.16), True), (_metrics(0.880, 5.00), False), (_metrics(0.9, 5.3), False)):
        exported = not export.gate.failures(candidate, reference)
        validated, _ = _gate({"int8_qat": candidate, "float32": reference}, "float32", validate)
        assert exported == validated == passes
    import typer.main

    from edge.app.cli import app

    commands = typer.main.get_command(app).commands
    for command in ("export", "validate"):
        defaults = {p.opts[0]: p.default for p in commands[command].params}
        assert defaults["--max-gender-drop"] == DEFAULT_MAX_GENDER_DROP, command
        assert defaults["--max-mae-increase"] == DEFAULT_MAX_MAE_INCREASE, command


def test_a_fold_whose_keras_model_is_damaged_still_validates(tmp_path, exported_run, utkface_dir):
    """A --folds export whose fold_1 model.keras is cut short: a warning, the TFLite models still compared."""
    export = exported_run("mobile")
    run = tmp_path / "kf"
    for fold in ("fold_0", "fold_1"):
        shutil.copytree(export.parent, run / layout.FOLDS_DIR / fold, ignore=shutil.ignore_patterns("export"))
        target = run / "export" / layout.FOLDS_DIR / fold
        shutil.copytree(export, target, ignore=shutil.ignore_patterns(layout.VALIDATION_DIR))
        report = json.loads((target / layout.EXPORT_REPORT).read_text())
        report["run_dir"] = str(run / layout.FOLDS_DIR / fold)
        (target / layout.EXPORT_REPORT).write_text(json.dumps(report))
    keras = run / layout.FOLDS_DIR / "fold_1" / layout.MODEL_KERAS
    keras.write_bytes(keras.read_bytes()[:1000])

    result = run_cli("validate", run / "export", "--data", utkface_dir, "--threads", "1", "--max-images", "40",
                     "--max-gender-drop", "100", "--max-mae-increase", "100")

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "not averaged across folds (missing in some fold): keras" in result.output
    summary = json.loads((run / "export" / layout.VALIDATION_DIR / "validation.json").read_text())
    assert "int8_qat" in summary["mean_std"] and "keras" not in summary["mean_std"]


def test_a_full_disk_names_the_location(tmp_path, trained_run):
    with tmpfs(tmp_path / "full", size="300k") as full:
        result = run_cli("export", trained_run("mobile"), "--int8", "--out", full / "export",
                         "--max-gender-drop", "100", "--max-mae-increase", "100")
        one_line_error(result, "no space left on the device", str(full))
        assert "(file system)" not in result.output
