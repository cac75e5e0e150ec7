"""Write a list of labelled faces for benchmarks/web_latency.mjs --list (any dataset edge loads).

Usage (the command behind BENCHMARKS.md "face-api.js and ours on Adience"):

    .venv/bin/python benchmarks/face_list.py --data ../shared/data/adience --out /tmp/adience_faces.json [--max 2000]

The faces are the project's own loader's records (``edge.datasets.load_dataset``), in its order;
``--max N`` keeps N of them evenly spaced (record ``floor(i * total / N)``), so the same command
gives the same list. Output JSON:

    {"source": DIR, "kind": "adience", "total_records": 6148,
     "adience_groups": [[0, 2], [4, 6], ...],          # edge.labels.ADIENCE8_RANGES
     "adience_group_names": ["0-2", ...],
     "adience_group_checks": [[0.0, 0], [0.5, 0], ...], # edge.labels.adience_group_of_years
     "faces": [{"path": ..., "age_years": 28.5 | null, "gender": 0 | 1 | null,
                "adience_group": 0..7 | null}, ...]}

Gender is 0 = male, 1 = female. ``age_years`` is the exact age (UTKFace) or the Adience range's
midpoint. The group ranges and a grid of (age, group) pairs from Python's rule travel in the file
so the browser benchmark maps a predicted age to a group by the same rule and can check that it
does (the ranges live in edge/labels.py only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from edge.datasets import load_dataset
from edge.errors import EdgeError
from edge.labels import ADIENCE8_NAMES, ADIENCE8_RANGES, adience_group_of_years

# ages at which the browser checks its group mapping against Python's: every half year from 0 to
# 110 covers each range, each gap and each tie (3, 7, 35 ...) of the 8 groups
CHECK_AGES = [i / 2 for i in range(0, 221)]


def evenly_spaced(items: list, count: int | None) -> list:
    """``count`` items evenly spaced over ``items`` (all of them when count is None or larger)."""
    if count is None or count >= len(items):
        return list(items)
    return [items[(i * len(items)) // count] for i in range(count)]


def face_list(data: Path, max_faces: int | None = None) -> dict:
    """The JSON-ready face list of the dataset at ``data`` (see the module docstring)."""
    dataset = load_dataset(data)
    records = evenly_spaced(dataset.records, max_faces)
    return {
        "source": str(data),
        "kind": dataset.kind,
        "total_records": len(dataset.records),
        "adience_groups": [list(r) for r in ADIENCE8_RANGES],
        "adience_group_names": list(ADIENCE8_NAMES),
        "adience_group_checks": [[age, adience_group_of_years(age)] for age in CHECK_AGES],
        "faces": [{"path": str(r.path), "age_years": r.age_years, "gender": r.gender,
                   "adience_group": r.adience_group} for r in records],
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: write the face list; exit 2 with one line on a bad path or option."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="dataset folder (UTKFace, Adience or a CSV manifest)")
    parser.add_argument("--max", type=int, default=None, help="keep N faces, evenly spaced (default: all)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    try:
        if args.max is not None and args.max < 1:
            raise EdgeError(f"--max {args.max}: pass a positive number of faces")
        listing = face_list(args.data, args.max)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(listing) + "\n", encoding="utf-8")
    except EdgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    faces = listing["faces"]
    grouped = sum(f["adience_group"] is not None for f in faces)
    gendered = sum(f["gender"] is not None for f in faces)
    print(f"{args.out}: {len(faces)} of {listing['total_records']} {listing['kind']} faces "
          f"({grouped} with an Adience group, {gendered} with a gender)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
