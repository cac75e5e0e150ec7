"""The resumable trainer behind ``edge train``.

A run directory holds: ``model.keras``, ``spec.json``, ``config.json`` (resolved),
``split.json``, ``history.json``/``history.csv``, ``learning_curves.png``,
``confusion_matrix.png`` (age groups), ``metrics.json`` (held-out test split), and
``tensorboard/``. With ``--folds K`` each fold is a complete run directory under
``folds/<name>/`` and the top level holds mean +- std metrics and per-fold curves.

Checkpoints: at the end of every epoch the whole model with its optimizer state is written
to ``checkpoint/epoch_NNN.keras`` (temporary name, then rename) and ``checkpoint/state.json``
is updated atomically to point at it. ``--resume`` loads the newest complete checkpoint, so
a process killed at any moment (even SIGKILL mid-epoch) continues from the last completed
epoch. The learning rate is a pure function of the epoch (cosine decay), so a resumed run
follows the same schedule.
"""

from __future__ import annotations

import json
import math
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edge.cache import load_images
from edge.datasets import FaceRecord, load_dataset, normalize_path
from edge.decode import decode_outputs, learn_tuple_thresholds, two_hot_decoding
from edge import layout, schemas
from edge.layout import RunDir
from edge.errors import EdgeError
from edge.io import check_output_dir, located, read_json, write_json_atomic, write_text_atomic
from edge.metrics import confusion, label_metrics, mean_std
from edge.spec import Spec
from edge.tf_bootstrap import predict_outputs, save_model_atomic
from edge.splits import Split, holdout_split, kfold_splits
from edge.targets import Targets, targets_for
from edge.teacher import TeacherLabels, load_teacher_labels
from edge.train.config import MIN_TRAIN_IMAGES, TrainConfig, check_options, resolve_config
from edge.train.models import TUPLE, TWO_HOT, ModelShape, build_model, family_layout, output_specs, receptive_field

Log = Callable[[str], None]


class TrainingInterrupted(EdgeError):
    """Training stopped by Ctrl-C after its last completed epoch (exit code 130, as for SIGINT)."""

    exit_code = 130


def _completed_epochs(out_dir: Path) -> bool:
    """Whether a run directory holds at least one completed epoch (its own or a fold's)."""
    if RunDir(out_dir).metrics_json.is_file():
        return True
    return any(out_dir.glob(f"**/{layout.CHECKPOINT_DIR}/{layout.CHECKPOINT_STATE}"))


def _clean_failed_attempt(out_dir: Path, log: Log) -> None:
    """Remove what a run that never completed an epoch wrote (only edge's own file names)."""
    import shutil

    for name in layout.RUN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in layout.RUN_DIRS:
        shutil.rmtree(out_dir / name, ignore_errors=True)
    log(f"{out_dir}: an earlier attempt never completed an epoch; starting fresh")


def _apply_resume_overrides(config: TrainConfig, overrides: dict, log: Log) -> TrainConfig:
    """--resume keeps the saved config; --epochs N may extend it, every other option is reported as ignored."""
    ignored = []
    for name, value in overrides.items():
        if name == "epochs":
            if value < config.epochs:
                raise EdgeError(f"--epochs {value} with --resume: the run is configured for {config.epochs} epochs; "
                                "--epochs can only extend a run")
            if value > config.epochs:
                log(f"extending the run from {config.epochs} to {value} epochs (the cosine schedule stretches to the new end)")
                config = TrainConfig(**{**asdict(config), "epochs": value})
        elif name == "data" and value is not None and str(normalize_path(value)) == config.data:
            continue
        elif name == "extra_data" and value and [str(normalize_path(v)) for v in value] == config.extra_data:
            continue
        elif getattr(config, name, None) != value:
            ignored.append(f"--{name.replace('_', '-')} {value}")
    if ignored:
        log(f"ignored with --resume (the run keeps its saved config.json): {', '.join(ignored)}")
    return config


