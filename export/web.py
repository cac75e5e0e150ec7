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

A flip-averaged file (the default: each face read with its mirror image, as a batch of two) also
gets a one-pass twin of the same weights, ``model_one_pass.tflite``, for the page's "Faster: one look
per face" setting (``make_one_pass_model``: graph surgery again -- the mirror and the batch of two are
removed, so the network reads the face alone; ``check_one_pass_model`` proves in LiteRT that its
network output is the flip-averaged file's face row bit for bit), with ``golden_one_pass.json``
(Python's outputs for it on the golden faces); ``web_assets.json`` lists both under ``looks``.

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
from edge.layout import ExportDir
from edge.detect import DETECTOR_CONFIG_FILE
from edge.errors import CheckFailed, EdgeError
from edge.owned_folder import OwnedFolder, detector_files, read_tree
from edge.spec import QuantParams, Spec
from edge.tflite_meta import embed_spec, read_spec_bytes, strip_appended_archive

MANIFEST_NAME = "web_assets.json"  # the page knows only this name; everything else is read from it
WEB_MODEL_NAME = "model.tflite"
ONE_PASS_MODEL_NAME = "model_one_pass.tflite"  # a flip-averaged export's same weights, each face read once
ONE_PASS_GOLDEN_NAME = "golden_one_pass.json"  # Python's outputs for it on the golden faces
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


def make_one_pass_model(model_bytes: bytes) -> bytes:
    """The one-pass twin of a flip-averaged int8 ``.tflite``: the same weights, the face read once.

    A flip-averaged file (``export.convert.with_flip_average``) mirrors its one input face
    (REVERSE_V2), stacks face and mirror as a batch of two (CONCATENATION), runs the network on
    both rows and averages each output over them (RESHAPE to [2, 1, K], MEAN over axis 0). This
    keeps only the face's row: the network reads the input face directly, every activation's
    batch dimension 2 becomes 1 and each RESHAPE's target shape follows, so the MEAN sees one row
    (it only requantizes it to the output's scale). Weights, kernels and the outputs' quantization
    are untouched; ``check_one_pass_model`` proves the face's path is bit-exact. Spec stripped.

    Raises EdgeError when the file has no face + mirror batch (it is already one pass).
    """
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(strip_appended_archive(model_bytes)))
    if len(model.subgraphs) != 1 or len(model.subgraphs[0].inputs) != 1:
        raise EdgeError("the one-pass variant supports one subgraph with one input")
    mirror_op, concat_op = _face_and_mirror_batch(model)
    _read_the_face_alone(model, mirror_op, concat_op)
    _one_row_activations(model)
    _retarget_reshapes(model)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _opcode(model, op) -> int:
    opcode = model.operatorCodes[op.opcodeIndex]
    return max(opcode.builtinCode, opcode.deprecatedBuiltinCode)


def _face_and_mirror_batch(model) -> tuple:
    """The REVERSE_V2 (the mirror image) and CONCATENATION (face + mirror) ops of a flip-averaged file."""
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    face = graph.inputs[0]
    producer = {out: op for op in graph.operators for out in op.outputs}
    mirror_op = concat_op = None
    for op in graph.operators:
        if _opcode(model, op) == schema.BuiltinOperator.CONCATENATION and len(op.inputs) == 2 and op.inputs[0] == face:
            source = producer.get(op.inputs[1])
            if source is not None and _opcode(model, source) == schema.BuiltinOperator.REVERSE_V2 and source.inputs[0] == face:
                mirror_op, concat_op = source, op
    if concat_op is None or int(graph.tensors[concat_op.outputs[0]].shape[0]) != 2:
        raise EdgeError("the model has no face + mirror batch (REVERSE_V2 + CONCATENATION of its input): it already "
                        "reads each face once")
    if [op for op in graph.operators if op is not concat_op and mirror_op.outputs[0] in op.inputs]:
        raise EdgeError("the mirror image feeds more than the face + mirror batch: not a flip-averaged file edge made")
    return mirror_op, concat_op


