"""Losses for the single-output families, registered so checkpoints reload by name.

Unknown labels are encoded as all-zero blocks (2-hot) or -1 (tuple) and contribute no loss.
"""

from __future__ import annotations

from edge.spec import Spec
from edge.tf_bootstrap import import_tf
from edge.train.config import TrainConfig
from edge.train.models import TUPLE, TWO_HEADS, TWO_HOT, get_family

tf, keras = import_tf()


@keras.saving.register_keras_serializable(package="edge")
def two_hot_crossentropy(y_true, y_pred):
    """Sum of the age-block and gender-block cross-entropies of a 2-hot output.

    Both blocks of ``y_pred`` are softmax distributions; ``y_true`` holds one 1 per known
    block (a block of zeros = unknown label, no loss).
    """
    y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0)
    return -tf.reduce_sum(y_true * tf.math.log(y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="edge")
def masked_tuple_mse(y_true, y_pred):
    """Mean squared error over the known entries of (age class, gender); -1 = unknown."""
    mask = tf.cast(y_true >= 0, y_pred.dtype)
    squared = tf.square(tf.cast(y_true, y_pred.dtype) - y_pred) * mask
    return tf.reduce_sum(squared, axis=-1) / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)


# Weight of the expectation term (|E[age] - age| in years): ~0.25 of loss at a 5-year error,
# the size of the gender loss, so neither head drowns the other in the shared layers
DLDL_L1_WEIGHT = 0.05


@keras.saving.register_keras_serializable(package="edge")
class AgeDistributionLoss(keras.losses.Loss):
    """DLDL-v2 on the age-group softmax: KL to the Gaussian label distribution + L1 of the expectation.

    ``y_true`` is K+1 columns (``train.pipeline.model_targets``): the label distribution over the
    K groups, then the age in years. The expected value over the group centers is exactly what
    ``edge.decode`` reports as the age in years, so the L1 term trains the reported number.
    """

    def __init__(self, centers=(), l1_weight: float = DLDL_L1_WEIGHT, name: str = "age_distribution", **kwargs):
        super().__init__(name=name, **kwargs)
        self.centers = [float(c) for c in centers]
        self.l1_weight = float(l1_weight)

    def call(self, y_true, y_pred):
        classes = len(self.centers)
        y_true = tf.cast(y_true, y_pred.dtype)
        target, years = y_true[:, :classes], y_true[:, classes]
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0)
        divergence = tf.reduce_sum(target * (tf.math.log(tf.clip_by_value(target, 1e-7, 1.0)) - tf.math.log(y_pred)), -1)
        expected = tf.reduce_sum(y_pred * tf.constant(self.centers, y_pred.dtype), -1) / tf.reduce_sum(y_pred, -1)
        return divergence + self.l1_weight * tf.abs(expected - years)

    def get_config(self):
        return {**super().get_config(), "centers": self.centers, "l1_weight": self.l1_weight}


def compile_model(model, config: TrainConfig, spec: Spec) -> None:
    """Compile for training as the run's config says: losses as a LIST in output order (quantize_model renames outputs).

    ``config.age_sigma`` > 0: the age head learns a label distribution over the spec's group centers
    (``AgeDistributionLoss``). ``config.gender_weight`` scales a two-head model's gender loss (the age loss keeps
    its own weight). Adam starts at ``config.lr``.
    """
    label_scheme, age_sigma, gender_weight = spec.label_scheme, config.age_sigma or 0.0, config.gender_weight
    optimizer = keras.optimizers.Adam(config.lr)
    layout = get_family(config.model).layout
    if layout == TWO_HEADS:
        if label_scheme == "age":
            losses, weights = [keras.losses.Huber(delta=5.0), keras.losses.BinaryCrossentropy()], [0.2, gender_weight]
        elif age_sigma > 0:
            losses, weights = [AgeDistributionLoss(spec.age_class_centers), keras.losses.BinaryCrossentropy()], [1.0, gender_weight]
        else:
            losses, weights = [keras.losses.SparseCategoricalCrossentropy(), keras.losses.BinaryCrossentropy()], [1.0, gender_weight]
        model.compile(optimizer=optimizer, loss=losses, loss_weights=weights)
    elif layout == TWO_HOT:
        model.compile(optimizer=optimizer, loss=two_hot_crossentropy)
    elif layout == TUPLE:
        model.compile(optimizer=optimizer, loss=masked_tuple_mse)
    else:
        raise ValueError(config.model)