def train(config: TrainConfig, out_dir: Path, resume: bool = False, log: Log = print,
          overrides: dict | None = None) -> dict:
    """Train one model (or K fold models) into ``out_dir``; returns the metrics summary.

    ``out_dir`` must be new, empty or an edge run. With ``resume`` the saved config is used;
    ``overrides`` are the options the user gave explicitly (``--epochs`` extends the run, the
    others are reported as ignored). A directory whose earlier attempt never completed an
    epoch is cleaned (edge's own files only) and started fresh.
    With ``--strategy multiworker`` only the chief writes ``out_dir`` (see ``train/multiworker.py``).
    """
    out_dir = Path(out_dir)
    from edge.train.multiworker import cluster_failures, uses_multiworker, worker_directory, worker_role

    if uses_multiworker(config.strategy, out_dir, resume):
        role = worker_role()  # TF_CONFIG is checked before TensorFlow is imported
        with cluster_failures(role, out_dir):
            if not role.is_chief:  # trains in lock step with the chief, writing only its private copy
                with worker_directory(out_dir, role, resume, log) as private_dir:
                    return _train_in_folder(config, private_dir, resume, log, overrides)
            return _train_in_folder(config, out_dir, resume, log, overrides)
    return _train_in_folder(config, out_dir, resume, log, overrides)


