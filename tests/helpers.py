"""Checks the test files share: one-line errors, folder snapshots, fake runs, small or read-only disks."""

from __future__ import annotations

import hashlib
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from edge import layout
from tests.conftest import PROJECT_ROOT

EDGE = str(PROJECT_ROOT / ".venv" / "bin" / "edge") if (PROJECT_ROOT / ".venv" / "bin" / "edge").exists() else "edge"


def one_line_error(result, *needles: str) -> None:
    """Exit 2, no traceback, one error line containing every needle."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert errors, result.output
    for needle in needles:
        assert needle in " ".join(result.output.split()), result.output


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fake_run(path: Path) -> Path:
    """A directory that passes the 'finished run' check (the checks run before anything is loaded)."""
    path.mkdir(parents=True)
    for name in (layout.MODEL_KERAS, layout.SPEC_JSON, layout.CONFIG_JSON, layout.SPLIT_JSON):
        (path / name).write_text("{}")
    return path


@contextmanager
def tmpfs(path: Path, size: str = "256k", read_only: bool = False):
    """A small (or read-only) tmpfs: a real full disk / read-only file system. Skips where mount is refused."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
