"""The browser demo, end to end in a real headless Chromium (web_demo/test/page.mjs drives it).

1. The web variant (export/web.py): uint8 I/O, batch 1, spec embedded with its own
   quantization, outputs bit-equal to the shipped int8 model in Python LiteRT.
2. Photo mode: every golden face gets golden.json's labels, the page's input tensor is within
   1 step of Python's and its dequantized outputs within 1 output step of Python LiteRT's.
3. Detection + crop: on a scene of real faces the page finds the faces Python's reference
   (edge.detect) finds, crops them with the same integer crop box, and classifies each crop
   within 1 step of Python.
4. Camera: Chromium's fake camera plays a .y4m of that scene; the page shows a labelled box
   per face.
5. A corrupt model, a model without spec and a photo without a face each show a clear message.
6. ``edge serve`` and ``edge export --web-assets`` from the command line.

Toolchain: Debian chromium, node + ``npm ci`` in web_demo/ (.ci/deps/web.sh). Outside CI the
tests skip when it is missing; under CI (CI=true) they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from edge.preprocess import decode_image, preprocess_file, resize_and_convert, to_model_input
from edge.runtime import TFLiteModel
from edge.tflite_meta import read_spec_bytes, strip_appended_archive
from tests.conftest import PROJECT_ROOT, run_cli

pytestmark = pytest.mark.slow

DEMO = PROJECT_ROOT / "web_demo"
DRIVER = DEMO / "test" / "page.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
LABEL = re.compile(r"^(Male|Female) \S+ \(\d\.\d\d\)$")
SCENE_FACES = 3


def _toolchain() -> None:
    missing = [what for what, ok in (("node", shutil.which("node")), (str(CHROMIUM), CHROMIUM.is_file()),
                                     ("web_demo/node_modules (npm ci)", (DEMO / "node_modules" / "playwright-core").is_dir()))
               if not ok]
    if missing:
        message = f"browser toolchain missing: {', '.join(missing)} (run .ci/deps/web.sh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- under CI a missing toolchain is an error")
        pytest.skip(message)


@pytest.fixture(scope="module")
def web_assets(exported_run, tmp_path_factory) -> Path:
    """The web variant of the session's small mobile export, made by the --web-assets code path."""
    _toolchain()
    from export.web import write_web_assets

    dest = tmp_path_factory.mktemp("web") / "assets"
    write_web_assets(exported_run("mobile"), dest, log=lambda message: None)
    return dest