def _train_in_folder(config: TrainConfig, out_dir: Path, resume: bool, log: Log, overrides: dict | None) -> dict:
    """``train`` into ``out_dir`` under its folder lock (in a cluster: this worker's own folder)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with layout.folder_lock(out_dir, "edge train", "train into another --out"), located(out_dir):
        return _train_locked(config, out_dir, resume, log, overrides)


def _train_locked(config: TrainConfig, out_dir: Path, resume: bool, log: Log, overrides: dict | None) -> dict:
    """``train`` once this process alone writes ``out_dir``: claim it, prepare the faces, train the split(s)."""
    config, resume = _claim_run(config, out_dir, resume, log, overrides)
    from edge.tf_bootstrap import import_tf

    tf, keras = import_tf(config.cpu_devices)
    faces = _prepare_faces(config, log)
    config, spec = faces.config, faces.spec
    out_dir.mkdir(parents=True, exist_ok=True)
    run = RunDir(out_dir)
    write_text_atomic(run.marker, "written by edge train: this directory is an edge run\n")
    write_json_atomic(run.config_json, asdict(config))
    spec.save(run.spec_json)
    devices = _configure_devices(tf, keras, config, log)

    def split_run(directory: Path, split: Split) -> SplitRun:
        return SplitRun(directory, config, spec, faces.images, faces.targets, faces.teacher, faces.records,
                        faces.extra_sources, split, resume, devices, log)

    # splits are drawn from --data's faces alone (the same faces as a run without --extra-data); extra faces only train
    primary = faces.records[:faces.primary_count]
    extra_index = np.arange(faces.primary_count, len(faces.records))
    if config.folds > 1:
        by_fold = faces.kind == "adience" or all(r.fold for r in primary)
        splits = [_train_on_extra(split, extra_index)
                  for split in kfold_splits(primary, config.folds, config.val_frac, config.data_seed, by_fold=by_fold)]
        return _train_folds(out_dir, [split_run(run.fold(split.name).path, split) for split in splits])
    split = _train_on_extra(holdout_split(primary, config.test_frac, config.val_frac, config.data_seed), extra_index)
    metrics, _ = _train_split(split_run(out_dir, split))
    return metrics


def _claim_run(config: TrainConfig, out_dir: Path, resume: bool, log: Log,
               overrides: dict | None) -> tuple[TrainConfig, bool]:
    """The config to train with and whether to resume: --resume reads the saved one; a failed first attempt is
    cleaned (edge's own files only); options are checked and the directory proven writable before slow work."""
    saved_config = RunDir(out_dir).config_json
    layout.claim_run_dir(out_dir)
    if resume:
        if not saved_config.is_file():
            raise EdgeError(f"nothing to resume in {out_dir}: no config.json (start without --resume)")
        config = TrainConfig.from_dict(read_json(saved_config, f"start a new run in another --out instead of {out_dir}"))
        log(f"resuming the run in {out_dir} with its saved config")
        config = _apply_resume_overrides(config, overrides or {}, log)
        if not _completed_epochs(out_dir):
            _clean_failed_attempt(out_dir, log)
            resume = False
    elif saved_config.is_file():
        if _completed_epochs(out_dir):
            raise EdgeError(f"{out_dir} already holds a training run: add --resume to continue it, or pick another --out")
        _clean_failed_attempt(out_dir, log)
    check_options(config)
    check_output_dir(out_dir, "run directory")
    return config, resume


def _run_spec(config: TrainConfig) -> Spec:
    """The run's spec, assembled once: preprocessing, the family's outputs and its decoding rules."""
    spec = Spec.create(config.labels, config.img_size, config.color, face_crop=config.face_crop, family=config.model)
    spec = spec.with_updates(outputs=output_specs(config.model, spec))
    if family_layout(config.model) == TWO_HOT:  # the family's "Undefined" thresholds
        spec = spec.with_updates(decoding=two_hot_decoding(len(spec.age_class_names)))
    if config.age_sigma and config.age_sigma > 0:
        # a trained label distribution reports its median years (edge.decode.median_years: lower MAE on validation)
        spec = spec.with_updates(decoding={**spec.decoding, "age_years": "median"})
    return spec


@dataclass
class RunFaces:
    """The run's decoded faces: --data's first (``primary_count`` of them), then --extra-data's."""

    config: TrainConfig  # resolved for the dataset's kind
    spec: Spec
    kind: str
    records: list[FaceRecord]
    primary_count: int
    images: np.ndarray
    targets: Targets
    teacher: TeacherLabels | None
    extra_sources: list[dict]


def _prepare_faces(config: TrainConfig, log: Log) -> RunFaces:
    """List --data (and --extra-data), decode every face once, align labels and teacher labels."""
    dataset = load_dataset(Path(config.data), config.kind)
    config = resolve_config(config, dataset.kind)
    spec = _run_spec(config)
    records = _usable_records(dataset.records, spec, config)
    if dataset.skipped.total:
        log(f"dataset: {len(dataset.records):,} labelled images listed, {dataset.skipped.total:,} rows skipped "
            f"({', '.join(f'{r}: {c:,}' for r, c in dataset.skipped.counts.most_common(3))})")
    primary_paths = {r.path for r in records}
    extra_sources, extra_records = _extra_records(config, spec, records, log)
    from edge.console import progress_bar

    with progress_bar("decoding images") as update:
        image_set = load_images(records + extra_records, spec, progress=update)
    if image_set.skipped.total:
        log(f"{image_set.skipped.total} images could not be decoded and are skipped: "
            + ", ".join(f"{r} ({c})" for r, c in image_set.skipped.counts.items()))
    records = image_set.records  # --data's faces first, then the extra ones (decoding keeps the order)
    primary_count = sum(1 for r in records if r.path in primary_paths)
    log(f"{len(records):,} images, {spec.image_size}x{spec.image_size} {spec.color}, labels {spec.label_scheme}"
        f"{' (from cache)' if image_set.from_cache else ''}")
    if config.folds > primary_count:
        raise EdgeError(f"--folds {config.folds} needs at least as many images; {config.data} has {primary_count} usable")
    if primary_count < MIN_TRAIN_IMAGES:
        raise EdgeError(f"only {primary_count} usable images in {config.data}: need at least {MIN_TRAIN_IMAGES} to train and test")
    return RunFaces(config, spec, dataset.kind, records, primary_count, image_set.images,
                    targets_for(records, spec.label_scheme), _load_teacher(config, spec, records), extra_sources)


def _train_folds(out_dir: Path, fold_runs: list[SplitRun]) -> dict:
    """Each fold a complete run under ``folds/<name>``; the mean +- std summary and the fold curves on top."""
    fold_metrics, histories = {}, {}
    for index, run in enumerate(fold_runs):
        split = run.split
        run.log(f"--- fold {index + 1}/{len(fold_runs)} ({split.name}): train {len(split.train):,}, "
                f"val {len(split.val):,}, test {len(split.test):,}")
        fold_metrics[split.name], histories[split.name] = _train_split(run)
    summary = {"folds": fold_metrics, "mean_std": mean_std(list(fold_metrics.values())), "kind": "kfold",
               "label_scheme": fold_runs[0].spec.label_scheme, "model": fold_runs[0].config.model}
    write_json_atomic(RunDir(out_dir).metrics_json, schemas.FoldsMetrics(**summary).to_json())
    from edge.train.plots import plot_fold_curves

    plot_fold_curves(histories, RunDir(out_dir).fold_curves_png)
    return summary


def _usable_records(records: list[FaceRecord], spec: Spec, config: TrainConfig, subsample: bool = True) -> list[FaceRecord]:
    """Drop records with no label this model can learn from; optionally subsample (--max-images)."""
    targets = targets_for(records, spec.label_scheme)
    has_age = ~np.isnan(targets.age_years) if spec.label_scheme == "age" else targets.age_class >= 0
    usable = [r for r, ok in zip(records, has_age | (targets.gender >= 0)) if ok]
    if subsample and config.max_images and len(usable) > config.max_images:
        chosen = np.sort(np.random.default_rng(config.data_seed).choice(len(usable), config.max_images, replace=False))
        usable = [usable[i] for i in chosen]
    if not usable:
        raise EdgeError(f"no image in {config.data} has a {spec.label_scheme} age or a gender label")
    return usable


def _extra_records(config: TrainConfig, spec: Spec, primary: list[FaceRecord], log: Log) -> tuple[list[dict], list[FaceRecord]]:
    """--extra-data: each source's usable faces under --data's label scheme, and where they came from (for split.json).

    Ages map into the run's scheme through their years (an Adience range by its midpoint, as the loader reads it).
    An image is known by its bytes: a face --data (or an earlier source) already holds, through any path, copy or
    link, is not added again, so it cannot train a model that is tested on it.
    """
    from edge.datasets import content_key

    sources, extra = [], []
    taken = {content_key(r.path): r for r in primary}
    for path in config.extra_data or ():
        source = load_dataset(Path(path))
        usable = _usable_records(source.records, spec, config, subsample=False)
        fresh, conflicting = [], 0
        for record in usable:
            key = content_key(record.path)
            known = taken.get(key)
            if known is None:
                taken[key] = record
                fresh.append(record)
            elif (known.age_years, known.gender) != (record.age_years, record.gender):
                conflicting += 1
        repeated = len(usable) - len(fresh) - conflicting
        notes = [f"{repeated:,} already listed (same image), not added twice" if repeated else "",
                 f"{conflicting:,} copies of listed images with other labels, dropped" if conflicting else "",
                 f"{source.skipped.total:,} rows skipped" if source.skipped.total else ""]
        log(f"extra training faces: {len(fresh):,} from {path} ({'; '.join([source.kind] + [n for n in notes if n])})")
        sources.append({"data": path, "kind": source.kind})
        extra.extend(fresh)
    return sources, extra


def _train_on_extra(split: Split, extra_index: np.ndarray) -> Split:
    """The split with the extra faces added to its training part (never to validation or test)."""
    if not len(extra_index):
        return split
    return Split(np.concatenate([split.train, extra_index]), split.val, split.test, split.name)


def _configure_devices(tf, keras, config: TrainConfig, log: Log):
    gpus = tf.config.list_physical_devices("GPU")
    if config.mixed_precision:
        if gpus:
            keras.mixed_precision.set_global_policy("mixed_float16")
            log("mixed precision: float16 compute, float32 outputs")
        else:
            log("--mixed-precision ignored: no GPU visible (it only speeds up GPUs)")
    if config.strategy == "multiworker":  # created before any other TensorFlow op, as it must be
        from edge.train.multiworker import make_strategy

        strategy = make_strategy(tf, log)
    elif config.strategy == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
                  [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        log(f"MirroredStrategy over {strategy.num_replicas_in_sync} replicas: {', '.join(devices)}")
    else:
        strategy = tf.distribute.get_strategy()
        log(f"device: {'GPU ' + ', '.join(g.name for g in gpus) if gpus else 'CPU'}")
    return strategy


def _initialize_from(model, source_run: Path, keras, log: Log) -> None:
    """Copy weights from another run's model into every layer with the same name and shapes.

    Transfer learning: e.g. a UTKFace-trained mobile initialises an Adience model; the age
    head (20 vs 8 classes) does not match and keeps its fresh initialisation.
    """
    source_path = RunDir(source_run).model_keras
    if not source_path.is_file():
        raise EdgeError(f"--init-from {source_run}: no model.keras there (point it at a finished run directory)")
    source = keras.models.load_model(source_path, compile=False)
    source_layers = {layer.name: layer for layer in source.layers}
    copied, skipped = [], []
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        other = source_layers.get(layer.name)
        other_weights = other.get_weights() if other is not None else None
        if other_weights is not None and [w.shape for w in other_weights] == [w.shape for w in weights]:
            layer.set_weights(other_weights)
            copied.append(layer.name)
        else:
            skipped.append(layer.name)
    if not copied:
        raise EdgeError(f"--init-from {source_run}: no layer matches by name and shape (same --model family?)")
    log(f"initialised {len(copied)} layers from {source_path}" + (f"; kept fresh: {', '.join(skipped)}" if skipped else ""))


def _class_weights(targets: Targets, train_index: np.ndarray, config: TrainConfig) -> dict[int, float] | None:
    if config.class_weight != "balanced" or config.labels == "age":
        return None
    from sklearn.utils.class_weight import compute_class_weight

    classes = targets.age_class[train_index]
    classes = classes[classes >= 0]
    present = np.unique(classes)
    weights = compute_class_weight("balanced", classes=present, y=classes)
    return {int(c): float(w) for c, w in zip(present, weights)}


def _load_teacher(config: TrainConfig, spec: Spec, records: list[FaceRecord]) -> TeacherLabels | None:
    """The teacher's soft labels aligned to ``records`` (None without --teacher-labels): read once per run, every fold uses them."""
    if not config.teacher_labels:
        return None
    return load_teacher_labels(Path(config.teacher_labels), [r.path for r in records], config.data,
                               spec.label_scheme, len(spec.age_class_names))


def _check_teacher_coverage(teacher: TeacherLabels, config: TrainConfig, split: Split, log: Log) -> None:
    """Log how many of this split's training faces the teacher labels; none is an error."""
    covered = int(teacher.covered[split.train].sum())
    if not covered:
        raise EdgeError(f"--teacher-labels {config.teacher_labels}: no training face of {config.data} is in it "
                        "(its paths are relative to the dataset directory it was made for)")
    log(f"distilling from {config.teacher_labels}: teacher labels for {covered:,} of {len(split.train):,} training faces, "
        f"weight {config.teacher_weight:g} (the rest keep their dataset labels)")


def _cosine_lr(base: float, epochs: int) -> Callable[[int], float]:
    return lambda epoch, *_: base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * epoch / max(1, epochs))))


