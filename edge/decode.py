"""Model outputs -> labels, one implementation for training eval, export, validate, predict.

Output kinds (see ``edge.spec.OutputSpec``):
``age_softmax``      class = argmax; age in years = expected value over the group centers.
``age_regression``   age in years directly (no classes unless the scheme has groups).
``gender_sigmoid``   P(female); female when >= 0.5.
``age_gender_2hot``  the first K values are an age softmax block, the last 2 a gender block.
                     Decoding takes the argmax of each block (``age_class``/``gender`` always
                     hold it); ``undefined`` flags outputs that are not a clean 2-hot (a UI
                     shows "Undefined" and asks the user to retry): the age
                     block's winning probability is below
                     ``spec.decoding["undefined_age_threshold"]`` (default 2/K, twice the
                     uniform level) or the gender block's is below
                     ``undefined_gender_threshold`` (default 0.6).
``age_gender_tuple`` [age value, gender value] from a 2-unit linear layer. Age class =
                     number of learned thresholds the value exceeds
                     (``spec.decoding["tuple_age_thresholds"]``, K-1 midpoints between the
                     per-class medians of the training predictions); gender = value >=
                     ``tuple_gender_threshold``. Years = the class's group center.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.labels import get_scheme
from edge.spec import Spec

UNDEFINED = -1
DEFAULT_UNDEFINED_GENDER_THRESHOLD = 0.6


def two_hot_decoding(num_age_classes: int) -> dict:
    """The default 'Undefined' thresholds written into an fcn2hot model's spec."""
    return {"undefined_age_threshold": round(2.0 / num_age_classes, 4),
            "undefined_gender_threshold": DEFAULT_UNDEFINED_GENDER_THRESHOLD}


@dataclass
class Decoded:
    """Decoded predictions for N faces. Classes are -1 where undefined/not applicable."""

    age_class: np.ndarray  # int (N,), -1 where the model has no age classes
    age_years: np.ndarray  # float (N,)
    gender: np.ndarray  # int (N,), 0 male / 1 female
    gender_prob: np.ndarray  # float (N,), P(female) (or the tuple's raw gender value)
    age_probs: np.ndarray | None = None  # (N, K) where the model gives a distribution
    undefined: np.ndarray | None = None  # bool (N,), fcn2hot only: not a clean 2-hot
    age_low: np.ndarray | None = None  # float (N,): the age range (edge.calibration), where the spec asks for one
    age_high: np.ndarray | None = None
    gender_unsure: np.ndarray | None = None  # bool (N,): calibrated confidence below the spec's threshold

    def labels(self, spec: Spec, index: int) -> dict:
        """Human-readable labels of face ``index`` (``undefined``: show "Undefined", ask to retry)."""
        age_class = int(self.age_class[index])
        gender = int(self.gender[index])
        undefined = bool(self.undefined[index]) if self.undefined is not None else False
        labels = {
            "age_group": spec.age_class_names[age_class] if age_class >= 0 and spec.age_class_names else None,
            "age_years": round(float(self.age_years[index]), 2),
            "gender": spec.gender_class_names[gender] if gender >= 0 else None,
            "gender_prob_female": round(float(self.gender_prob[index]), 4),
            "undefined": undefined,
        }
        if self.age_low is not None:
            labels["age_range"] = [round(float(self.age_low[index]), 2), round(float(self.age_high[index]), 2)]
        if self.gender_unsure is not None:
            labels["gender_unsure"] = bool(self.gender_unsure[index])
        return labels


def group_bounds(centers: np.ndarray) -> np.ndarray:
    """Edges of the age groups from their centres alone: midpoints between neighbouring centres, the
    outer groups mirrored about their centre (utk20's centres 2, 7, ..., 97.5 give 0, 4.5, 9.5, ...:
    the whole-year groups 0-4, 5-9, ... as continuous ranges around their integer ages)."""
    centers = np.asarray(centers, np.float64)
    if centers.size < 2:
        return np.asarray([centers[0] - 0.5, centers[0] + 0.5]) if centers.size else centers
    middle = (centers[1:] + centers[:-1]) / 2
    return np.concatenate([[max(0.0, 2 * centers[0] - middle[0])], middle, [2 * centers[-1] - middle[-1]]])


