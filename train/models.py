"""The model families, registered by name. All are tf_keras Functional models that
tfmot's ``quantize_model`` can wrap (no Rescaling/Lambda/subclassed layers: pixel scaling
happens in preprocessing, per the spec).

``cnn``      Two-head CNN of the UTKFace reports: ``depth`` blocks of 3x3 conv (ReLU) + 2x2
             max pooling with ``width * 2**i`` filters (report: 5 blocks, 32..512, 70x70
             gray), dropout, then an age head (softmax over the scheme's groups, or a linear
             output in years for ``--labels age``) and a gender head (sigmoid).
``fcn2hot``  Fully-connected "2-hot" model: flattened pixels -> Dense stack (default
             [64-32-32-16-16], ``--widths large`` = [1024-512-256-128-32]) -> one output of
             K age classes + 2 gender classes, built as two softmax blocks concatenated, so
             each block is a distribution.
``tuple``    The report's cheapest model: Dense [32-32-16-16-10-2]; output (age class
             value, gender value), decoded with learned thresholds (``edge.decode``).
``mobile``   Our compact int8-friendly CNN: strided 3x3 stem, 5 depthwise-separable blocks
             (5x5 depthwise, BN + ReLU6, downsampling early), global average pooling, a
             256-unit shared layer, two heads. About 0.35M parameters, ~0.39 MB as int8.
             Why 5x5 depthwise (``--kernel``): with 3x3 each pooled feature saw 43 px of a
             96 px face (the receptive field: stem 3, then +2 x the stride so far per block),
             so no feature saw the whole face and more pixels (128 px) bought nothing; 5x5
             sees 83 px for 9.7k more parameters (+10 KB int8), and cut the validation MAE
             by 0.27 y over four framings, two seeds (BENCHMARKS.md "Receptive field").
             Why this shape: every conv output channel costs ~24 bytes of int8
             quantization parameters (per-channel scale + int64 zero point, for weights
             and bias), so depthwise layers are overhead-heavy; trading a 256-channel block
             for a wider Dense keeps the parameters and cuts the int8/float32 size ratio
             from 0.30 to 0.29 (measured, see BENCHMARKS.md). ``--widths deep``: 7 blocks
             (two more at 128 and 256 channels) and the heads straight on the pooled
             features, ~0.30M parameters, ~0.36 MB int8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from edge.errors import EdgeError
from edge.spec import OutputSpec, Spec

FCN_WIDTHS = {"compact": (64, 32, 32, 16, 16), "large": (1024, 512, 256, 128, 32)}
TUPLE_WIDTHS = (32, 32, 16, 16, 10)
# mobile's depthwise-separable blocks (filters multiplier, stride), downsampling early: --depth takes the first N
MOBILE_PLAN = [(2, 1), (4, 2), (4, 1), (8, 2), (16, 2), (16, 1), (16, 1)]
# mobile --widths deep: 7 depthwise-separable blocks (filters multiplier, stride), no shared Dense
MOBILE_DEEP_PLAN = [(2, 1), (4, 2), (4, 1), (4, 1), (8, 2), (8, 1), (16, 2)]

# Output layouts: how a family's outputs, training targets and losses are arranged. A new family
# with an existing layout needs only a builder and a row in FAMILIES (bottom of this module).
TWO_HEADS = "two_heads"  # [age (softmax over groups, or years), gender (sigmoid)]
TWO_HOT = "two_hot"  # one output: age-group softmax block + 2-way gender softmax block
TUPLE = "tuple"  # one output: (age class value, gender value), decoded with learned thresholds


@dataclass(frozen=True)
class FamilyDefaults:
    """A family's recipe: what a run of it uses for every option the user leaves unset."""

    image_size: int
    color: str
    width: int = 0
    depth: int = 0
    dropout: float = 0.0
    lr: float = 1e-3
    batch: int = 64
    epochs: int = 20  # the family's recipe length (edge train and edge pipeline on real data)
    group_labels_only: bool = False  # the family needs a group scheme (no --labels age)
    age_sigma: float = 0.0  # > 0: age trained as a Gaussian label distribution over the groups (train/losses.py)
    zoom: float = 0.0  # random scale augmentation +-zoom: faces framed tighter or wider than the chips
    degrade: float = 0.0  # share of training faces degraded like phone/web photos (train/pipeline.py)
    kernel: int = 0  # the depthwise convolutions' kernel size (sets the receptive field, see _build_mobile); 0: none
    ema: float = 0.0  # > 0: the run's weights are an exponential moving average of the trained ones (train/averaging.py)
    age_groups: str = "utk20"  # the group scheme for ages in years (UTKFace, CSV); Adience keeps its own 8 groups
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelShape:
    """A model's size and shape options; a field left None (width, depth, kernel: also 0) takes the family's default.

    ``ModelShape(kernel=3)`` states overrides by hand, ``ModelShape.from_config`` takes a TrainConfig's;
    ``resolved`` fills in the family's defaults (what a builder receives).
    """

    width: int | None = None
    depth: int | None = None
    dropout: float | None = None
    widths: str | None = None  # fcn2hot's Dense widths; mobile's "deep" plan
    kernel: int | None = None  # the depthwise kernel size (families with depthwise layers)

    @classmethod
    def from_config(cls, config) -> ModelShape:
        """The shape options a TrainConfig sets (its width, depth, dropout, widths and kernel)."""
        return cls(config.width, config.depth, config.dropout, config.widths, config.kernel)

    def resolved(self, defaults: FamilyDefaults) -> ModelShape:
        """This shape with the family's default wherever it leaves one open."""
        return ModelShape(self.width or defaults.width, self.depth or defaults.depth,
                          defaults.dropout if self.dropout is None else self.dropout, self.widths,
                          self.kernel or defaults.kernel)