@dataclass
class SplitRun:
    """One split's training: what it reads (the run's images, labels, options) and where it writes."""

    run_dir: Path
    config: TrainConfig
    spec: Spec
    images: np.ndarray
    targets: Targets
    teacher: TeacherLabels | None
    records: list[FaceRecord]
    extra_sources: list[dict]
    split: Split
    resume: bool
    strategy: Any
    log: Log

    @property
    def num_classes(self) -> int:
        """The number of age groups (0 for --labels age)."""
        return len(self.spec.age_class_names)

    @property
    def files(self) -> RunDir:
        """This split's run folder (the run itself, or one fold of a --folds run)."""
        return RunDir(self.run_dir)


def _train_split(run: SplitRun) -> tuple[dict, dict]:
    """Train one split into ``run.run_dir``: the named steps below, in this order (the seeds depend on it)."""
    from edge.tf_bootstrap import import_tf

    tf, keras = import_tf()
    # Python, NumPy and TensorFlow seeds (weight init, dropout, the tf.data ops' derived seeds): with the
    # seeded shuffle and stateless augmentation, one --seed gives the same weights on CPU (tests/test_reproducible.py)
    keras.utils.set_random_seed(run.config.seed)
    run.run_dir.mkdir(parents=True, exist_ok=True)
    finished = _finished_split(run)
    if finished is not None:
        return finished
    _write_split_files(run)
    train_data, val_data, input_rate = _split_datasets(run)
    model, state = _build_or_resume(run, keras)
    parameters = int(model.count_params())
    field = receptive_field(model)
    seen = f"; receptive field {field} px of the {run.spec.image_size} px input" if field else ""
    run.log(f"{run.config.model}: {parameters:,} parameters{seen}; input pipeline alone: {input_rate:,.0f} images/s")
    average = _weight_average(run, model, state)
    train_seconds = _fit(run, model, state, average, train_data, val_data)
    if average:
        average.apply()  # the run's model is the average (the raw weights live on in the last checkpoint)
    facts = {"parameters": parameters, "train_seconds_this_process": round(train_seconds, 1),
             "train_images_per_s": round(state.get("images_per_s", 0.0), 1),
             "input_pipeline_images_per_s": round(input_rate, 1),
             "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU"}
    return _evaluate_and_save(run, model, facts, state["history"]), state["history"]


