"""What defines a training run, its defaults, and the range of every option.

TensorFlow-free and light: the CLI imports it at start-up to show these defaults in ``--help``
(stated once, here) and to check every option before anything slow starts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from edge.datasets import default_label_scheme, normalize_path
from edge.errors import EdgeError
from edge.labels import SCHEME_NAMES
from edge.train.models import TWO_HEADS, family_defaults, family_layout


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved resolved as config.json)."""

    data: str
    model: str = "mobile"
    kind: str | None = None
    labels: str | None = None
    img_size: int | None = None
    color: str | None = None
    epochs: int | None = None
    batch: int | None = None
    lr: float | None = None
    folds: int = 1
    seed: int = 42
    test_frac: float = 0.15
    val_frac: float = 0.1
    class_weight: str = "none"
    max_images: int | None = None
    width: int | None = None
    depth: int | None = None
    dropout: float | None = None
    widths: str | None = None
    kernel: int | None = None  # mobile's depthwise kernel size (None: the family default)
    face_crop: bool = False
    augment: bool = True
    mixed_precision: bool = False
    strategy: str = "default"
    cpu_devices: int | None = None
    init_from: str | None = None
    age_sigma: float | None = None
    zoom: float | None = None
    degrade: float | None = None
    gender_weight: float = 1.0  # two-head families: the gender loss's weight beside the age loss's 1
    ema: float | None = None  # the weight average's decay per step (0: the last step's weights; None: the family default)
    split_seed: int | None = None  # None: --seed; set it to vary the training seed on a fixed split
    teacher_labels: str | None = None  # a teacher's soft labels (edge/teacher.py): distillation
    teacher_weight: float = 0.5  # the teacher's share of each training target, the dataset label's is the rest
    # more training faces from other datasets: added to the training split only, so validation and test stay --data's
    extra_data: list[str] | None = None

    @property
    def data_seed(self) -> int:
        """The seed of the split and --max-images subsample (--split-seed, else --seed)."""
        return self.seed if self.split_seed is None else self.split_seed

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


MIN_TRAIN_IMAGES = 20  # below this no split has a face on every side
STRATEGIES = ("default", "mirrored", "multiworker")


