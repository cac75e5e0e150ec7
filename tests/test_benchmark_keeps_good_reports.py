"""``edge benchmark`` checks its inputs and output location before measuring, and never replaces a good
report with one in which no model could be measured (issue 24 row N17)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers import one_line_error

FAST = ("--runs", "2", "--warmup", "0", "--threads", "1")


@pytest.fixture
def export_copy(exported_run, tmp_path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(exported_run("mobile"), target)
    return target


@pytest.mark.slow
def test_a_bad_photo_or_out_location_fails_before_measuring(export_copy, tmp_path):
    not_an_image = tmp_path / "notimage.jpg"
    not_an_image.write_text("a text file named like a photo")
    started = time.perf_counter()
    result = run_cli("benchmark", export_copy, *FAST, "--photo", not_an_image)
    one_line_error(result, str(not_an_image), "not a decodable image")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    in_the_way = run_cli("benchmark", export_copy, *FAST, "--out", blocker)
    one_line_error(in_the_way, str(blocker))
    assert "measuring" not in result.output + in_the_way.output
    assert time.perf_counter() - started < 20  # refused up front, not after every model ran
    assert not (export_copy / "benchmark.json").exists()


@pytest.mark.slow
def test_an_all_error_result_keeps_the_previous_report_and_fails(export_copy, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for model in export_copy.glob("*.tflite"):  # every model cut short: none can be measured
        (damaged / model.name).write_bytes(model.read_bytes()[:4096])
    (damaged / "benchmark.json").write_text('{"the previous": "good report"}')
    (damaged / "benchmark.png").write_bytes(b"the previous plot")
    result = run_cli("benchmark", damaged, *FAST)
    assert result.exit_code == 1, result.output
    assert "were not written" in " ".join(result.output.split())
    assert (damaged / "benchmark.json").read_text() == '{"the previous": "good report"}'
    assert (damaged / "benchmark.png").read_bytes() == b"the previous plot"
