"""`edge validate`: metric definitions, reports, the release gate, runtime-only operation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge.decode import Decoded, decode_outputs, learn_tuple_thresholds
from edge.metrics import agreement, label_metrics
from edge.spec import OutputSpec, Spec
from edge.gate import GatePolicy
from edge.app.validate import ValidateOptions, _gate, markdown_table
from tests.conftest import BLOCK_TF, LOOSE_GATE, PROJECT_ROOT, run_cli


# --- the printed table -------------------------------------------------------------------------
def _table_report(models: dict, reference: str) -> dict:
    latency = {"median_ms": 1.0, "p90_ms": 1.2, "images_per_s": 1000.0}
    return {"reference": reference, "threads": 2,
            "models": {name: {**metrics, "size_bytes": 1024, "latency_1_thread": latency, "latency_2_threads": latency}
                       for name, metrics in models.items()}}


def test_table_gives_qat_minus_float_and_no_delta_column_for_one_file():
    both = markdown_table(_table_report({"float32": {"gender_accuracy": 0.93, "age_mae_years": 4.70},
                                         "int8_qat": {"gender_accuracy": 0.92, "age_mae_years": 4.75}}, "float32"))
    assert "| metric | float32 | int8_qat | QAT - float32 |" in both
    assert "| gender accuracy | 93.00% | 92.00% | -1.00 pp |" in both and "| +0.050 |" in both
    # a bare file is its own reference: no "QAT - model_int8_qat" column of empty cells
    alone = markdown_table(_table_report({"model_int8_qat": {"gender_accuracy": 0.92}}, "model_int8_qat"))
    assert "QAT -" not in alone and "| gender accuracy | 92.00% |" in alone
    assert all(row.count("|") == 3 for row in alone.splitlines()), alone


# --- metric functions against hand-computed cases ----------------------------------------------
def test_label_metrics_hand_computed():
    decoded = Decoded(age_class=np.array([0, 1, 3, 2, -1]), age_years=np.array([2.0, 7.0, 17.0, 12.0, 30.0]),
                      gender=np.array([0, 1, 1, 0, -1]), gender_prob=np.zeros(5))
    truth_class = np.array([0, 2, 3, -1, 1])
    truth_years = np.array([1.0, 10.0, 17.0, np.nan, 5.0])
    truth_gender = np.array([0, 0, 1, 0, 1])
    metrics = label_metrics(decoded, truth_class, truth_years, truth_gender, num_classes=4)
    assert metrics["gender_accuracy"] == pytest.approx(3 / 5)  # the undefined (-1) counts as wrong
    assert metrics["age_exact_accuracy"] == pytest.approx(2 / 4)  # unknown truth (-1) excluded
    assert metrics["age_1off_accuracy"] == pytest.approx(3 / 4)  # 1 vs 2 is one off; undefined is wrong
    assert metrics["age_mae_years"] == pytest.approx((1 + 3 + 0 + 25) / 4)
    assert agreement(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75


def test_group_age_is_the_expected_value_over_group_centers():
    spec = Spec.create("adience8").with_updates(outputs=(OutputSpec("age", "age_softmax", 8),
                                                         OutputSpec("gender", "gender_sigmoid", 1)))
    probs = np.zeros((1, 8))
    probs[0, 0], probs[0, 4] = 0.5, 0.5  # half 0-2 (center 1), half 25-32 (center 28.5)
    decoded = decode_outputs(spec, {"age": probs, "gender": np.array([[0.7]])})
    assert decoded.age_years[0] == pytest.approx(14.75)
    assert decoded.gender[0] == 1 and decoded.age_class[0] == 0


def test_two_hot_undefined_rule():
    spec = Spec.create("adience8").with_updates(outputs=(OutputSpec("age_gender", "age_gender_2hot", 10),),
                                                decoding={"undefined_age_threshold": 0.25,
                                                          "undefined_gender_threshold": 0.6})
    clean = [0, 0, 0.9, 0.1, 0, 0, 0, 0, 0.2, 0.8]
    flat_age = [0.125] * 8 + [0.1, 0.9]
    unsure_gender = [0, 0, 0.9, 0.1, 0, 0, 0, 0, 0.45, 0.55]
    decoded = decode_outputs(spec, {"age_gender": np.array([clean, flat_age, unsure_gender])})
    assert decoded.undefined.tolist() == [False, True, True]
    assert decoded.age_class.tolist() == [2, 0, 2] and decoded.gender.tolist() == [1, 1, 1]  # argmax kept
    assert decoded.labels(spec, 0)["age_group"] == "8-12" and decoded.labels(spec, 1)["undefined"]
    metrics = label_metrics(decoded, np.array([2, 0, 3]), np.array([10.0, 1.0, 17.5]), np.array([1, 0, 1]), 8)
    assert metrics["undefined_rate"] == pytest.approx(2 / 3)
    assert metrics["gender_accuracy"] == pytest.approx(2 / 3) and metrics["gender_accuracy_defined"] == 1.0
    assert metrics["age_exact_accuracy"] == pytest.approx(2 / 3) and metrics["age_exact_accuracy_defined"] == 1.0


def test_tuple_thresholds_are_learned_from_class_medians():
    values = np.array([0.1, 0.2, 1.2, 0.9, 2.8, 3.1])
    classes = np.array([0, 0, 1, 1, 2, 2])
    learned = learn_tuple_thresholds(values, classes, np.array([0.1, 0.2, 0.9, 0.8, 0.3, 0.7]),
                                     np.array([0, 0, 1, 1, 0, 1]), num_classes=3)
    assert learned["tuple_age_thresholds"] == pytest.approx([0.6, 2.0])
    spec = Spec.create("adience8").with_updates(outputs=(OutputSpec("age_gender", "age_gender_tuple", 2),),
                                                decoding=learned)
    decoded = decode_outputs(spec, {"age_gender": np.array([[0.59, 0.1], [0.61, 0.9], [5.0, 0.5]])})
    assert decoded.age_class.tolist() == [0, 1, 2]


def test_gate_boundaries():
    options = ValidateOptions(data=Path("."), gate=GatePolicy(max_gender_drop=0.5, max_mae_increase=0.15))
    float_model = {"gender_accuracy": 0.900, "age_mae_years": 6.00}
    assert _gate({"float32": float_model, "int8_qat": {"gender_accuracy": 0.896, "age_mae_years": 6.14}},
                 "float32", options)[0]
    passed, reason = _gate({"float32": float_model, "int8_qat": {"gender_accuracy": 0.894, "age_mae_years": 6.0}},
                           "float32", options)
    assert not passed and "0.60 pp below float" in reason
    passed, reason = _gate({"float32": float_model, "int8_qat": {"gender_accuracy": 0.9, "age_mae_years": 6.2}},
                           "float32", options)
    assert not passed and "0.20 years above float" in reason


# --- the harness on real exports ----------------------------------------------------------------
@pytest.fixture(scope="module")
def learned_fcn2hot(adience_dir, tmp_path_factory):
    """An fcn2hot that has learned something (seconds for this net), exported with --int8.

    The session's 2-epoch runs are near-constant predictors: on them even a broken int8 model
    scores like float, so the gate tests need a model with real signal.
    """
    run = tmp_path_factory.mktemp("learned") / "fcn2hot"
    result = run_cli("train", "--data", adience_dir, "--model", "fcn2hot", "--epochs", "20", "--max-images", "1500",
                     "--out", run)
    assert result.exit_code == 0, result.output
    result = run_cli("export", run, "--int8", "--qat-epochs", "1", *LOOSE_GATE)
    assert result.exit_code == 0, result.output
    return run


def test_validate_writes_reports_and_follows_the_gate(learned_fcn2hot, adience_dir, tmp_path):
    export = learned_fcn2hot / "export"
    report_dir = tmp_path / "report"
    result = run_cli("validate", export, "--data", adience_dir, "--threads", "2", "--report", report_dir)
    report = json.loads((report_dir / "validation.json").read_text())
    assert set(report["models"]) >= {"keras", "float32", "int8_ptq", "int8_qat"}
    assert report["runtime"] == "ai_edge_litert" and report["faces"] > 0
    qat = report["models"]["int8_qat"]
    for key in ("gender_accuracy", "age_exact_accuracy", "age_1off_accuracy", "age_mae_years", "undefined_rate",
                "gender_agreement_vs_float", "age_agreement_vs_float", "mean_abs_output_diff_vs_float", "age_per_class"):
        assert key in qat, key
    for key in ("median_ms", "p90_ms", "images_per_s"):
        assert qat["latency_1_thread"][key] > 0 and qat["latency_2_threads"][key] > 0
    drop = (report["models"]["float32"]["gender_accuracy"] - qat["gender_accuracy"]) * 100
    increase = qat["age_mae_years"] - report["models"]["float32"]["age_mae_years"]
    expected_pass = drop <= 0.5 and increase <= 0.15
    assert result.exit_code == (0 if expected_pass else 1), result.output
    assert report["gate"]["passed"] == expected_pass
    markdown = (report_dir / "validation.md").read_text()
    assert "| metric | keras | float32 | int8_ptq | int8_qat | QAT - float32 |" in markdown
    ratio = report["int8_qat_over_float32_latency_1_thread"]
    assert ratio == pytest.approx(qat["latency_1_thread"]["median_ms"]
                                  / report["models"]["float32"]["latency_1_thread"]["median_ms"])
    assert ("SLOWER than float32" if ratio > 1 else "faster than float32") in markdown
    for png in ("confusion_float_vs_qat.png", "accuracy_vs_size_latency.png"):
        assert (report_dir / png).stat().st_size > 5000
    lenient = run_cli("validate", export, "--data", adience_dir, "--max-drop-gender", "100", "--max-increase-mae",
                      "100", "--report", tmp_path / "lenient", "--no-keras")
    assert lenient.exit_code == 0 and "gate passed" in lenient.output


def test_gate_fails_on_an_int8_model_calibrated_on_noise(learned_fcn2hot, adience_dir, tmp_path):
    from edge.tf_bootstrap import import_tf

    _, keras = import_tf()
    import edge.train.losses  # noqa: F401
    from edge.export.convert import convert, map_outputs
    from edge.tflite_meta import embed_spec

    run = learned_fcn2hot
    broken = tmp_path / "broken_export"
    shutil.copytree(run / "export", broken, ignore=shutil.ignore_patterns("validation"))
    spec = Spec.load(run / "spec.json")
    model = keras.models.load_model(run / "model.keras", compile=False)
    noise = np.random.default_rng(0).uniform(0, 0.02, (64, *spec.input_shape)).astype(np.float32)
    model_bytes = convert(model, "int8", noise)  # ranges fit dark noise: real faces saturate the input
    check = noise[:8]
    keras_outputs = {spec.outputs[0].name: model.predict(check, verbose=0)}
    broken_spec, _ = map_outputs(model_bytes, spec, keras_outputs, check, None)
    (broken / "model_int8_qat.tflite").write_bytes(embed_spec(model_bytes, broken_spec))
    result = run_cli("validate", broken, "--data", adience_dir, "--no-keras", "--report", tmp_path / "r")
    assert result.exit_code == 1, result.output
    assert "gate FAILED: QAT int8 gender accuracy is" in result.output
    report = json.loads((tmp_path / "r" / "validation.json").read_text())
    assert report["models"]["float32"]["gender_accuracy"] > 0.6  # the float model itself is fine


def test_bare_tflite_and_all_split(exported_run, adience_dir, tmp_path):
    model = exported_run("tuple") / "model_int8_qat.tflite"
    result = run_cli("validate", model, "--data", adience_dir, "--split", "all", "--max-images", "60",
                     "--report", tmp_path / "bare")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "bare" / "validation.json").read_text())
    assert list(report["models"]) == ["model_int8_qat"] and report["faces"] == 60


def test_runs_with_only_the_runtime_installed(exported_run, adience_dir, tmp_path):
    """Block TensorFlow imports entirely: validate must still run and never import it."""
    export = exported_run("tuple")
    code = BLOCK_TF + f"""
