"""Accuracy by group: who the model fails, with confidence intervals so small groups are not over-read.

A face belongs to one group per dimension:

``age``     the true age's band: 0-2, 3-9, 10-19, 20-39, 40-59, 60+ (Adience ranges by their midpoint)
``gender``  the true gender: male, female
``race``    UTKFace's race code from the file name, or a CSV's ``race`` column (``group`` likewise)
``fold``    Adience's fold

For every group and model: faces, gender accuracy (Wilson 95% interval), age MAE (bootstrap 95%
interval, fixed seed), age exact / 1-off, and the candidate's (QAT int8) delta against the
reference (float). The worst group is the one with the lowest gender accuracy / highest MAE among
groups with at least ``min_faces`` faces; the largest gap is best minus worst within a dimension.
TensorFlow-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from edge.datasets import FaceRecord
from edge.decode import Decoded
from edge.targets import Targets

AGE_BANDS = (("0-2", 0.0, 3.0), ("3-9", 3.0, 10.0), ("10-19", 10.0, 20.0), ("20-39", 20.0, 40.0),
             ("40-59", 40.0, 60.0), ("60+", 60.0, math.inf))
GENDER_NAMES = ("male", "female")
GROUP_DIMENSIONS = ("age", "gender", "race", "group", "fold")
Z_95 = 1.959964
BOOTSTRAP_RESAMPLES = 1000


def age_band(years: float) -> str:
    """The band of an age in years ('' when unknown)."""
    if years is None or math.isnan(years):
        return ""
    return next(name for name, low, high in AGE_BANDS if low <= years < high)


def group_labels(records: Sequence[FaceRecord], truth: Targets) -> dict[str, np.ndarray]:
    """Each dimension's group label per face ('' where the face has none); dimensions nobody has are left out."""
    labels = {"age": np.asarray([age_band(y) for y in truth.age_years], dtype=object),
              "gender": np.asarray([GENDER_NAMES[g] if g >= 0 else "" for g in truth.gender], dtype=object)}
    names = sorted({name for r in records for name, _ in r.attributes})
    for name in names:
        labels[name] = np.asarray([dict(r.attributes).get(name, "") for r in records], dtype=object)
    if any(r.fold for r in records):
        labels["fold"] = np.asarray([r.fold for r in records], dtype=object)
    return {dimension: values for dimension, values in labels.items() if any(values)}


def wilson_interval(successes: int, count: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion: honest for small groups and for rates near 0 or 1."""
    if count == 0:
        return (0.0, 1.0)
    rate = successes / count
    centre = (rate + z * z / (2 * count)) / (1 + z * z / count)
    half = z * math.sqrt(rate * (1 - rate) / count + z * z / (4 * count * count)) / (1 + z * z / count)
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of a mean (fixed seed: the same faces give the same interval)."""
    values = np.asarray(values, np.float64)
    if len(values) < 2:
        value = float(values[0]) if len(values) else float("nan")
        return (value, value)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (BOOTSTRAP_RESAMPLES, len(values)))].mean(axis=1)
    return (float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))


def group_metrics(decoded: Decoded, truth: Targets, mask: np.ndarray) -> dict:
    """Gender accuracy and age error of the faces in ``mask``, with 95% intervals."""
    result: dict = {"faces": int(mask.sum())}
    known = mask & (truth.gender >= 0)
    if known.any():
        correct = int((decoded.gender[known] == truth.gender[known]).sum())
        result["gender_accuracy"] = correct / int(known.sum())
        result["gender_accuracy_ci"] = wilson_interval(correct, int(known.sum()))
    years = mask & ~np.isnan(truth.age_years) & ~np.isnan(decoded.age_years)
    if years.any():
        errors = np.abs(decoded.age_years[years] - truth.age_years[years])
        result["age_mae_years"] = float(errors.mean())
        result["age_mae_years_ci"] = bootstrap_interval(errors)
    classes = mask & (truth.age_class >= 0)
    if classes.any():
        predicted, actual = decoded.age_class[classes], truth.age_class[classes]
        result["age_exact_accuracy"] = float(np.mean(predicted == actual))
        result["age_1off_accuracy"] = float(np.mean((predicted >= 0) & (np.abs(predicted - actual) <= 1)))
    return result