@dataclass(frozen=True)
class Family:
    """One registered model family: its defaults, output layout and builder."""

    name: str
    defaults: FamilyDefaults
    layout: str
    build: Callable  # (keras, inputs, spec, ModelShape) -> tf_keras Model
    conv: bool = False  # a conv net: the exporter gates its int8/float32 size ratio
    max_depth: Callable[[int], int] | None = None  # the most --depth blocks its builder takes at an image size; None: no --depth


def get_family(name: str) -> Family:
    """The registered family called ``name``; EdgeError listing the known ones otherwise."""
    if name not in FAMILIES:
        raise EdgeError(f"unknown model family '{name}': use one of {', '.join(FAMILIES)}")
    return FAMILIES[name]


def family_layout(family: str) -> str:
    """The family's output layout (TWO_HEADS, TWO_HOT or TUPLE)."""
    return get_family(family).layout


def family_defaults(family: str) -> FamilyDefaults:
    """The family's recipe defaults (EdgeError for an unknown family)."""
    return get_family(family).defaults


def output_specs(family: str, spec: Spec) -> tuple[OutputSpec, ...]:
    """The outputs a family produces, in model order (from its layout)."""
    classes = len(spec.age_class_names)
    layout = get_family(family).layout
    if layout == TWO_HEADS:
        age = OutputSpec("age", "age_regression", 1) if spec.label_scheme == "age" else OutputSpec("age", "age_softmax", classes)
        return (age, OutputSpec("gender", "gender_sigmoid", 1))
    if layout == TWO_HOT:
        return (OutputSpec("age_gender", "age_gender_2hot", classes + 2),)
    return (OutputSpec("age_gender", "age_gender_tuple", 2),)