from typer.testing import CliRunner
from edge.app.cli import app
result = CliRunner().invoke(app, ['validate', r'{export}', '--data', r'{adience_dir}', '--report', r'{tmp_path / "rt"}',
                                  '--max-drop-gender', '100', '--max-increase-mae', '100'])
print(result.output)
assert result.exit_code == 0, result.output
assert not [m for m in sys.modules if m.startswith('tensorflow')]
"""
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((tmp_path / "rt" / "validation.json").read_text())
    assert "keras" not in report["models"] and report["runtime"] == "ai_edge_litert"


def test_fold_mode_reports_mean_and_std(adience_dir, tmp_path):
    run = tmp_path / "folds"
    result = run_cli("train", "--data", adience_dir, "--model", "tuple", "--folds", "5", "--epochs", "1",
                     "--max-images", "300", "--out", run)
    assert result.exit_code == 0, result.output
    result = run_cli("export", run)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (run / "export" / "folds").iterdir()) == [f"fold_{k}" for k in range(5)]
    result = run_cli("validate", run / "export", "--data", adience_dir, "--report", tmp_path / "fr")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "fr" / "validation.json").read_text())
    assert sorted(report["folds"]) == [f"fold_{k}" for k in range(5)]
    assert set(report["mean_std"]["float32"]["gender_accuracy"]) == {"mean", "std"}
    for fold, fold_report in report["folds"].items():
        assert fold_report["faces"] > 0


def test_validate_errors_are_one_line(tmp_path, adience_dir):
    result = run_cli("validate", tmp_path / "none", "--data", adience_dir)
    assert result.exit_code == 2 and "export not found" in result.output