@pytest.fixture(scope="module")
def page_url(web_assets):
    from edge.app.serve import make_server

    server = make_server(web_assets, port=0, quiet=True, log=lambda message: None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()


def drive(url: str, scenario: str, **args) -> dict:
    """Run one page scenario in a fresh headless Chromium; returns what the page shows."""
    result = subprocess.run(["node", str(DRIVER), url, scenario, json.dumps(args)], capture_output=True, text=True,
                            timeout=240, cwd=DEMO)
    assert result.returncode == 0, f"page driver failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert not shown["pageErrors"], shown["pageErrors"]
    return shown


def python_outputs(model: TFLiteModel, x: np.ndarray) -> dict[str, np.ndarray]:
    raw = model.run_raw(x)
    return {out.name: model.dequantize(out.tflite_index, raw[out.tflite_index]).reshape(-1) for out in model.spec.outputs}


def assert_within_one_step(model: TFLiteModel, page_result: dict, expected: dict[str, np.ndarray], what: str) -> None:
    for out in model.spec.outputs:
        step = out.quantization.scale
        difference = np.max(np.abs(np.asarray(page_result["dequantized"][out.name]) - expected[out.name]))
        assert difference <= step * 1.0001, f"{what}: output '{out.name}' differs by {difference / step:.2f} steps"


def box_iou(a, b) -> float:
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    ix = max(0.0, min(ax0 + aw, bx0 + bw) - max(ax0, bx0))
    iy = max(0.0, min(ay0 + ah, by0 + bh) - max(ay0, by0))
    return ix * iy / (aw * ah + bw * bh - ix * iy)


# --- 1. the web variant ----------------------------------------------------------------------------

def test_web_variant_is_uint8_batch_one_with_its_own_spec_and_equal_outputs(exported_run, web_assets):
    export = exported_run("mobile")
    manifest = json.loads((web_assets / "web_assets.json").read_text())
    web = TFLiteModel(web_assets / manifest["model"])
    shipped = TFLiteModel(export / "model_int8_qat.tflite")
    size = shipped.spec.image_size
    assert web.input["dtype"] == np.uint8 and list(web.input["shape"]) == [1, size, size, 3]
    assert list(web.input["shape_signature"]) == [1, size, size, 3]  # fixed batch: LiteRT.js needs it
    assert all(d["dtype"] == np.uint8 for d in web.output_details)
    # the spec rides inside, with the uint8 tensors' own quantization (zero point + 128)
    spec = read_spec_bytes((web_assets / manifest["model"]).read_bytes())
    assert spec.input_quantization.zero_point == shipped.spec.input_quantization.zero_point + 128
    for out, shipped_out in zip(spec.outputs, shipped.spec.outputs):
        assert out.quantization.scale == pytest.approx(shipped_out.quantization.scale)
        assert out.quantization.zero_point == shipped_out.quantization.zero_point + 128
    # scale 1/255 in, zero point 0: the input tensor is the raw pixel bytes
    assert manifest["input"]["raw_pixels"] == (spec.input_quantization.zero_point == 0)
    golden = json.loads((export / "golden.json").read_text())
    for face in golden["faces"]:
        x = preprocess_file(export / face["image"], spec)
        for out in spec.outputs:
            assert np.array_equal(python_outputs(web, x)[out.name], python_outputs(shipped, x)[out.name])
    for name in ("face_detector.tflite", "face_detector.json", "golden.json", "labels.txt"):
        assert (web_assets / name).is_file(), name


# --- 2. photo mode on the golden faces -------------------------------------------------------------

def test_page_classifies_every_golden_face_like_python(web_assets, page_url):
    golden = json.loads((web_assets / "golden.json").read_text())
    model = TFLiteModel(web_assets / "model.tflite")
    files = [str(web_assets / face["image"]) for face in golden["faces"]]
    shown = drive(page_url, "photos", files=files, whole=True)
    assert shown["state"] == "done" and not shown["message"], shown["message"]
    assert len(shown["results"]) == len(golden["faces"])
    for face, result in zip(golden["faces"], shown["results"]):
        name = Path(face["image"]).name
        assert result["source"] == name
        decoded = face["decoded"]
        label = result["label"]
        assert label.startswith(f"{decoded['gender'].capitalize()} {decoded['age_group']} ("), (name, label, decoded)
        assert LABEL.match(label), label
        x = preprocess_file(web_assets / face["image"], model.spec)
        assert np.max(np.abs(np.asarray(result["input"], np.int32) - model.quantize_input(x[None]).reshape(-1))) <= 1
        assert_within_one_step(model, result, python_outputs(model, x), name)
        assert result["ms"]["total"] > 0
    assert "LiteRT.js" in shown["modelInfo"]


def test_page_golden_self_check_passes(page_url):
    shown = drive(page_url, "golden")
    assert shown["messageKind"] == "ok", shown["message"]
    assert re.match(r"^(\d+)/\1 golden faces decode to Python's labels", shown["message"]), shown["message"]


# --- 3 + 4. detection, crop rule and the camera ----------------------------------------------------

@pytest.fixture(scope="module")
def scene(utkface_dir, tmp_path_factory):
    """A 640x480 frame with real UTKFace chips pasted on a blurred-noise background, chosen so
    that Python's reference detector finds every face clearly (score >= 0.8)."""
    import cv2

    from edge.detect import detect_faces

    chips = sorted(utkface_dir.glob("*.jpg"))[::401]
    rng = np.random.default_rng(42)
    background = cv2.GaussianBlur(rng.integers(60, 160, (480, 640, 3)).astype(np.uint8), (31, 31), 10)
    for start in range(0, len(chips) - SCENE_FACES, SCENE_FACES):
        frame = background.copy()
        for slot, chip in enumerate(chips[start:start + SCENE_FACES]):
            image = cv2.resize(decode_image(chip), (190, 190), interpolation=cv2.INTER_AREA)
            frame[140:330, 20 + slot * 210:210 + slot * 210] = image
        faces = detect_faces(frame)
        if len(faces) == SCENE_FACES and min(f.score for f in faces) >= 0.8:
            folder = tmp_path_factory.mktemp("scene")
            cv2.imwrite(str(folder / "scene.png"), frame)
            return folder / "scene.png", frame, faces
    pytest.fail("no set of UTKFace chips gave a clear 3-face scene")


def test_page_detects_and_crops_faces_like_python(web_assets, page_url, scene):
    from edge.detect import crop_box

    path, frame, faces = scene
    model = TFLiteModel(web_assets / "model.tflite")
    spec = model.spec
    shown = drive(page_url, "photos", files=[str(path)], whole=False)
    assert not shown["message"], shown["message"]
    assert len(shown["results"]) == len(faces)
    for face, result in zip(faces, shown["results"]):  # both sorted largest first
        assert box_iou(face.box, result["box"]) > 0.95, (face.to_dict(), result["box"])
        crop = crop_box(face, spec.face_crop.margin, frame.shape)
        assert tuple(result["crop"]) == crop
        x0, y0, x1, y1 = crop
        x = to_model_input(resize_and_convert(frame[y0:y1, x0:x1], spec), spec)
        assert_within_one_step(model, result, python_outputs(model, x), f"face at {crop}")
        assert LABEL.match(result["label"]), result["label"]


def write_y4m(path: Path, frame_bgr: np.ndarray, frames: int = 10) -> None:
    """A YUV4MPEG2 4:2:0 file (BT.601 studio range) repeating one BGR frame."""
    rgb = frame_bgr[:, :, ::-1].astype(np.float64) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b
    height, width = y.shape

    def half(plane):
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    planes = b"".join(np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in (y, half(u), half(v)))
    with open(path, "wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            handle.write(b"FRAME\n" + planes)


def test_camera_shows_a_labelled_box_per_face(page_url, scene, tmp_path):
    _, frame, faces = scene
    y4m = tmp_path / "faces.y4m"
    write_y4m(y4m, frame)
    shown = drive(page_url, "camera", y4m=str(y4m), frames=3, screenshot=str(tmp_path / "camera.png"))
    assert shown["frames"] >= 3 and not shown["message"], shown
    assert len(shown["results"]) == len(faces), [r["label"] for r in shown["results"]]
    for result in shown["results"]:
        assert result["source"].startswith("camera frame")
        assert LABEL.match(result["label"]), result["label"]
        assert max(box_iou(face.box, result["box"]) for face in faces) > 0.7, result["box"]


# --- 5. clear messages, never a blank page ---------------------------------------------------------

def test_bad_inputs_give_clear_messages(web_assets, page_url, scene, tmp_path):
    import cv2

    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    shown = drive(page_url, "model", file=str(corrupt))
    assert "corrupt.tflite is not a TFLite model" in shown["message"], shown["message"]
    assert "Still using model.tflite" in shown["message"]

    bare = tmp_path / "no_spec.tflite"
    bare.write_bytes(strip_appended_archive((web_assets / "model.tflite").read_bytes()))
    shown = drive(page_url, "model", file=str(bare))
    assert "no_spec.tflite has no embedded edge spec" in shown["message"], shown["message"]
    assert "edge export" in shown["message"]

    _, frame, _ = scene
    empty = tmp_path / "no_face.png"
    cv2.imwrite(str(empty), cv2.GaussianBlur(frame[:, :20], (5, 5), 2).repeat(32, axis=1)[:, :640])
    shown = drive(page_url, "photos", files=[str(empty)], whole=False)
    assert shown["state"] == "done" and shown["results"] == []
    assert "No face found in no_face.png" in shown["message"], shown["message"]

    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    shown = drive(page_url, "photos", files=[str(not_image)], whole=False)
    assert "notes.png is not an image this browser can decode" in shown["message"], shown["message"]


# --- 6. the command line ---------------------------------------------------------------------------

def test_edge_serve_serves_the_page_and_an_export_it_completes(exported_run, tmp_path):
    _toolchain()
    export = tmp_path / "export"
    shutil.copytree(exported_run("mobile"), export)
    edge = Path(sys.executable).with_name("edge")
    process = subprocess.Popen([str(edge), "serve", str(export), "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("open "):
                break
        url = lines[-1].split()[-1]
        assert url.startswith("http://localhost:"), lines
        assert (export / "web" / "web_assets.json").is_file(), "serve writes a missing web/ for an export"
        with urllib.request.urlopen(url) as response:
            assert b"src/app.js" in response.read()
        with urllib.request.urlopen(url + "assets/web_assets.json") as response:
            assert json.loads(response.read())["model"] == "model.tflite"
        with urllib.request.urlopen(url + "node_modules/@litertjs/core/wasm/litert_wasm_internal.wasm") as response:
            assert response.headers["Content-Type"] == "application/wasm"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "assets/../../../../etc/passwd")
    finally:
        process.terminate()
        process.wait(timeout=20)

    # https with the user's own certificate (what a phone needs for the live camera)
    import ssl

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=edge",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True,
                   capture_output=True)
    from edge.app.serve import make_server

    server = make_server(export, port=0, cert=tmp_path / "cert.pem", key=tmp_path / "key.pem", quiet=True,
                         log=lambda message: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert server.url.startswith("https://localhost:")
        unverified = ssl.create_default_context()
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE  # self-signed on purpose
        with urllib.request.urlopen(server.url + "assets/web_assets.json", context=unverified) as response:
            assert json.loads(response.read())["model"] == "model.tflite"
    finally:
        server.shutdown()
    result = run_cli("serve", export, "--cert", tmp_path / "cert.pem")
    assert result.exit_code == 2 and "--cert and --key go together" in result.output

    result = run_cli("serve", tmp_path / "nowhere")
    assert result.exit_code == 2 and "not a directory" in result.output
    result = run_cli("serve", tmp_path)
    assert result.exit_code == 2 and "--web-assets" in result.output


def test_export_web_assets_option(trained_run, tmp_path):
    _toolchain()
    result = run_cli("export", trained_run("mobile"), "--web-assets", tmp_path / "web", "--out", tmp_path / "float")
    assert result.exit_code == 2 and "--web-assets needs --int8" in result.output
    result = run_cli("export", trained_run("mobile"), "--int8", "--qat-epochs", "0", "--out", tmp_path / "export",
                     "--web-assets", tmp_path / "web")
    assert result.exit_code == 0, result.output
    assert "web assets:" in result.output
    manifest = json.loads((tmp_path / "web" / "web_assets.json").read_text())
    assert manifest["parity_check"]["max_raw_difference_steps"] == 0
    assert TFLiteModel(tmp_path / "web" / manifest["model"]).input["dtype"] == np.uint8


def test_page_decoder_reports_pythons_years_on_every_golden_face(web_assets):
    """web_demo/src/decode.js gives golden.json's age years (the spec's median rule) and groups."""
    golden = web_assets / "golden.json"
    assert json.loads(golden.read_text())["spec"]["decoding"]["age_years"] == "median"
    script = (
        f"import {{ decodeOutputs }} from {json.dumps((DEMO / 'src' / 'decode.js').as_uri())};"
        f"import {{ readFileSync }} from 'node:fs';"
        f"const golden = JSON.parse(readFileSync({json.dumps(str(golden))}, 'utf8'));"
        "const out = golden.faces.map((face) => { const outputs = {};"
        " for (const [name, values] of Object.entries(face.dequantized_outputs)) outputs[name] = Float32Array.from(values.flat(Infinity));"
        " const d = decodeOutputs(golden.spec, outputs); return [d.age_years, d.age_group]; });"
        "console.log(JSON.stringify(out));")
    result = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    faces = json.loads(golden.read_text())["faces"]
    assert len(shown) == len(faces) > 0
    for face, (years, group) in zip(faces, shown):
        assert years == pytest.approx(face["decoded"]["age_years"], abs=0.006), face["image"]
        assert group == face["decoded"]["age_group"], face["image"]