def _finished_split(run: SplitRun) -> tuple[dict, dict] | None:
    """A resumed split that already trained every epoch: its saved metrics and history (nothing to do)."""
    done_epochs = _checkpoint_epoch(run.run_dir)
    if run.resume and run.files.metrics_json.is_file() and run.files.model_keras.is_file() \
            and done_epochs >= run.config.epochs:
        run.log(f"{run.run_dir.name}: already complete ({done_epochs} epochs), skipping; add --epochs N to train it further")
        return (read_json(run.files.metrics_json, "re-train the run"),
                read_json(run.files.history_json, "re-train the run"))
    return None


def _write_split_files(run: SplitRun) -> None:
    """split.json, config.json and spec.json: each split's directory is a complete run directory."""
    write_json_atomic(run.files.split_json, {"data": run.config.data, "kind": run.config.kind,
                                                    "extra_data": run.extra_sources,
                                                    "paths": [r.path for r in run.records], **run.split.to_dict()})
    write_json_atomic(run.files.config_json, asdict(run.config))
    run.spec.save(run.files.spec_json)


def _split_datasets(run: SplitRun):
    """The training and validation tf.data pipelines, and the input pipeline's own speed (images/s)."""
    from edge.train.pipeline import Feed, TargetRecipe, make_dataset, measure_input_throughput, model_targets

    config, spec, targets = run.config, run.spec, run.targets
    class_weights = _class_weights(targets, run.split.train, config)
    if run.teacher is not None:
        _check_teacher_coverage(run.teacher, config, run.split, run.log)
    if class_weights:
        run.log("class weights (balanced): " + ", ".join(f"{spec.age_class_names[c]} {w:.2f}" for c, w in class_weights.items()))

    def dataset_for(index: np.ndarray, training: bool, weights=None):
        # the teacher shapes training targets only: validation keeps the dataset's labels, comparable across runs
        distil = run.teacher.subset(index) if run.teacher is not None and training else None
        recipe = TargetRecipe(config.age_sigma or 0.0, config.age_sigma_per_year, spec.age_class_centers, weights,
                              distil, config.teacher_weight)
        y, weight = model_targets(config.model, spec.label_scheme, targets.subset(index), run.num_classes, recipe)
        # --no-augment keeps the shuffling: lists are often sorted (UTKFace by age)
        feed = Feed(config.batch, training, config.seed, augment=training and config.augment, zoom=config.zoom or 0.0,
                    degrade=config.degrade or 0.0)
        return make_dataset(run.images[index], y, weight, spec, feed)

    train_data = dataset_for(run.split.train, True, class_weights)
    val_data = dataset_for(run.split.val, False) if len(run.split.val) else None
    return train_data, val_data, measure_input_throughput(train_data)


