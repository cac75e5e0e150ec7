"""The run- and export-directory layout: every file name edge writes, and who owns a directory.

One place for these facts: the trainer, the exporter, validate, predict and the phone/browser
asset copies import the names from here instead of re-typing them.

Ownership is what keeps edge from destroying user data: edge only ever replaces or cleans a
directory that carries its marker file (``.edge-run`` / ``.edge-export``), and refuses any other
non-empty directory with a one-line error.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
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
# everything a run writes at its top level (a failed first attempt is cleaned of exactly these)
RUN_FILES = (MODEL_KERAS, SPEC_JSON, CONFIG_JSON, SPLIT_JSON, METRICS_JSON, HISTORY_JSON, HISTORY_CSV,
             "learning_curves.png", "confusion_matrix.png", "fold_curves.png")
RUN_DIRS = (CHECKPOINT_DIR, FOLDS_DIR, "tensorboard")

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
MODEL_FILES = (("float32", "model_float32.tflite"), ("float16", "model_float16.tflite"),
               ("int8_ptq", "model_int8_ptq.tflite"), ("int8_qat", "model_int8_qat.tflite"))
STAGING_TAG = ".staging-"  # .<export name>.staging-<pid>-<random>: an export being written
BACKUP_TAG = ".previous-"  # .<export name>.previous-<pid>: the export being replaced


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
    path = Path(path)
    return path.is_dir() and (path / FOLDS_DIR).is_dir() and not (path / dict(MODEL_FILES)["float32"]).exists()


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
