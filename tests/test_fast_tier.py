"""The fast tier's end-to-end check, on generated faces only (no dataset, seconds not minutes).

A tiny run (tuple family, 32 px, 300 synthetic faces, one epoch) is trained and exported with
--int8 once per test session; the tests check what every real export relies on: the files'
outputs map to the Keras outputs, each file carries its spec, the golden vectors reproduce through
the runtime bit for bit, and the web variant equals the shipped file on them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.runtime import TFLiteModel
from edge.tflite_meta import read_spec
from tests.conftest import LOOSE_GATE, run_cli


@pytest.fixture(scope="session")
def synthetic_export(tmp_path_factory):
    from edge.app.synthetic import make_smoke_dataset

    root = tmp_path_factory.mktemp("fast")
    data = make_smoke_dataset(root / "faces", count=300, size=32)
    result = run_cli("train", "--data", data, "--model", "tuple", "--img-size", "32", "--epochs", "1",
                     "--out", root / "run")
    assert result.exit_code == 0, result.output
    result = run_cli("export", root / "run", "--int8", "--qat-epochs", "0", *LOOSE_GATE,
                     "--max-group-gender-drop", "100", "--max-group-mae-increase", "100")
    assert result.exit_code == 0, result.output
    return root / "run" / "export"


def test_every_file_carries_its_spec_and_maps_its_outputs(synthetic_export):
    report = json.loads((synthetic_export / "export_report.json").read_text())
    assert set(report["models"]) == {"float32", "int8_ptq", "int8_qat"}
    for name, entry in report["models"].items():
        spec = read_spec(synthetic_export / entry["file"])
        assert [o.tflite_index for o in spec.outputs] == [0]  # the tuple family's one output, found and verified
        assert entry["output_mapping"]
    assert report["shipped_model"] == "model_int8_qat.tflite"


def test_golden_vectors_reproduce_through_the_runtime(synthetic_export):
    golden = json.loads((synthetic_export / "golden.json").read_text())
    model = TFLiteModel(synthetic_export / "model_int8_qat.tflite")
    for face in golden["faces"]:
        x = np.asarray(face["input_float"], np.float32).reshape(golden["input_shape"])
        raw = model.run_raw(x)
        for out in model.spec.outputs:
            assert raw[out.tflite_index].reshape(-1).tolist() == face["raw_outputs"][out.name]


def test_the_web_variant_equals_the_shipped_file(synthetic_export, tmp_path):
    from edge.export.web import write_web_assets

    manifest = json.loads(write_web_assets(synthetic_export, tmp_path / "web", log=lambda m: None).read_text())
    assert manifest["parity_check"]["golden_faces_checked"] == 16 and manifest["parity_check"]["max_raw_difference_steps"] == 0
    assert manifest["input"]["dtype"] == "uint8"