def _build_or_resume(run: SplitRun, keras):
    """The compiled model: from the last checkpoint with --resume, else built (and --init-from); and the state."""
    import edge.train.losses as losses

    config, spec = run.config, run.spec
    checkpoint_dir = run.files.checkpoint_dir
    state_path = run.files.checkpoint_state
    state = {"epoch": 0, "history": {}}
    with run.strategy.scope():
        if run.resume and state_path.is_file():
            state = json.loads(state_path.read_text())
            model = keras.models.load_model(checkpoint_dir / state["checkpoint"])
            run.log(f"{run.run_dir.name}: resumed after epoch {state['epoch']} "
                    f"(optimizer step {int(model.optimizer.iterations.numpy())})")
            return model, state
        if checkpoint_dir.exists() and any(checkpoint_dir.iterdir()):
            raise EdgeError(f"{run.run_dir} has checkpoints from an earlier run: add --resume or pick another --out")
        model = build_model(config.model, spec, ModelShape.from_config(config))
        if config.init_from:
            _initialize_from(model, Path(config.init_from), keras, run.log)
        losses.compile_model(model, config, spec)
    return model, state


def _weight_average(run: SplitRun, model, state: dict):
    """--ema: the moving average of the weights (restored from the checkpoint on resume), or None."""
    if not run.config.ema:
        return None
    from edge.train.averaging import WeightAverage

    average = WeightAverage(run.config.ema)
    average.set_model(model)
    if state.get("average"):
        average.load(run.files.checkpoint_dir / state["average"])
    elif state["epoch"]:
        raise EdgeError(f"{run.run_dir}: its checkpoint has no weight average for --ema: delete its checkpoint/ to start over")
    run.log(f"weights averaged over training (--ema {run.config.ema:g}: about the last "
            f"{1 / (1 - run.config.ema):,.0f} steps); the run's model and validation figures are the average's")
    return average