def median_years(probs: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Median age of each row's group distribution, each group's mass spread evenly over its bounds.

    The median is the estimate that minimises the expected absolute error, and unlike the expected
    value it is not dragged toward the middle ages by a faint tail: on validation faces it lowers
    the MAE of the label-distribution models (BENCHMARKS.md), so their specs ask for it
    (``decoding["age_years"] = "median"``).
    """
    from edge.calibration import distribution_quantile

    return distribution_quantile(probs, group_bounds(centers), 0.5)


def decode_outputs(spec: Spec, outputs: dict[str, np.ndarray]) -> Decoded:
    """Decode float (dequantized) outputs keyed by the spec's output names."""
    centers = np.asarray(spec.age_class_centers, dtype=np.float64)
    age_class = age_years = gender = gender_prob = age_probs = undefined = None
    for out in spec.outputs:
        value = np.asarray(outputs[out.name], dtype=np.float64).reshape(len(next(iter(outputs.values()))), -1)
        if out.kind == "age_softmax":
            age_probs = value
            age_class = value.argmax(axis=1)
            if spec.decoding.get("age_years") == "median":
                age_years = median_years(value, centers)
            else:  # "expected" (the default, and every spec written before the key existed)
                age_years = value @ centers / np.maximum(value.sum(axis=1), 1e-12)
        elif out.kind == "age_regression":
            age_years = value[:, 0]
            if centers.size:
                scheme = get_scheme(spec.label_scheme)
                age_class = np.asarray([scheme.group_of_years(max(0.0, y)) for y in age_years])
            else:
                age_class = np.full(len(age_years), UNDEFINED)
        elif out.kind == "gender_sigmoid":
            gender_prob = value[:, 0]
            gender = (gender_prob >= 0.5).astype(np.int64)
        elif out.kind == "age_gender_2hot":
            classes = len(centers)
            age_block, gender_block = value[:, :classes], value[:, classes:classes + 2]
            thresholds = {**two_hot_decoding(classes), **spec.decoding}
            age_probs = age_block
            age_class = age_block.argmax(axis=1)
            gender = gender_block.argmax(axis=1)
            gender_prob = gender_block[:, 1] / np.maximum(gender_block.sum(axis=1), 1e-12)
            age_years = age_block @ centers / np.maximum(age_block.sum(axis=1), 1e-12)
            undefined = ((age_block.max(axis=1) < float(thresholds["undefined_age_threshold"]))
                         | (gender_block.max(axis=1) < float(thresholds["undefined_gender_threshold"])))
        elif out.kind == "age_gender_tuple":
            thresholds = np.asarray(spec.decoding.get("tuple_age_thresholds",
                                                      np.arange(len(centers) - 1) + 0.5))  # rounding fallback
            gender_threshold = float(spec.decoding.get("tuple_gender_threshold", 0.5))
            age_class = np.searchsorted(thresholds, value[:, 0], side="right")
            age_years = centers[age_class]
            gender_prob = value[:, 1]
            gender = (value[:, 1] >= gender_threshold).astype(np.int64)
        else:
            raise ValueError(f"unknown output kind {out.kind}")
    n = len(next(iter(outputs.values())))
    decoded = Decoded(
        age_class=np.asarray(age_class if age_class is not None else np.full(n, UNDEFINED), dtype=np.int64),
        age_years=np.asarray(age_years if age_years is not None else np.full(n, np.nan), dtype=np.float64),
        gender=np.asarray(gender if gender is not None else np.full(n, UNDEFINED), dtype=np.int64),
        gender_prob=np.asarray(gender_prob if gender_prob is not None else np.full(n, np.nan), dtype=np.float64),
        age_probs=age_probs, undefined=undefined,
    )
    return apply_calibration(decoded, spec)


def apply_calibration(decoded: Decoded, spec: Spec) -> Decoded:
    """The spec's calibration (``edge.calibration``): calibrated P(female), "not sure", the age range.

    A spec without the keys (every file exported before calibration) decodes exactly as before.
    """
    from edge import calibration

    decoding = spec.decoding
    if "gender_temperature" in decoding and not np.isnan(decoded.gender_prob).all():
        decoded.gender_prob = calibration.calibrate_gender(decoded.gender_prob, float(decoding["gender_temperature"]))
    if "gender_unsure_below" in decoding and not np.isnan(decoded.gender_prob).all():
        decoded.gender_unsure = calibration.unsure(decoded.gender_prob, float(decoding["gender_unsure_below"]))
    if "age_interval_mass" in decoding and decoded.age_probs is not None:
        bounds = group_bounds(np.asarray(spec.age_class_centers, np.float64))
        decoded.age_low, decoded.age_high = calibration.age_interval(decoded.age_probs, bounds,
                                                                     float(decoding["age_interval_mass"]))
    return decoded


def regroup(decoded: Decoded, scheme_name: str) -> Decoded:
    """The same predictions with age classes taken from the predicted years under another scheme.

    How a model trained on one dataset's groups (UTKFace's 20) is scored on another's (Adience's 8):
    the years it reports are the one quantity both label spaces share.
    """
    scheme = get_scheme(scheme_name)
    years = np.nan_to_num(decoded.age_years, nan=-1.0)
    classes = np.asarray([scheme.group_of_years(y) if y >= 0 else UNDEFINED for y in years], np.int64)
    return Decoded(age_class=classes, age_years=decoded.age_years, gender=decoded.gender,
                   gender_prob=decoded.gender_prob, age_probs=None, undefined=decoded.undefined,
                   age_low=decoded.age_low, age_high=decoded.age_high, gender_unsure=decoded.gender_unsure)


def mirror(faces: np.ndarray) -> np.ndarray:
    """Left-right mirror images of a batch of faces (N, H, W, C): the second pass of flip averaging."""
    return np.ascontiguousarray(faces[:, :, ::-1])


def flip_average(outputs: dict[str, np.ndarray], flipped: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Test-time flip averaging: the mean of a model's outputs on the faces and their mirror images."""
    return {name: (np.asarray(value, np.float64) + np.asarray(flipped[name], np.float64)) / 2
            for name, value in outputs.items()}


def learn_tuple_thresholds(age_values: np.ndarray, age_classes: np.ndarray, gender_values: np.ndarray,
                           genders: np.ndarray, num_classes: int) -> dict:
    """Learn the tuple model's decoding from training predictions (see module docstring)."""
    medians = []
    for k in range(num_classes):
        chosen = age_values[age_classes == k]
        medians.append(float(np.median(chosen)) if chosen.size else float(k))
    medians = np.maximum.accumulate(np.asarray(medians))  # thresholds must be non-decreasing
    age_thresholds = ((medians[:-1] + medians[1:]) / 2).tolist()
    known = genders >= 0
    male = gender_values[known & (genders == 0)]
    female = gender_values[known & (genders == 1)]
    gender_threshold = float((np.median(male) + np.median(female)) / 2) if male.size and female.size else 0.5
    return {"tuple_age_thresholds": age_thresholds, "tuple_gender_threshold": gender_threshold}
