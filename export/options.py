"""What an export is asked to do, with its defaults (stated once: the CLI's `--help` shows these).

Light on purpose: no TensorFlow, no OpenCV; the CLI imports it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edge.errors import EdgeError
from edge.gate import GatePolicy
from edge.options import option

MIN_CALIBRATION = 300  # real training images for int8 ranges; fewer gets a warning


MODELS, ASSETS, AGREEMENT = "Models", "Phone and browser", "Agreement with float"


@dataclass
class ExportOptions:
    """What ``edge export`` writes and checks; each option declares its help here (``edge.options``)."""

    int8: bool = option(False, panel=MODELS, help="Also write full-integer int8 models: QAT (quantization-aware "
                        "fine-tuned) and a PTQ baseline.")
    float16: bool = option(False, panel=MODELS, help="Also write a float16-weights model.")
    qat_epochs: int = option(2, panel=MODELS, help="QAT fine-tuning epochs from the float weights.")
    calibration: int = option(MIN_CALIBRATION, panel=MODELS,
                              help=f"Real training images used to calibrate int8 ranges (warns below {MIN_CALIBRATION}).")
    # the release gate (edge.gate): average and per group; its options are GatePolicy's own
    gate: GatePolicy = field(default_factory=GatePolicy)
    min_gender_agreement: float = option(0.0, minimum=0, maximum=1, panel=AGREEMENT, help="Optional gate: gender "
                                         "agreement with float on decisive (non-near-tie) faces; 0 = report only.")
    min_age_agreement: float = option(0.0, minimum=0, maximum=1, panel=AGREEMENT, help="Optional gate: age-group "
                                      "agreement with float on decisive faces; 0 = report only.")
    android_assets: Path | None = option(None, parse=Path, panel=ASSETS, help="Also copy model.tflite, spec.json, "
                                         "labels.txt, golden.json + golden/ and the face detector into this Android "
                                         "assets folder.")
    web_assets: Path | None = option(None, parse=Path, panel=ASSETS, help="With --int8: also write the browser page's "
                                     "files here (uint8-I/O web model with the spec, face detector, golden faces); "
                                     "`edge serve` serves them.")  # export/web.py
    # every file classifies the face and its mirror image (export/convert.with_flip_average): chosen on
    # UTKFace validation (BENCHMARKS.md "Flip averaging inside the file"), for twice the arithmetic
    flip_average: bool = option(True, bool_flag="--flip-average/--no-flip-average", panel=MODELS, help="Every file "
                                "classifies the face and its mirror image in one batch of two and returns the mean "
                                "(flip averaging inside the file: about 1.5 KB more, twice the arithmetic; phone, "
                                "browser and `edge predict` get it with no code).")
    # QAT fine-tune seed (shuffling, dropout); None: the run's training seed
    seed: int | None = option(None, panel=MODELS, help="Seed of the QAT fine-tune (shuffling, dropout): one seed gives "
                              "the same QAT model on CPU. Default: the run's training seed.")

    def check(self) -> None:
        """Every option's range, in one line each, before anything slow starts."""
        if self.qat_epochs < 0:
            raise EdgeError(f"--qat-epochs {self.qat_epochs}: must be 0 or more")
        if self.calibration < 1:
            raise EdgeError(f"--calibration {self.calibration}: must be at least 1 (300 or more recommended)")
        if self.web_assets and not self.int8:
            raise EdgeError("--web-assets needs --int8: the browser runs the int8 model (LiteRT.js, uint8 I/O)")
