"""``edge predict``'s exit codes tell the truth about inputs that yield no image, and paths are taken
as written (issue 24 rows N13, N14, N15).

An empty directory, a directory without images and an unreadable directory (given, or met inside
one) are rows of their own with a reason, counted, exit 1; a path read from stdin keeps its leading
and trailing spaces; a damaged video says how many of its frames could not be read and exits 1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edge.app.cli import app
from tests.conftest import PROJECT_ROOT, run_cli
from tests.test_detect import compose_frame, real_chips


@pytest.fixture
def model(exported_run) -> Path:
    return exported_run("mobile") / "model_int8_qat.tflite"


@pytest.mark.slow
def test_folders_that_yield_no_image_are_reported_and_fail(model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "readme.txt").write_text("no photos here")
    for folder, reason in ((empty, "no images in this directory"), (notes, "no images in this directory")):
        result = run_cli("predict", model, folder, "--json")
        assert result.exit_code == 1, result.output
        document = json.loads(result.stdout)
        assert [(i["file"], i["error"][:27]) for i in document["images"]] == [(str(folder), reason)]
        assert document["summary"]["failed"] == 1


def _without_root_override() -> list[str]:
    """A command prefix under which file permissions apply even to root (which reads any directory)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("capsh"):
        pytest.skip("running as root without capsh: an unreadable directory cannot be made")
    return ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", 'exec "$0" "$@"']


@pytest.mark.slow
def test_unreadable_folders_are_counted(model, utkface_dir, tmp_path):
    photos = tmp_path / "photos"
    (photos / "closed").mkdir(parents=True)
    (photos / "open.jpg").write_bytes(real_chips(utkface_dir, 1)[0].read_bytes())
    (photos / "closed" / "hidden.jpg").write_bytes(real_chips(utkface_dir, 1)[0].read_bytes())
    closed_top = tmp_path / "closed_top"
    closed_top.mkdir()
    (closed_top / "face.jpg").write_bytes(real_chips(utkface_dir, 1)[0].read_bytes())
    os.chmod(photos / "closed", 0)
    os.chmod(closed_top, 0)
    try:
        command = [*_without_root_override(), sys.executable, "-m", "edge.app.cli", "predict", str(model),
                   str(photos), str(closed_top), "--no-detect", "--json"]
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    finally:
        os.chmod(photos / "closed", 0o755)
        os.chmod(closed_top, 0o755)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    rows = {i["file"]: i["error"] for i in document["images"]}
    assert rows == {str(photos / "open.jpg"): None,
                    str(photos / "closed"): "unreadable directory (Permission denied)",
                    str(closed_top): "unreadable directory (Permission denied)"}
    assert document["summary"] == {"inputs": 3, "processed": 1, "failed": 2, "no_face": 0, "faces": 1}


@pytest.mark.slow
def test_paths_from_stdin_keep_their_spaces(model, utkface_dir, tmp_path):
    chips = real_chips(utkface_dir, 2)
    lead, trail = tmp_path / " lead space.jpg", tmp_path / "trail space.jpg "
    lead.write_bytes(chips[0].read_bytes())
    trail.write_bytes(chips[1].read_bytes())
    result = CliRunner().invoke(app, ["predict", str(model), "-", "--no-detect", "--json"],
                                input=f"{lead}\n{trail}\r\n")
    assert result.exit_code == 0, result.output
    assert [i["file"] for i in json.loads(result.stdout)["images"]] == [str(lead), str(trail)]


def _damaged_video(utkface_dir: Path, path: Path, frames: int = 30) -> Path:
    """A real mp4 (faces moving across a frame) with bytes flipped through its middle half."""
    frame, _ = compose_frame(real_chips(utkface_dir, 2), width=640, height=360)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 360))
    for shift in range(frames):
        writer.write(np.roll(frame, shift * 4, axis=1))
    writer.release()
    raw = bytearray(path.read_bytes())
    for position in range(len(raw) // 4, 3 * len(raw) // 4, 7):
        raw[position] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.slow
def test_a_damaged_video_says_how_many_frames_it_lost(model, utkface_dir, tmp_path):
    video = _damaged_video(utkface_dir, tmp_path / "corruptmid.mp4")
    result = run_cli("predict", model, "--video", video, "--no-detect", "--json")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["frames_in_file"] == 30 and 0 < summary["frames_read"] < 30
    assert summary["unread_frames"] == 30 - summary["frames_read"]
    assert f"{summary['unread_frames']} of its 30 frames could not be read" in " ".join(result.output.split())
