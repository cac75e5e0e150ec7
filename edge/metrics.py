"""Metric definitions used everywhere in the project (train, export checks, validate).

- gender accuracy: over faces with a known gender, of the predicted (argmax) class.
- age exact / 1-off accuracy: over faces with a known age class; 1-off accepts the
  neighbouring class. A prediction of -1 (no class) counts as wrong.
- age MAE (years): |predicted years - true years| over faces with known age; group models
  predict the expected value over group centers (``edge.decode``); Adience's true years are
  the midpoint of its labelled range.
- undefined rate (fcn2hot): share of faces whose output is not a clean 2-hot; the
  ``*_defined`` accuracies are computed over the other faces (what a UI that says
  "Undefined" would show). The plain accuracies use the argmax, like every family.
- agreement(a, b): share of faces on which two models predict the same class.
"""

from __future__ import annotations

import numpy as np

from edge.decode import Decoded


def label_metrics(decoded: Decoded, age_class: np.ndarray, age_years: np.ndarray, gender: np.ndarray,
                  num_classes: int) -> dict:
    """Accuracy/MAE metrics of decoded predictions against labels (-1 / NaN = unknown)."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    result: dict = {"faces": int(len(gender))}
    known_gender = gender >= 0
    if known_gender.any():
        result["gender_accuracy"] = float(accuracy_score(gender[known_gender], decoded.gender[known_gender]))
    known_class = age_class >= 0
    if num_classes and known_class.any():
        truth, predicted = age_class[known_class], decoded.age_class[known_class]
        result["age_exact_accuracy"] = float(accuracy_score(truth, predicted))
        result["age_1off_accuracy"] = float(np.mean((predicted >= 0) & (np.abs(predicted - truth) <= 1)))
        precision, recall, _, support = precision_recall_fscore_support(
            truth, predicted, labels=list(range(num_classes)), zero_division=0)
        result["age_per_class"] = {"precision": precision.tolist(), "recall": recall.tolist(),
                                   "support": support.tolist()}
    known_years = ~np.isnan(age_years) & ~np.isnan(decoded.age_years)
    if known_years.any():
        result["age_mae_years"] = float(np.mean(np.abs(decoded.age_years[known_years] - age_years[known_years])))
    if decoded.undefined is not None:
        result["undefined_rate"] = float(np.mean(decoded.undefined))
        defined = ~decoded.undefined
        if (defined & known_gender).any():
            result["gender_accuracy_defined"] = float(np.mean(
                decoded.gender[defined & known_gender] == gender[defined & known_gender]))
        if num_classes and (defined & known_class).any():
            result["age_exact_accuracy_defined"] = float(np.mean(
                decoded.age_class[defined & known_class] == age_class[defined & known_class]))
    return result


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of positions where two class arrays agree."""
    return float(np.mean(np.asarray(a) == np.asarray(b))) if len(a) else float("nan")


def confusion(age_class: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Confusion matrix over faces with known age class (rows = truth)."""
    from sklearn.metrics import confusion_matrix

    known = age_class >= 0
    return confusion_matrix(age_class[known], predicted[known], labels=list(range(num_classes)))


def mean_std(values: list[dict]) -> dict:
    """Mean and standard deviation of each scalar metric across folds."""
    keys = [k for k, v in values[0].items() if isinstance(v, (int, float))]
    return {k: {"mean": float(np.mean([v[k] for v in values if k in v])),
                "std": float(np.std([v[k] for v in values if k in v]))} for k in keys}
