"""Run exported ``.tflite`` files in the standalone runtime, without TensorFlow.

Interpreters are tried in order: ``ai_edge_litert`` (LiteRT, the maintained successor of
tflite-runtime), ``tflite_runtime`` (its last release crashes under numpy 2, so it must also
*work*, not just import), then TensorFlow's ``tf.lite.Interpreter``. ``runtime_name`` says
which one ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from edge.errors import EdgeError
from edge.spec import Spec
from edge.interpreter import make_interpreter
from edge.tflite_meta import read_model_bytes, read_spec_checked


def check_spec_against_model(spec: Spec, input_detail: dict, output_details: list[dict], where: str) -> None:
    """EdgeError (exit 2) naming the file and the spec field when the spec does not describe this model.

    The spec drives preprocessing and decoding; the tensors are the truth. A spec whose image size or
    colour does not match the input tensor, or whose outputs do not match the output tensors in
    count, position and width, would crash inside the runtime or, worse, decode wrong numbers.
    """
    def fail(message: str) -> EdgeError:
        return EdgeError(f"{where}: its embedded spec does not match the model: {message}: re-export it with `edge export`")

    shape = tuple(int(v) for v in input_detail["shape"])
    if len(shape) != 4 or shape[1:] != spec.input_shape:
        raise fail(f"image_size {spec.image_size} and color {spec.color} mean an input of "
                   f"{' x '.join(map(str, spec.input_shape))}, the input tensor is {' x '.join(map(str, shape[1:]))}")
    if not spec.outputs:
        raise fail("field outputs is empty")
    seen = set()
    for position, out in enumerate(spec.outputs):
        field = f"outputs[{position}]"
        if out.tflite_index is None or not 0 <= out.tflite_index < len(output_details):
            raise fail(f"field {field}.tflite_index = {out.tflite_index!r}, the model has {len(output_details)} "
                       f"output tensor(s)")
        if out.tflite_index in seen:
            raise fail(f"field {field}.tflite_index = {out.tflite_index} names an output tensor twice")
        seen.add(out.tflite_index)
        tensor_shape = [int(v) for v in output_details[out.tflite_index]["shape"]]
        if int(np.prod(tensor_shape[1:])) != out.width:
            raise fail(f"field {field}.width = {out.width}, output tensor {out.tflite_index} has "
                       f"{int(np.prod(tensor_shape[1:]))} values")


class TFLiteModel:
    """An exported model: its interpreter, embedded spec and int8 I/O handling.

    ``run`` takes float model inputs (already preprocessed per the spec), quantizes them when
    the input tensor is int8/uint8, and returns dequantized outputs keyed by the spec's output
    names (using the output positions recorded at export).
    """

    def __init__(self, path_or_bytes: Path | bytes, num_threads: int = 1, spec: Spec | None = None):
        self.path = None if isinstance(path_or_bytes, bytes) else Path(path_or_bytes)
        self.model_bytes = path_or_bytes if isinstance(path_or_bytes, bytes) else read_model_bytes(self.path)
        where = str(self.path) if self.path is not None else "the model"
        self.spec = spec or read_spec_checked(self.model_bytes, where)
        self.interpreter, self.runtime_name = make_interpreter(self.model_bytes, num_threads, where)
        self.input = self.interpreter.get_input_details()[0]
        self.output_details = self.interpreter.get_output_details()
        if spec is None:  # a spec passed in is the caller's (export passes one before output indices exist)
            check_spec_against_model(self.spec, self.input, self.output_details, where)

    @property
    def size_bytes(self) -> int:
        return len(self.model_bytes)

    @property
    def is_quantized_input(self) -> bool:
        return self.input["dtype"] in (np.int8, np.uint8)

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """float model input -> the input tensor's dtype (int8 I/O models need this)."""
        if not self.is_quantized_input:
            return x.astype(self.input["dtype"])
        scale, zero_point = self.input["quantization"]
        info = np.iinfo(self.input["dtype"])
        return np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(self.input["dtype"])

    def run_raw(self, x: np.ndarray) -> list[np.ndarray]:
        """One face (H, W, C float) -> raw output tensors, in the interpreter's output order."""
        self.interpreter.set_tensor(self.input["index"], self.quantize_input(x[None]))
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(d["index"]).copy() for d in self.output_details]

    def dequantize(self, position: int, raw: np.ndarray) -> np.ndarray:
        detail = self.output_details[position]
        if detail["dtype"] in (np.int8, np.uint8):
            scale, zero_point = detail["quantization"]
            return (raw.astype(np.float32) - zero_point) * scale
        return raw.astype(np.float32)

    def run(self, x: np.ndarray, on_face: Callable[[], None] | None = None) -> dict[str, np.ndarray]:
        """Float inputs (N, H, W, C) -> dequantized outputs {name: (N, width)} per the spec.

        ``on_face`` is called after each face (progress bars).
        """
        results: dict[str, list[np.ndarray]] = {out.name: [] for out in self.spec.outputs}
        for face in x:
            raw = self.run_raw(face)
            for out in self.spec.outputs:
                results[out.name].append(self.dequantize(out.tflite_index, raw[out.tflite_index])[0])
            if on_face:
                on_face()
        return {name: np.stack(values) for name, values in results.items()}
