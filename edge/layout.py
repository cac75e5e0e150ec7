"""The run- and export-directory layout: every file name edge writes, and who owns a directory.

One place for these facts: the trainer, the exporter, validate, predict and the phone/browser
asset copies import the names from here instead of re-typing them.

Ownership is what keeps edge from destroying user data: edge only ever replaces or cleans a
directory that carries its marker file (``.edge-run`` / ``.edge-export``), and refuses any other
non-empty directory with a one-line error.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Iterator

from edge.errors import EdgeError

# --- a training run (edge train --out RUN) -------------------------------------------------------
RUN_MARKER = ".edge-run"
MODEL_KERAS = "model.keras"
SPEC_JSON = "spec.json"
CONFIG_JSON = "config.json"
SPLIT_JSON = "split.json"
METRICS_JSON = "metrics.json"
HISTORY_JSON = "history.json"
HISTORY_CSV = "history.csv"
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_STATE = "state.json"
FOLDS_DIR = "folds"
LEARNING_CURVES_PNG = "learning_curves.png"
CONFUSION_MATRIX_PNG = "confusion_matrix.png"
FOLD_CURVES_PNG = "fold_curves.png"
# everything a run writes at its top level (a failed first attempt is cleaned of exactly these)
RUN_FILES = (MODEL_KERAS, SPEC_JSON, CONFIG_JSON, SPLIT_JSON, METRICS_JSON, HISTORY_JSON, HISTORY_CSV,
             LEARNING_CURVES_PNG, CONFUSION_MATRIX_PNG, FOLD_CURVES_PNG)
TENSORBOARD_DIR = "tensorboard"
RUN_DIRS = (CHECKPOINT_DIR, FOLDS_DIR, TENSORBOARD_DIR)

# --- an export (edge export RUN [--out EXPORT]) --------------------------------------------------
EXPORT_MARKER = ".edge-export"
EXPORT_DIR_NAME = "export"
EXPORT_REPORT = "export_report.json"
GOLDEN_JSON = "golden.json"
GOLDEN_DIR = "golden"
LABELS_TXT = "labels.txt"
MODEL_CARD = "MODEL_CARD.md"
VALIDATION_DIR = "validation"
VALIDATION_JSON = "validation.json"
BENCHMARK_JSON = "benchmark.json"
BENCHMARK_PNG = "benchmark.png"
STAGING_TAG = ".staging-"  # .<export name>.staging-<pid>-<random>: an export being written
BACKUP_TAG = ".previous-"  # .<export name>.previous-<pid>: the export being replaced




class ModelKind(str, Enum):
    """The models an export holds: one name for each in every report, table and step.

    The value is the name reports use (``int8_qat``); the file is ``model_<value>.tflite``.
    """

    FLOAT32 = "float32"
    FLOAT16 = "float16"
    INT8_PTQ = "int8_ptq"
    INT8_QAT = "int8_qat"

    @property
    def file(self) -> str:
        """The model's file name in an export folder."""
        return f"model_{self.value}.tflite"

    @property
    def spec_file(self) -> str:
        """The model's own spec beside it (its calibration differs from the other files')."""
        return f"model_{self.value}.spec.json"

    @property
    def is_int8(self) -> bool:
        return self in (ModelKind.INT8_PTQ, ModelKind.INT8_QAT)

    @classmethod
    def named(cls, name: str) -> "ModelKind | None":
        """The kind a report key or file stem names (``int8_qat``, and the older ``model_int8_qat``), else None."""
        name = name[len("model_"):] if name.startswith("model_") else name
        return next((kind for kind in cls if kind.value == name), None)


# (name, file) of every model kind, in the order exports write them
MODEL_FILES = tuple((kind.value, kind.file) for kind in ModelKind)


def is_hidden(path: Path) -> bool:
    return Path(path).name.startswith(".")


def visible_subdirs(path: Path) -> list[Path]:
    """Sub-directories of ``path`` without edge's hidden staging/backup folders, sorted."""
    return sorted(p for p in Path(path).iterdir() if p.is_dir() and not is_hidden(p))