def check_options(config: TrainConfig) -> None:
    """Every option's range, checked before TensorFlow is imported or any data is listed.

    Raises EdgeError (exit 2) with one line naming the option and its valid range: an option is
    never silently replaced by a default.
    """
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise EdgeError(message)

    family_defaults(config.model)  # an unknown family is an error here
    need(config.epochs is None or config.epochs >= 1, f"--epochs {config.epochs}: must be at least 1")
    need(config.batch is None or config.batch >= 1, f"--batch {config.batch}: must be at least 1")
    need(config.lr is None or 0 < config.lr <= 1, f"--lr {config.lr}: must be in (0, 1]")
    need(config.img_size is None or 16 <= config.img_size <= 1024, f"--img-size {config.img_size}: must be 16..1024 pixels")
    need(config.max_images is None or config.max_images >= MIN_TRAIN_IMAGES,
         f"--max-images {config.max_images}: must be at least {MIN_TRAIN_IMAGES}")
    need(config.width is None or 1 <= config.width <= 1024, f"--width {config.width}: must be 1..1024 filters")
    need(config.depth is None or 1 <= config.depth <= 8, f"--depth {config.depth}: must be 1..8 blocks")
    need(config.dropout is None or 0 <= config.dropout < 1, f"--dropout {config.dropout}: must be in [0, 1)")
    need(config.folds >= 1, f"--folds {config.folds}: must be 1 (a holdout run) or more")
    need(0 <= config.test_frac < 0.9, f"--test-frac {config.test_frac}: must be in [0, 0.9)")
    need(0 <= config.val_frac < 0.9, f"--val-frac {config.val_frac}: must be in [0, 0.9)")
    need(config.test_frac + config.val_frac < 0.95, "--test-frac + --val-frac leave no training images: lower them")
    need(config.cpu_devices is None or config.cpu_devices >= 1, f"--cpu-devices {config.cpu_devices}: must be at least 1")
    need(config.class_weight in ("none", "balanced"), "--class-weight must be none or balanced")
    need(config.strategy in STRATEGIES, f"--strategy must be one of {', '.join(STRATEGIES)}")
    need(config.labels is None or config.labels in SCHEME_NAMES, f"--labels must be one of {', '.join(SCHEME_NAMES)}")
    need(config.color in (None, "gray", "rgb"), "--color must be gray or rgb")
    need(config.age_sigma is None or 0 <= config.age_sigma <= 20, f"--age-sigma {config.age_sigma}: must be 0..20 years")
    need(config.zoom is None or 0 <= config.zoom <= 0.5, f"--zoom {config.zoom}: must be 0..0.5")
    need(config.widths in (None, "deep") or config.model != "mobile", f"--widths {config.widths}: mobile knows only deep")
    need(config.kernel in (None, 3, 5, 7), f"--kernel {config.kernel}: must be 3, 5 or 7")
    need(config.kernel is None or config.model == "mobile",
         f"--kernel sets mobile's depthwise kernel: {config.model} has none")
    need(config.degrade is None or 0 <= config.degrade <= 1, f"--degrade {config.degrade}: must be 0..1")
    need(0 < config.gender_weight <= 10, f"--gender-weight {config.gender_weight}: must be in (0, 10]")
    need(config.gender_weight == 1 or family_layout(config.model) == TWO_HEADS,
         f"--gender-weight weights a separate gender head (mobile, cnn): {config.model} has one output")
    need(config.ema is None or config.ema == 0 or 0.9 <= config.ema < 1,
         f"--ema {config.ema}: must be 0 (off) or a decay per step in [0.9, 1), e.g. 0.999")
    need(not config.age_sigma or family_layout(config.model) == TWO_HEADS,
         f"--age-sigma needs a family with an age-group softmax head (mobile, cnn), not {config.model}")
    need(not config.age_sigma or config.labels != "age", "--age-sigma trains age groups: it does not apply to --labels age")
    need(not config.teacher_labels or Path(config.teacher_labels).is_file(),
         f"--teacher-labels {config.teacher_labels}: no such file (write one with benchmarks/teacher/train_teacher.py)")
    for extra in config.extra_data or ():
        need(Path(extra).exists(), f"--extra-data {extra}: no such dataset directory or CSV")
        need(not config.data or normalize_path(extra) != normalize_path(config.data),
             f"--extra-data {extra} is --data itself: its faces would be trained on twice and leak into validation")
    need(not (config.extra_data and config.teacher_labels),
         "--extra-data with --teacher-labels: a teacher file labels --data's faces only; use one of the two")
    need(0 < config.teacher_weight <= 1, f"--teacher-weight {config.teacher_weight}: must be in (0, 1]")
    # the family's own --age-sigma counts: cnn's default 0 trains one-hot groups, which have no distribution to distil
    age_sigma = config.age_sigma if config.age_sigma is not None else family_defaults(config.model).age_sigma
    need(not config.teacher_labels or (family_layout(config.model) == TWO_HEADS and config.labels != "age"
                                       and age_sigma > 0),
         "--teacher-labels distils age-group distributions: it needs mobile or cnn, group labels and --age-sigma > 0")
    if config.img_size and config.depth and config.model == "cnn":
        need(2 ** config.depth <= config.img_size,
             f"--depth {config.depth} pools a {config.img_size}px input below 1 pixel: lower --depth or raise --img-size")


def resolve_config(config: TrainConfig, dataset_kind: str) -> TrainConfig:
    """Fill family/dataset defaults so config.json says exactly what ran (options already checked by train())."""
    defaults = family_defaults(config.model)
    values = asdict(config)
    values["kind"] = dataset_kind
    values["labels"] = config.labels or default_label_scheme(dataset_kind)
    if defaults.group_labels_only and values["labels"] == "age":
        raise EdgeError(f"the {config.model} model classifies age groups: use --labels utk20, utk28 or adience8")
    for name, default in (("img_size", defaults.image_size), ("color", defaults.color), ("batch", defaults.batch),
                          ("lr", defaults.lr), ("zoom", defaults.zoom), ("degrade", defaults.degrade),
                          ("epochs", defaults.epochs), ("ema", defaults.ema)):
        if values[name] is None:
            values[name] = default
    if values["kernel"] is None and config.model == "mobile":  # the other families have no depthwise kernel
        values["kernel"] = defaults.kernel
    if values["age_sigma"] is None:  # a label distribution needs age groups (not --labels age)
        values["age_sigma"] = defaults.age_sigma if values["labels"] != "age" else 0.0
    values["data"] = str(normalize_path(config.data))
    values["extra_data"] = [str(normalize_path(extra)) for extra in config.extra_data] if config.extra_data else None
    return TrainConfig(**values)