@dataclass
class GroupReport:
    """Per-dimension, per-group metrics of every model, and the headline: worst group and largest gap."""

    dimensions: dict  # dimension -> group -> {"faces", "models": {model: metrics}, "delta": {...}}
    worst: dict  # metric -> {"dimension", "group", "value", "ci", "faces"}
    largest_gap: dict  # metric -> {"dimension", "best", "worst", "gap"}
    min_faces: int

    def to_dict(self) -> dict:
        return {"dimensions": self.dimensions, "worst": self.worst, "largest_gap": self.largest_gap,
                "min_faces": self.min_faces}


def disaggregate(decoded_by_model: dict[str, Decoded], truth: Targets, labels: dict[str, np.ndarray],
                 reference: str, candidate: str | None, min_faces: int) -> GroupReport:
    """Metrics of every model on every group; ``candidate``'s deltas against ``reference`` per group."""
    dimensions: dict = {}
    for dimension, values in labels.items():
        groups: dict = {}
        for group in sorted({v for v in values if v}, key=_group_order):
            mask = values == group
            entry = {"faces": int(mask.sum()),
                     "models": {name: group_metrics(decoded, truth, mask) for name, decoded in decoded_by_model.items()}}
            if candidate in entry["models"] and reference in entry["models"] and candidate != reference:
                entry["delta"] = _delta(entry["models"][candidate], entry["models"][reference])
            groups[group] = entry
        dimensions[dimension] = groups
    shown = candidate if candidate in decoded_by_model else reference
    return GroupReport(dimensions, _worst(dimensions, shown, min_faces), _largest_gaps(dimensions, shown, min_faces),
                       min_faces)


def _group_order(group: str):
    bands = [name for name, _, _ in AGE_BANDS]
    return (0, bands.index(group), "") if group in bands else (1, 0, group)


def _delta(candidate: dict, reference: dict) -> dict:
    delta = {}
    if "gender_accuracy" in candidate and "gender_accuracy" in reference:
        delta["gender_accuracy_pp"] = (candidate["gender_accuracy"] - reference["gender_accuracy"]) * 100
    if "age_mae_years" in candidate and "age_mae_years" in reference:
        delta["age_mae_years"] = candidate["age_mae_years"] - reference["age_mae_years"]
    return delta


_HEADLINE = (("gender_accuracy", min), ("age_mae_years", max))  # what "worst" means for each metric


def _eligible(dimensions: dict, model: str, metric: str, min_faces: int):
    for dimension, groups in dimensions.items():
        for group, entry in groups.items():
            metrics = entry["models"].get(model, {})
            if entry["faces"] >= min_faces and metric in metrics:
                yield dimension, group, entry, metrics


def _worst(dimensions: dict, model: str, min_faces: int) -> dict:
    worst = {}
    for metric, pick in _HEADLINE:
        candidates = list(_eligible(dimensions, model, metric, min_faces))
        if candidates:
            dimension, group, entry, metrics = pick(candidates, key=lambda c: c[3][metric])
            worst[metric] = {"dimension": dimension, "group": group, "value": metrics[metric],
                             "ci": metrics[f"{metric}_ci"], "faces": entry["faces"]}
    return worst


def _largest_gaps(dimensions: dict, model: str, min_faces: int) -> dict:
    gaps = {}
    for metric, pick in _HEADLINE:
        best_gap = None
        for dimension in dimensions:
            rows = [c for c in _eligible({dimension: dimensions[dimension]}, model, metric, min_faces)]
            if len(rows) < 2:
                continue
            low, high = min(rows, key=lambda c: c[3][metric]), max(rows, key=lambda c: c[3][metric])
            gap = high[3][metric] - low[3][metric]
            worst, best = (low, high) if pick is min else (high, low)
            if best_gap is None or gap > best_gap["gap"]:
                best_gap = {"dimension": dimension, "best": best[1], "worst": worst[1], "gap": gap}
        if best_gap:
            gaps[metric] = best_gap
    return gaps


