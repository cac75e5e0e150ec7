"""`make demo` tells the truth: the synthetic set is learnable, the demo's settings train a model that
learns it, the float / PTQ / QAT table compares models that learned, and the demo ends with the
exact commands for real data and for a phone."""

from __future__ import annotations

import json
import re
import shlex

import numpy as np
import pytest

from edge.app.synthetic import (DEMO_MAX_MAE_FRACTION_OF_CHANCE, DEMO_MIN_GENDER_ACCURACY, SMOKE_LABEL, chance_mae,
                            demo_learning_check, make_smoke_dataset, manifest_ages, next_steps)
from tests.conftest import PROJECT_ROOT, run_cli
from tests.test_readme import _parse


def test_the_demo_set_is_reproducible_and_labelled_synthetic(tmp_path):
    first = make_smoke_dataset(tmp_path / "a", count=40)
    second = make_smoke_dataset(tmp_path / "b", count=40)
    assert first.read_text() == second.read_text()
    assert all((tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
               for name in ("images/face_0000.png", "images/face_0039.png"))
    assert SMOKE_LABEL in (tmp_path / "a" / "README.txt").read_text()
    ages = manifest_ages(first)
    assert len(ages) == 40 and min(ages) >= 1 and max(ages) <= 90


def test_the_learning_check_fails_a_model_at_chance(tmp_path):
    manifest = make_smoke_dataset(tmp_path, count=200)
    chance = chance_mae(manifest_ages(manifest))
    assert 18 < chance < 27  # ages uniform over 1..90: about 22.5 years
    ok, line = demo_learning_check({"gender_accuracy": 0.51, "age_mae_years": chance}, manifest)
    assert not ok and "did NOT learn" in line
    ok, _ = demo_learning_check({"gender_accuracy": 0.99, "age_mae_years": chance * 0.5}, manifest)
    assert not ok  # gender alone is not learning the demo
    ok, line = demo_learning_check({"gender_accuracy": 0.95, "age_mae_years": 3.0}, manifest)
    assert ok and "the model learned" in line


def test_the_printed_next_commands_are_valid_edge_commands():
    commands = [line.split("  #")[0].strip() for line in next_steps(".venv/bin/edge") if line.startswith("  ")]
    assert len(commands) == 3
    for command in commands:
        args = shlex.split(command)
        assert args[0] == ".venv/bin/edge"
        _parse(args[1:])  # unknown options or commands fail here


@pytest.mark.slow
def test_make_demo_trains_a_model_that_learns(tmp_path):
    """Exactly what `make demo` runs (no options): the model learns, int8 models too, commands printed last."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    demo_args = shlex.split(makefile.split("demo: install\n\t$(BIN)/edge ")[1].splitlines()[0])
    assert demo_args[0] == "pipeline" and "--data" not in demo_args and "--epochs" not in demo_args
    out = tmp_path / "demo"
    args = [a if a != "runs/demo" else str(out) for a in demo_args]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert result.output.count("SMOKE DATASET") >= 2
    metrics = json.loads((out / "run" / "metrics.json").read_text())
    chance = chance_mae(manifest_ages(out / "smoke_data" / "manifest.csv"))
    assert metrics["gender_accuracy"] >= DEMO_MIN_GENDER_ACCURACY, metrics
    assert metrics["age_mae_years"] <= chance * DEMO_MAX_MAE_FRACTION_OF_CHANCE, (metrics, chance)
    assert "demo check: the model learned" in result.output

    report = json.loads((out / "run" / "export" / "validation" / "validation.json").read_text())
    models = report["models"]
    assert {"float32", "int8_ptq", "int8_qat"} <= set(models)
    for name in ("float32", "int8_ptq", "int8_qat"):  # the table compares models that learned, not coin flips
        assert models[name]["gender_accuracy"] >= DEMO_MIN_GENDER_ACCURACY, (name, models[name])
        assert models[name]["age_mae_years"] <= chance * DEMO_MAX_MAE_FRACTION_OF_CHANCE, (name, models[name])
    assert not np.isclose(models["int8_qat"]["age_mae_years"], chance)

    tail = result.output.strip().splitlines()[-5:]
    assert tail[0].startswith("Next, on real faces")
    assert re.search(r"edge pipeline --data \S+ --out runs/utk ", tail[1])
    assert "--android-assets" in tail[3] and " serve " in tail[4]
