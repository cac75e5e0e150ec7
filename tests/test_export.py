"""`edge export` on runs trained from real data: artifacts, embedded spec, output mapping,
int8 I/O, fail-fast on unsupported layers, and nothing lost on failure."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.decode import decode_outputs, flip_average, mirror
from edge.preprocess import preprocess_file, to_model_input
from edge.runtime import TFLiteModel
from edge.spec import Spec
from edge.tflite_meta import read_spec_bytes, strip_appended_archive
from tests.conftest import LOOSE_GATE, run_cli

FAMILIES = ["mobile", "cnn", "fcn2hot", "tuple"]
MODELS = ("model_float32", "model_int8_ptq", "model_int8_qat")


def _keras_and_inputs(run: Path, count: int = 24, with_mirror: bool = True):
    """The run's Keras outputs on test faces: by default what an export computes, the mean over
    each face and its mirror image (``edge export --flip-average``, the default)."""
    from edge.tf_bootstrap import import_tf

    _, keras = import_tf()
    import edge.train.losses  # noqa: F401
    from edge.train.run_data import load_run_data

    spec = Spec.load(run / "spec.json")
    model = keras.models.load_model(run / "model.keras", compile=False)
    data = load_run_data(run, spec)
    x = to_model_input(data.images[data.split.test[:count]], spec)
    def run_keras(faces):
        outputs = model.predict(faces, verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        return {out.name: np.asarray(v, np.float64) for out, v in zip(spec.outputs, outputs)}

    outputs = run_keras(x)
    return spec, x, flip_average(outputs, run_keras(mirror(x))) if with_mirror else outputs


@pytest.mark.parametrize("family", FAMILIES)
def test_export_writes_every_artifact(exported_run, family):
    export = exported_run(family)
    for name in MODELS:
        assert (export / f"{name}.tflite").stat().st_size > 1000
        assert (export / f"{name}.spec.json").is_file()
    for name in ("spec.json", "labels.txt", "golden.json", "MODEL_CARD.md", "export_report.json", "split.json"):
        assert (export / name).is_file(), name
    assert len(list((export / "golden").glob("face_*.png"))) == 16
    report = json.loads((export / "export_report.json").read_text())
    assert report["checks"]["passed"] and report["shipped_model"] == "model_int8_qat.tflite"
    # one name for each model: the report, the gate and the model card say int8_qat, as validation does
    assert set(report["models"]) == {"float32", "int8_ptq", "int8_qat"} and report["checks"]["gate"]["shipped"] == "int8_qat"
    assert "| int8_qat |" in (export / "MODEL_CARD.md").read_text()
    assert not [p for p in export.parent.iterdir() if p.name.startswith((".export.staging-", ".export.previous-"))], "staging left behind"


@pytest.mark.parametrize("family", FAMILIES)
def test_embedded_spec_round_trips_from_the_model_bytes_alone(exported_run, family):
    export = exported_run(family)
    for name in MODELS:
        model_bytes = (export / f"{name}.tflite").read_bytes()
        embedded = read_spec_bytes(model_bytes)
        assert embedded == Spec.from_json((export / f"{name}.spec.json").read_text())
        assert embedded.family == family
        assert len(strip_appended_archive(model_bytes)) < len(model_bytes)


@pytest.mark.parametrize("family", FAMILIES)
def test_output_mapping_matches_keras_for_every_family(exported_run, trained_run, family):
    export = exported_run(family)
    spec, x, keras_outputs = _keras_and_inputs(trained_run(family))  # the files average each face with its mirror
    float_outputs = TFLiteModel(export / "model_float32.tflite").run(x)
    for name, expected in keras_outputs.items():
        assert np.max(np.abs(float_outputs[name] - expected.reshape(float_outputs[name].shape))) < 1e-4
    ptq = TFLiteModel(export / "model_int8_ptq.tflite")
    ptq_outputs = ptq.run(x)
    for out in ptq.spec.outputs:
        assert ptq_outputs[out.name].shape == (len(x), out.width)
        # dequantized int8 values sit near the float ones (a few quantization steps)
        step = out.quantization.scale
        assert np.mean(np.abs(ptq_outputs[out.name] - keras_outputs[out.name].reshape(len(x), -1))) < 8 * step + 0.05


def test_output_order_with_two_same_shaped_outputs(utkface_dir, tmp_path):
    """cnn with --labels age has two (N, 1) outputs: only values can tell them apart."""
    run = tmp_path / "age"
    result = run_cli("train", "--data", utkface_dir, "--model", "cnn", "--labels", "age", "--width", "8",
                     "--depth", "3", "--epochs", "2", "--max-images", "300", "--out", run)
    assert result.exit_code == 0, result.output
    result = run_cli("export", run)
    assert result.exit_code == 0, result.output
    spec, x, keras_outputs = _keras_and_inputs(run)
    outputs = TFLiteModel(run / "export" / "model_float32.tflite").run(x)
    assert np.allclose(outputs["age"], keras_outputs["age"], atol=1e-4)
    assert np.allclose(outputs["gender"], keras_outputs["gender"], atol=1e-4)
    mapping = json.loads((run / "export" / "export_report.json").read_text())["models"]["float32"]
    assert {m["tflite_position"] for m in mapping["output_mapping"].values()} == {0, 1}


@pytest.mark.parametrize("family", ["mobile", "fcn2hot"])
def test_int8_models_have_int8_io_and_golden_vectors_follow_the_quantization(exported_run, family):
    export = exported_run(family)
    model = TFLiteModel(export / "model_int8_qat.tflite")
    assert model.input["dtype"] == np.int8
    assert all(d["dtype"] == np.int8 for d in model.output_details)
    spec = model.spec
    scale, zero_point = spec.input_quantization.scale, spec.input_quantization.zero_point
    assert (scale, zero_point) == (pytest.approx(model.input["quantization"][0]), model.input["quantization"][1])
    golden = json.loads((export / "golden.json").read_text())
    assert golden["model"] == "model_int8_qat.tflite" and len(golden["faces"]) == 16
    for face in golden["faces"][:4]:
        x = preprocess_file(export / face["image"], spec)
        assert np.allclose(x.reshape(-1), face["input_float"], atol=1e-5)
        expected_q = np.clip(np.round(np.asarray(face["input_float"]) / scale + zero_point), -128, 127)
        assert np.array_equal(expected_q, face["input_quantized"])
        raw = model.run_raw(x)
        outputs = {}
        for out in spec.outputs:
            assert raw[out.tflite_index].reshape(-1).tolist() == face["raw_outputs"][out.name]
            q = out.quantization
            dequantized = (np.asarray(face["raw_outputs"][out.name], np.float32) - q.zero_point) * q.scale
            assert np.allclose(dequantized, face["dequantized_outputs"][out.name], atol=1e-6)
            outputs[out.name] = dequantized[None]
        assert decode_outputs(spec, outputs).labels(spec, 0) == face["decoded"]


def test_unsupported_layer_fails_fast_with_a_clear_message(trained_run, tmp_path):
    from edge.tf_bootstrap import import_tf

    _, keras = import_tf()
    source = trained_run("tuple")
    run = tmp_path / "lambda_run"
    shutil.copytree(source, run, ignore=shutil.ignore_patterns("export", "checkpoint", "tensorboard"))
    spec = Spec.load(run / "spec.json")
    inputs = keras.Input(spec.input_shape, name="image")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="normalize")(inputs)  # tfmot has no QuantizeConfig for it
    x = keras.layers.Flatten()(x)
    output = keras.layers.Dense(2, name="age_gender")(x)
    keras.Model(inputs, output).save(run / "model.keras")
    result = run_cli("export", run, "--int8")
    assert result.exit_code == 2, result.output
    assert "quantization-aware training cannot wrap this model" in result.output
    assert "normalize" in result.output and "export without --int8" in result.output
    assert not (run / "export").exists()


def test_failed_export_leaves_the_previous_export_untouched(exported_run, trained_run, monkeypatch):
    export = exported_run("tuple")
    before = {p.relative_to(export): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in export.rglob("*") if p.is_file()}
    from edge.export import exporter

    def fail(staging, out_dir):  # a failure after every check passed, just before the swap
        raise exporter.CheckFailed("forced failure before commit")

    monkeypatch.setattr(exporter, "_commit", fail)
    result = run_cli("export", trained_run("tuple"), "--int8", "--qat-epochs", "0", *LOOSE_GATE)
    assert result.exit_code == 1 and "forced failure" in result.output
    after = {p.relative_to(export): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in export.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in export.parent.iterdir() if p.name.startswith((".export.staging-", ".export.previous-"))]


def test_reexport_is_idempotent(trained_run, tmp_path):
    run = trained_run("tuple")
    first = run_cli("export", run, "--out", tmp_path / "e")
    listing = sorted(p.name for p in (tmp_path / "e").iterdir())
    float_bytes = (tmp_path / "e" / "model_float32.tflite").read_bytes()
    second = run_cli("export", run, "--out", tmp_path / "e")
    assert first.exit_code == second.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == listing
    assert (tmp_path / "e" / "model_float32.tflite").read_bytes() == float_bytes


def test_calibration_below_batch_size_is_refused(trained_run):
    result = run_cli("export", trained_run("tuple"), "--int8", "--calibration", "10")
    assert result.exit_code == 2 and "below the batch size" in result.output


def test_android_assets_receive_the_shipped_model_and_its_contract(trained_run, tmp_path):
    assets = tmp_path / "app" / "src" / "main" / "assets"
    result = run_cli("export", trained_run("tuple"), "--out", tmp_path / "e", "--android-assets", assets)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in assets.iterdir()) == [".edge-assets", "face_detector.json", "face_detector.tflite",
                                                       "golden", "golden.json", "labels.txt", "model.tflite", "spec.json"]
    assert len(list((assets / "golden").glob("*.png"))) == len(json.loads((assets / "golden.json").read_text())["faces"])
    assert (assets / "model.tflite").read_bytes() == (tmp_path / "e" / "model_float32.tflite").read_bytes()
    assert read_spec_bytes((assets / "model.tflite").read_bytes()) == Spec.from_json((assets / "spec.json").read_text())
    assert (assets / "labels.txt").read_text().splitlines()[1] == "0-2"


def test_exported_files_classify_a_face_and_its_mirror_image_alike(exported_run, single_pass_export, trained_run):
    """The default export averages each face with its mirror image inside the file: a face and its
    mirror get the same answer in every file; --no-flip-average gives one pass, as the Keras model."""
    export, single = exported_run("mobile"), single_pass_export("mobile")
    spec, x, keras_one_pass = _keras_and_inputs(trained_run("mobile"), count=8, with_mirror=False)
    for name in ("model_float32", "model_int8_qat", "model_int8_ptq"):
        model = TFLiteModel(export / f"{name}.tflite")
        assert model.spec.flip_averaged and not TFLiteModel(single / f"{name}.tflite").spec.flip_averaged
        outputs, of_mirrors = model.run(x), model.run(mirror(x))
        for out in spec.outputs:
            # int8: the same two rows averaged in the other order -> the same integers
            assert np.allclose(outputs[out.name], of_mirrors[out.name], atol=1e-6 if name == "model_float32" else 0)
        # the weights are stored once: the mirror batch costs a few hundred bytes of graph, and long names
        extra = (export / f"{name}.tflite").stat().st_size - (single / f"{name}.tflite").stat().st_size
        assert 0 < extra < 4096, extra
    single_float = TFLiteModel(single / "model_float32.tflite")
    one_pass = single_float.run(x)
    for name, expected in keras_one_pass.items():
        assert np.max(np.abs(one_pass[name] - expected.reshape(one_pass[name].shape))) < 1e-4
    assert any(np.abs(one_pass[n] - single_float.run(mirror(x))[n]).max() > 0 for n in one_pass)  # one pass: not symmetric
    report = json.loads((export / "export_report.json").read_text())
    assert report["flip_averaged"] is True
    assert json.loads((single / "export_report.json").read_text())["flip_averaged"] is False
