"""An exponential moving average of the weights (``edge train --ema DECAY``).

Late in a cosine schedule the learning rate is still 5% of its peak, and the validation MAE of a
`mobile` run moves by +-0.1 y from one epoch to the next (BENCHMARKS.md): the last step's weights are
one noisy sample around a good point. Their running average sits nearer that point. Every variable
is averaged, the batch-norm statistics too, so the averaged model is consistent as it stands.

The average is what a run produces: Keras's own validation loss, the per-epoch validation metrics,
the test metrics and ``model.keras`` all read it. Training continues from the raw weights, and each
checkpoint keeps both: the raw weights in ``epoch_NNN.keras``, the average beside it in
``average_NNN.npz``, so ``--resume`` picks the average up where it stopped.

Imported only inside training (it imports TensorFlow).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from edge.errors import EdgeError
from edge.io import write_bytes_atomic
from edge.tf_bootstrap import import_tf

tf, keras = import_tf()


class WeightAverage(keras.callbacks.Callback):
    """Keeps ``shadow = d * shadow + (1 - d) * weights`` after every training step.

    ``d`` warms up as ``min(decay, (1 + n) / (10 + n))`` over the ``n`` updates so far (the rule of
    ``tf.train.ExponentialMovingAverage``), so the average forgets the random initialisation within
    a few hundred steps instead of a few thousand.
    """

    def __init__(self, decay: float):
        super().__init__()
        self.decay = float(decay)
        self.updates = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.shadow: list | None = None  # created from the model's weights on first use (set_model comes first)

    # --- the average ------------------------------------------------------------------------
    def _ensure_shadow(self) -> None:
        if self.shadow is not None:
            return
        self.shadow = [tf.Variable(w.read_value(), trainable=False) for w in self.model.weights]

    @tf.function
    def _update(self):
        n = tf.cast(self.updates, tf.float32)
        decay = tf.minimum(tf.constant(self.decay, tf.float32), (1.0 + n) / (10.0 + n))
        for shadow, weight in zip(self.shadow, self.model.weights):
            value = tf.cast(weight.read_value(), shadow.dtype)
            shadow.assign(decay * shadow + (1.0 - decay) * value)
        self.updates.assign_add(1)

    @tf.function
    def _swap(self):
        for shadow, weight in zip(self.shadow, self.model.weights):
            held = tf.identity(weight.read_value())
            weight.assign(tf.cast(shadow, weight.dtype))
            shadow.assign(tf.cast(held, shadow.dtype))

    @contextmanager
    def averaged(self):
        """Within the block the model holds the average (the raw weights come back after it)."""
        self._ensure_shadow()
        self._swap()
        try:
            yield
        finally:
            self._swap()

    def apply(self) -> None:
        """Put the average into the model for good (the end of training)."""
        self._ensure_shadow()
        for shadow, weight in zip(self.shadow, self.model.weights):
            weight.assign(tf.cast(shadow, weight.dtype))

    # --- checkpoints ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the average and its update count atomically (an .npz beside the epoch checkpoint)."""
        self._ensure_shadow()
        arrays = {f"w{i:04d}": s.numpy() for i, s in enumerate(self.shadow)}
        buffer = io.BytesIO()
        np.savez(buffer, updates=np.int64(self.updates.numpy()), **arrays)
        write_bytes_atomic(path, buffer.getvalue())

    def load(self, path: Path) -> None:
        """Continue from an average written by :meth:`save` (call after ``set_model``)."""
        self._ensure_shadow()
        with np.load(path) as data:
            saved = {key: data[key] for key in data.files}
        names = sorted(k for k in saved if k.startswith("w"))
        if len(names) != len(self.shadow) or any(saved[n].shape != tuple(s.shape) for n, s in zip(names, self.shadow)):
            raise EdgeError("the checkpoint's weight average does not match the model: delete the run's checkpoint/ "
                            "to start over")
        for name, shadow in zip(names, self.shadow):
            shadow.assign(saved[name])
        self.updates.assign(int(saved["updates"]))

    # --- Keras hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._ensure_shadow()

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    # Keras validates inside fit() between the two: the validation loss it logs is the average's
    def on_test_begin(self, logs=None):
        if self.shadow is not None:
            self._swap()

    def on_test_end(self, logs=None):
        if self.shadow is not None:
            self._swap()
