"""Training/evaluation targets of records under a label scheme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from edge.datasets import FaceRecord
from edge.labels import get_scheme


def age_class_of(record: FaceRecord, scheme_name: str) -> int | None:
    """The record's age class under a group scheme (Adience ranges keep their own group)."""
    if scheme_name == "adience8" and record.adience_group is not None:
        return record.adience_group
    if record.age_years is None or scheme_name == "age":
        return None
    return get_scheme(scheme_name).group_of_years(record.age_years)


@dataclass
class Targets:
    """Label arrays aligned with a record list: -1 / NaN where unknown."""

    age_class: np.ndarray
    age_years: np.ndarray
    gender: np.ndarray

    def subset(self, index: np.ndarray) -> "Targets":
        return Targets(self.age_class[index], self.age_years[index], self.gender[index])


def targets_for(records: Sequence[FaceRecord], scheme_name: str) -> Targets:
    age_class = np.asarray([c if (c := age_class_of(r, scheme_name)) is not None else -1 for r in records], np.int64)
    age_years = np.asarray([r.age_years if r.age_years is not None else np.nan for r in records], np.float64)
    gender = np.asarray([r.gender if r.gender is not None else -1 for r in records], np.int64)
    return Targets(age_class, age_years, gender)