def _read_the_face_alone(model, mirror_op, concat_op) -> None:
    """The network reads the input face where it read the face + mirror batch; the mirror op goes."""
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    face, batch = graph.inputs[0], concat_op.outputs[0]

    def quantization(index: int) -> tuple:
        q = graph.tensors[index].quantization
        return (None, None) if q is None or q.scale is None else (list(q.scale), list(q.zeroPoint))

    if quantization(batch) == quantization(face):  # the usual case: read the face tensor itself
        for op in graph.operators:
            op.inputs = [face if i == batch else i for i in op.inputs]
        graph.operators = [op for op in graph.operators if op is not concat_op and op is not mirror_op]
    else:  # the batch has its own scale: requantize the face into it (what CONCATENATION did to row 0)
        concat_op.opcodeIndex, concat_op.inputs = _operator_code_index(model, schema), [face]
        concat_op.builtinOptionsType, concat_op.builtinOptions = 0, None
        graph.operators = [op for op in graph.operators if op is not mirror_op]


def _one_row_activations(model) -> None:
    """Every activation of the two-row batch now holds one row (constants keep their shapes)."""
    graph = model.subgraphs[0]

    def is_constant(tensor) -> bool:
        data = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
        return data is not None and len(data) > 0

    for tensor in graph.tensors:
        if not is_constant(tensor) and tensor.shape is not None and len(tensor.shape) and int(tensor.shape[0]) == 2:
            tensor.shape = [1, *[int(d) for d in tensor.shape[1:]]]
            if tensor.shapeSignature is not None and len(tensor.shapeSignature):
                tensor.shapeSignature = [1, *[int(d) for d in tensor.shapeSignature[1:]]]


def _retarget_reshapes(model) -> None:
    """Each RESHAPE's target becomes its output's new shape, in a buffer of its own (buffers may be shared)."""
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    for op in graph.operators:
        if _opcode(model, op) != schema.BuiltinOperator.RESHAPE:
            continue
        shape = [int(d) for d in graph.tensors[op.outputs[0]].shape]
        if len(op.inputs) > 1 and op.inputs[1] >= 0:
            target = copy.deepcopy(graph.tensors[op.inputs[1]])
            buffer = schema.BufferT()
            buffer.data = np.asarray(shape, "<i4").view(np.uint8)
            model.buffers.append(buffer)
            target.buffer = len(model.buffers) - 1
            graph.tensors.append(target)
            op.inputs = [op.inputs[0], len(graph.tensors) - 1, *op.inputs[2:]]
        if op.builtinOptions is not None and getattr(op.builtinOptions, "newShape", None) is not None:
            op.builtinOptions.newShape = shape


