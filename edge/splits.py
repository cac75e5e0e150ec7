"""Deterministic splits: train/val/test fractions, k-fold, and Adience's own folds.

All splits depend only on the record list and ``seed``. When records carry a subject id
(Adience ``user_id``), splits are grouped by subject so no identity appears on both sides;
Adience folds are subject-disjoint by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from edge.datasets import FaceRecord
from edge.errors import EdgeError


@dataclass(frozen=True)
class Split:
    """Index arrays into a record list."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    name: str = "holdout"

    def to_dict(self) -> dict:
        return {"name": self.name, "train": self.train.tolist(), "val": self.val.tolist(), "test": self.test.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Split":
        return cls(*(np.asarray(data[k], dtype=np.int64) for k in ("train", "val", "test")), name=data.get("name", ""))


def _groups(records: Sequence[FaceRecord]) -> np.ndarray | None:
    subjects = [r.subject for r in records]
    return np.asarray(subjects) if all(subjects) else None


def holdout_split(records: Sequence[FaceRecord], test_frac: float, val_frac: float, seed: int) -> Split:
    """Random train/val/test split (subject-grouped when subjects are known).

    ``test_frac`` is a fraction of all records; ``val_frac`` a fraction of what remains.
    """
    from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit

    if not (0 < test_frac < 1 and 0 <= val_frac < 1):
        raise EdgeError("split fractions must be in (0, 1): e.g. --test-frac 0.15 --val-frac 0.1")
    indices = np.arange(len(records))
    if len(indices) < 10:
        raise EdgeError(f"only {len(indices)} usable images: a split needs at least 10")
    groups = _groups(records)

    def cut(subset: np.ndarray, fraction: float, salt: int) -> tuple[np.ndarray, np.ndarray]:
        if fraction == 0:
            return subset, subset[:0]
        if groups is not None:
            splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed + salt)
            keep, held = next(splitter.split(subset, groups=groups[subset]))
        else:
            keep, held = next(ShuffleSplit(n_splits=1, test_size=fraction, random_state=seed + salt).split(subset))
        return np.sort(subset[keep]), np.sort(subset[held])

    rest, test = cut(indices, test_frac, 0)
    train, val = cut(rest, val_frac, 1)
    return Split(train, val, test)


def kfold_splits(records: Sequence[FaceRecord], folds: int, val_frac: float, seed: int, by_fold: bool) -> list[Split]:
    """K-fold splits. ``by_fold`` uses the dataset's own folds (Adience), else shuffled KFold.

    In each split the held-out fold is ``test``; ``val`` is carved from the training folds.
    """
    from sklearn.model_selection import GroupKFold, KFold

    if folds < 2:
        raise EdgeError("--folds must be at least 2")
    indices = np.arange(len(records))
    if by_fold:
        fold_ids = sorted({r.fold for r in records})
        if len(fold_ids) != folds:
            raise EdgeError(f"the dataset defines {len(fold_ids)} folds ({', '.join(fold_ids)}); use --folds {len(fold_ids)}")
        labels = np.asarray([fold_ids.index(r.fold) for r in records])
        pairs = [(indices[labels != k], indices[labels == k]) for k in range(folds)]
        names = fold_ids
    else:
        groups = _groups(records)
        if groups is not None:
            pairs = list(GroupKFold(n_splits=folds).split(indices, groups=groups))
        else:
            pairs = list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(indices))
        names = [f"fold_{k}" for k in range(folds)]
    splits = []
    for k, (train_part, test_part) in enumerate(pairs):
        inner = holdout_split([records[i] for i in train_part], test_frac=max(val_frac, 1e-3), val_frac=0, seed=seed + k)
        # holdout_split's "test" here is the validation carve-out of the training folds
        splits.append(Split(np.sort(train_part[inner.train]), np.sort(train_part[inner.test]), np.sort(test_part), names[k]))
    return splits
