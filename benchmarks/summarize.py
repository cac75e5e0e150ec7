"""Print the BENCHMARKS.md tables from the artifacts `benchmarks/run.sh` wrote.

Usage: .venv/bin/python benchmarks/summarize.py [OUT_DIR]   (default bench/run)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edge.train.models import FAMILIES  # the one family registry

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/run")


def load(path: Path):
    return json.loads(path.read_text()) if path.is_file() else None


def pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def utkface_table() -> None:
    print("| family | params | gender % | age exact % | age 1-off % | MAE (y) | undefined % | epochs | train s | train img/s | input img/s | device |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for family in FAMILIES:
        m = load(OUT / f"{family}-utk" / "metrics.json")
        if not m:
            continue
        print(f"| {family} | {m['parameters']:,} | {pct(m.get('gender_accuracy'))} | {pct(m.get('age_exact_accuracy'))} | "
              f"{pct(m.get('age_1off_accuracy'))} | {m.get('age_mae_years', float('nan')):.2f} | "
              f"{pct(m.get('undefined_rate'))} | {m['epochs']} | {m['train_seconds_this_process']:.0f} | "
              f"{m['train_images_per_s']:,.0f} | {m['input_pipeline_images_per_s']:,.0f} | {m['device']} |")


def adience_table() -> None:
    print("| run | params | gender % | age exact % | age 1-off % | MAE (y) | undefined % | epochs | train s (5 folds) | device |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in (*(f"{f}-adience" for f in FAMILIES), "mobile-adience-transfer"):
        m = load(OUT / name / "metrics.json")
        if not m:
            continue
        s = m["mean_std"]
        first = next(iter(m["folds"].values()))

        def cell(key, scale=100.0, digits=1):
            return f"{s[key]['mean'] * scale:.{digits}f} ± {s[key]['std'] * scale:.{digits}f}" if key in s else ""

        seconds = sum(f["train_seconds_this_process"] for f in m["folds"].values())
        print(f"| {name} | {first['parameters']:,} | {cell('gender_accuracy')} | {cell('age_exact_accuracy')} | "
              f"{cell('age_1off_accuracy')} | {cell('age_mae_years', 1, 2)} | {cell('undefined_rate')} | "
              f"{first['epochs']} | {seconds:.0f} | {first['device']} |")


def int8_table() -> None:
    print("| family | params | float32 KB | PTQ KB | QAT KB | QAT/float32 size | gender % float → PTQ → QAT | "
          "age exact % float → PTQ → QAT | MAE float → PTQ → QAT | QAT age agreement % | "
          "1-thread ms float / PTQ / QAT | QAT/float latency |")
    print("|---|---:|---:|---:|---:|---:|---|---|---|---:|---|---:|")
    for family in FAMILIES:
        v = load(OUT / f"{family}-utk" / "export" / "validation" / "validation.json")
        if not v:
            continue
        models = v["models"]
        f, p, q = models["float32"], models["int8_ptq"], models["int8_qat"]
        lat = lambda m: m["latency_1_thread"]["median_ms"]  # noqa: E731
        print(f"| {family} | {f['parameters']:,} | {f['size_bytes'] / 1024:,.1f} | {p['size_bytes'] / 1024:,.1f} | "
              f"{q['size_bytes'] / 1024:,.1f} | {q['size_bytes'] / f['size_bytes']:.3f} | "
              f"{pct(f.get('gender_accuracy'))} → {pct(p.get('gender_accuracy'))} → {pct(q.get('gender_accuracy'))} | "
              f"{pct(f.get('age_exact_accuracy'))} → {pct(p.get('age_exact_accuracy'))} → {pct(q.get('age_exact_accuracy'))} | "
              f"{f['age_mae_years']:.2f} → {p['age_mae_years']:.2f} → {q['age_mae_years']:.2f} | "
              f"{pct(q.get('age_agreement_vs_float'))} | {lat(f):.3f} / {lat(p):.3f} / {lat(q):.3f} | "
              f"{lat(q) / lat(f):.2f} |")


def adience_int8_table() -> None:
    v = load(OUT / "mobile-adience-transfer" / "export" / "validation" / "validation.json")
    if not v:
        return
    print("| model | gender % | age exact % | age 1-off % | MAE (y) | gender agreement % | age agreement % | 1-thread ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in v["mean_std"].items():
        def cell(key, scale=100.0, digits=1):
            return f"{s[key]['mean'] * scale:.{digits}f} ± {s[key]['std'] * scale:.{digits}f}" if key in s else ""

        latency = [fold["models"][name]["latency_1_thread"]["median_ms"] for fold in v["folds"].values()
                   if "latency_1_thread" in fold["models"][name]]
        latency_cell = f"{sum(latency) / len(latency):.3f}" if latency else ""  # Keras has no TFLite latency
        print(f"| {name} | {cell('gender_accuracy')} | {cell('age_exact_accuracy')} | {cell('age_1off_accuracy')} | "
              f"{cell('age_mae_years', 1, 2)} | {cell('gender_agreement_vs_float')} | {cell('age_agreement_vs_float')} | "
              f"{latency_cell} |")
    print(f"\nGate on every fold: {'PASS' if v['gate']['passed'] else 'FAIL'} ({v['gate']['reason']})")


if __name__ == "__main__":
    print("## UTKFace\n")
    utkface_table()
    print("\n## Adience 5-fold\n")
    adience_table()
    print("\n## int8\n")
    int8_table()
    print("\n## Adience int8 (folds)\n")
    adience_int8_table()
