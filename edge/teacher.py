"""Soft labels from a teacher model, for distillation (``edge train --teacher-labels FILE``).

A teacher is any larger model, trained anywhere (``benchmarks/teacher/train_teacher.py`` trains one
on a GPU with PyTorch); edge only needs what it predicted for each training face. The file is a
NumPy ``.npz`` with:

``paths``             each face's image file, relative to the dataset directory (``--data``)
``age_distribution``  N x K: the teacher's probabilities over the spec's K age groups
``gender_prob``       N: the teacher's probability of gender class 1 (``female``)
``label_scheme``      the age groups' scheme, e.g. ``utk20`` (must be the student's)

Faces the file does not cover keep their dataset labels alone. TensorFlow-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import EdgeError

REQUIRED_KEYS = ("paths", "age_distribution", "gender_prob", "label_scheme")
ROW_SUM_TOLERANCE = 0.02  # float16 storage rounds each of K probabilities; a softmax row still sums to 1 within this


@dataclass
class TeacherLabels:
    """A teacher's soft labels aligned to a record list: rows without a teacher label are NaN."""

    age_distribution: np.ndarray  # float32 N x K, NaN rows where the teacher has no label
    gender_prob: np.ndarray  # float32 N, NaN where the teacher has no label

    @property
    def covered(self) -> np.ndarray:
        """Which rows carry a teacher label."""
        return ~np.isnan(self.gender_prob)

    def subset(self, index: np.ndarray) -> "TeacherLabels":
        return TeacherLabels(self.age_distribution[index], self.gender_prob[index])


def relative_key(path: str, data_dir: str) -> str:
    """A face's key in a teacher file: its path relative to the dataset directory, with '/' separators."""
    try:
        return Path(path).resolve().relative_to(Path(data_dir).resolve()).as_posix()
    except ValueError:  # a CSV dataset may list images anywhere: the absolute path is the key
        return Path(path).resolve().as_posix()


def load_teacher_labels(file: Path, record_paths: list[str], data_dir: str, label_scheme: str,
                        num_classes: int) -> TeacherLabels:
    """Read a teacher file and align it to ``record_paths``; EdgeError (one line, with the fix) when it cannot serve."""
    file = Path(file)  # its existence is checked with the other options (train.config.check_options)
    try:
        with np.load(file, allow_pickle=False) as content:
            missing = [key for key in REQUIRED_KEYS if key not in content]
            if missing:
                raise EdgeError(f"--teacher-labels {file}: missing {', '.join(missing)} (the format is in edge/teacher.py)")
            paths = [str(p) for p in content["paths"]]
            age = np.asarray(content["age_distribution"], np.float32)
            gender = np.asarray(content["gender_prob"], np.float32)
            scheme = str(content["label_scheme"])
    except EdgeError:
        raise
    except Exception as error:  # a missing, truncated or foreign file
        raise EdgeError(f"--teacher-labels {file}: not a readable .npz ({type(error).__name__}: {error})") from None
    if scheme != label_scheme:
        raise EdgeError(f"--teacher-labels {file}: the teacher predicts {scheme} age groups, the student trains "
                        f"{label_scheme}: train with --labels {scheme} or relabel the teacher")
    if not paths:
        raise EdgeError(f"--teacher-labels {file}: holds no faces")
    if age.shape != (len(paths), num_classes) or gender.shape != (len(paths),):
        raise EdgeError(f"--teacher-labels {file}: expected {len(paths)} x {num_classes} age probabilities and "
                        f"{len(paths)} gender probabilities, found {age.shape} and {gender.shape}")
    if not (np.isfinite(age).all() and np.isfinite(gender).all()) or age.min() < 0 or not 0 <= gender.min() <= gender.max() <= 1:
        raise EdgeError(f"--teacher-labels {file}: probabilities must be finite and in [0, 1]")
    sums = age.sum(axis=1)
    not_distributions = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOLERANCE)
    if len(not_distributions):
        first = not_distributions[0]
        raise EdgeError(f"--teacher-labels {file}: {len(not_distributions)} of {len(paths)} age rows are not probability "
                        f"distributions (row {first}, {paths[first]}, sums to {sums[first]:.3g}, not 1): write the "
                        "teacher's softmax outputs")
    # float16 storage: renormalise each row so it is a distribution again
    age = age / np.maximum(age.sum(axis=1, keepdims=True), 1e-12)
    row_of = {path: row for row, path in enumerate(paths)}
    aligned_age = np.full((len(record_paths), num_classes), np.nan, np.float32)
    aligned_gender = np.full(len(record_paths), np.nan, np.float32)
    for index, path in enumerate(record_paths):
        row = row_of.get(relative_key(path, data_dir))
        if row is not None:
            aligned_age[index], aligned_gender[index] = age[row], gender[row]
    return TeacherLabels(aligned_age, aligned_gender)


def blend(hard: np.ndarray, soft: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * hard + weight * soft`` where the teacher has a label, ``hard`` elsewhere.

    The training target of distillation: the dataset's label keeps the student honest where the
    teacher is wrong, the teacher's probabilities say how alike neighbouring groups and ambiguous
    faces look (what a one-hot label cannot).
    """
    soft_known = ~np.isnan(soft) if soft.ndim == 1 else ~np.isnan(soft).any(axis=1)
    mixed = (1.0 - weight) * hard + weight * np.nan_to_num(soft)
    mask = soft_known if hard.ndim == 1 else soft_known[:, None]
    return np.where(mask, mixed, hard).astype(np.float32)