def build_model(family: str, spec: Spec, shape: ModelShape | None = None):
    """Build the family's tf_keras Functional model for the spec's input and label scheme.

    ``shape``: the size and shape options (``ModelShape.from_config(config)`` for a run); None, or any field
    it leaves None, takes the family's default.
    """
    from edge.tf_bootstrap import import_tf

    _, keras = import_tf()
    entry = get_family(family)
    defaults = entry.defaults
    if defaults.group_labels_only and spec.label_scheme == "age":
        raise EdgeError(f"the {family} model classifies age groups: use --labels utk20, utk28 or adience8")
    inputs = keras.Input(spec.input_shape, name="image")
    return entry.build(keras, inputs, spec, (shape or ModelShape()).resolved(defaults))


def receptive_field(model) -> int:
    """Side in input pixels of the patch one unit of the last spatial layer sees (0: no conv layers).

    Walks the conv and pooling layers in order: each adds (kernel - 1) x the stride accumulated so
    far. Assumes a chain (every family here is one); global pooling then averages such patches, so a
    face wider than this is never seen whole by any single feature.
    """
    field, jump = 1, 1
    for layer in model.layers:
        kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        if kernel is None or not hasattr(layer, "strides"):
            continue
        field += (kernel[0] - 1) * jump
        jump *= layer.strides[0]
    return field if field > 1 else 0


def _cnn_max_depth(image_size: int) -> int:
    """cnn halves its input in every block: the most blocks that leave at least 2 px."""
    return max(1, image_size.bit_length() - 2)


def _mobile_max_depth(image_size: int) -> int:
    return len(MOBILE_PLAN)


def depth_error(family: str, depth: int, image_size: int) -> str | None:
    """Why ``--depth depth`` cannot build ``family`` at ``image_size`` px; None when it can."""
    most = get_family(family).max_depth
    if most is None:
        return f"--depth sets the blocks of {', '.join(n for n, f in FAMILIES.items() if f.max_depth)}: {family} has none"
    if depth > (limit := most(image_size)):
        larger_input_helps = most(2 * image_size) > limit  # cnn's limit grows with the input, mobile's does not
        return (f"--depth {depth}: {family} takes at most {limit} blocks at {image_size} px "
                f"(lower --depth{' or raise --img-size' if larger_input_helps else ''})")
    return None


