"""``edge export --web-assets DIR``: the files the browser page (``web_demo/``) loads.

LiteRT.js (``@litertjs/core``) runs int8 models bit-exactly like Python LiteRT, but its JS
tensors are float32, int32 or uint8 only, and the batch dimension must be fixed. The shipped
model has int8 input and output tensors and a batch dimension of -1, so the web variant is
the SAME flatbuffer with three changes made by graph surgery (no re-conversion, no
TensorFlow):

1. every int8 input gets a uint8 twin (same scale, zero point + 128) feeding a QUANTIZE op
   (uint8 -> int8, an exact requantization: ``q_int8 = q_uint8 - 128``);
2. every int8 output gets a QUANTIZE op (int8 -> uint8) into a uint8 twin;
3. every ``-1`` in a tensor's shape signature becomes ``1`` (batch 1).

The int8 weights and kernels are untouched, so the web variant's outputs equal the shipped
model's exactly; ``write_web_assets`` checks that on the golden faces in LiteRT before it
writes anything. With the spec's ``pixel_scale`` of 1/255 and an input range of [0, 1], the
uint8 input tensor's quantization is (1/255, 0): the tensor IS the raw pixel bytes
(``web_assets.json`` says whether that holds for a given model).

The spec rides inside the web model too, with its own tensor quantization. Beside it:
the face detector (``edge.detect.write_detector_assets``), ``golden.json`` + ``golden/``
(the page's parity self-check), ``labels.txt`` and ``web_assets.json``, the one index the
page reads to find every other file.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from edge import layout
from edge.detect import DETECTOR_CONFIG_FILE
from edge.errors import CheckFailed, EdgeError
from edge.owned_folder import OwnedFolder, detector_files, read_tree
from edge.spec import QuantParams, Spec
from edge.tflite_meta import embed_spec, read_spec_bytes, strip_appended_archive

MANIFEST_NAME = "web_assets.json"  # the page knows only this name; everything else is read from it
WEB_MODEL_NAME = "model.tflite"
UINT8_OFFSET = 128  # uint8 zero point = int8 zero point + 128 for the same real values

Log = Callable[[str], None]


def make_web_model(model_bytes: bytes) -> bytes:
    """The web variant of an int8-I/O ``.tflite`` (uint8 I/O, int8 inside, batch 1), spec stripped.

    Raises EdgeError when the model has no int8 input/output to convert (a float model runs
    in LiteRT.js as it is; export with --int8 for the int8 web model).
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(strip_appended_archive(model_bytes)))
    if len(model.subgraphs) != 1:
        raise EdgeError(f"the model has {len(model.subgraphs)} subgraphs; the web variant supports one")
    graph = model.subgraphs[0]
    int8 = schema.TensorType.INT8
    if not any(graph.tensors[i].type == int8 for i in list(graph.inputs) + list(graph.outputs)):
        raise EdgeError("the shipped model has no int8 input or output tensor: export with --int8 for the web model")

    quantize = _operator_code_index(model, schema)
    renamed: dict[int, int] = {}

    def uint8_twin(index: int) -> int:
        tensor = copy.deepcopy(graph.tensors[index])
        tensor.type = schema.TensorType.UINT8
        tensor.name = (tensor.name.decode() if isinstance(tensor.name, bytes) else tensor.name) + "_uint8"
        tensor.quantization.zeroPoint = [int(z) + UINT8_OFFSET for z in tensor.quantization.zeroPoint]
        model.buffers.append(schema.BufferT())  # an activation tensor owns an empty buffer
        tensor.buffer = len(model.buffers) - 1
        graph.tensors.append(tensor)
        renamed[index] = len(graph.tensors) - 1
        return renamed[index]

    def operator(source: int, target: int):
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = quantize, [source], [target]
        return op

    for position, index in enumerate(list(graph.inputs)):
        if graph.tensors[index].type == int8:
            twin = uint8_twin(index)
            graph.operators.insert(0, operator(twin, index))
            graph.inputs[position] = twin
    for position, index in enumerate(list(graph.outputs)):
        if graph.tensors[index].type == int8:
            twin = uint8_twin(index)
            graph.operators.append(operator(index, twin))
            graph.outputs[position] = twin
    for tensor in graph.tensors:  # LiteRT.js needs a fixed batch dimension
        if tensor.shapeSignature is not None and len(tensor.shapeSignature):
            tensor.shapeSignature = [1 if d == -1 else int(d) for d in tensor.shapeSignature]
    for signature in model.signatureDefs or []:
        for entry in list(signature.inputs or []) + list(signature.outputs or []):
            entry.tensorIndex = renamed.get(entry.tensorIndex, entry.tensorIndex)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _operator_code_index(model, schema) -> int:
    """Index of the QUANTIZE operator code, added when the model has none."""
    code = schema.BuiltinOperator.QUANTIZE
    for index, opcode in enumerate(model.operatorCodes):
        if max(opcode.builtinCode, opcode.deprecatedBuiltinCode) == code:
            return index
    opcode = schema.OperatorCodeT()
    opcode.builtinCode = code
    opcode.deprecatedBuiltinCode = min(code, schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
    opcode.version = 2  # int8/uint8 requantization
    model.operatorCodes.append(opcode)
    return len(model.operatorCodes) - 1


def web_spec(shipped: Spec, web_model_bytes: bytes) -> Spec:
    """The shipped spec with the web variant's own tensor quantization and output positions."""
    from edge.runtime import TFLiteModel

    model = TFLiteModel(web_model_bytes, spec=shipped)
    input_quantization = None
    if model.is_quantized_input:
        scale, zero_point = model.input["quantization"]
        input_quantization = QuantParams(float(scale), int(zero_point))
    outputs = []
    for out in shipped.outputs:
        detail = model.output_details[out.tflite_index]  # surgery keeps the output order
        quantization = None
        if detail["dtype"] in (np.int8, np.uint8):
            quantization = QuantParams(float(detail["quantization"][0]), int(detail["quantization"][1]))
        outputs.append(replace(out, quantization=quantization))
    return shipped.with_updates(outputs=tuple(outputs), input_quantization=input_quantization)


def check_web_model(shipped_path: Path, web_bytes: bytes, golden: dict, export_dir: Path) -> dict:
    """Run both models on every golden face in LiteRT: the web variant's raw uint8 outputs
    must equal the shipped int8 ones + 128 (exact requantization). Returns the measured figures."""
    from edge.preprocess import preprocess_file
    from edge.runtime import TFLiteModel

    shipped = TFLiteModel(shipped_path)
    web = TFLiteModel(web_bytes)
    if tuple(int(d) for d in web.input["shape"]) != (1, *shipped.spec.input_shape):
        raise CheckFailed(f"web model input shape {list(web.input['shape'])} is not batch 1 of {shipped.spec.input_shape}")
    worst = 0
    for face in golden["faces"]:
        x = preprocess_file(export_dir / face["image"], shipped.spec)
        for position, (a, b) in enumerate(zip(shipped.run_raw(x), web.run_raw(x))):
            expected = a.astype(np.int32) + (UINT8_OFFSET if a.dtype == np.int8 and b.dtype == np.uint8 else 0)
            worst = max(worst, int(np.max(np.abs(expected - b.astype(np.int32)))))
            if worst:
                raise CheckFailed(f"web model output #{position} differs from {shipped_path.name} on {face['image']} "
                                  f"by {worst} steps: the uint8 requantization is not exact -- nothing was written")
    return {"golden_faces_checked": len(golden["faces"]), "max_raw_difference_steps": worst}


def _browser_detector(spec: Spec) -> str:
    """The spec's detector when it is a BlazeFace model (the page runs only those), else the default."""
    from edge.detect import BLAZEFACE, DEFAULT_DETECTOR, canonical_name

    try:
        name = canonical_name(spec.face_crop.detector)
    except EdgeError:
        return DEFAULT_DETECTOR
    return name if name in BLAZEFACE else DEFAULT_DETECTOR  # Haar (desktop only) -> the default BlazeFace


def write_web_assets(export_dir: Path, dest: Path, log: Log = print) -> Path:
    """Write the browser page's assets for an ``edge export`` directory into ``dest``.

    Files: the web model (uint8 I/O, spec embedded), ``face_detector.tflite`` +
    ``face_detector.json``, ``golden.json`` + ``golden/``, ``labels.txt`` and
    ``web_assets.json`` (the index). Returns the manifest path. Nothing needs TensorFlow.
    """
    export_dir, dest = Path(export_dir), Path(dest)
    report_path = export_dir / layout.EXPORT_REPORT
    if not report_path.is_file():
        raise EdgeError(f"{export_dir} is not an edge export directory (no {layout.EXPORT_REPORT}): run `edge export RUN --int8`")
    shipped_name = json.loads(report_path.read_text())["shipped_model"]
    shipped_path = export_dir / shipped_name
    shipped_bytes = shipped_path.read_bytes()
    shipped_spec = read_spec_bytes(shipped_bytes)
    golden = json.loads((export_dir / layout.GOLDEN_JSON).read_text())

    bare = make_web_model(shipped_bytes)
    spec = web_spec(shipped_spec, bare)
    web_bytes = embed_spec(bare, spec)
    check = check_web_model(shipped_path, web_bytes, golden, export_dir)

    files = {WEB_MODEL_NAME: web_bytes, layout.LABELS_TXT: (export_dir / layout.LABELS_TXT).read_bytes(),
             layout.GOLDEN_JSON: (export_dir / layout.GOLDEN_JSON).read_bytes(),
             **read_tree(export_dir / layout.GOLDEN_DIR, layout.GOLDEN_DIR),
             **detector_files(_browser_detector(shipped_spec))}
    quant = spec.input_quantization
    raw_pixels = bool(quant is not None and spec.pixel_offset == 0 and quant.zero_point == 0
                      and abs(quant.scale - spec.pixel_scale) <= 1e-6 * spec.pixel_scale)
    manifest = {
        "model": WEB_MODEL_NAME,
        "detector": DETECTOR_CONFIG_FILE,
        "golden": layout.GOLDEN_JSON,
        "labels": layout.LABELS_TXT,
        "source_model": shipped_name,
        "input": {"dtype": "uint8" if quant else "float32", "quantization": None if quant is None else
                  {"scale": quant.scale, "zero_point": quant.zero_point}, "raw_pixels": raw_pixels},
        "parity_check": check,
    }
    files[MANIFEST_NAME] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    OwnedFolder(dest, "--web-assets").write(files)
    manifest_path = dest / MANIFEST_NAME
    sizes = sum(len(data) for data in files.values())
    log(f"web assets: {dest} ({WEB_MODEL_NAME} {len(web_bytes) / 1024:,.1f} KB, uint8 I/O, batch 1"
        f"{', input = raw pixel bytes' if raw_pixels else ''}; detector, golden faces; {sizes / 1024:,.0f} KB in all)")
    return manifest_path


def write_web_assets_for_model(model_path: Path, dest: Path, log: Log = print) -> Path:
    """Web assets for a bare ``.tflite`` with the edge spec (an exported file, or an app's ``model.tflite``).

    Like ``write_web_assets`` without an export directory: no golden faces (the page's golden check
    is then hidden), the parity check runs on seeded random inputs instead. A model that already
    has uint8 I/O (a web variant) is used as it is. Returns the manifest path's folder (``dest``).
    """
    from edge.detect import write_detector_assets
    from edge.io import write_bytes_atomic, write_json_atomic
    from edge.runtime import TFLiteModel

    model_path, dest = Path(model_path), Path(dest)
    try:
        shipped_bytes = model_path.read_bytes()
    except OSError as error:
        raise EdgeError(f"cannot read {model_path} ({error.strerror})") from None
    shipped_spec = read_spec_bytes(shipped_bytes, str(model_path))
    try:
        bare = make_web_model(shipped_bytes)
    except EdgeError:
        web = TFLiteModel(shipped_bytes, spec=shipped_spec)
        if web.input["dtype"] != np.uint8 and web.input["dtype"] != np.float32:
            raise
        bare = strip_appended_archive(shipped_bytes)  # already feedable by LiteRT.js
    spec = web_spec(shipped_spec, bare)
    web_bytes = embed_spec(bare, spec)
    shipped, web = TFLiteModel(shipped_bytes, spec=shipped_spec), TFLiteModel(web_bytes)
    rng = np.random.default_rng(0)
    for _ in range(4):  # the requantization is exact on any input, so random pixels prove it too
        x = rng.random(tuple(shipped_spec.input_shape), np.float32)
        for a, b in zip(shipped.run_raw(x), web.run_raw(x)):
            shift = UINT8_OFFSET if a.dtype == np.int8 and b.dtype == np.uint8 else 0
            if not np.array_equal(a.astype(np.int32) + shift, b.astype(np.int32)):
                raise CheckFailed(f"the web variant of {model_path.name} differs from it: nothing was served")
    dest.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(dest / WEB_MODEL_NAME, web_bytes)
    write_detector_assets(dest, _browser_detector(shipped_spec))
    quant = spec.input_quantization
    raw_pixels = bool(quant is not None and spec.pixel_offset == 0 and quant.zero_point == 0
                      and abs(quant.scale - spec.pixel_scale) <= 1e-6 * spec.pixel_scale)
    write_json_atomic(dest / MANIFEST_NAME, {
        "model": WEB_MODEL_NAME, "detector": DETECTOR_CONFIG_FILE, "golden": None, "labels": None,
        "source_model": model_path.name,
        "input": {"dtype": "uint8" if quant else "float32", "quantization": None if quant is None else
                  {"scale": quant.scale, "zero_point": quant.zero_point}, "raw_pixels": raw_pixels},
        "parity_check": {"random_inputs_checked": 4, "max_raw_difference_steps": 0},
    })
    log(f"web assets for {model_path}: {dest} ({len(web_bytes) / 1024:,.1f} KB web model, uint8 I/O; no golden faces)")
    return dest
