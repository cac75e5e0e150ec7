"""The CLI surface: help stays light, inspect reports the real datasets, errors are one line."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2

from tests.conftest import PROJECT_ROOT, run_cli


def test_help_never_imports_tensorflow():
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom edge.app.cli import app\n"
            "for args in (['--help'], ['train', '--help'], ['export', '--help'], ['data', 'inspect', '--help'],"
            " ['validate', '--help'], ['pipeline', '--help']):\n"
            "    result = CliRunner().invoke(app, args)\n"
            "    assert result.exit_code == 0, (args, result.output)\n"
            "heavy = [m for m in ('tensorflow', 'tf_keras', 'cv2', 'sklearn', 'matplotlib') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_inspect_utkface_reports_usable_and_skipped(utkface_dir, tmp_path):
    result = run_cli("data", "inspect", utkface_dir, "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["usable"] == 19_858 and report["skipped_total"] == 4
    assert report["skipped"]["malformed UTKFace name"]["count"] == 4
    assert sum(sum(v.values()) for v in report["age_gender_counts"].values()) == 19_858
    chart = cv2.imread(report["chart"])
    assert chart is not None and chart.shape[0] > 100


def test_inspect_adience_reports_per_fold_and_skip_reasons(adience_dir, tmp_path):
    result = run_cli("data", "inspect", adience_dir, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "usable images: 6,148" in result.output
    assert "fold_0 1,324" in result.output and "fold_4 1,216" in result.output
    assert "image not present" in result.output and "13,284" in result.output


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    result = run_cli("data", "inspect", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: dataset not found")
    assert "Traceback" not in result.output
    result = run_cli("data", "inspect", tmp_path, "--kind", "nonsense")
    assert result.exit_code == 2 and "unknown dataset kind" in result.output


def test_data_inspect_leaves_no_file_behind_without_out(utkface_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("data", "inspect", utkface_dir)
    assert result.exit_code == 0, result.output
    assert "add --out DIR" in result.output
    assert list(tmp_path.iterdir()) == []
