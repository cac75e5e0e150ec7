"""The one way edge loads a TFLite interpreter (the lowest layer of the runtime path: no spec, no model file).

Interpreters are tried in order: ``ai_edge_litert`` (LiteRT, the maintained successor of
tflite-runtime), ``tflite_runtime`` (its last release crashes under numpy 2, so it must also
*work*, not just import), then TensorFlow's ``tf.lite.Interpreter``; the name of the one that
loaded is returned beside it. ``edge.runtime`` (exported models), ``edge.detect`` (the face
detector) and ``edge.tflite_meta`` (is a file loadable at all?) share it.
"""

from __future__ import annotations

import warnings

from edge.errors import EdgeError


def _interpreter_classes():
    try:
        from ai_edge_litert.interpreter import Interpreter

        yield "ai_edge_litert", Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        yield "tflite_runtime", Interpreter
    except ImportError:
        pass
    try:
        import tensorflow as tf

        yield "tensorflow.lite", tf.lite.Interpreter
    except ImportError:
        pass


def make_interpreter(model_bytes: bytes, num_threads: int = 1, where: str = "the model"):
    """Return ``(interpreter, runtime_name)`` from the first runtime that loads the model."""
    errors = []
    for name, interpreter_class in _interpreter_classes():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                interpreter = interpreter_class(model_content=model_bytes, num_threads=num_threads)
            interpreter.allocate_tensors()
            return interpreter, name
        except Exception as error:  # a runtime that imports but cannot run this model: try the next
            errors.append(f"{name}: {error}")
    if not errors:
        raise EdgeError("no TFLite runtime is installed: pip install ai-edge-litert")
    first = " ".join(errors[0].split())[:160]
    raise EdgeError(f"{where} is a truncated or corrupt TFLite file (the runtime cannot load it: {first}): "
                    "re-export it with `edge export`")
