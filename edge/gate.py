"""The release gate: when is an int8 model good enough to ship?

A quantized model is a (slightly) different model, so it is judged the way a fine-tuned model
is judged: by its ACCURACY DELTAS against the float model on the same held-out labelled faces
(gender accuracy drop in percentage points, age MAE increase in years). A broken int8 model
(wrong ranges, clipped logits) loses many points and fails; a good one moves by a face or two.

Averages hide who pays for quantization, so the same deltas are also gated on every group of
faces (age band, gender, race where known; ``edge.groups``) that has enough faces to judge, with
wider limits (a group's figures move more with one face).

Agreement with float (same predicted label) is reported beside it, counted only on DECISIVE
faces: faces whose float top-2 age probabilities (or gender probability vs 0.5) differ by more
than one int8 output step. A near-tie flips under any int8 model, so counting it would gate on
rounding noise (a well-trained 20-group model has ~2-5% such faces). When every face is a
near-tie the agreement is "not judged", never 0%. Agreement can be gated too (``min_*``), e.g.
for a PTQ-only workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.decode import Decoded
from edge.options import option

DEFAULT_MAX_GENDER_DROP = 1.0  # pp; the export check runs on <= 1000 held-out faces (1 face = 0.1 pp)
DEFAULT_MAX_MAE_INCREASE = 0.25  # years
# the worst-group gate (edge.groups): int8 against float on each group with enough faces; one face of a
# 100-face group is 1 pp, so the group limits sit above the sampling noise measured on validation (BENCHMARKS.md)
DEFAULT_GROUP_MIN_FACES = 100
DEFAULT_MAX_GROUP_GENDER_DROP = 2.0  # pp
DEFAULT_MAX_GROUP_MAE_INCREASE = 0.5  # years
INT8_PROBABILITY_STEP = 1.0 / 256  # TFLite's int8 softmax/sigmoid outputs use scale 1/256


@dataclass
class Agreement:
    """Label agreement of a model with float on decisive faces."""

    agreement: float | None  # None: not judged (no decisive face)
    decisive: int
    near_ties: int

    @property
    def near_tie_share(self) -> float:
        total = self.decisive + self.near_ties
        return self.near_ties / total if total else 0.0

    def text(self) -> str:
        if self.agreement is None:
            return f"not judged (all {self.near_ties} faces are float near-ties)"
        return f"{self.agreement:.1%} of {self.decisive} decisive faces ({self.near_tie_share:.1%} near-ties)"

    def to_dict(self) -> dict:
        return {"agreement": self.agreement, "decisive_faces": self.decisive, "near_tie_share": self.near_tie_share}


def _agreement(reference_labels: np.ndarray, labels: np.ndarray, decisive: np.ndarray) -> Agreement:
    known = reference_labels >= 0
    decisive = decisive & known
    count = int(decisive.sum())
    value = float(np.mean(labels[decisive] == reference_labels[decisive])) if count else None
    return Agreement(value, count, int((known & ~decisive).sum()))


def age_agreement(reference: Decoded, other: Decoded, step: float = INT8_PROBABILITY_STEP) -> Agreement | None:
    """Age-group agreement on faces whose float top-2 probability margin exceeds one output step."""
    if reference.age_class is None or other.age_class is None:
        return None
    if reference.age_probs is not None:
        top_two = np.sort(reference.age_probs, axis=1)[:, -2:]
        decisive = (top_two[:, 1] - top_two[:, 0]) > step
    else:
        decisive = np.ones(len(reference.age_class), dtype=bool)
    return _agreement(reference.age_class, other.age_class, decisive)


def gender_agreement(reference: Decoded, other: Decoded, step: float = INT8_PROBABILITY_STEP) -> Agreement | None:
    """Gender agreement on faces whose float P(female) is more than one output step from 0.5."""
    if reference.gender is None or other.gender is None:
        return None
    if reference.gender_prob is not None:
        decisive = np.abs(reference.gender_prob - 0.5) > step
    else:
        decisive = np.ones(len(reference.gender), dtype=bool)
    return _agreement(reference.gender, other.gender, decisive)


def delta_failures(candidate: dict, reference: dict, max_gender_drop: float, max_mae_increase: float,
                   who: str = "QAT int8") -> list[str]:
    """Why ``candidate``'s metrics fall too far below ``reference``'s (empty when within tolerance).

    Both are ``edge.metrics.label_metrics`` dicts on the same faces.
    """
    failures = []
    if "gender_accuracy" in candidate and "gender_accuracy" in reference:
        drop = (reference["gender_accuracy"] - candidate["gender_accuracy"]) * 100
        if drop > max_gender_drop:
            failures.append(f"{who} gender accuracy is {drop:.2f} pp below float (limit {max_gender_drop} pp)")
    if "age_mae_years" in candidate and "age_mae_years" in reference:
        increase = candidate["age_mae_years"] - reference["age_mae_years"]
        if increase > max_mae_increase:
            failures.append(f"{who} age MAE is {increase:.2f} years above float (limit {max_mae_increase} y)")
    return failures


GATE = "Release gate"


@dataclass(frozen=True)
class GatePolicy:
    """The release gate's limits: one set of names and defaults for export, validate and pipeline."""

    max_gender_drop: float = option(  # points, on all faces
        DEFAULT_MAX_GENDER_DROP, flags=("--max-gender-drop", "--max-drop-gender"), minimum=0, panel=GATE,
        help="Release gate: max gender-accuracy drop of QAT int8 vs float on all held-out faces, in points.")
    max_mae_increase: float = option(  # years, on all faces
        DEFAULT_MAX_MAE_INCREASE, flags=("--max-mae-increase", "--max-increase-mae"), minimum=0, panel=GATE,
        help="Release gate: max age-MAE increase of QAT int8 vs float on all held-out faces, in years.")
    max_group_gender_drop: float = option(  # points, on any group with enough faces
        DEFAULT_MAX_GROUP_GENDER_DROP, minimum=0, panel=GATE,
        help="Worst-group gate: max gender-accuracy drop of QAT int8 vs float on any group of faces with at least "
             "--group-min-faces faces, in points.")
    max_group_mae_increase: float = option(  # years, on any such group
        DEFAULT_MAX_GROUP_MAE_INCREASE, minimum=0, panel=GATE,
        help="Worst-group gate: max age-MAE increase of QAT int8 vs float on any such group, in years.")
    group_min_faces: int = option(  # smaller groups are reported, not gated
        DEFAULT_GROUP_MIN_FACES, minimum=1, panel=GATE,
        help="Groups with fewer faces are reported (with their wide intervals) but not gated.")

    def failures(self, candidate: dict, reference: dict, groups=None, who: str = "QAT int8") -> list[str]:
        """Why ``candidate`` may not ship against ``reference``: on average, and per group (``edge.groups.GroupReport``)."""
        reasons = delta_failures(candidate, reference, self.max_gender_drop, self.max_mae_increase, who)
        if groups is not None:
            from edge.groups import worst_group_failures

            reasons += worst_group_failures(groups, self.max_group_gender_drop, self.max_group_mae_increase, who)
        return reasons

    def to_dict(self) -> dict:
        """The limits as reports record them."""
        return {"max_gender_drop_pp": self.max_gender_drop, "max_mae_increase_years": self.max_mae_increase,
                "max_group_gender_drop_pp": self.max_group_gender_drop,
                "max_group_mae_increase_years": self.max_group_mae_increase, "group_min_faces": self.group_min_faces}
