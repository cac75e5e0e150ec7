"""Fit the exported file's calibration on the run's validation faces (``edge.calibration``).

Each file is calibrated on its own outputs (float and int8 differ a little), on validation faces
only: the test split stays untouched for ``edge validate`` to measure how well it held.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from edge import calibration
from edge.decode import decode_outputs, group_bounds
from edge.runtime import TFLiteModel
from edge.spec import Spec
from edge.targets import Targets

MAX_FACES = 3000  # UTKFace's whole validation split; enough for a 97%-precision threshold to be stable


def fit_calibration(model_bytes: bytes, spec: Spec, inputs: np.ndarray, truth: Targets,
                    log: Callable[[str], None]) -> Spec:
    """``spec`` with ``gender_temperature``, ``gender_unsure_below`` and ``age_interval_mass`` fitted on these faces.

    Outputs the spec cannot calibrate (no gender probability, no age distribution) are left as they are.
    """
    uncalibrated = {k: v for k, v in spec.decoding.items() if k not in
                    ("gender_temperature", "gender_unsure_below", "age_interval_mass")}
    base = spec.with_updates(decoding=uncalibrated)
    decoded = decode_outputs(base, TFLiteModel(model_bytes, spec=base).run(inputs))
    fitted: dict = {}
    if base.outputs and any(o.kind == "gender_sigmoid" for o in base.outputs) and (truth.gender >= 0).any():
        temperature = calibration.fit_temperature(decoded.gender_prob, truth.gender)
        calibrated = calibration.calibrate_gender(decoded.gender_prob, temperature)
        fitted["gender_temperature"] = temperature
        fitted["gender_unsure_below"] = calibration.fit_unsure_threshold(calibrated, truth.gender)
        before = calibration.expected_calibration_error(decoded.gender_prob, truth.gender)
        after = calibration.expected_calibration_error(calibrated, truth.gender)
        withheld = float(np.mean(calibration.unsure(calibrated, fitted["gender_unsure_below"])[truth.gender >= 0]))
        log(f"  calibration on {len(inputs):,} validation faces: gender temperature {temperature:.2f} (ECE "
            f"{before:.1%} -> {after:.1%}); 'not sure' below {fitted['gender_unsure_below']:.3f} confidence "
            f"({withheld:.1%} of faces)")
    if decoded.age_probs is not None and not np.isnan(truth.age_years).all():
        bounds = group_bounds(np.asarray(base.age_class_centers, np.float64))
        fitted["age_interval_mass"] = calibration.fit_interval_mass(decoded.age_probs, bounds, truth.age_years)
        log(f"  age range: the central {fitted['age_interval_mass']:.1%} of the age distribution holds "
            f"{calibration.TARGET_COVERAGE:.0%} of validation ages")
    return spec.with_updates(decoding={**uncalibrated, **fitted})
