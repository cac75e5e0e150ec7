"""The release gate judges int8 by accuracy deltas, with agreement on decisive faces only.

Fast: built from arrays, no training.
"""

from __future__ import annotations

import numpy as np

from edge.decode import Decoded
from edge.gate import INT8_PROBABILITY_STEP, age_agreement, delta_failures, gender_agreement
from edge.metrics import label_metrics


def _decoded(age_probs: np.ndarray, gender_prob: np.ndarray, centers: np.ndarray) -> Decoded:
    age_class = age_probs.argmax(axis=1)
    return Decoded(age_class=age_class, age_years=centers[age_class], gender=(gender_prob > 0.5).astype(int),
                   gender_prob=gender_prob, age_probs=age_probs)


def _faces(count: int = 1000, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = np.arange(20) * 5 + 2.0
    truth_class = rng.integers(0, 20, count)
    logits = rng.normal(0, 1, (count, 20))
    logits[np.arange(count), truth_class] += 3  # a well-trained model: mostly right, with some near-ties
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth_gender = rng.integers(0, 2, count)
    gender_prob = np.clip(np.where(truth_gender == 1, 0.85, 0.15) + rng.normal(0, 0.2, count), 0.001, 0.999)
    return centers, truth_class, truth_gender, probs, gender_prob


def _metrics(decoded: Decoded, centers, truth_class, truth_gender) -> dict:
    return label_metrics(decoded, truth_class, centers[truth_class], truth_gender, 20)


def test_int8_rounding_passes_and_a_broken_model_fails():
    centers, truth_class, truth_gender, probs, gender_prob = _faces()
    reference = _decoded(probs, gender_prob, centers)
    # an int8 model: every probability rounded to its 1/256 output step (flips only near-ties)
    rounded = _decoded(np.round(probs * 256) / 256 + np.random.default_rng(1).normal(0, 1e-4, probs.shape),
                       np.round(gender_prob * 256) / 256, centers)
    ref_metrics = _metrics(reference, centers, truth_class, truth_gender)
    assert delta_failures(_metrics(rounded, centers, truth_class, truth_gender), ref_metrics, 1.0, 0.25) == []
    agreement = age_agreement(reference, rounded)
    assert agreement.agreement > 0.99 and agreement.decisive > 900
    # a broken int8 model: clipped logits shift ages and gender probabilities
    broken = _decoded(np.roll(probs, 1, axis=1), np.clip(gender_prob * 0.6, 0, 1), centers)
    failures = delta_failures(_metrics(broken, centers, truth_class, truth_gender), ref_metrics, 1.0, 0.25)
    assert len(failures) == 2 and "gender accuracy" in failures[0] and "MAE" in failures[1]


def test_all_near_ties_are_not_judged_rather_than_zero():
    centers = np.arange(20) * 5 + 2.0
    flat = np.full((50, 20), 1 / 20)
    reference = _decoded(flat, np.full(50, 0.5 + INT8_PROBABILITY_STEP / 2), centers)
    other = _decoded(np.roll(flat, 1, axis=1), np.full(50, 0.5), centers)
    assert age_agreement(reference, other).agreement is None
    assert "not judged" in age_agreement(reference, other).text()
    assert gender_agreement(reference, other).agreement is None
