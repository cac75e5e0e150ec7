"""TensorFlow, imported the one way this project needs it, plus the Keras inference helpers.

Neutral ground between training, export and validation: nothing here imports TensorFlow at
module level (``edge --help`` and the runtime-only commands never pay for it), and nothing
here imports ``train/``, so validate and predict do not depend on the training package.

tfmot (quantization-aware training) supports Keras 2 only: ``TF_USE_LEGACY_KERAS=1`` is FORCED
(not merely defaulted) before the first ``import tensorflow``, every model is built with
``tf_keras``, and ``import_tf`` verifies that ``tf.keras`` really is Keras 2.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from edge.errors import EdgeError
from edge.spec import Spec


def import_tf(cpu_devices: int | None = None):
    """Return ``(tf, tf_keras)``; optionally split the CPU into N logical devices.

    Splitting the CPU lets ``MirroredStrategy`` run real multi-replica training on a machine
    without GPUs (it must happen before any op touches the device).
    """
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tf_keras

    if not tf.keras.__name__.startswith("tf_keras"):
        raise EdgeError(f"TensorFlow loaded {tf.keras.__name__} (Keras 3), but quantization-aware training needs "
                        "Keras 2: TensorFlow was imported before edge could set TF_USE_LEGACY_KERAS=1; "
                        "import edge first (or set TF_USE_LEGACY_KERAS=1) and pip install tf-keras")
    tf.get_logger().setLevel("ERROR")
    if cpu_devices and cpu_devices > 1:
        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
        except RuntimeError:
            pass  # already initialised in this process: keep what exists
    return tf, tf_keras


def gpu_names() -> list[str]:
    tf, _ = import_tf()
    return [d.name for d in tf.config.list_physical_devices("GPU")]


def load_keras_model(path: Path):
    """Load a saved ``.keras`` model for inference; a missing or corrupt file is one EdgeError line."""
    path = Path(path)
    if not path.is_file():
        raise EdgeError(f"{path} is missing: finish the run with `edge train --resume --out {path.parent}`")
    _, keras = import_tf()
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # h5py/zip/json errors of a damaged file come in many types
        reason = " ".join(str(error).split())[:160]
        raise EdgeError(f"{path} is not a loadable Keras model ({type(error).__name__}: {reason}): "
                        f"the file is damaged; re-train the run, or `edge train --resume` from its checkpoint") from None


def keras_outputs(model, inputs: np.ndarray, spec: Spec, batch: int = 256) -> dict[str, np.ndarray]:
    """Run a Keras model on float model inputs; outputs keyed by the spec's output names."""
    outputs = model.predict(inputs, batch_size=batch, verbose=0)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {out.name: np.asarray(value) for out, value in zip(spec.outputs, outputs)}


def predict_outputs(model, images_uint8: np.ndarray, spec: Spec, batch: int = 256) -> dict[str, np.ndarray]:
    """Run a Keras model on uint8 images (scaled per the spec); outputs keyed by output name."""
    from edge.preprocess import to_model_input

    return keras_outputs(model, to_model_input(images_uint8, spec), spec, batch)


def save_model_atomic(model, path: Path) -> None:
    """Save a Keras model under a temporary name and rename it into place; never leave the temp behind.

    Keras wants a ``.keras`` suffix, so the temporary is ``.<name>.tmp.keras`` (a full disk
    would otherwise leave it there, keeping the disk full).
    """
    temp = path.with_name(f".{path.name}.tmp.keras")
    try:
        model.save(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
