"""What an export is asked to do, with its defaults (stated once: the CLI's `--help` shows these).

Light on purpose: no TensorFlow, no OpenCV; the CLI imports it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edge.gate import GatePolicy

MIN_CALIBRATION = 300  # real training images for int8 ranges; fewer gets a warning


@dataclass
class ExportOptions:
    int8: bool = False
    float16: bool = False
    qat_epochs: int = 2
    calibration: int = MIN_CALIBRATION
    gate: GatePolicy = field(default_factory=GatePolicy)  # the release gate (edge.gate): average and per group
    min_gender_agreement: float = 0.0
    min_age_agreement: float = 0.0
    android_assets: Path | None = None
    web_assets: Path | None = None  # export/web.py: the browser page's files
    # every file classifies the face and its mirror image (export/convert.with_flip_average): chosen on
    # UTKFace validation (BENCHMARKS.md "Flip averaging inside the file"), for twice the arithmetic
    flip_average: bool = True
    seed: int | None = None  # QAT fine-tune seed (shuffling, dropout); None: the run's training seed