def _with_outputs(model_bytes: bytes, tensors: list[int]) -> bytes:
    """The same file with ``tensors`` as its outputs (to read what a MEAN averages, in the same runtime)."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(model_bytes))
    model.subgraphs[0].outputs = list(tensors)
    model.signatureDefs = []
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _run(model_bytes: bytes, x: np.ndarray) -> list[np.ndarray]:
    from edge.interpreter import make_interpreter

    interpreter, _ = make_interpreter(model_bytes)
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]


def check_one_pass_model(shipped_bytes: bytes, one_pass_bytes: bytes, faces: list[np.ndarray]) -> dict:
    """On every face (preprocessed float images: the golden faces, or seeded random pictures for a bare
    model), in the same runtime (LiteRT, XNNPack) as the user's: the rows each output's
    MEAN averages are, in the one-pass file, the flip-averaged file's face row bit for bit (the whole
    network, face alone), and each output is that row requantized to the output's scale within one step
    (a MEAN of one row). A one-pass file that read the mirror, the average or anything else fails.
    Returns the measured figures."""
    from edge.runtime import TFLiteModel

    shipped = TFLiteModel(shipped_bytes)
    flip_file, one_file = strip_appended_archive(shipped_bytes), strip_appended_archive(one_pass_bytes)
    means = _mean_inputs(one_file)  # output position -> (tensor the MEAN averages, its quantization)
    if _mean_inputs(flip_file).keys() != means.keys():
        raise CheckFailed("the one-pass model's outputs are not the flip-averaged model's: nothing was written")
    rows = [means[position][0] for position in sorted(means)]
    flip_rows, one_rows = _with_outputs(flip_file, rows), _with_outputs(one_file, rows)
    worst_rows = worst_output = 0
    for number, face in enumerate(faces):
        x = shipped.quantize_input(face[None])
        both, one, outputs = _run(flip_rows, x), _run(one_rows, x), _run(one_file, x)
        for position, flip_value, one_value in zip(sorted(means), both, one):
            if flip_value.shape[0] != 2 or one_value.shape != (1, *flip_value.shape[1:]):
                raise CheckFailed(f"the one-pass model's rows {one_value.shape} are not one of {flip_value.shape}")
            worst_rows = max(worst_rows, int(np.max(np.abs(flip_value[:1].astype(np.int32) - one_value.astype(np.int32)))))
            scale, zero_point = means[position][1]
            out_scale, out_zero = shipped.output_details[position]["quantization"]
            expected = np.round((one_value.astype(np.float64) - zero_point) * scale / out_scale) + out_zero
            difference = np.abs(expected.reshape(-1) - outputs[position].astype(np.int32).reshape(-1))
            worst_output = max(worst_output, int(np.max(difference)))
        if worst_rows or worst_output > 1:
            raise CheckFailed(f"the one-pass model differs from the flip-averaged model's face row on face #{number} "
                              f"(network {worst_rows} steps, outputs {worst_output} steps): nothing was written")
    return {"faces_checked": len(faces), "network_max_difference_steps": worst_rows,
            "outputs_max_difference_steps": worst_output}


def _mean_inputs(model_bytes: bytes) -> dict[int, tuple[int, tuple[float, int]]]:
    """Output position -> (the tensor its MEAN averages, (scale, zero point)) for outputs made by a MEAN."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(model_bytes))
    graph = model.subgraphs[0]
    found = {}
    for op in graph.operators:
        opcode = model.operatorCodes[op.opcodeIndex]
        if max(opcode.builtinCode, opcode.deprecatedBuiltinCode) == schema.BuiltinOperator.MEAN and op.outputs[0] in graph.outputs:
            q = graph.tensors[op.inputs[0]].quantization
            found[list(graph.outputs).index(op.outputs[0])] = (op.inputs[0], (float(q.scale[0]), int(q.zeroPoint[0])))
    if len(found) != len(graph.outputs):
        raise CheckFailed("the one-pass model has an output not made by a mean of the face rows: cannot check it")
    return found


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


