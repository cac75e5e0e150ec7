"""A small labelled synthetic face set for the demo (``edge pipeline`` without ``--data``).

No real face dataset ships with the code (licences), so the built-in demo draws cartoon faces
whose labels are LEARNABLE from what is drawn, so a few-epoch model really learns and the
float / PTQ / QAT comparison shows real deltas:

- gender: long hair falling past the chin and red lips (female) versus a short crop and, for
  adults, a darker jaw shadow (male);
- age: head size and rounder proportions up to 18, then hair greying in proportion to the
  years past 20 (plus a bald crown on some older men), and one forehead wrinkle per decade past 30.

Nuisance variation the model must ignore: background colour and gradient, skin tone, base hair
colour (dark shades only, so greyness stays an age cue), position, and pixel noise.

It says NOTHING about accuracy on real faces: every report built on it is labelled SMOKE DATASET.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SMOKE_LABEL = ("SMOKE DATASET (synthetic cartoon faces whose age and gender are drawn from visible "
               "features: proves the pipeline trains and exports, NOT accuracy on real faces)")
# The demo run's settings, chosen by measurement (BENCHMARKS.md, "The demo"): the whole `make demo`
# stays under 3 minutes on 2 CPU cores. Batch 16 gives the ~900 optimizer steps BatchNorm's moving
# statistics (momentum 0.99) need to settle; with fewer steps the inference-mode model predicts one class.
DEMO_IMAGES = 1500
DEMO_EPOCHS = 12
DEMO_BATCH = 16
DEMO_IMAGE_SIZE = 64  # cartoon faces need no more; keeps the demo fast whatever the family's default input
# What "the demo model learned" means (checked after training, printed, and asserted by tests/test_demo.py).
DEMO_MIN_GENDER_ACCURACY = 0.90
DEMO_MAX_MAE_FRACTION_OF_CHANCE = 1 / 3  # test MAE at most a third of always guessing the median age
MAX_AGE = 90

# Dark base hair colours (BGR): greying with age must not be confused with a light base colour.
_HAIR_BASES = np.array([[20, 20, 25], [25, 40, 60], [30, 55, 90], [25, 45, 110], [45, 50, 55]], dtype=np.float64)
_GREY_HAIR = np.array([225, 225, 225], dtype=np.float64)
_SKIN_TONES = np.array([[150, 180, 225], [120, 160, 210], [90, 130, 180], [60, 95, 140], [170, 195, 235]],
                       dtype=np.float64)


def make_smoke_dataset(out_dir: Path, count: int = DEMO_IMAGES, seed: int = 0, size: int = 96) -> Path:
    """Write ``count`` PNG faces and a ``manifest.csv`` (path,age,gender) into ``out_dir``; returns the CSV.

    The same ``count``, ``seed`` and ``size`` always give the same files.
    """
    import cv2

    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(count):
        age = int(rng.integers(1, MAX_AGE + 1))
        gender = int(rng.integers(0, 2))
        image = draw_face(rng, age, gender, size)
        name = f"images/face_{index:04d}.png"
        cv2.imwrite(str(out_dir / name), image)
        rows.append((name, age, gender))
    manifest = out_dir / "manifest.csv"
    with open(manifest, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "age", "gender"])
        writer.writerows(rows)
    (out_dir / "README.txt").write_text(SMOKE_LABEL + "\n")
    return manifest


def _colour(values) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(values, 0, 255))


def draw_face(rng: np.random.Generator, age: int, gender: int, size: int) -> np.ndarray:
    """One BGR uint8 face of ``age`` years and ``gender`` (0 male, 1 female); see the module docstring."""
    import cv2

    # background: a random colour with a random vertical gradient (nuisance)
    top, bottom = rng.uniform(30, 225, 3), rng.uniform(30, 225, 3)
    ramp = np.linspace(0.0, 1.0, size)[:, None, None]
    image = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (size, size, 3)).copy()

    growth = min(age, 18) / 18  # children's heads are smaller and rounder
    half_width = size * (0.19 + 0.09 * growth)
    half_height = half_width * (1.05 + 0.22 * growth)
    cx = size / 2 + rng.uniform(-3, 3)
    cy = size / 2 + rng.uniform(-2, 2) + 0.06 * size
    skin = _SKIN_TONES[rng.integers(len(_SKIN_TONES))] + rng.uniform(-12, 12, 3)
    greying = float(np.clip((age - 20) / 60, 0.0, 1.0))
    hair = _HAIR_BASES[rng.integers(len(_HAIR_BASES))] * (1 - greying) + _GREY_HAIR * greying
    hair = _colour(hair + rng.uniform(-8, 8, 3))

    def point(dx: float, dy: float) -> tuple[int, int]:
        return int(round(cx + dx)), int(round(cy + dy))

    axes = (int(round(half_width)), int(round(half_height)))
    if gender == 1:  # long hair: behind the face, down past the chin
        length = half_height * (1.5 + rng.uniform(0, 0.4))
        cv2.rectangle(image, point(-half_width * 1.25, -half_height * 0.3), point(half_width * 1.25, length), hair, -1)
        cv2.ellipse(image, point(0, -half_height * 0.25), (int(half_width * 1.25), int(half_height * 0.95)),
                    0, 180, 360, hair, -1)
    cv2.ellipse(image, point(0, 0), axes, 0, 0, 360, _colour(skin), -1)
    if gender == 0 and age >= 16:  # jaw shadow (stubble) on adult men
        shadow = _colour(skin * 0.62)
        cv2.ellipse(image, point(0, half_height * 0.35), (int(half_width * 0.92), int(half_height * 0.62)),
                    0, 10, 170, shadow, -1)
    bald = gender == 0 and age >= 55 and rng.random() < 0.5
    crown = (int(half_width * 1.06), int(half_height * (0.55 if gender == 0 else 0.7)))
    if not bald:  # hair on top: a short crop (men) or the top of the long hair (women)
        cv2.ellipse(image, point(0, -half_height * 0.45), crown, 0, 180, 360, hair, -1)
    else:  # a grey fringe above the ears only
        for side in (-1, 1):
            cv2.ellipse(image, point(side * half_width * 0.95, -half_height * 0.15),
                        (int(half_width * 0.18), int(half_height * 0.3)), 0, 0, 360, hair, -1)

    eye_radius = max(1.5, half_width * (0.16 - 0.05 * growth))  # children: big eyes
    for side in (-1, 1):
        centre = point(side * half_width * 0.42, -half_height * 0.1)
        cv2.circle(image, centre, int(round(eye_radius + 1)), (235, 235, 235), -1)
        cv2.circle(image, centre, int(round(eye_radius * 0.6)), (40, 30, 20), -1)
        if age >= 50:  # crow's feet
            for k in (-1, 1):
                start = point(side * (half_width * 0.42 + eye_radius + 2), -half_height * 0.1)
                end = point(side * (half_width * 0.42 + eye_radius + 6), -half_height * 0.1 + k * 3)
                cv2.line(image, start, end, _colour(skin * 0.55), 1)
    lips = (50, 40, 190) if gender == 1 else _colour(skin * 0.7)
    cv2.ellipse(image, point(0, half_height * 0.5), (int(half_width * 0.38), max(2, int(half_height * 0.08))),
                0, 0, 360, lips, -1)
    for line in range(int(np.clip((age - 30) // 10 + 1, 0, 5))):  # one forehead wrinkle per decade past 30
        y = -half_height * 0.42 + line * max(3.0, half_height * 0.09)
        cv2.line(image, point(-half_width * 0.5, y), point(half_width * 0.5, y), _colour(skin * 0.6), 1)
    image = image + rng.normal(0, 5, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def chance_mae(ages) -> float:
    """MAE in years of always answering the median age: the no-learning baseline."""
    ages = np.asarray(ages, dtype=np.float64)
    return float(np.mean(np.abs(ages - np.median(ages))))


def manifest_ages(manifest: Path) -> list[int]:
    """The ages listed in a smoke ``manifest.csv``."""
    with open(manifest, newline="") as stream:
        return [int(row["age"]) for row in csv.DictReader(stream)]


def demo_learning_check(metrics: dict, manifest: Path) -> tuple[bool, str]:
    """Did the demo model learn? ``(ok, one line)`` from the run's held-out test metrics."""
    gender, mae = float(metrics["gender_accuracy"]), float(metrics["age_mae_years"])
    chance = chance_mae(manifest_ages(manifest))
    ok = gender >= DEMO_MIN_GENDER_ACCURACY and mae <= chance * DEMO_MAX_MAE_FRACTION_OF_CHANCE
    verdict = "the model learned" if ok else "the model did NOT learn"
    return ok, (f"demo check: {verdict} -- test gender {gender:.1%} (needs >= {DEMO_MIN_GENDER_ACCURACY:.0%}), "
                f"age MAE {mae:.2f} y (chance {chance:.1f} y; needs <= {chance * DEMO_MAX_MAE_FRACTION_OF_CHANCE:.1f} y)")


def _edge_command() -> str:
    """How the user ran edge (``.venv/bin/edge`` under ``make demo``), so the printed commands paste as they are."""
    import os
    import sys

    program = sys.argv[0]
    if Path(program).name != "edge" or "/" not in program:
        return "edge"
    relative = os.path.relpath(os.path.abspath(program))
    return os.path.abspath(program) if relative.startswith("..") else relative


def next_steps(edge_command: str | None = None) -> list[str]:
    """The exact commands for a real dataset and for a phone, printed at the end of the demo."""
    edge_command = edge_command or _edge_command()
    return [
        "Next, on real faces (UTKFace directory, Adience root, or a path,age,gender CSV; see the README):",
        f"  {edge_command} pipeline --data /path/to/UTKFace --out runs/utk   # the shipped recipe: ~40 epochs, tens of minutes on a laptop CPU",
        "Then on a phone:",
        f"  {edge_command} export runs/utk/run --int8 --android-assets /path/to/your-app/src/main/assets   # Android app",
        f"  {edge_command} serve runs/utk/run/export --host 0.0.0.0   # browser page: open the printed URL on the phone",
    ]