def is_run_dir(path: Path) -> bool:
    """A directory ``edge train`` made: it holds edge's ``.edge-run`` marker (file names alone prove nothing)."""
    return (Path(path) / RUN_MARKER).is_file()


def is_export_dir(path: Path) -> bool:
    """A directory ``edge export`` made: it holds edge's ``.edge-export`` marker."""
    return (Path(path) / EXPORT_MARKER).is_file()


def is_folds_export(path: Path) -> bool:
    """An export of a --folds run: one export per fold under ``folds/``, no model of its own at the top."""
    return ExportDir(Path(path)).is_folds


def _in(*parts: str) -> property:
    """A file or folder of a typed folder, by its name(s) under the folder."""
    return property(lambda self: self.path.joinpath(*parts))


@dataclass(frozen=True)
class _Folder:
    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    folds_dir = _in(FOLDS_DIR)

    def _own_model(self) -> Path:
        """The file a single (not --folds) folder of this kind holds at its top."""
        raise NotImplementedError

    @property
    def is_folds(self) -> bool:
        """A --folds run or export: one per fold under ``folds/``, no model of its own at the top."""
        return self.folds_dir.is_dir() and not self._own_model().exists()

    def folds(self) -> list:
        """The fold folders, sorted, of the same kind as this one (never edge's hidden staging folders)."""
        return [type(self)(p) for p in visible_subdirs(self.folds_dir)] if self.folds_dir.is_dir() else []


class RunDir(_Folder):
    """A training run's folder (``edge train --out RUN``): every file it holds is a property."""

    marker = _in(RUN_MARKER)
    model_keras = _in(MODEL_KERAS)
    spec_json = _in(SPEC_JSON)
    config_json = _in(CONFIG_JSON)
    split_json = _in(SPLIT_JSON)
    metrics_json = _in(METRICS_JSON)
    history_json = _in(HISTORY_JSON)
    history_csv = _in(HISTORY_CSV)
    checkpoint_dir = _in(CHECKPOINT_DIR)
    tensorboard_dir = _in(TENSORBOARD_DIR)
    checkpoint_state = _in(CHECKPOINT_DIR, CHECKPOINT_STATE)
    learning_curves_png = _in(LEARNING_CURVES_PNG)
    confusion_matrix_png = _in(CONFUSION_MATRIX_PNG)
    fold_curves_png = _in(FOLD_CURVES_PNG)
    default_export = _in(EXPORT_DIR_NAME)

    def _own_model(self) -> Path:
        return self.model_keras

    def fold(self, name: str) -> "RunDir":
        return RunDir(self.folds_dir / name)

    def split(self) -> dict:
        """The run's split.json: the dataset path and kind, the ordered record paths and the split's indices."""
        return read_split(self.split_json, f"{self.path} has no {SPLIT_JSON}: is it a finished `edge train` run directory?")


class ExportDir(_Folder):
    """An export's folder (``edge export RUN [--out EXPORT]``): every file it holds is a property."""

    marker = _in(EXPORT_MARKER)
    report_json = _in(EXPORT_REPORT)
    spec_json = _in(SPEC_JSON)
    labels_txt = _in(LABELS_TXT)
    golden_json = _in(GOLDEN_JSON)
    golden_dir = _in(GOLDEN_DIR)
    model_card = _in(MODEL_CARD)
    split_json = _in(SPLIT_JSON)
    validation_dir = _in(VALIDATION_DIR)
    validation_json = _in(VALIDATION_DIR, VALIDATION_JSON)
    benchmark_json = _in(BENCHMARK_JSON)

    def model(self, kind: ModelKind) -> Path:
        return self.path / ModelKind(kind).file

    def models(self) -> dict[ModelKind, Path]:
        """The model files this export holds, in ModelKind order."""
        return {kind: self.model(kind) for kind in ModelKind if self.model(kind).is_file()}

    def _own_model(self) -> Path:
        return self.model(ModelKind.FLOAT32)

    def split(self) -> dict:
        """The split.json the export copied from its run (the test faces its figures are measured on)."""
        return read_split(self.split_json, f"no {SPLIT_JSON} in {self.path}: use --split all or --split fold:K")

    def report(self) -> dict:
        """export_report.json in today's layout (a previous version's ``model_int8_qat`` keys read as ``int8_qat``)."""
        from edge import schemas

        return schemas.read_export_report(self.report_json)


