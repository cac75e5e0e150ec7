"""Honest confidence: calibrated gender probability, an age range, and "not sure".

Fitted at export time on the run's VALIDATION faces (never the test split), per exported file, and
written into the spec's ``decoding`` so Python, the browser and the Android core report the same:

``gender_temperature``   T: P(female) = sigmoid(logit(p) / T), T chosen by the lowest log loss on
                         validation (temperature scaling: it changes confidence, never the answer).
``age_interval_mass``    q: the age range is the central q of the model's own age distribution
                         (each group's mass spread evenly over its years, as ``median_years`` reads
                         it), q chosen so that the range holds the true age of 80% of validation faces.
``gender_unsure_below``  c: the gender is "not sure" when the calibrated confidence max(p, 1 - p) is
                         below c, the lowest c whose reported faces reach 97% precision on validation.

TensorFlow-free; the browser (web_demo/src/decode.js) and Android (OutputDecoder.java) mirror it.
"""

from __future__ import annotations

import numpy as np

PROBABILITY_FLOOR = 1.0 / 512  # half an int8 output step: an output of exactly 0 or 1 is not infinitely sure
TARGET_COVERAGE = 0.80
TARGET_PRECISION = 0.97
ECE_BINS = 10
_TEMPERATURES = np.round(np.arange(0.50, 4.0001, 0.01), 2)
_MASSES = np.round(np.arange(0.50, 0.9901, 0.005), 3)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return np.log(p / (1 - p))


def calibrate_gender(p_female: np.ndarray, temperature: float) -> np.ndarray:
    """P(female) after temperature scaling (temperature 1 changes nothing but the floor)."""
    if temperature == 1.0:
        return np.asarray(p_female, np.float64)
    return 1.0 / (1.0 + np.exp(-_logit(p_female) / temperature))


def fit_temperature(p_female: np.ndarray, gender: np.ndarray) -> float:
    """The temperature with the lowest log loss on faces of known gender (grid 0.50..4.00 by 0.01)."""
    known = gender >= 0
    logits, truth = _logit(p_female[known]), gender[known].astype(np.float64)
    if not known.any():
        return 1.0
    scaled = logits[None, :] / _TEMPERATURES[:, None]
    # log loss of sigmoid(z) against y, written stably: softplus(z) - y z
    losses = (np.logaddexp(0.0, scaled) - truth[None, :] * scaled).mean(axis=1)
    return float(_TEMPERATURES[int(np.argmin(losses))])


def expected_calibration_error(p_female: np.ndarray, gender: np.ndarray, bins: int = ECE_BINS) -> float | None:
    """ECE of the gender confidence: |accuracy - confidence| over equal-width confidence bins, weighted by faces."""
    known = gender >= 0
    if not known.any():
        return None
    p, y = np.asarray(p_female, np.float64)[known], gender[known]
    confidence = np.maximum(p, 1 - p)
    correct = ((p >= 0.5).astype(int) == y).astype(np.float64)
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(error)


def reliability_bins(p_female: np.ndarray, gender: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per confidence bin: faces, mean confidence, accuracy (for a reliability diagram)."""
    known = gender >= 0
    p, y = np.asarray(p_female, np.float64)[known], gender[known]
    confidence = np.maximum(p, 1 - p)
    correct = (p >= 0.5).astype(int) == y
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    return [{"low": float(edges[b]), "high": float(edges[b + 1]), "faces": int((which == b).sum()),
             "confidence": float(confidence[which == b].mean()) if (which == b).any() else None,
             "accuracy": float(correct[which == b].mean()) if (which == b).any() else None} for b in range(bins)]


def distribution_quantile(probs: np.ndarray, bounds: np.ndarray, level: float) -> np.ndarray:
    """The age below which ``level`` of each row's mass lies, each group's mass spread evenly over its bounds."""
    probs = np.asarray(probs, np.float64)
    share = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    cumulative = np.cumsum(share, axis=1)
    group = np.minimum((cumulative < level).sum(axis=1), share.shape[1] - 1)
    rows = np.arange(len(share))
    below = cumulative[rows, group] - share[rows, group]
    within = np.clip((level - below) / np.maximum(share[rows, group], 1e-12), 0.0, 1.0)
    return bounds[group] + within * (bounds[group + 1] - bounds[group])


def age_interval(probs: np.ndarray, bounds: np.ndarray, mass: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``mass`` of each row's age distribution: (low, high) in years."""
    tail = (1.0 - mass) / 2
    return distribution_quantile(probs, bounds, tail), distribution_quantile(probs, bounds, 1.0 - tail)


def interval_coverage(low: np.ndarray, high: np.ndarray, years: np.ndarray) -> float | None:
    """Share of faces of known age inside [low, high] as shown in whole years (round(low) <= age <= round(high))."""
    known = ~np.isnan(years)
    if not known.any():
        return None
    inside = (years[known] >= low[known] - 0.5) & (years[known] <= high[known] + 0.5)
    return float(inside.mean())


def fit_interval_mass(probs: np.ndarray, bounds: np.ndarray, years: np.ndarray,
                      target: float = TARGET_COVERAGE) -> float:
    """The smallest central mass whose range holds the true age of ``target`` of the faces."""
    for mass in _MASSES:
        if (interval_coverage(*age_interval(probs, bounds, mass), years) or 0.0) >= target:
            return float(mass)
    return float(_MASSES[-1])


def fit_unsure_threshold(p_female: np.ndarray, gender: np.ndarray, precision: float = TARGET_PRECISION) -> float:
    """The lowest confidence c at which the faces with confidence >= c are right ``precision`` of the time."""
    known = gender >= 0
    p, y = np.asarray(p_female, np.float64)[known], gender[known]
    confidence = np.maximum(p, 1 - p)
    correct = (p >= 0.5).astype(int) == y
    for threshold in np.round(np.arange(0.50, 1.0, 0.005), 3):
        reported = confidence >= threshold
        if reported.any() and correct[reported].mean() >= precision:
            return float(threshold)
    return 1.0


def unsure(p_female: np.ndarray, threshold: float) -> np.ndarray:
    """Whether each gender is too close to call: calibrated confidence below ``threshold``."""
    p = np.asarray(p_female, np.float64)
    return np.maximum(p, 1 - p) < threshold
