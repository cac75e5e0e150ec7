"""Import TensorFlow the one way this project needs it.

tfmot (quantization-aware training) supports Keras 2 only: ``TF_USE_LEGACY_KERAS=1`` must be
set before the first ``import tensorflow`` and every model is built with ``tf_keras``.
"""

from __future__ import annotations

import os


def import_tf(cpu_devices: int | None = None):
    """Return ``(tf, tf_keras)``; optionally split the CPU into N logical devices.

    Splitting the CPU lets ``MirroredStrategy`` run real multi-replica training on a machine
    without GPUs (it must happen before any op touches the device).
    """
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tf_keras

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
