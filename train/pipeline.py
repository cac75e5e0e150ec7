"""The tf.data input pipeline, fed from the decoded-image cache (uint8 arrays in memory).

Scaling follows the spec (``pixel_scale``, ``pixel_offset``), exactly like
``edge.preprocess.to_model_input``. Augmentation (random horizontal flip, small rotation
and shift, brightness) runs on batches of the training split only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from edge.spec import Spec
from edge.targets import Targets
from edge.teacher import TeacherLabels, blend
from edge.tf_bootstrap import import_tf
from edge.train.models import TWO_HEADS, TWO_HOT, get_family

MAX_ROTATION_DEGREES = 10.0
MAX_SHIFT_FRACTION = 0.06
MAX_BRIGHTNESS_DELTA = 0.1  # fraction of the full pixel range


def age_distribution(years: np.ndarray, centers: np.ndarray, sigma: float, sigma_per_year: float = 0.0) -> np.ndarray:
    """Gaussian label distribution over the age groups (DLDL): p_k ~ w_k exp(-(c_k - y)^2 / 2 sigma^2).

    A 20-year-old and a 24-year-old share a group but not a target: the soft label says where
    in the group (and how close to its neighbours) the face is, which the expected-value decoding
    (``edge.decode``) turns back into years. ``w_k`` is group k's width in years, so groups of
    unequal width (utk28's one-year groups beside five-year ones) get the Gaussian's mass over their
    range, not its density at their centre; for equal widths (utk20) it cancels. With one-year
    groups the width is ``clip(years / 3, 1, sigma)``: a 1-year-old's target stays near 1 instead
    of a 3-year Gaussian cut at 0, whose median says 2.5. ``sigma_per_year`` > 0 widens it with age,
    ``max(sigma, sigma_per_year * years)``, as people's own guesses of an older face spread wider.
    """
    from edge.decode import group_bounds

    widths = np.diff(group_bounds(centers))
    sigmas = np.full(len(years), float(sigma))
    if widths.min() < 2:  # one-year groups ask for a child's age to the year: the width follows the age
        sigmas = np.clip(np.asarray(years, np.float64) / 3.0, 1.0, max(sigma, 1.0))
    if sigma_per_year > 0:
        sigmas = np.where(years >= 10, np.maximum(sigmas, sigma_per_year * np.asarray(years, np.float64)), sigmas)
    logits = -np.square(centers[None, :] - years[:, None]) / (2.0 * sigmas[:, None] ** 2) + np.log(widths)[None, :]
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class TargetRecipe:
    """How training targets are made beyond the labels: the age label distribution, class weights, a teacher.

    ``age_sigma`` > 0 (two-head families, group schemes): the age target is K+1 columns, the label
    distribution over the K groups (centred on ``age_centers``, widening by ``age_sigma_per_year``
    from 10 years on), then the age in years (the group's center when only the group is known, e.g.
    Adience ranges) for the expectation term of the loss. ``teacher`` (aligned to the targets):
    distillation, the age distribution and the gender target become ``teacher_weight`` of the
    teacher's probabilities and the rest the dataset label (``edge.teacher.blend``); the years
    column stays the dataset's.
    """

    age_sigma: float = 0.0
    age_sigma_per_year: float = 0.0
    age_centers: tuple[float, ...] = ()
    age_class_weights: dict[int, float] | None = None
    teacher: TeacherLabels | None = None
    teacher_weight: float = 0.0


def model_targets(family: str, label_scheme: str, targets: Targets, num_classes: int,
                  recipe: TargetRecipe = TargetRecipe()):
    """(y, sample_weight) arrays in the family's output order; unknown labels carry no loss."""
    known_age = targets.age_class >= 0 if label_scheme != "age" else ~np.isnan(targets.age_years)
    known_gender = targets.gender >= 0
    class_weight = np.ones(len(targets.gender), np.float32)
    if recipe.age_class_weights:
        class_weight = np.asarray([recipe.age_class_weights.get(int(c), 1.0) for c in targets.age_class], np.float32)
    layout = get_family(family).layout
    if layout == TWO_HEADS:
        age_y, gender_y = _two_head_targets(label_scheme, targets, recipe)
        return (age_y, gender_y), (known_age.astype(np.float32) * class_weight, known_gender.astype(np.float32))
    if layout == TWO_HOT:
        y = np.zeros((len(targets.gender), num_classes + 2), np.float32)
        rows = np.arange(len(y))
        y[rows[known_age], targets.age_class[known_age]] = 1.0
        y[rows[known_gender], num_classes + targets.gender[known_gender]] = 1.0
        return y, class_weight
    y = np.stack([np.where(known_age, targets.age_class, -1), np.where(known_gender, targets.gender, -1)], 1)
    return y.astype(np.float32), class_weight  # TUPLE


def _two_head_targets(label_scheme: str, targets: Targets, recipe: TargetRecipe) -> tuple[np.ndarray, np.ndarray]:
    """The age head's target (years, a label distribution + years, or a group) and the gender head's."""
    if label_scheme == "age":
        age_y = np.nan_to_num(targets.age_years).astype(np.float32)
    elif recipe.age_sigma > 0:
        centers = np.asarray(recipe.age_centers, np.float64)
        years = np.where(np.isnan(targets.age_years), centers[np.maximum(targets.age_class, 0)], targets.age_years)
        distribution = age_distribution(years, centers, recipe.age_sigma, recipe.age_sigma_per_year)
        if recipe.teacher is not None:
            distribution = blend(distribution, recipe.teacher.age_distribution, recipe.teacher_weight)
        age_y = np.concatenate([distribution, years[:, None].astype(np.float32)], 1)
    else:
        age_y = np.maximum(targets.age_class, 0).astype(np.int32)
    gender_y = np.maximum(targets.gender, 0).astype(np.float32)
    if recipe.teacher is not None:
        gender_y = blend(gender_y, recipe.teacher.gender_prob, recipe.teacher_weight)
    return age_y, gender_y


@dataclass(frozen=True)
class Feed:
    """How a tf.data pipeline feeds a model: batch size, and for training the shuffle and augmentation.

    ``training`` shuffles every epoch (also without augmentation: dataset lists are often sorted,
    e.g. UTKFace by age); ``augment`` (default: same as ``training``) adds the random
    flip/rotation/shift/brightness, a random scale of +-``zoom``, and a ``degrade`` share of faces
    made to look like phone/web photos (``degrade_batch``). Both are seeded by ``seed``: each epoch
    differs, and two runs with one seed see the same order and the same augmentations.
    """

    batch: int
    training: bool
    seed: int
    augment: bool | None = None
    zoom: float = 0.0
    degrade: float = 0.0


def make_dataset(images: np.ndarray, y, sample_weight, spec: Spec, feed: Feed):
    """Batched, prefetched tf.data.Dataset of (scaled image, y, sample_weight), fed as ``feed`` says."""
    training, seed = feed.training, feed.seed
    augment = training if feed.augment is None else feed.augment
    tf, _ = import_tf()
    dataset = tf.data.Dataset.from_tensor_slices((images, y, sample_weight))
    if training:
        dataset = dataset.shuffle(min(len(images), 20000), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(feed.batch)
    scale, offset = float(spec.pixel_scale), float(spec.pixel_offset)

    def scale_batch(x, target, weight):
        return tf.cast(x, tf.float32) * scale + offset, target, weight

    dataset = dataset.map(scale_batch, num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        pixel_range = (offset, 255.0 * scale + offset)
        # one [2] stateless seed per batch from a seeded stream that differs every epoch (not every run)
        batch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

        def augmented(batch_data, batch_seed):
            return (augment_batch(batch_data[0], pixel_range, batch_seed, feed.zoom, feed.degrade), *batch_data[1:])

        dataset = tf.data.Dataset.zip((dataset, batch_seeds)).map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
    # Under MultiWorkerMirroredStrategy every worker builds this same seeded stream and keeps its own
    # part of each batch (sharding by data: the images are in memory, there are no files to split)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


def augment_batch(x, pixel_range: tuple[float, float], seed, zoom: float = 0.0, degrade: float = 0.0):
    """Random flip, rotation (+-10 deg), shift (+-6%), scale (+-``zoom``) and brightness (+-10%) per image.

    The scale is why a phone's crop still looks like a training face: a detector box plus the
    spec's margin, or another source's crop rule, frames a face tighter or wider than a dataset
    chip. Without it the model learns the chips' one framing and reads a face framed wider as older.

    ``pixel_range`` is (low, high), the scaled input's range: brightness is a share of it, results stay in it.
    ``seed`` is a shape-[2] integer tensor: the same seed gives the same augmentation (stateless ops).
    """
    tf, _ = import_tf()
    low, high = pixel_range
    flip_seed, angle_seed, x_seed, y_seed, brightness_seed, zoom_seed, degrade_seed = tf.unstack(
        tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=7))

    def uniform(shape, op_seed, low_value=-1.0, high_value=1.0):
        return tf.random.stateless_uniform(shape, op_seed, low_value, high_value)

    batch = tf.shape(x)[0]
    height, width = tf.cast(tf.shape(x)[1], tf.float32), tf.cast(tf.shape(x)[2], tf.float32)
    flip = uniform([batch, 1, 1, 1], flip_seed, 0.0, 1.0) < 0.5
    x = tf.where(flip, tf.reverse(x, axis=[2]), x)
    angle = uniform([batch], angle_seed) * (MAX_ROTATION_DEGREES * math.pi / 180.0)
    shift_x = uniform([batch], x_seed) * MAX_SHIFT_FRACTION * width
    shift_y = uniform([batch], y_seed) * MAX_SHIFT_FRACTION * height
    # > 1 samples a larger area of the input (the face looks smaller, framed wider), < 1 a tighter one
    scale = 1.0 + uniform([batch], zoom_seed) * zoom
    cos, sin = tf.cos(angle) * scale, tf.sin(angle) * scale
    center_x, center_y = (width - 1) / 2, (height - 1) / 2
    # maps output pixel (x, y) to input pixel: rotate about the center, then shift
    transforms = tf.stack([
        cos, -sin, center_x - cos * center_x + sin * center_y + shift_x,
        sin, cos, center_y - sin * center_x - cos * center_y + shift_y,
        tf.zeros([batch]), tf.zeros([batch]),
    ], axis=1)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=transforms, output_shape=tf.shape(x)[1:3], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="REFLECT")
    brightness = uniform([batch, 1, 1, 1], brightness_seed) * MAX_BRIGHTNESS_DELTA * (high - low)
    x = tf.clip_by_value(x + brightness, low, high)
    return degrade_batch(x, degrade_seed, degrade, low, high) if degrade > 0 else x


def degrade_batch(x, seed, share: float, low: float, high: float):
    """Make a ``share`` of the faces look like phone and web photos rather than clean dataset chips.

    Dataset chips are sharp, well exposed crops; faces from a phone camera or another dataset
    (Adience: 128 px Flickr faces) are softer and differently exposed. Chosen faces are resampled
    down to 30-80% of the input size and back (one factor per batch: tf.image.resize needs one
    size), and get contrast and saturation factors of 0.75-1.25 each. Values stay in the input's range.
    """
    tf, _ = import_tf()
    pick_seed, size_seed, contrast_seed, saturation_seed = tf.unstack(
        tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=4))
    batch, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    factor = tf.random.stateless_uniform([], size_seed, 0.3, 0.8)
    small = tf.maximum(1, tf.cast(tf.cast(tf.stack([height, width]), tf.float32) * factor, tf.int32))
    soft = tf.image.resize(tf.image.resize(x, small, method="area"), tf.stack([height, width]), method="bilinear")
    mean = tf.reduce_mean(soft, axis=[1, 2, 3], keepdims=True)
    contrast = tf.random.stateless_uniform([batch, 1, 1, 1], contrast_seed, 0.75, 1.25)
    soft = mean + (soft - mean) * contrast
    if x.shape[-1] == 3:
        gray = tf.reduce_mean(soft, axis=-1, keepdims=True)
        saturation = tf.random.stateless_uniform([batch, 1, 1, 1], saturation_seed, 0.75, 1.25)
        soft = gray + (soft - gray) * saturation
    chosen = tf.random.stateless_uniform([batch, 1, 1, 1], pick_seed) < share
    return tf.where(chosen, tf.clip_by_value(soft, low, high), x)


def measure_input_throughput(dataset, batches: int = 30) -> float:
    """Images per second the input pipeline alone delivers (no model)."""
    start, images = time.perf_counter(), 0
    for x, _, _ in dataset.take(batches):
        images += int(x.shape[0])
    elapsed = time.perf_counter() - start
    return images / elapsed if elapsed > 0 else float("inf")