def _fit(run: SplitRun, model, state: dict, average, train_data, val_data) -> float:
    """Fit to the configured epochs (checkpointing each), owning Ctrl-C; returns the seconds it trained.

    ``val_data`` is None without validation faces; ``average``: the --ema weight average or None.
    """
    from edge.tf_bootstrap import import_tf
    from edge.train.callbacks import EpochEnd, ProgressBar

    _, keras = import_tf()
    config, split = run.config, run.split
    interrupted = {"flag": False}
    callbacks = [
        keras.callbacks.LearningRateScheduler(_cosine_lr(config.lr, config.epochs)),
        EpochEnd(run, state, interrupted, average),
        keras.callbacks.TensorBoard(log_dir=str(run.files.tensorboard_dir), profile_batch=0, write_graph=False),
    ]
    if average:  # ahead of EpochEnd and TensorBoard: it updates after each step and swaps in for Keras's validation
        callbacks.insert(0, average)
    callbacks.insert(0, ProgressBar(math.ceil(len(split.train) / config.batch), config.epochs))

    def on_sigint(*_):
        interrupted["flag"] = True
        run.log("Ctrl-C: stopping after this batch; the last completed epoch is saved (continue with --resume)")

    previous_handler = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    start = time.perf_counter()
    try:
        if state["epoch"] < config.epochs:
            model.fit(train_data, validation_data=val_data, epochs=config.epochs, initial_epoch=state["epoch"],
                      callbacks=callbacks, verbose=0)
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    if interrupted["flag"]:
        out = run.run_dir.parent.parent if run.run_dir.parent.name == layout.FOLDS_DIR else run.run_dir
        raise TrainingInterrupted(f"training stopped by Ctrl-C after epoch {state['epoch']}; "
                                  f"continue with: edge train --resume --out {out}")
    return time.perf_counter() - start


def _evaluate_and_save(run: SplitRun, model, facts: dict, history: dict) -> dict:
    """Held-out metrics (the project's definitions), the model, its spec, the plots and metrics.json."""
    config, split, spec, images = run.config, run.split, run.spec, run.images
    if family_layout(config.model) == TUPLE:  # the tuple family's decoding is learned from its training outputs
        train_out = predict_outputs(model, images[split.train], spec)["age_gender"]
        train_targets = run.targets.subset(split.train)
        spec = spec.with_updates(decoding=learn_tuple_thresholds(
            train_out[:, 0], train_targets.age_class, train_out[:, 1], train_targets.gender, run.num_classes))
    test_targets = run.targets.subset(split.test)
    decoded = decode_outputs(spec, predict_outputs(model, images[split.test], spec))
    metrics = label_metrics(decoded, test_targets.age_class, test_targets.age_years, test_targets.gender, run.num_classes)
    metrics.update({"model": config.model, "label_scheme": spec.label_scheme, "parameters": facts["parameters"],
                    "split": {"train": len(split.train), "val": len(split.val), "test": len(split.test), "name": split.name},
                    "epochs": config.epochs, **{k: v for k, v in facts.items() if k != "parameters"}})
    save_model_atomic(model, run.files.model_keras)
    spec.save(run.files.spec_json)
    from edge.train.plots import plot_confusion, plot_learning_curves

    plot_learning_curves(history, run.files.learning_curves_png, f"{config.model} on {Path(config.data).name}")
    if run.num_classes:
        plot_confusion(confusion(test_targets.age_class, decoded.age_class, run.num_classes), list(spec.age_class_names),
                       run.files.confusion_matrix_png,
                       f"{config.model}: age exact {metrics.get('age_exact_accuracy', float('nan')):.1%} on test")
    write_json_atomic(run.files.metrics_json, schemas.RunMetrics(**metrics).to_json())
    run.log(_summary_line(metrics))
    return metrics


def _checkpoint_epoch(run_dir: Path) -> int:
    """The last completed epoch recorded in a run's checkpoint state (0 when none)."""
    state = RunDir(run_dir).checkpoint_state
    return int(read_json(state, "delete the run's checkpoint/ to start over").get("epoch", 0)) if state.is_file() else 0


def _summary_line(metrics: dict) -> str:
    parts = [f"test ({metrics['faces']:,} faces):"]
    for key, label, fmt in (("gender_accuracy", "gender", "{:.1%}"), ("age_exact_accuracy", "age exact", "{:.1%}"),
                            ("age_1off_accuracy", "1-off", "{:.1%}"), ("age_mae_years", "MAE", "{:.2f} y"),
                            ("undefined_rate", "undefined", "{:.1%}")):
        if key in metrics:
            parts.append(f"{label} {fmt.format(metrics[key])}")
    return "  ".join(parts)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
