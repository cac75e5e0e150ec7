"""Quantization-aware fine-tuning: the int8 model learns to reproduce its float teacher.

QAT-only code lives here (export/), not in the training package: the exporter is its only user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from edge.preprocess import to_model_input
from edge.spec import Spec
from edge.tf_bootstrap import import_tf
from edge.train.models import TUPLE, TWO_HEADS, TWO_HOT, get_family

Log = Callable[[str], None]


def qat_learning_rate(config: dict) -> float:
    """The QAT fine-tune's learning rate: 1/20 of the run's."""
    return float(config["lr"]) * 0.05  # fine-tune gently from the trained float weights


@dataclass(frozen=True)
class QatPlan:
    """What the QAT fine-tune follows: the run's config and spec, its calibration images, epochs and seed.

    ``calibration``: real training images as model input, the activation ranges are set from them;
    ``seed`` None: the run's training seed.
    """

    config: dict
    spec: Spec
    calibration: np.ndarray
    epochs: int
    seed: int | None = None


def quantization_aware_finetune(qat_model, teacher, data, plan: QatPlan, log: Log) -> None:
    """Fine-tune the quantize_model-wrapped model to reproduce the float teacher (see step 4).

    Activation ranges are first set from the teacher's real activations on ``plan.calibration`` (tfmot's +-6 start
    and slow EMA would otherwise clip the heads' logits). Targets are the float model's
    outputs on the un-augmented training images; the learning rate is 1/20 of training's.
    With 0 epochs one step at learning rate 0 sets the weight ranges and nothing else.
    ``plan.seed`` (default: the run's training seed) seeds Python, NumPy and TensorFlow (dropout) and the
    shuffling, so one seed gives the same QAT model.
    """
    from edge.export.convert import calibrate_qat_ranges
    from edge.train.pipeline import Feed, make_dataset

    config, spec, epochs, calibration = plan.config, plan.spec, plan.epochs, plan.calibration
    seed = int(config["seed"]) if plan.seed is None else int(plan.seed)
    import_tf()[1].utils.set_random_seed(seed)
    ranges = calibrate_qat_ranges(qat_model, teacher, calibration)
    log(f"QAT: {ranges} activation ranges set from {len(calibration)} real images")
    compile_distillation(qat_model, config["model"], spec.label_scheme, qat_learning_rate(config) if epochs else 0.0)
    train_images = data.images[data.split.train]
    images = train_images if epochs else train_images[: int(config["batch"])]  # 0 epochs: one batch
    teacher_outputs = teacher.predict(to_model_input(images, spec), batch_size=256, verbose=0)
    y = tuple(teacher_outputs) if isinstance(teacher_outputs, list) else teacher_outputs
    weight = tuple(np.ones(len(images), np.float32) for _ in spec.outputs) if len(spec.outputs) > 1 \
        else np.ones(len(images), np.float32)
    dataset = make_dataset(images, y, weight, spec, Feed(int(config["batch"]), training=True, seed=seed, augment=False))
    for epoch in range(max(epochs, 1)):
        started = time.perf_counter()
        history = qat_model.fit(dataset, epochs=1, verbose=0)
        if epochs:
            log(f"QAT epoch {epoch + 1}/{epochs}: loss {history.history['loss'][-1]:.4f} "
                f"({time.perf_counter() - started:.1f}s)")


def compile_distillation(model, family: str, label_scheme: str, learning_rate: float) -> None:
    """Compile a QAT model to reproduce its float teacher's outputs (soft targets, list order)."""
    from edge.train.losses import two_hot_crossentropy

    _, keras = import_tf()
    optimizer = keras.optimizers.Adam(learning_rate)
    layout = get_family(family).layout
    if layout == TWO_HEADS:
        age_loss = keras.losses.Huber(delta=5.0) if label_scheme == "age" else keras.losses.CategoricalCrossentropy()
        model.compile(optimizer=optimizer, loss=[age_loss, keras.losses.BinaryCrossentropy()],
                      loss_weights=[0.2 if label_scheme == "age" else 1.0, 1.0])
    elif layout == TWO_HOT:
        model.compile(optimizer=optimizer, loss=two_hot_crossentropy)  # -sum(t log p) takes soft targets as is
    elif layout == TUPLE:
        model.compile(optimizer=optimizer, loss=keras.losses.MeanSquaredError())
    else:
        raise ValueError(family)
