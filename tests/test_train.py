"""`edge train` on real data: every family, the run directory, k-fold, resume, mirrored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from edge.spec import Spec
from tests.conftest import PROJECT_ROOT, run_cli

RUN_FILES = ("model.keras", "spec.json", "config.json", "split.json", "history.json", "history.csv",
             "learning_curves.png", "metrics.json")


def _assert_complete_run(run: Path, epochs: int) -> dict:
    for name in RUN_FILES:
        assert (run / name).is_file(), f"{name} missing in {run}"
    assert cv2.imread(str(run / "learning_curves.png")) is not None
    assert list((run / "tensorboard").rglob("events.out.tfevents*")), "no TensorBoard logs"
    history = json.loads((run / "history.json").read_text())
    assert len(history["loss"]) == epochs
    assert (run / "history.csv").read_text().count("\n") == epochs + 1
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["faces"] == metrics["split"]["test"] > 0
    _assert_share_of(metrics["gender_accuracy"], metrics["faces"])
    return metrics


def _assert_share_of(value: float, faces: int) -> None:
    """A rate over the test faces is a count of faces divided by their number (not just any number in 0..1)."""
    assert 0 <= value <= 1 and abs(value * faces - round(value * faces)) < 1e-6, (value, faces)


@pytest.mark.parametrize("family", ["mobile", "cnn", "fcn2hot", "tuple"])
def test_every_family_trains_into_a_complete_run_directory(trained_run, family):
    run = trained_run(family)
    config = json.loads((run / "config.json").read_text())
    metrics = _assert_complete_run(run, config["epochs"])
    spec = Spec.load(run / "spec.json")
    assert spec.family == family and spec.outputs
    assert cv2.imread(str(run / "confusion_matrix.png")) is not None
    for key in ("age_exact_accuracy", "age_1off_accuracy", "age_mae_years", "parameters",
                "train_images_per_s", "input_pipeline_images_per_s"):
        assert key in metrics
    support = metrics["age_per_class"]["support"]  # every test face with an age class is counted once
    assert sum(support) == metrics["faces"] and len(support) == len(spec.age_class_names)
    _assert_share_of(metrics["age_exact_accuracy"], metrics["faces"])
    if family == "fcn2hot":
        _assert_share_of(metrics["undefined_rate"], metrics["faces"])
        assert spec.outputs[0].width == 10 and spec.decoding["undefined_age_threshold"] == 0.25
    if family == "tuple":
        thresholds = spec.decoding["tuple_age_thresholds"]
        assert len(thresholds) == 7 and thresholds == sorted(thresholds)


def test_kfold_on_adience_uses_its_five_folds(adience_dir, tmp_path):
    out = tmp_path / "kfold"
    result = run_cli("train", "--data", adience_dir, "--model", "tuple", "--folds", "5", "--epochs", "1",
                     "--max-images", "300", "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "metrics.json").read_text())
    assert sorted(summary["folds"]) == [f"fold_{k}" for k in range(5)]
    assert set(summary["mean_std"]["gender_accuracy"]) == {"mean", "std"}
    for fold in range(5):
        _assert_complete_run(out / "folds" / f"fold_{fold}", 1)
    assert (out / "fold_curves.png").is_file()


def test_regression_labels_train_a_years_output(utkface_dir, tmp_path):
    result = run_cli("train", "--data", utkface_dir, "--model", "cnn", "--labels", "age", "--width", "8",
                     "--depth", "3", "--epochs", "1", "--max-images", "200", "--out", tmp_path / "age")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "age" / "metrics.json").read_text())
    assert "age_mae_years" in metrics and "age_exact_accuracy" not in metrics


def test_bad_options_are_one_line_errors(utkface_dir, tmp_path):
    result = run_cli("train", "--data", utkface_dir, "--model", "resnet9000", "--out", tmp_path / "x")
    # --model is a choice (typer lists the registered families in --help and in this usage error)
    assert result.exit_code == 2 and "resnet9000" in result.output and "mobile" in result.output
    result = run_cli("train", "--data", utkface_dir, "--model", "fcn2hot", "--labels", "age", "--epochs", "1",
                     "--max-images", "100", "--out", tmp_path / "y")
    assert result.exit_code == 2 and "classifies age groups" in result.output
    result = run_cli("train", "--data", utkface_dir, "--resume", "--out", tmp_path / "never")
    assert result.exit_code == 2 and "nothing to resume" in result.output


def _edge(*args) -> list[str]:
    return [sys.executable, "-m", "edge.app.cli", *[str(a) for a in args]]


def _wait_for_epoch(state: Path, process: subprocess.Popen, epoch: int, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if state.is_file() and json.loads(state.read_text())["epoch"] >= epoch:
            return
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.05)
    raise AssertionError(f"epoch {epoch} never completed")


def test_resume_after_sigkill_mid_epoch_completes_the_run(utkface_dir, tmp_path):
    out = tmp_path / "killed"
    args = ["train", "--data", utkface_dir, "--model", "mobile", "--epochs", "4", "--max-images", "600",
            "--out", out]
    process = subprocess.Popen(_edge(*args), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    state = out / "checkpoint" / "state.json"
    _wait_for_epoch(state, process, 1)
    time.sleep(0.3)  # now inside epoch 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads(state.read_text())
    assert killed_at["epoch"] < 4 and not (out / "metrics.json").exists()

    resumed = subprocess.run(_edge(*args, "--resume"), cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resumed after epoch {killed_at['epoch']} (optimizer step {killed_at['optimizer_step']})" in resumed.stdout
    _assert_complete_run(out, 4)
    final = json.loads(state.read_text())
    steps_per_epoch = killed_at["optimizer_step"] // killed_at["epoch"]
    assert final["epoch"] == 4 and final["optimizer_step"] == 4 * steps_per_epoch


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(utkface_dir, tmp_path):
    out = tmp_path / "interrupted"
    process = subprocess.Popen(_edge("train", "--data", utkface_dir, "--model", "mobile", "--epochs", "30",
                                     "--max-images", "600", "--out", out),
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for_epoch(out / "checkpoint" / "state.json", process, 1)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "continue with: edge train --resume" in output
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epoch"] >= 1


def test_mirrored_strategy_trains_on_two_logical_cpus(utkface_dir, tmp_path):
    out = tmp_path / "mirrored"
    result = subprocess.run(_edge("train", "--data", utkface_dir, "--model", "cnn", "--width", "8", "--depth", "3",
                                  "--epochs", "1", "--max-images", "300", "--strategy", "mirrored",
                                  "--cpu-devices", "2", "--out", out),
                            cwd=PROJECT_ROOT, capture_output=True, text=True, env={**os.environ})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MirroredStrategy over 2 replicas" in result.stdout
    _assert_complete_run(out, 1)


def test_class_weight_balanced_and_mixed_precision_on_cpu(adience_dir, tmp_path):
    result = run_cli("train", "--data", adience_dir, "--model", "tuple", "--epochs", "1", "--max-images", "300",
                     "--class-weight", "balanced", "--mixed-precision", "--out", tmp_path / "weighted")
    assert result.exit_code == 0, result.output
    weights = dict(part.rsplit(" ", 1) for part in
                   result.output.split("class weights (balanced): ")[1].splitlines()[0].split(", "))
    # the rare old groups weigh more than the common young ones
    assert float(weights["60+"]) > float(weights["8-12"])
    assert "--mixed-precision ignored: no GPU visible" in result.output


def test_init_from_another_run_copies_matching_layers(trained_run, adience_dir, tmp_path):
    source = trained_run("mobile")  # trained on UTKFace with 20 age groups
    result = run_cli("train", "--data", adience_dir, "--model", "mobile", "--epochs", "1", "--max-images", "200",
                     "--init-from", source, "--out", tmp_path / "transfer")
    assert result.exit_code == 0, result.output
    assert "kept fresh: age" in result.output and "initialised" in result.output
    result = run_cli("train", "--data", adience_dir, "--model", "tuple", "--epochs", "1", "--max-images", "200",
                     "--init-from", source, "--out", tmp_path / "mismatch")
    assert result.exit_code == 2 and "no layer matches" in result.output
