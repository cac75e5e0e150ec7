"""``edge predict --annotate`` never writes over an input or over a file it did not write (issue 24 row N3).

Ownership of the annotation folder is proven by its ``.edge-annotations`` marker (each file edge wrote,
with its SHA-256), never guessed from names. Everything here runs the real CLI on real UTKFace chips.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.app.predict import ANNOTATIONS_MARKER
from tests.conftest import run_cli
from tests.test_detect import compose_frame, real_chips


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded(folder: Path) -> dict[str, str]:
    lines = (folder / ANNOTATIONS_MARKER).read_text().splitlines()[1:]
    return {entry["file"]: entry["sha256"] for entry in map(json.loads, lines)}


@pytest.fixture
def model(exported_run) -> Path:
    return exported_run("mobile") / "model_int8_qat.tflite"


@pytest.mark.slow
def test_an_input_inside_the_annotation_folder_is_never_replaced(model, utkface_dir, tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    holiday = album / "holiday.jpg"
    holiday.write_bytes(real_chips(utkface_dir, 1)[0].read_bytes())
    original = _digest(holiday)
    for _ in range(2):  # a second run replaces edge's own copy, and only that
        result = run_cli("predict", model, holiday, "--no-detect", "--annotate", album)
        assert result.exit_code == 0, result.output
        assert _digest(holiday) == original
    assert sorted(p.name for p in album.iterdir()) == sorted([".edge-annotations", "holiday.jpg", "holiday_annotated.jpg"])
    assert _recorded(album) == {"holiday_annotated.jpg": _digest(album / "holiday_annotated.jpg")}


@pytest.mark.slow
def test_two_inputs_with_the_same_name_get_distinct_copies(model, utkface_dir, tmp_path):
    first, second = real_chips(utkface_dir, 2)
    for folder, chip in (("a", first), ("b", second)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "face.jpg").write_bytes(chip.read_bytes())
    out = tmp_path / "out"
    result = run_cli("predict", model, tmp_path / "a" / "face.jpg", tmp_path / "b" / "face.jpg", "--no-detect", "--annotate", out)
    assert result.exit_code == 0, result.output
    copies = sorted(p.name for p in out.glob("*.jpg"))
    assert copies == ["face.jpg", "face_annotated.jpg"]
    first_copy, second_copy = (cv2.imread(str(out / name)) for name in copies)
    assert np.abs(first_copy.astype(int) - second_copy.astype(int)).max() > 50  # two faces, not one twice


@pytest.mark.slow
def test_files_edge_did_not_write_are_kept_whatever_their_names(model, utkface_dir, tmp_path):
    chip = real_chips(utkface_dir, 1)[0]
    stem = Path(chip.name).stem
    out = tmp_path / "out"
    out.mkdir()
    mine = out / chip.name  # the very name edge would give the copy
    mine.write_text("my own file, not edge's")
    result = run_cli("predict", model, chip, "--no-detect", "--annotate", out)
    assert result.exit_code == 0, result.output
    assert mine.read_text() == "my own file, not edge's"
    edge_copy = out / f"{stem}_annotated.jpg"
    assert _recorded(out) == {edge_copy.name: _digest(edge_copy)}
    # a file edge wrote, changed since by the user, is the user's now: kept, the copy goes beside it
    edge_copy.write_bytes(b"edited by the user")
    assert run_cli("predict", model, chip, "--no-detect", "--annotate", out).exit_code == 0
    assert edge_copy.read_bytes() == b"edited by the user" and mine.read_text() == "my own file, not edge's"
    assert (out / f"{stem}_annotated_2.jpg").is_file()
    # a marker that is not edge's is refused before anything is written
    (out / ANNOTATIONS_MARKER).write_text("my notes\n")
    refused = run_cli("predict", model, chip, "--no-detect", "--annotate", out)
    assert refused.exit_code == 2 and ANNOTATIONS_MARKER in refused.output
    assert (out / ANNOTATIONS_MARKER).read_text() == "my notes\n"


@pytest.mark.slow
def test_an_existing_annotated_video_of_the_user_is_kept(model, utkface_dir, tmp_path):
    frame, _ = compose_frame(real_chips(utkface_dir, 2), width=320, height=240, side=100)
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240))
    for shift in range(4):
        writer.write(np.roll(frame, shift * 8, axis=1))
    writer.release()
    out = tmp_path / "out"
    out.mkdir()
    (out / "clip_annotated.mp4").write_text("the user's own edit")
    result = run_cli("predict", model, "--video", video, "--no-detect", "--annotate", out, "--json")
    assert result.exit_code == 0, result.output
    assert (out / "clip_annotated.mp4").read_text() == "the user's own edit"
    assert json.loads(result.stdout)["summary"]["annotated"] == str(out / "clip_annotated_2.mp4")
    assert int(cv2.VideoCapture(str(out / "clip_annotated_2.mp4")).get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert not list(out.glob(".*partial*"))
