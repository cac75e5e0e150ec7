"""What defines a training run, its defaults, and the range of every option.

TensorFlow-free and light: the CLI imports it at start-up to show these defaults in ``--help``
(stated once, here) and to check every option before anything slow starts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

from edge.datasets import default_label_scheme, normalize_path
from edge.errors import EdgeError
from edge.labels import SCHEME_NAMES
from edge.options import choices_enum, option
from edge.train.models import FAMILIES, TWO_HEADS, depth_error, family_default_text, family_defaults, family_layout


COLORS = ("gray", "rgb")
CLASS_WEIGHTS = ("none", "balanced")
STRATEGIES = ("default", "mirrored", "multiworker")
# the choices as the library's Enums: the command line lists them, the config holds their values
FamilyName = choices_enum("FamilyName", tuple(FAMILIES))
SchemeName = choices_enum("SchemeName", SCHEME_NAMES)
ColorName = choices_enum("ColorName", COLORS)
ClassWeightName = choices_enum("ClassWeightName", CLASS_WEIGHTS)
StrategyName = choices_enum("StrategyName", STRATEGIES)

DATA, RECIPE, SHAPE, RUN, HARDWARE = "Data", "Recipe", "Model shape", "Run", "Hardware"


def _family(field_name: str) -> Callable[[], str]:
    return lambda: "family default: " + family_default_text(field_name)


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved resolved as config.json).

    Each field that is an ``edge train`` option declares its help, panel and choices here
    (``edge.options``): the command line is built from these declarations.
    """

    data: str
    model: str = option("mobile", help="Model family (see the README's table).", panel=SHAPE, choices=FamilyName)
    kind: str | None = option(None, help="Dataset kind: utkface, adience or csv (auto-detected when omitted).", panel=DATA)
    labels: str | None = option(None, help="utk20 (20 five-year groups), utk28 (one-year groups under 10, then five-year), "
                                "adience8 (8 Adience groups) or age (regression). Default: adience8 for Adience, else mobile utk28, "
                                "other families utk20.",
                                panel=RECIPE, choices=SchemeName)
    img_size: int | None = option(None, help="Square input size in pixels.", panel=SHAPE, default_help=_family("image_size"))
    color: str | None = option(None, help="Input colour (family default: mobile rgb, others gray).", panel=SHAPE,
                               choices=ColorName)
    epochs: int | None = option(None, help="Training epochs.", panel=RECIPE, default_help=_family("epochs"))
    batch: int | None = option(None, help="Batch size (default 64).", panel=RECIPE)
    lr: float | None = option(None, help="Peak learning rate (Adam, cosine decay per epoch).", panel=RECIPE)
    folds: int = option(1, help="K-fold cross-validation; Adience uses its own 5 subject-disjoint folds.", panel=RUN)
    seed: int = option(42, help="Seed for splits, subsampling, shuffling, augmentation and weight init: one seed gives the "
                       "same weights on CPU (on GPU also set TF_DETERMINISTIC_OPS=1).", panel=RUN)
    test_frac: float = option(0.15, help="Held-out test fraction (ignored with --folds).", panel=DATA)
    val_frac: float = option(0.1, help="Validation fraction of the training part.", panel=DATA)
    class_weight: str = option("none", help="balanced weights the long-tailed age groups.", panel=RECIPE,
                               choices=ClassWeightName)
    max_images: int | None = option(None, help="Use a random subset of N images (quick runs).", panel=DATA)
    width: int | None = option(None, help="cnn/mobile: base number of filters.", panel=SHAPE)
    depth: int | None = option(None, help="cnn: conv blocks; mobile: depthwise-separable blocks.", panel=SHAPE)
    dropout: float | None = option(None, help="Dropout rate before the heads.", panel=SHAPE)
    widths: str | None = option(None, help="fcn2hot Dense widths: compact (64-32-32-16-16), large, or e.g. 128,64,32. "
                                "mobile: deep = 7 depthwise-separable blocks and no shared Dense (same budget, more depth).",
                                panel=SHAPE)
    kernel: int | None = option(None, help="mobile: depthwise kernel size, 3, 5 or 7 (a larger kernel widens what each "
                                "final feature sees of the face at a few hundred parameters per block).", panel=SHAPE,
                                default_help=lambda: f"default: {family_defaults('mobile').kernel}")
    face_crop: bool = option(False, help="Detect faces (the shipped detector, docs/FACE_DETECTION.md) and train on the "
                             "spec's square crops: for unaligned photos.", panel=DATA)
    augment: bool = option(True, help="Flip/rotate/shift/brightness augmentation of the training split (--no-augment "
                           "keeps shuffling).", panel=RECIPE)
    mixed_precision: bool = option(False, help="float16 compute on GPUs.", panel=HARDWARE)
    strategy: str = option("default", help="mirrored: tf.distribute.MirroredStrategy over all local GPUs; multiworker: "
                           "MultiWorkerMirroredStrategy from TF_CONFIG (several machines).", panel=HARDWARE,
                           choices=StrategyName)
    cpu_devices: int | None = option(None, help="Split the CPU into N logical devices (to run --strategy mirrored "
                                     "without GPUs).", panel=HARDWARE)
    init_from: str | None = option(None, help="Start from another run's weights (same family; layers whose shapes "
                                   "differ, like a 20- vs 8-class age head, start fresh).", panel=RUN, parse=Path)
    age_sigma: float | None = option(None, help="mobile/cnn: train age as a Gaussian label distribution over the groups "
                                     "with this spread in years, plus an L1 term on the expected age (DLDL-v2); 0 = "
                                     "one-hot groups.", panel=RECIPE, default_help=_family("age_sigma"))
    age_sigma_per_year: float = option(0.0, help="The label distribution widens with age from 10 years on: its spread is "
                                       "max(--age-sigma, THIS x age), as guesses of older faces spread wider "
                                       "(e.g. 0.1: 6 years at 60); 0 = the same spread at every age.", panel=RECIPE)
    zoom: float | None = option(None, help="Random scale augmentation +-ZOOM (0.35 = faces framed up to 35% tighter or "
                                "wider than the training images, as crops from other sources and phone detectors are).",
                                panel=RECIPE, default_help=_family("zoom"))
    degrade: float | None = option(None, help="Share of training faces degraded like phone and web photos: resampled "
                                   "down to 30-80% resolution and back, contrast and saturation +-25%.", panel=RECIPE,
                                   default_help=_family("degrade"))
    # two-head families: the gender loss's weight beside the age loss's 1
    gender_weight: float = option(1.0, help="mobile/cnn: the gender loss's weight beside the age loss's (raise it to "
                                  "spend more of the shared layers on gender).", panel=RECIPE)
    # the weight average's decay per step (0: the last step's weights; None: the family default)
    ema: float | None = option(None, help="Keep an exponential moving average of the weights (this decay per training "
                               "step; 0 = off): the run's model, its validation figures and its checkpoints' averages are "
                               "those of the average, which is steadier than the last step's weights.", panel=RECIPE,
                               default_help=_family("ema"))
    # None: --seed; set it to vary the training seed on a fixed split
    split_seed: int | None = option(None, help="Seed of the train/val/test split and --max-images subset (default: "
                                    "--seed). Fix it to compare training seeds on the same test faces.", panel=RUN)
    # a teacher's soft labels (edge/teacher.py): distillation
    teacher_labels: str | None = option(None, help="Distil a larger teacher: an .npz of its age-group and gender "
                                        "probabilities per training face (format: edge/teacher.py; benchmarks/teacher/train_teacher.py "
                                        "trains one on a GPU). mobile/cnn with --age-sigma > 0.",
                                        panel=RECIPE, parse=Path)
    # the teacher's share of each training target, the dataset label's is the rest
    teacher_weight: float = option(0.5, help="The teacher's share of each training target (the dataset label keeps the "
                                   "rest).", panel=RECIPE)
    # more training faces from other datasets: added to the training split only, so validation and test stay --data's
    extra_data: list[str] | None = option(None, help="More training faces from another dataset (UTKFace directory, "
                                          "Adience root or CSV; repeat for several). They join the training split only: "
                                          "validation and test stay --data's, so the run compares with one trained on "
                                          "--data alone. Ages map into --data's label scheme through their years (an "
                                          "Adience range by its midpoint).", panel=DATA, parse=list[Path], metavar="PATH")

    @property
    def data_seed(self) -> int:
        """The seed of the split and --max-images subsample (--split-seed, else --seed)."""
        return self.seed if self.split_seed is None else self.split_seed

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """A config from a saved config.json (keys this version does not know are dropped)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


MIN_TRAIN_IMAGES = 20  # below this no split has a face on every side


def check_options(config: TrainConfig) -> None:
    """Every option's range, checked before TensorFlow is imported or any data is listed.

    Raises EdgeError (exit 2) with one line naming the option and its valid range: an option is
    never silently replaced by a default.
    """
    family_defaults(config.model)  # an unknown family is an error here
    _check_ranges(config)
    _check_combinations(config)


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise EdgeError(message)


def _check_ranges(config: TrainConfig) -> None:
    """Each option on its own: its range or its choices."""
    need = _need
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
    need(config.class_weight in CLASS_WEIGHTS, "--class-weight must be none or balanced")
    need(config.strategy in STRATEGIES, f"--strategy must be one of {', '.join(STRATEGIES)}")
    need(config.labels is None or config.labels in SCHEME_NAMES, f"--labels must be one of {', '.join(SCHEME_NAMES)}")
    need(config.color is None or config.color in COLORS, "--color must be gray or rgb")
    need(config.age_sigma is None or 0 <= config.age_sigma <= 20, f"--age-sigma {config.age_sigma}: must be 0..20 years")
    need(0 <= config.age_sigma_per_year <= 0.5, f"--age-sigma-per-year {config.age_sigma_per_year}: must be 0..0.5")
    need(config.zoom is None or 0 <= config.zoom <= 0.5, f"--zoom {config.zoom}: must be 0..0.5")
    need(config.kernel in (None, 3, 5, 7), f"--kernel {config.kernel}: must be 3, 5 or 7")
    need(config.degrade is None or 0 <= config.degrade <= 1, f"--degrade {config.degrade}: must be 0..1")
    need(0 < config.gender_weight <= 10, f"--gender-weight {config.gender_weight}: must be in (0, 10]")
    need(config.ema is None or config.ema == 0 or 0.9 <= config.ema < 1,
         f"--ema {config.ema}: must be 0 (off) or a decay per step in [0.9, 1), e.g. 0.999")
    need(0 < config.teacher_weight <= 1, f"--teacher-weight {config.teacher_weight}: must be in (0, 1]")


def _check_combinations(config: TrainConfig) -> None:
    """Options that need the family, the label scheme or another option to make sense."""
    need = _need
    need(config.widths in (None, "deep") or config.model != "mobile", f"--widths {config.widths}: mobile knows only deep")
    need(config.kernel is None or family_defaults(config.model).kernel > 0,
         f"--kernel sets mobile's depthwise kernel: {config.model} has none")
    need(config.gender_weight == 1 or family_layout(config.model) == TWO_HEADS,
         f"--gender-weight weights a separate gender head (mobile, cnn): {config.model} has one output")
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
    # the family's own --age-sigma counts: cnn's default 0 trains one-hot groups, which have no distribution to distil
    age_sigma = config.age_sigma if config.age_sigma is not None else family_defaults(config.model).age_sigma
    need(not config.teacher_labels or (family_layout(config.model) == TWO_HEADS and config.labels != "age"
                                       and age_sigma > 0),
         "--teacher-labels distils age-group distributions: it needs mobile or cnn, group labels and --age-sigma > 0")
    need(not config.age_sigma_per_year or age_sigma > 0,
         "--age-sigma-per-year widens the label distribution: it needs --age-sigma > 0 (mobile's default)")
    if config.depth is not None:
        error = depth_error(config.model, config.depth, config.img_size or family_defaults(config.model).image_size)
        need(error is None, error or "")


def resolve_config(config: TrainConfig, dataset_kind: str) -> TrainConfig:
    """Fill family/dataset defaults so config.json says exactly what ran (options already checked by train())."""
    defaults = family_defaults(config.model)
    values = asdict(config)
    values["kind"] = dataset_kind
    values["labels"] = config.labels or default_label_scheme(dataset_kind, defaults.age_groups)
    if defaults.group_labels_only and values["labels"] == "age":
        raise EdgeError(f"the {config.model} model classifies age groups: use --labels utk20, utk28 or adience8")
    for name, default in (("img_size", defaults.image_size), ("color", defaults.color), ("batch", defaults.batch),
                          ("lr", defaults.lr), ("zoom", defaults.zoom), ("degrade", defaults.degrade),
                          ("epochs", defaults.epochs), ("ema", defaults.ema)):
        if values[name] is None:
            values[name] = default
    if values["kernel"] is None and defaults.kernel:  # the other families have no depthwise kernel
        values["kernel"] = defaults.kernel
    if values["age_sigma"] is None:  # a label distribution needs age groups (not --labels age)
        values["age_sigma"] = defaults.age_sigma if values["labels"] != "age" else 0.0
    values["data"] = str(normalize_path(config.data))
    values["extra_data"] = [str(normalize_path(extra)) for extra in config.extra_data] if config.extra_data else None
    return TrainConfig(**values)