def _build_cnn(keras, inputs, spec: Spec, shape: ModelShape):
    layers = keras.layers
    if error := depth_error("cnn", shape.depth, spec.image_size):
        raise EdgeError(error)
    x = inputs
    for block in range(shape.depth):
        x = layers.Conv2D(shape.width * 2 ** block, 3, padding="same", activation="relu", name=f"conv{block + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{block + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(shape.dropout, name="dropout")(x)
    age_features = layers.Dense(128, activation="relu", name="age_dense")(x)
    gender_features = layers.Dense(64, activation="relu", name="gender_dense")(x)
    return keras.Model(inputs, _two_head_outputs(keras, age_features, gender_features, spec), name="cnn")


def _build_mobile(keras, inputs, spec: Spec, shape: ModelShape):
    layers = keras.layers

    def conv_bn(x, filters, size, strides, name):
        x = layers.Conv2D(filters, size, strides=strides, padding="same", use_bias=False, name=name)(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu")(x)

    x = conv_bn(inputs, shape.width, 3, 2, "stem")
    deep = shape.widths == "deep"
    # (filters multiplier, stride) per depthwise-separable block: downsample early
    if not deep and (error := depth_error("mobile", shape.depth, spec.image_size)):
        raise EdgeError(error)
    plan = MOBILE_DEEP_PLAN if deep else MOBILE_PLAN[:shape.depth]
    for index, (multiplier, stride) in enumerate(plan, start=1):
        x = layers.DepthwiseConv2D(shape.kernel, strides=stride, padding="same", use_bias=False, name=f"dw{index}")(x)
        x = layers.BatchNormalization(name=f"dw{index}_bn")(x)
        x = layers.ReLU(6.0, name=f"dw{index}_relu")(x)
        x = conv_bn(x, shape.width * multiplier, 1, 1, f"pw{index}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(shape.dropout, name="dropout")(x)
    # deep: the parameters of the shared Dense go into more (and wider) mid-level blocks instead
    shared = x if deep else layers.Dense(256, activation="relu", name="shared_dense")(x)
    return keras.Model(inputs, _two_head_outputs(keras, shared, shared, spec), name="mobile")


def _build_fcn2hot(keras, inputs, spec: Spec, shape: ModelShape):
    layers = keras.layers
    x = layers.Flatten(name="flatten")(inputs)
    for index, units in enumerate(_parse_widths(shape.widths), start=1):
        x = layers.Dense(units, activation="relu", name=f"dense{index}")(x)
        if shape.dropout:
            x = layers.Dropout(shape.dropout, name=f"dropout{index}")(x)
    age = layers.Dense(len(spec.age_class_names), activation="softmax", name="age_block")(x)
    gender = layers.Dense(2, activation="softmax", name="gender_block")(x)
    output = layers.Concatenate(name="age_gender")([age, gender])
    return keras.Model(inputs, output, name="fcn2hot")


def _build_tuple(keras, inputs, spec: Spec, shape: ModelShape):
    layers = keras.layers
    x = layers.Flatten(name="flatten")(inputs)
    for index, units in enumerate(TUPLE_WIDTHS, start=1):
        x = layers.Dense(units, activation="relu", name=f"dense{index}")(x)
    output = layers.Dense(2, name="age_gender")(x)
    return keras.Model(inputs, output, name="tuple")


def _two_head_outputs(keras, age_features, gender_features, spec: Spec) -> list:
    """The TWO_HEADS outputs: age (softmax over the spec's groups, or years) and gender (sigmoid)."""
    layers = keras.layers
    if spec.label_scheme == "age":
        age = layers.Dense(1, name="age", dtype="float32")(age_features)
    else:
        age = layers.Dense(len(spec.age_class_names), activation="softmax", name="age", dtype="float32")(age_features)
    gender = layers.Dense(1, activation="sigmoid", name="gender", dtype="float32")(gender_features)
    return [age, gender]


def _parse_widths(widths: str | None) -> tuple[int, ...]:
    if not widths:
        return FCN_WIDTHS["compact"]
    if widths in FCN_WIDTHS:
        return FCN_WIDTHS[widths]
    try:
        return tuple(int(w) for w in widths.split(","))
    except ValueError:
        raise EdgeError(f"--widths '{widths}' is not compact, large or a list like 64,32,16") from None


# THE registry: every place that needs a family's defaults, outputs, targets, losses or builder reads it here.
FAMILIES: dict[str, Family] = {
    "mobile": Family("mobile", FamilyDefaults(image_size=96, color="rgb", width=32, depth=5, dropout=0.2, lr=2e-3,
                                                     epochs=40, age_sigma=3.0, zoom=0.35, degrade=0.3, kernel=5, ema=0.999,
                                                     age_groups="utk28"),
                     TWO_HEADS, _build_mobile, conv=True, max_depth=_mobile_max_depth),
    "cnn": Family("cnn", FamilyDefaults(image_size=64, color="gray", width=32, depth=5, dropout=0.25),
                  TWO_HEADS, _build_cnn, conv=True, max_depth=_cnn_max_depth),
    "fcn2hot": Family("fcn2hot", FamilyDefaults(image_size=32, color="gray", dropout=0.0, group_labels_only=True),
                      TWO_HOT, _build_fcn2hot),
    "tuple": Family("tuple", FamilyDefaults(image_size=32, color="gray", group_labels_only=True), TUPLE, _build_tuple),
}


def family_default_text(field_name: str) -> str:
    """'mobile 96, cnn 64, ...': every family's default of one recipe field, for --help."""
    return ", ".join(f"{name} {getattr(family.defaults, field_name):g}" for name, family in FAMILIES.items())