def check_web_model(shipped_path: Path | bytes, web_bytes: bytes, golden: dict, export_dir: Path,
                    name: str | None = None) -> dict:
    """Run both models on every golden face in LiteRT: the web variant's raw uint8 outputs
    must equal the shipped int8 ones + 128 (exact requantization). Returns the measured figures.
    ``shipped_path``: the int8 file (a path, or its bytes with ``name`` for the messages)."""
    from edge.preprocess import preprocess_file
    from edge.runtime import TFLiteModel

    shipped = TFLiteModel(shipped_path)
    name = name or Path(shipped_path).name
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
                raise CheckFailed(f"web model output #{position} differs from {name} on {face['image']} "
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
    export = ExportDir(export_dir)
    if not export.report_json.is_file():
        raise EdgeError(f"{export_dir} is not an edge export directory (no {layout.EXPORT_REPORT}): run `edge export RUN --int8`")
    shipped_name = export.report()["shipped_model"]
    shipped_path = export_dir / shipped_name
    shipped_bytes = shipped_path.read_bytes()
    shipped_spec = read_spec_bytes(shipped_bytes)
    golden = json.loads(export.golden_json.read_text())

    bare = make_web_model(shipped_bytes)
    spec = web_spec(shipped_spec, bare)
    web_bytes = embed_spec(bare, spec)
    check = check_web_model(shipped_path, web_bytes, golden, export_dir)

    one_pass = _one_pass_assets(shipped_bytes, shipped_spec, golden, export_dir) if shipped_spec.flip_averaged else None

    files = {WEB_MODEL_NAME: web_bytes, layout.LABELS_TXT: export.labels_txt.read_bytes(),
             layout.GOLDEN_JSON: export.golden_json.read_bytes(),
             **read_tree(export.golden_dir, layout.GOLDEN_DIR),
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
    if one_pass is not None:  # the page's setting: "two looks" (this file, the default) or "one look"
        one_bytes, one_golden, one_check = one_pass
        files[ONE_PASS_MODEL_NAME], files[ONE_PASS_GOLDEN_NAME] = one_bytes, one_golden
        manifest["looks"] = {
            "two": {"model": WEB_MODEL_NAME, "golden": layout.GOLDEN_JSON, "flip_averaged": True},
            "one": {"model": ONE_PASS_MODEL_NAME, "golden": ONE_PASS_GOLDEN_NAME, "flip_averaged": False,
                    "parity_check": one_check},
        }
        manifest["default_looks"] = "two"
    files[MANIFEST_NAME] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    OwnedFolder(dest, "--web-assets").write(files)
    manifest_path = dest / MANIFEST_NAME
    sizes = sum(len(data) for data in files.values())
    if one_pass is not None:
        log(f"web assets: {ONE_PASS_MODEL_NAME} {len(one_pass[0]) / 1024:,.1f} KB, the same weights reading each face once "
            f"(the page's 'Faster' setting); its network equals {WEB_MODEL_NAME}'s face row bit for bit")
    log(f"web assets: {dest} ({WEB_MODEL_NAME} {len(web_bytes) / 1024:,.1f} KB, uint8 I/O, batch 1"
        f"{', input = raw pixel bytes' if raw_pixels else ''}; detector, golden faces; {sizes / 1024:,.0f} KB in all)")
    return manifest_path


def _one_pass_web_model(shipped_bytes: bytes, shipped_spec: Spec, faces: list[np.ndarray]) -> tuple[bytes, dict]:
    """The one-pass web model of a flip-averaged file (uint8 I/O, batch 1, spec embedded with
    ``flip_averaged: false``) and its checks' figures on ``faces`` (preprocessed float images):
    the face's path bit for bit, then the uint8 requantization exact."""
    from edge.runtime import TFLiteModel

    one_int8 = make_one_pass_model(shipped_bytes)
    one_spec = shipped_spec.with_updates(flip_averaged=False)
    check = check_one_pass_model(shipped_bytes, one_int8, faces)
    bare = make_web_model(one_int8)
    web_bytes = embed_spec(bare, web_spec(one_spec, bare))
    int8, web = TFLiteModel(embed_spec(one_int8, one_spec)), TFLiteModel(web_bytes)
    for x in faces:
        for a, b in zip(int8.run_raw(x), web.run_raw(x)):
            if not np.array_equal(a.astype(np.int32) + UINT8_OFFSET, b.astype(np.int32)):
                raise CheckFailed("the one-pass web model's uint8 outputs are not its int8 outputs + 128: nothing was written")
    check["uint8_max_difference_steps"] = 0
    return web_bytes, check


def _one_pass_assets(shipped_bytes: bytes, shipped_spec: Spec, golden: dict, export_dir: Path) -> tuple[bytes, bytes, dict]:
    """The one-pass web model of a flip-averaged export, its ``golden_one_pass.json`` (Python's
    outputs and labels for this file on the same golden faces) and the checks' figures."""
    from edge.decode import decode_outputs
    from edge.preprocess import preprocess_file
    from edge.runtime import TFLiteModel

    pixels = [preprocess_file(export_dir / face["image"], shipped_spec) for face in golden["faces"]]
    web_bytes, check = _one_pass_web_model(shipped_bytes, shipped_spec, pixels)
    model = TFLiteModel(web_bytes)
    spec = model.spec
    faces = []
    for face in golden["faces"]:
        x = preprocess_file(export_dir / face["image"], spec)
        raw = model.run_raw(x)
        outputs = {out.name: model.dequantize(out.tflite_index, raw[out.tflite_index]) for out in spec.outputs}
        kept = {key: value for key, value in face.items() if not key.startswith("input_")}  # the page reads no input
        faces.append({**kept, "raw_outputs": {out.name: raw[out.tflite_index].reshape(-1).tolist() for out in spec.outputs},
                      "dequantized_outputs": {name: np.round(v.reshape(-1), 6).tolist() for name, v in outputs.items()},
                      "decoded": decode_outputs(spec, outputs).labels(spec, 0)})
    one_golden = {**golden, "model": ONE_PASS_MODEL_NAME, "runtime": model.runtime_name, "spec": spec.to_dict(),
                  "faces": faces}
    return web_bytes, (json.dumps(one_golden, separators=(",", ":"), sort_keys=True) + "\n").encode(), check


def _check_bare_web_variant(shipped_bytes: bytes, shipped_spec: Spec, web_bytes: bytes, name: str, rng):
    """The web variant gives the file's raw outputs exactly on random pixels (the requantization is exact on
    any input, so random pixels prove it too); returns the file's model."""
    from edge.runtime import TFLiteModel

    shipped, web = TFLiteModel(shipped_bytes, spec=shipped_spec), TFLiteModel(web_bytes)
    for _ in range(4):
        x = rng.random(tuple(shipped_spec.input_shape), np.float32)
        for a, b in zip(shipped.run_raw(x), web.run_raw(x)):
            shift = UINT8_OFFSET if a.dtype == np.int8 and b.dtype == np.uint8 else 0
            if not np.array_equal(a.astype(np.int32) + shift, b.astype(np.int32)):
                raise CheckFailed(f"the web variant of {name} differs from it: nothing was served")
    return shipped


def _bare_one_look(shipped_bytes: bytes, shipped_spec: Spec, name: str, rng, log: Log) -> tuple[dict, bytes | None]:
    """The manifest's "looks" and the one-pass file for a bare flip-averaged file ({} and None when it cannot be made)."""
    faces = [rng.random(tuple(shipped_spec.input_shape), np.float32) for _ in range(4)]
    try:
        one_bytes, one_check = _one_pass_web_model(shipped_bytes, shipped_spec, faces)
    except EdgeError as error:  # CheckFailed included: no setting rather than a wrong file
        log(f"no 'one look per face' setting for {name}: {error}")
        return {}, None
    return {"looks": {"two": {"model": WEB_MODEL_NAME, "golden": None, "flip_averaged": True},
                      "one": {"model": ONE_PASS_MODEL_NAME, "golden": None, "flip_averaged": False,
                              "parity_check": one_check}}, "default_looks": "two"}, one_bytes


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
    rng = np.random.default_rng(0)
    shipped = _check_bare_web_variant(shipped_bytes, shipped_spec, web_bytes, model_path.name, rng)
    looks, one_bytes = {}, None
    if shipped_spec.flip_averaged and shipped.is_quantized_input:  # the page's "one look per face" setting too
        looks, one_bytes = _bare_one_look(shipped_bytes, shipped_spec, model_path.name, rng, log)
    dest.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(dest / WEB_MODEL_NAME, web_bytes)
    if looks:
        write_bytes_atomic(dest / ONE_PASS_MODEL_NAME, one_bytes)
    write_detector_assets(dest, _browser_detector(shipped_spec))
    quant = spec.input_quantization
    raw_pixels = bool(quant is not None and spec.pixel_offset == 0 and quant.zero_point == 0
                      and abs(quant.scale - spec.pixel_scale) <= 1e-6 * spec.pixel_scale)
    write_json_atomic(dest / MANIFEST_NAME, {
        "model": WEB_MODEL_NAME, "detector": DETECTOR_CONFIG_FILE, "golden": None, "labels": None,
        "source_model": model_path.name,
        "input": {"dtype": "uint8" if quant else "float32", "quantization": None if quant is None else
                  {"scale": quant.scale, "zero_point": quant.zero_point}, "raw_pixels": raw_pixels},
        "parity_check": {"random_inputs_checked": 4, "max_raw_difference_steps": 0}, **looks,
    })
    log(f"web assets for {model_path}: {dest} ({len(web_bytes) / 1024:,.1f} KB web model, uint8 I/O; no golden faces)")
    return dest