class ValidationDir(_Folder):
    """Where ``edge validate`` writes its reports (EXPORT/validation by default, or --report)."""

    validation_json = _in(VALIDATION_JSON)
    validation_md = _in("validation.md")
    by_group_png = _in("by_group.png")
    reliability_png = _in("reliability.png")
    confusion_png = _in("confusion_float_vs_qat.png")
    tradeoff_png = _in("accuracy_vs_size_latency.png")


def read_split(path: Path, missing: str) -> dict:
    """One reader of ``split.json`` for runs and exports; ``missing`` is the error when there is none."""
    path = Path(path)
    if not path.is_file():
        raise EdgeError(missing)
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise EdgeError(f"{path} is not valid JSON ({error}): export the run again") from None


def claim_run_dir(path: Path) -> None:
    """Refuse to train into a non-empty directory that is not an edge run (its marker proves it)."""
    _claim(path, RUN_MARKER, "run", "edge train")


def claim_export_dir(path: Path) -> None:
    """Refuse to export into a non-empty directory that is not an edge export (its marker proves it)."""
    _claim(path, EXPORT_MARKER, "export", "edge export")


def _claim(path: Path, marker: str, what: str, command: str) -> None:
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise EdgeError(f"--out {path} is a file: choose a directory for the {what}")
    if path.is_dir() and any(path.iterdir()) and not (path / marker).is_file():
        raise EdgeError(f"--out {path} is a non-empty directory without edge's {marker} marker: choose a new or empty "
                        f"directory (edge never writes into folders it did not make; if an older {command} made this "
                        f"one, adopt it with `touch {path / marker}`)")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id still runs (staging folders of dead exports are reclaimable)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_export(out_dir: Path, log: Callable[[str], None] = print) -> None:
    """Finish an export swap a kill interrupted, and reclaim staging folders of dead exports.

    Between the two renames of a non-atomic swap, ``out_dir`` is missing while the complete new
    export (staging, with its marker) and the previous one (backup) sit in hidden folders: put
    the newest complete one in place. Staging folders of processes that are gone are deleted
    (they are edge's own, named ``.<name>.staging-<pid>-*``); a live process's are left alone.
    """
    out_dir = Path(out_dir)
    parent = out_dir.parent
    if not parent.is_dir():
        return
    staged, backups = [], []
    for entry in parent.iterdir():
        for tag, bucket in ((STAGING_TAG, staged), (BACKUP_TAG, backups)):
            prefix = f".{out_dir.name}{tag}"
            if entry.is_dir() and entry.name.startswith(prefix):
                pid = entry.name[len(prefix):].split("-")[0]
                if not (pid.isdigit() and pid_alive(int(pid)) and int(pid) != os.getpid()):
                    bucket.append(entry)
    if not out_dir.exists():
        complete = [p for p in staged + backups if (p / EXPORT_MARKER).is_file()]
        if complete:
            newest = max(complete, key=lambda p: (p / EXPORT_MARKER).stat().st_mtime)
            os.replace(newest, out_dir)
            log(f"recovered the export an interrupted `edge export` left in {newest.name} -> {out_dir}")
    for leftover in staged + backups:
        if leftover.exists():
            shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def folder_lock(out_dir: Path, command: str, alternative: str) -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` while ``command`` writes it; a second writer is refused.

    The lock is ``.<name>.lock`` beside the folder (the folder itself may be replaced meanwhile); the
    kernel releases it when the process ends, so a killed command never leaves a stale lock.
    """
    out_dir = Path(out_dir)
    lock_path = out_dir.parent / f".{out_dir.name}.lock"
    handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode(errors="replace").strip() or "?"
            raise EdgeError(f"another `{command}` (pid {holder}) is writing {out_dir}: wait for it to finish, "
                            f"or {alternative}") from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(handle)  # closing releases the lock; the empty lock file stays (it is edge's own)
