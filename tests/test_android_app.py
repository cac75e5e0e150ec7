"""The Android app's Kotlin, compiled and run as far as this machine can (no Android SDK here).

1. every Kotlin file of the app compiles with the real Kotlin compiler (npm ``kotlin-compiler``, the catalog's
   version) against the real API signatures: Android 36 and AndroidX from the chaquopy signature packages (turned
   into Java by android_demo/tools/signatures.py), CameraX and LiteRT written from their upstream sources
   (android_demo/tools/stubs, android_demo/tools/jvm/org), R and view binding from res/ (tools/resources.py);
   ``-Werror``, so nullability warnings fail too;
2. a deliberate misuse (a misspelt CameraX method, a wrong argument type) fails that compile;
3. the app's inference code (FaceAnalyzer.kt, LiteRtModel.kt, unchanged) runs on the JVM on real faces with the
   shipped assets through a LiteRT double whose run() executes the model in the real LiteRT (ai-edge-litert, in a
   worker) under LiteRT 1.4.1's buffer rules; its boxes, crops and labels equal ``edge predict --json``'s, with a
   calibrated spec also the calibrated gender confidence, "not sure" and the age range (and the words shown say so);
   faces shrunk below the spec's min_face_px are found and said "too small to read" on both sides, face for face.

Toolchain: .ci/deps/android.sh and .ci/deps/jvm.sh. Outside CI a missing toolchain skips; under CI it fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT, TOOLCHAIN_SUMMARIES, run_cli

ANDROID = PROJECT_ROOT / "android_demo"
APP_SOURCES = ANDROID / "app" / "src" / "main" / "java" / "dev" / "edge" / "demo"
ASSETS = ANDROID / "app" / "src" / "main" / "assets"
TOOLS = ANDROID / "tools"
DEPS = PROJECT_ROOT / ".ci" / "deps" / "android"
KOTLINC = DEPS / "kotlin" / "node_modules" / "kotlin-compiler" / "bin" / "kotlinc"
JSON_JAR = "/usr/share/java/com.android.json.jar"
INFERENCE_SOURCES = ("FaceAnalyzer.kt", "LiteRtModel.kt")


def _toolchain() -> None:
    missing = [name for name in ("javac", "java") if shutil.which(name) is None]
    missing += [str(path) for path in (KOTLINC, DEPS / "stubs" / "pyi", Path(JSON_JAR)) if not path.exists()]
    if missing:
        message = (f"Android toolchain missing ({', '.join(missing)}): run `bash .ci/deps/android.sh` and "
                   "`bash .ci/deps/jvm.sh` (as root)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- under CI a missing toolchain is an error")
        pytest.skip(message)


def _javac(out: Path, sources: list[Path], classpath: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(out), "-cp", os.pathsep.join(classpath),
                             *map(str, sources)], capture_output=True, text=True)
    assert result.returncode == 0, f"javac failed:\n{result.stdout}{result.stderr}"


def _kotlinc(out: Path, sources: list[Path], classpath: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(KOTLINC), "-Werror", "-jvm-target", "17", "-no-reflect", "-cp", os.pathsep.join(classpath),
                           "-d", str(out), *map(str, sources)], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def signature_sources() -> Path:
    """Java sources of the API signatures, generated once per signature packages + generator version (cached)."""
    _toolchain()
    stamp = (DEPS / "stubs" / ".stamp").read_text() + (TOOLS / "signatures.py").read_text()
    out = DEPS / f"java-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"
    if not (out / ".complete").is_file():
        shutil.rmtree(out, ignore_errors=True)
        sys.path.insert(0, str(TOOLS))
        try:
            import signatures
        finally:
            sys.path.remove(str(TOOLS))
        count = signatures.generate(DEPS / "stubs" / "pyi", out)
        assert count > 3000, f"only {count} classes in the signature packages"
        (out / ".complete").write_text(str(count))
    return out


@pytest.fixture(scope="module")
def compile_inputs(signature_sources, tmp_path_factory) -> tuple[list[Path], list[str]]:
    """(source roots besides the app's Kotlin, classpath): signatures, hand-written stubs, R/binding, core + LiteRT."""
    work = tmp_path_factory.mktemp("android-compile")
    sys.path.insert(0, str(TOOLS))
    try:
        import resources
    finally:
        sys.path.remove(str(TOOLS))
    resources.generate(ANDROID / "app" / "src" / "main" / "res", "dev.edge.demo", work / "res")
    classes = work / "classes"
    _javac(classes, sorted((ANDROID / "core" / "src" / "main").rglob("*.java"))
           + sorted((TOOLS / "jvm" / "org").rglob("*.java")), [JSON_JAR])
    return [signature_sources, work / "res", TOOLS / "stubs"], [str(classes), JSON_JAR]


@pytest.mark.slow
def test_app_kotlin_compiles_against_real_signatures(compile_inputs, tmp_path):
    roots, classpath = compile_inputs
    sources = sorted(APP_SOURCES.glob("*.kt"))
    assert {p.name for p in sources} >= {"MainActivity.kt", "FaceAnalyzer.kt", "FaceOverlayView.kt", "LiteRtModel.kt"}
    result = _kotlinc(tmp_path / "app.jar", sources + roots, classpath)
    assert result.returncode == 0, f"kotlinc failed:\n{result.stdout}{result.stderr}"
    TOOLCHAIN_SUMMARIES.append(f"android app: {len(sources)} Kotlin files compiled against API 36 + AndroidX + CameraX + LiteRT")


@pytest.mark.slow
def test_app_api_misuse_fails_the_compile(compile_inputs, tmp_path):
    """A misspelt method and a wrong argument type must each be a compile error (the check is not vacuous)."""
    roots, classpath = compile_inputs
    broken = tmp_path / "src"
    shutil.copytree(APP_SOURCES, broken)
    activity = broken / "MainActivity.kt"
    text = activity.read_text()
    misspelt = text.replace(".setBackpressureStrategy(", ".setBackPressureStrategy(", 1)
    wrong_type = misspelt.replace("Frames.surfaceRotation(orientation)", "Frames.surfaceRotation(orientation.toString())", 1)
    assert wrong_type.count("setBackPressureStrategy") == 1 and "orientation.toString()" in wrong_type
    activity.write_text(wrong_type)
    analyzer = broken / "FaceAnalyzer.kt"
    analyzer.write_text(analyzer.read_text().replace("interpreter.outputTensorCount", "interpreter.outputTensorCounts", 1))
    result = _kotlinc(tmp_path / "broken.jar", sorted(broken.glob("*.kt")) + roots, classpath)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(r"MainActivity\.kt:\d+:\d+: error: unresolved reference 'setBackPressureStrategy'", output), output
    assert re.search(r"MainActivity\.kt:\d+:\d+: error: argument type mismatch: actual type is 'String', but 'Int' was expected",
                     output), output
    assert re.search(r"FaceAnalyzer\.kt:\d+:\d+: error: unresolved reference 'outputTensorCounts'", output), output


def _faces(utkface_dir: Path, adience_dir: Path, folder: Path) -> list[Path]:
    """Real faces as PNG (lossless: the JVM and OpenCV read the same pixels): UTKFace chips, Adience images, and
    multi-face photos composed from them on a real photo's background."""
    import cv2

    folder.mkdir()
    chips = sorted(utkface_dir.glob("*.jpg"))[5:400:16]
    adience = sorted(adience_dir.glob("aligned/*/*.jpg"))[3:400:60]
    images = [cv2.imread(str(p)) for p in chips + adience]
    images = [image for image in images if image is not None]
    rng = np.random.default_rng(3)
    for number in range(4):  # 2-3 faces each, different sizes, on a blurred enlarged face as background
        canvas = cv2.resize(cv2.GaussianBlur(images[number], (31, 31), 8), (720, 480))
        for slot in range(2 + number % 2):
            face = images[(7 * number + 3 * slot + 1) % len(images)]
            side = int(rng.integers(150, 200))
            x, y = 20 + slot * 235, int(rng.integers(10, 480 - side - 10))
            canvas[y:y + side, x:x + side] = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
        images.append(canvas)
    images += _small_faces(images)
    paths = []
    for number, image in enumerate(images):
        paths.append(folder / f"face_{number:02d}.png")
        cv2.imwrite(str(paths[-1]), image)
    return paths


def _small_faces(images: list[np.ndarray]) -> list[np.ndarray]:
    """Small photos with a normal face beside one or two real faces shrunk to ~24 px: BlazeFace still finds them, and
    their boxes are below the shipped spec's face_crop.min_face_px (30), so both sides must say "too small to read"."""
    import cv2

    photos = []
    for number in range(4):
        big, small = images[number], images[number + 5]
        canvas = cv2.resize(cv2.GaussianBlur(big, (31, 31), 8), (128, 96))
        canvas[10:74, 10:74] = cv2.resize(big, (64, 64), interpolation=cv2.INTER_AREA)
        # (y, x, face) of each 24 px face: one in three photos, two in the last (the status counts both)
        spots = [(36, 84, small)] if number < 3 else [(8, 84, small), (64, 96, images[number + 6])]
        for y, x, face in spots:
            canvas[y:y + 24, x:x + 24] = cv2.resize(face, (24, 24), interpolation=cv2.INTER_AREA)
        photos.append(canvas)
    return photos


@pytest.mark.slow
def test_app_inference_code_matches_edge_predict(compile_inputs, utkface_dir, adience_dir, tmp_path):
    _toolchain()
    # 1. the app's inference Kotlin, unchanged, compiled against the run-time doubles (Context, Bitmap, LiteRT)
    doubles = tmp_path / "doubles"
    _javac(doubles, sorted((ANDROID / "core" / "src" / "main").rglob("*.java"))
           + sorted(p for p in (TOOLS / "jvm").rglob("*.java") if p.name != "AppRun.java"), [JSON_JAR])
    app_jar = tmp_path / "inference.jar"
    result = _kotlinc(app_jar, [APP_SOURCES / name for name in INFERENCE_SOURCES], [str(doubles), JSON_JAR])
    assert result.returncode == 0, f"kotlinc failed:\n{result.stdout}{result.stderr}"
    driver = tmp_path / "driver"
    _javac(driver, [TOOLS / "jvm" / "AppRun.java"], [str(doubles), str(app_jar)])
    kotlin_stdlib = KOTLINC.parent.parent / "lib" / "kotlin-stdlib.jar"

    # 2. real faces, single and several per photo; the shipped assets, as the app loads them
    images = _faces(utkface_dir, adience_dir, tmp_path / "faces")
    command = ["java", f"-Dedge.python={sys.executable}", f"-Dedge.litert.worker={TOOLS / 'jvm' / 'litert_worker.py'}",
               "-cp", os.pathsep.join([str(driver), str(app_jar), str(doubles), JSON_JAR, str(kotlin_stdlib)]),
               "AppRun", str(ASSETS), *map(str, images)]
    app = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert app.returncode == 0, f"the app's code failed on the JVM:\n{app.stdout}{app.stderr}"
    on_phone = [json.loads(line) for line in app.stdout.splitlines() if line.startswith("{")]

    # 3. the same files through `edge predict` with the same model
    predicted = run_cli("predict", ASSETS / "model.tflite", *images, "--json")
    assert predicted.exit_code in (0, 1), predicted.output
    python = {Path(item["file"]).name: item for item in json.loads(predicted.stdout)["images"]}

    decoding = json.loads((ASSETS / "spec.json").read_text()).get("decoding", {})
    calibrated = {"gender_unsure_below", "age_interval_mass"} <= set(decoding)
    min_face_px = json.loads((ASSETS / "spec.json").read_text())["face_crop"]["min_face_px"]
    compared = multi = unsure = small = 0
    for item in on_phone:
        expected = python[Path(item["file"]).name]["faces"]
        assert len(item["faces"]) == len(expected), f"{item['file']}: app {item['faces']} vs edge predict {expected}"
        # faces too small to read (box under the spec's min_face_px): found and said on both sides, never labelled
        expected_small = sum(face.get("too_small", False) for face in expected)
        assert item["too_small"] == expected_small, (item, expected)
        if expected_small:
            noun = "1 face" if expected_small == 1 else f"{expected_small} faces"
            assert item["status"].endswith(f"{noun} too small to read: come closer"), item
        for app_face, face in zip(item["faces"], expected):
            where = (item["file"], app_face, face)
            assert np.allclose(app_face["box"], face["box"], atol=0.051), where
            assert app_face["too_small"] == face.get("too_small", False), where
            if face.get("too_small"):
                assert max(face["box"][2:]) < min_face_px, where
                assert app_face["reason"] == face["reason"], where
                assert app_face["text"] == "Too small to read", where
                assert app_face["age_group"] is app_face["gender"] is app_face["age_years"] is None, where
                assert face["gender"]["label"] is face["age"]["group"] is None, where
                small += 1
                continue
            assert app_face["reason"] is None and "too small" not in app_face["text"].lower(), where
            assert app_face["age_group"] == face["age"]["group"], where
            assert app_face["gender"] == face["gender"]["label"], where
            assert app_face["undefined"] == face["undefined"], where
            assert abs(app_face["age_years"] - face["age"]["years"]) <= 0.006, where  # predict rounds to 2 decimals
            # the calibrated confidence of the shown gender (predict rounds it to 4 decimals)
            assert (app_face["gender_p"] is None) == (face["gender"]["p"] is None), where
            if face["gender"]["p"] is not None:
                assert abs(app_face["gender_p"] - face["gender"]["p"]) <= 6e-5, where
            # "not sure" and the age range, where the spec has them (predict writes them only then)
            assert ("unsure" in face["gender"]) == ("gender_unsure_below" in decoding), where
            assert app_face["gender_unsure"] == face["gender"].get("unsure", False), where
            assert (app_face["age_range"] is not None) == ("range" in face["age"]), where
            if "range" in face["age"]:
                assert np.allclose(app_face["age_range"], face["age"]["range"], atol=0.006), where
            # ... and in the words the app shows
            if not app_face["undefined"]:
                assert ("Gender: not sure" in app_face["text"]) == app_face["gender_unsure"], where
                assert ("%" in app_face["text"]) == (not app_face["gender_unsure"] and app_face["gender_p"] is not None), where
                assert ("\u2013" in app_face["text"]) == (app_face["age_range"] is not None), where
            unsure += app_face["gender_unsure"]
            compared += 1
        multi += len(item["faces"]) > 1
    print(f"{compared} faces in {len(on_phone)} images ({multi} with several faces, {unsure} gender not sure, "
          f"{small} too small to read): "
          f"app labels == edge predict; e.g. {on_phone[0]['faces'][0]['text'] if on_phone[0]['faces'] else ''}")
    TOOLCHAIN_SUMMARIES.append(f"android app inference (JVM + real LiteRT): {compared} faces equal edge predict"
                               + (" (calibrated P, not sure, age range)" if calibrated else "")
                               + f", {small} too small to read")
    assert compared >= 30 and multi >= 3
    assert small >= 5, f"only {small} faces too small to read were compared: the composed small faces were not found"