def worst_group_failures(report: GroupReport, max_gender_drop: float, max_mae_increase: float,
                         who: str = "QAT int8") -> list[str]:
    """Why the candidate loses too much against the reference on some group with enough faces (empty: it does not)."""
    failures = []
    for dimension, groups in report.dimensions.items():
        for group, entry in groups.items():
            delta = entry.get("delta", {})
            if entry["faces"] < report.min_faces:
                continue
            if -delta.get("gender_accuracy_pp", 0.0) > max_gender_drop:
                failures.append(f"{who} gender accuracy is {-delta['gender_accuracy_pp']:.2f} pp below float for "
                                f"{dimension} {group} ({entry['faces']} faces; group limit {max_gender_drop} pp)")
            if delta.get("age_mae_years", 0.0) > max_mae_increase:
                failures.append(f"{who} age MAE is {delta['age_mae_years']:.2f} years above float for {dimension} "
                                f"{group} ({entry['faces']} faces; group limit {max_mae_increase} y)")
    return failures


def largest_group_loss(report: GroupReport) -> dict:
    """The candidate's largest loss against the reference on any group with enough faces (what the group gate judges)."""
    loss: dict = {}
    for dimension, groups in report.dimensions.items():
        for group, entry in groups.items():
            delta = entry.get("delta", {})
            if entry["faces"] < report.min_faces:
                continue
            for key, value in (("gender_drop_pp", -delta.get("gender_accuracy_pp", float("nan"))),
                               ("mae_increase_years", delta.get("age_mae_years", float("nan")))):
                if not math.isnan(value) and (key not in loss or value > loss[key]["value"]):
                    loss[key] = {"value": value, "dimension": dimension, "group": group, "faces": entry["faces"]}
    return loss


def largest_group_loss_text(loss: dict) -> str:
    """One phrase for the largest per-group int8 loss."""
    parts = [f"gender drop {v['value']:.2f} pp ({v['dimension']} {v['group']})" if k == "gender_drop_pp"
             else f"MAE increase {v['value']:.3f} y ({v['dimension']} {v['group']})" for k, v in loss.items()]
    return "largest loss vs float on a group: " + (", ".join(parts) if parts else "no group has enough faces")


def calibration_by_group(uncalibrated: Decoded, calibrated: Decoded, truth: Targets,
                         labels: dict[str, np.ndarray]) -> dict:
    """What the spec's calibration does, overall and per group: gender ECE before/after, the share of faces
    left "not sure" and the precision of the genders still reported, the age range's coverage and width."""
    from edge import calibration

    def summary(mask: np.ndarray) -> dict:
        known = mask & (truth.gender >= 0)
        result: dict = {"faces": int(mask.sum())}
        if known.any() and not np.isnan(calibrated.gender_prob[known]).all():
            result["gender_ece_before"] = calibration.expected_calibration_error(uncalibrated.gender_prob[known],
                                                                                 truth.gender[known])
            result["gender_ece_after"] = calibration.expected_calibration_error(calibrated.gender_prob[known],
                                                                                truth.gender[known])
        if known.any() and calibrated.gender_unsure is not None:
            unsure = calibrated.gender_unsure[known]
            result["gender_unsure_share"] = float(unsure.mean())
            reported = ~unsure
            result["gender_precision_reported"] = (float(np.mean(calibrated.gender[known][reported]
                                                                 == truth.gender[known][reported]))
                                                   if reported.any() else None)
        if calibrated.age_low is not None:
            result["age_range_coverage"] = calibration.interval_coverage(
                calibrated.age_low[mask], calibrated.age_high[mask], truth.age_years[mask])
            result["age_range_mean_width_years"] = float(np.mean(calibrated.age_high[mask] - calibrated.age_low[mask]))
        return result

    everyone = np.ones(len(truth.gender), dtype=bool)
    report = {"overall": summary(everyone),
              "reliability_before": calibration.reliability_bins(uncalibrated.gender_prob, truth.gender),
              "reliability_after": calibration.reliability_bins(calibrated.gender_prob, truth.gender),
              "dimensions": {dimension: {group: summary(values == group)
                                         for group in sorted({v for v in values if v}, key=_group_order)}
                             for dimension, values in labels.items()}}
    return report


def format_interval(metrics: dict, key: str, percent: bool) -> str:
    """A metric with its 95% interval, e.g. '92.4% (91.3-93.4)' or '4.90 (4.71-5.10)' ('' when absent)."""
    if key not in metrics:
        return ""
    low, high = metrics[f"{key}_ci"]
    scale, unit = (100, "%") if percent else (1, "")
    return f"{metrics[key] * scale:.1f}{unit} ({low * scale:.1f}-{high * scale:.1f})"
