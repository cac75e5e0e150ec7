"""Label schemes: how an age (years or an Adience range) becomes a training target.

Schemes
-------
``utk20``    20 groups of 5 years, as in the UTKFace CNN report: group g covers
             ages 5g..5g+4 ("0-4", "5-9", ..., "90-94"); group 19 is "95+".
``utk28``    one-year groups under 10 ("0", "1", ..., "9"), then utk20's five-year groups from 10
             ("10-14", ..., "90-94", "95+"): a baby's age (0-2) and a child's (3-9) are expressible.
``adience8`` The 8 Adience groups 0-2, 4-6, 8-12, 15-20, 25-32, 38-43, 48-53, 60+.
             An exact age inside a group's range maps to it. An age that falls between
             groups maps to the group whose range is nearest (distance to the closest
             edge); an exact tie (ages 3, 7 and 35) goes to the OLDER group.
``age``      Regression on age in years.

Gender is binary everywhere: 0 = male, 1 = female (Adience ``m``/``f`` are converted).

Age in years for group models (MAE) is the expected value of the predicted group
distribution over the group centers below. Centers are range midpoints; the open-ended top
groups use a 5-year (95+ -> 97.5) and a 10-year (60+ -> 65) proxy range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GENDER_NAMES = ("male", "female")  # index = label: 0 = male, 1 = female

ADIENCE8_RANGES = ((0, 2), (4, 6), (8, 12), (15, 20), (25, 32), (38, 43), (48, 53), (60, 100))
ADIENCE8_NAMES = ("0-2", "4-6", "8-12", "15-20", "25-32", "38-43", "48-53", "60+")
ADIENCE8_CENTERS = (1.0, 5.0, 10.0, 17.5, 28.5, 40.5, 50.5, 65.0)

UTK20_NAMES = tuple([f"{5 * g}-{5 * g + 4}" for g in range(19)] + ["95+"])
UTK20_CENTERS = tuple([5 * g + 2.0 for g in range(19)] + [97.5])

UTK28_NAMES = tuple([str(year) for year in range(10)] + list(UTK20_NAMES[2:]))
UTK28_CENTERS = tuple([float(year) for year in range(10)] + list(UTK20_CENTERS[2:]))

SCHEME_NAMES = ("utk20", "utk28", "adience8", "age")


@dataclass(frozen=True)
class LabelScheme:
    """A named age label scheme with its class names and group centers (years)."""

    name: str
    class_names: tuple[str, ...]
    class_centers: tuple[float, ...]

    @property
    def is_regression(self) -> bool:
        return self.name == "age"

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def group_of_years(self, age: float) -> int:
        """Map an age in years to this scheme's class index."""
        if self.name == "utk20":
            return min(int(age) // 5, 19) if age >= 0 else 0
        if self.name == "utk28":
            return int(max(age, 0)) if age < 10 else 10 + min(int(age) // 5, 19) - 2
        if self.name == "adience8":
            return adience_group_of_years(age)
        raise ValueError("the 'age' scheme is a regression: it has no groups")


def get_scheme(name: str) -> LabelScheme:
    """Return the label scheme called ``name`` (utk20, utk28, adience8 or age)."""
    if name == "utk20":
        return LabelScheme("utk20", UTK20_NAMES, UTK20_CENTERS)
    if name == "utk28":
        return LabelScheme("utk28", UTK28_NAMES, UTK28_CENTERS)
    if name == "adience8":
        return LabelScheme("adience8", ADIENCE8_NAMES, ADIENCE8_CENTERS)
    if name == "age":
        return LabelScheme("age", (), ())
    from edge.errors import EdgeError

    raise EdgeError(f"unknown label scheme '{name}': use one of {', '.join(SCHEME_NAMES)}")


def adience_group_of_years(age: float) -> int:
    """Nearest Adience group for an age in years; ties go to the older group."""
    best, best_distance = 0, float("inf")
    for index, (low, high) in enumerate(ADIENCE8_RANGES):
        distance = 0.0 if low <= age <= high else min(abs(age - low), abs(age - high))
        if distance <= best_distance:  # '<=' makes a tie pick the later (older) group
            best, best_distance = index, distance
    return best


_RANGE = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


MAX_AGE_YEARS = 120  # one rule for every loader: an age outside 0..120 is not a label


def plausible_age(years: float) -> bool:
    """Whether ``years`` is a usable age label (0..120 inclusive)."""
    return 0 <= years <= MAX_AGE_YEARS


def parse_adience_age(text: str) -> tuple[int | None, float | None]:
    """Parse an Adience age label into (adience8 group, age in years).

    ``(25, 32)`` and the other standard ranges map to their group. Other ranges that really
    occur (``(38, 42)``, ``(27, 32)``, ``(8, 23)``, the ``(25, 23)`` typo) map by their
    midpoint with the nearest-group rule; single numbers (``35``) likewise. ``None``, empty
    or unparseable labels give ``(None, None)``. Years are the range midpoint.
    """
    text = text.strip()
    match = _RANGE.match(text)
    if match:
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        if (low, high) in ADIENCE8_RANGES:
            group = ADIENCE8_RANGES.index((low, high))
            return group, ADIENCE8_CENTERS[group]
        midpoint = (low + high) / 2
        return adience_group_of_years(midpoint), midpoint
    if text.isdigit() and plausible_age(float(text)):
        years = float(text)
        return adience_group_of_years(years), years
    return None, None


def parse_gender(text: str) -> int | None:
    """``m``/``male``/``0`` -> 0, ``f``/``female``/``1`` -> 1, anything else -> None."""
    value = text.strip().lower()
    if value in ("m", "male", "0"):
        return 0
    if value in ("f", "female", "1"):
        return 1
    return None
