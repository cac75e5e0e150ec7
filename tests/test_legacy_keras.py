"""tfmot needs Keras 2: TF_USE_LEGACY_KERAS is forced (a user's TF_USE_LEGACY_KERAS=0 does not win) and
verified (TensorFlow already bound to Keras 3 is one clear error, not a confusing tfmot traceback)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT


def _python(code: str, **env: str | None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=environment)


@pytest.mark.slow
def test_legacy_keras_is_forced_even_when_the_user_set_it_to_0():
    code = ("import os\nfrom edge.tf_bootstrap import import_tf\n"
            "tf, keras = import_tf()\n"
            "assert os.environ['TF_USE_LEGACY_KERAS'] == '1'\n"
            "assert tf.keras.__name__.startswith('tf_keras'), tf.keras.__name__\n"
            "import tensorflow_model_optimization as tfmot\n"
            "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
            "quantized = tfmot.quantization.keras.quantize_model(model)\n"  # raises under Keras 3
            "print('ok', type(quantized).__module__)\n")
    result = _python(code, TF_USE_LEGACY_KERAS="0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok tf_keras")


@pytest.mark.slow
def test_tensorflow_bound_to_keras_3_first_is_one_clear_error():
    code = ("import tensorflow as tf\n"
            "tf.keras.layers  # binds tf.keras to Keras 3 before edge can set the variable\n"
            "from edge.errors import EdgeError\nfrom edge.tf_bootstrap import import_tf\n"
            "try:\n    import_tf()\nexcept EdgeError as error:\n    print(error.message)\n")
    result = _python(code, TF_USE_LEGACY_KERAS=None)
    assert result.returncode == 0, result.stderr[-2000:]
    message = result.stdout.strip()
    assert "Keras 3" in message and "TF_USE_LEGACY_KERAS=1" in message and len(message.splitlines()) == 1
