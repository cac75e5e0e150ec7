"""The shipped int8 classifier and the face detector on a phone's instruction set (ARM64, emulated).

Both models in android_demo/app/src/main/assets run under ``qemu-aarch64-static -cpu cortex-a76`` (a 2018+ phone
big core: ARMv8.2 with dot product) with an arm64 Debian python3.11 and the PyPI aarch64 ai-edge-litert wheel
(.ci/deps/android.sh), and on this x86 machine, on the same prepared input tensors of real faces (UTKFace chips and
Adience images: classifier inputs cropped by the detector exactly as ``edge predict`` does; detector inputs letterboxed
whole photos, several with more than one face). The classifier's int8 outputs may differ by at most one quantization
step on at most 1% of the values (ARM's and x86's int8 kernels need not round a tie the same way: the shipped utk28
file's age softmax shows it on a few values; the previous file was bit-identical), and every face must read the same:
age group, gender, "not sure", years within 0.1; the float detector's within 1e-4 of each output's largest magnitude
(ARM and x86 float kernels round differently: raw box values of about a hundred differ in the fifth significant digit).
Outside CI a missing toolchain skips; under CI it fails. BENCHMARKS.md has the other CPU models tried.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT, TOOLCHAIN_SUMMARIES

ASSETS = PROJECT_ROOT / "android_demo" / "app" / "src" / "main" / "assets"
RUN_MODEL = PROJECT_ROOT / "android_demo" / "tools" / "run_model.py"
SYSROOT = PROJECT_ROOT / ".ci" / "deps" / "android" / "arm64" / "sysroot"
# What a Cortex-A76 reports (LiteRT reads /proc/cpuinfo at start-up; QEMU would hand it the host's x86 one, and the
# Features line must not claim what the emulated CPU lacks)
CORTEX_A76_CPUINFO = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x4
CPU part\t: 0xd0b
CPU revision\t: 1

"""


def _toolchain() -> str:
    qemu = shutil.which("qemu-aarch64-static")
    missing = [] if qemu else ["qemu-aarch64-static"]
    missing += [str(p) for p in (SYSROOT / "usr" / "bin" / "python3.11", SYSROOT / "opt" / "site" / "ai_edge_litert")
                if not p.exists()]
    if missing:
        message = f"ARM64 toolchain missing ({', '.join(missing)}): run `bash .ci/deps/android.sh` (as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- under CI a missing toolchain is an error")
        pytest.skip(message)
    return qemu


def _inputs(utkface_dir: Path, adience_dir: Path, folder: Path) -> tuple[Path, Path, int]:
    """Classifier and detector input tensors of real faces, as edge predict prepares them."""
    import cv2

    from edge.detect import crop_box, get_detector, letterbox
    from edge.preprocess import resize_and_convert, to_model_input
    from edge.runtime import TFLiteModel

    model = TFLiteModel(ASSETS / "model.tflite")
    spec = model.spec
    detail = model.interpreter.get_input_details()[0]
    scale, zero_point = detail["quantization"]
    detector = get_detector(spec.face_crop.detector)
    photos = [cv2.imread(str(p)) for p in sorted(utkface_dir.glob("*.jpg"))[11:600:24]]
    photos += [cv2.imread(str(p)) for p in sorted(adience_dir.glob("aligned/*/*.jpg"))[7:600:80]]
    for number in range(3):  # two faces in one frame
        frame = np.zeros((360, 640, 3), np.uint8)
        frame[20:220, 20:220] = photos[number]
        frame[120:320, 380:580] = cv2.resize(photos[-1 - number], (200, 200))
        photos.append(frame)
    classifier_inputs, detector_inputs = {}, {}
    for image in photos:
        canvas, _ = letterbox(np.ascontiguousarray(image[:, :, ::-1]), detector.config.input_size)
        x = canvas.astype(np.float32) * np.float32(detector.config.input_scale) + np.float32(detector.config.input_offset)
        detector_inputs[f"input_{len(detector_inputs)}"] = x[None]
        for face in detector.detect(image):
            x0, y0, x1, y1 = crop_box(face, spec.face_crop.margin, image.shape)
            face_input = to_model_input(resize_and_convert(image[y0:y1, x0:x1], spec), spec)
            quantized = np.clip(np.round(face_input / scale) + zero_point, -128, 127).astype(detail["dtype"])
            classifier_inputs[f"input_{len(classifier_inputs)}"] = quantized[None]
    np.savez(folder / "classifier_in.npz", **classifier_inputs)
    np.savez(folder / "detector_in.npz", **detector_inputs)
    return folder / "classifier_in.npz", folder / "detector_in.npz", len(classifier_inputs)


