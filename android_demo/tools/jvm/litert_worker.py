"""The LiteRT double's worker: runs one .tflite in the real LiteRT (PyPI ai-edge-litert) for the JVM.

Started by ``org/tensorflow/lite/Interpreter.java`` as ``python litert_worker.py MODEL THREADS``. Protocol on
stdin/stdout, big-endian int32 lengths: first a JSON message describing the input and output tensors; then per run,
``count`` input blobs in -> ``count`` output blobs out (or -1 and an error message); a count of -1 from the JVM ends it.
"""

from __future__ import annotations

import json
import struct
import sys

import numpy as np


def _read_exact(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the JVM closed the pipe")
    return data


def _describe(details: list[dict]) -> list[dict]:
    return [{"name": d["name"], "shape": [int(v) for v in d["shape"]], "dtype": np.dtype(d["dtype"]).name,
             "scale": float(d["quantization"][0]), "zero_point": int(d["quantization"][1])} for d in details]


def _send(stream, payload: bytes) -> None:
    stream.write(struct.pack(">i", len(payload)) + payload)
    stream.flush()


def main() -> None:
    """Serve runs of one model until the JVM closes the interpreter."""
    from ai_edge_litert.interpreter import Interpreter

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    threads = int(sys.argv[2])
    try:
        interpreter = Interpreter(model_path=sys.argv[1], num_threads=threads if threads > 0 else None)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        _send(stdout, json.dumps({"error": str(error)}).encode())
        return
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    _send(stdout, json.dumps({"inputs": _describe(inputs), "outputs": _describe(outputs)}).encode())
    while True:
        (count,) = struct.unpack(">i", _read_exact(stdin, 4))
        if count < 0:
            return
        try:
            for detail in inputs[:count]:
                (size,) = struct.unpack(">i", _read_exact(stdin, 4))
                # the JVM writes native (little-endian) order, as LiteRT's direct buffers hold it
                values = np.frombuffer(_read_exact(stdin, size), dtype=detail["dtype"]).reshape(detail["shape"])
                interpreter.set_tensor(detail["index"], values)
            interpreter.invoke()
        except (ValueError, RuntimeError) as error:
            stdout.write(struct.pack(">i", -1))
            _send(stdout, str(error).encode())
            continue
        blobs = [np.ascontiguousarray(interpreter.get_tensor(d["index"])).tobytes() for d in outputs]
        stdout.write(struct.pack(">i", len(blobs)))
        for blob in blobs:
            stdout.write(struct.pack(">i", len(blob)) + blob)
        stdout.flush()


if __name__ == "__main__":
    main()