def _run(command: list[str], model: str, inputs: Path, outputs: Path, env: dict | None = None) -> dict[str, np.ndarray]:
    result = subprocess.run([*command, str(RUN_MODEL), str(ASSETS / model), str(inputs), str(outputs)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{' '.join(command[:3])} failed:\n{result.stdout}{result.stderr[-3000:]}"
    with np.load(outputs) as data:
        return {key: data[key] for key in data.files}


def _classifier_parity(x86: dict, arm: dict, faces: int) -> tuple[int, int]:
    """Raw int8 outputs at most one step apart on at most 1% of values, and the same decoded answer for every face."""
    from edge.decode import decode_outputs
    from edge.runtime import TFLiteModel

    assert x86.keys() == arm.keys()
    differing = values = 0
    for key, value in x86.items():
        assert value.dtype == arm[key].dtype == np.int8, key
        gap = np.abs(value.astype(np.int32) - arm[key].astype(np.int32))
        assert gap.max() <= 1, f"{key}: x86 {value.ravel()[:8]} vs cortex-a76 {arm[key].ravel()[:8]}"
        differing, values = differing + int(np.count_nonzero(gap)), values + gap.size
    assert differing <= 0.01 * values, f"{differing} of {values} int8 outputs differ between x86 and cortex-a76"

    model = TFLiteModel(ASSETS / "model.tflite")  # its dequantization and spec, as edge predict reads the outputs

    def decoded(raw: dict):
        return decode_outputs(model.spec, {out.name: model.dequantize(out.tflite_index, np.concatenate(
            [raw[f"output_{out.tflite_index}_{n}"] for n in range(faces)])) for out in model.spec.outputs})

    on_x86, on_arm = decoded(x86), decoded(arm)
    assert np.array_equal(on_x86.age_class, on_arm.age_class) and np.array_equal(on_x86.gender, on_arm.gender)
    assert np.array_equal(on_x86.gender_unsure, on_arm.gender_unsure)
    assert np.allclose(on_x86.age_years, on_arm.age_years, atol=0.1)
    return differing, values


@pytest.mark.slow
def test_shipped_models_on_arm64_equal_x86(utkface_dir, adience_dir, tmp_path):
    qemu = _toolchain()
    (SYSROOT / "proc").mkdir(exist_ok=True)
    (SYSROOT / "proc" / "cpuinfo").write_text(CORTEX_A76_CPUINFO)
    classifier_in, detector_in, faces = _inputs(utkface_dir, adience_dir, tmp_path)
    assert faces >= 30
    arm = [qemu, "-cpu", "cortex-a76", "-L", str(SYSROOT), str(SYSROOT / "usr" / "bin" / "python3.11")]
    env = {**os.environ, "PYTHONPATH": str(SYSROOT / "opt" / "site"), "PYTHONHOME": str(SYSROOT / "usr")}
    env.pop("VIRTUAL_ENV", None)

    classifier_x86 = _run([sys.executable], "model.tflite", classifier_in, tmp_path / "c_x86.npz")
    classifier_arm = _run(arm, "model.tflite", classifier_in, tmp_path / "c_arm.npz", env)
    differing, values = _classifier_parity(classifier_x86, classifier_arm, faces)

    detector_x86 = _run([sys.executable], "face_detector.tflite", detector_in, tmp_path / "d_x86.npz")
    detector_arm = _run(arm, "face_detector.tflite", detector_in, tmp_path / "d_arm.npz", env)
    worst = max(float(np.max(np.abs(value - detector_arm[key])) / max(1.0, float(np.max(np.abs(value)))))
                for key, value in detector_x86.items())
    assert worst <= 1e-4, f"detector outputs differ by up to {worst} of their largest magnitude"
    same = "bit-identical" if not differing else f"{differing} of {values} int8 values one step apart, every answer the same"
    print(f"cortex-a76: {faces} faces, classifier {same}; detector within {worst:.1e} (relative)")
    TOOLCHAIN_SUMMARIES.append(f"android ARM64 (qemu cortex-a76): {faces} faces, {same}; detector within {worst:.1e}")


def test_the_arm64_parity_check_fails_on_two_steps_or_many_values():
    """The check's tolerance is one int8 step on at most 1% of values: more than either fails it (no emulator needed)."""
    from edge.runtime import TFLiteModel

    model = TFLiteModel(ASSETS / "model.tflite")
    rng = np.random.default_rng(0)
    faces = 20
    x86 = {f"output_{out.tflite_index}_{n}": rng.integers(-128, 100, (1, out.width), dtype=np.int8)
           for out in model.spec.outputs for n in range(faces)}
    assert _classifier_parity(x86, dict(x86), faces) == (0, sum(v.size for v in x86.values()))
    two_steps = dict(x86, output_0_3=x86["output_0_3"] + np.int8(2))
    with pytest.raises(AssertionError, match="output_0_3"):
        _classifier_parity(x86, two_steps, faces)
    many = {key: value + np.int8(1) for key, value in x86.items()}  # every value one step apart
    with pytest.raises(AssertionError, match="differ between x86 and cortex-a76"):
        _classifier_parity(x86, many, faces)
