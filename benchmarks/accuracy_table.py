"""Print the accuracy issue's goal table from what `benchmarks/accuracy.sh` wrote.

Usage: .venv/bin/python benchmarks/accuracy_table.py [OUT_DIR]   (default /work/bench-accuracy)

Every figure is read from the validation reports (`edge validate`, QAT int8 in LiteRT unless the row
says float) and the training logs; seeds are averaged and listed. A row whose runs are missing says so.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/bench-accuracy")
SHIPPED = "int8_qat"  # the model the Android app and the browser demo ship


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def seeds() -> list[str]:
    return sorted(p.name.split("-s")[-1] for p in OUT.glob("mobile-utk-s*") if (p / "metrics.json").is_file())


def across_seeds(report_name: str, model: str, key: str, *subkeys: str) -> tuple[float, list[float]] | None:
    """``report["models"][model][key][subkeys...]`` of each seed's validation report: (mean, values)."""
    values = []
    for seed in seeds():
        report = load(OUT / f"{report_name}-s{seed}" / "validation.json")
        value = report["models"].get(model, {}).get(key) if report else None
        for subkey in subkeys:
            value = value.get(subkey) if isinstance(value, dict) else None
        if value is not None:
            values.append(float(value))
    return (statistics.fmean(values), values) if values else None


def fmt(result, kind: str) -> str:
    if result is None:
        return "not run"
    mean, values = result
    one = (lambda v: f"{v * 100:.1f}%") if kind == "pct" else (lambda v: f"{v:+.2f}" if kind == "delta" else f"{v:.2f}")
    if kind == "ms":
        one = lambda v: f"{v:.2f} ms"  # noqa: E731
    if kind == "pp":
        one = lambda v: f"{v * 100:+.2f} pp"  # noqa: E731
    detail = " / ".join(one(v) for v in values)
    return f"**{one(mean)}**" + (f" ({detail})" if len(values) > 1 else "")


def delta(report_name: str, key: str) -> tuple[float, list[float]] | None:
    shipped, float32 = across_seeds(report_name, SHIPPED, key), across_seeds(report_name, "float32", key)
    if not shipped or not float32:
        return None
    values = [a - b for a, b in zip(shipped[1], float32[1])]
    return statistics.fmean(values), values


def latency(report_name: str) -> tuple[float, list[float]] | None:
    """The shipped file's median latency per face at batch 1 on one thread, from the same reports."""
    return across_seeds(report_name, SHIPPED, "latency_1_thread", "median_ms")


def wall_minutes(seed: str) -> float | None:
    """The script's own training wall time; for a run trained elsewhere and linked in (no train log),
    the training process's own time from its metrics.json (a resumed run: the last process only)."""
    log = OUT / f"train-s{seed}.log"
    if not log.is_file():
        metrics = load(OUT / f"mobile-utk-s{seed}" / "metrics.json") or {}
        seconds = metrics.get("train_seconds_this_process")
        return None if seconds is None else seconds / 60
    match = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", log.read_text())
    if not match:
        return None
    hours, minutes, secs = match.groups()
    return int(hours or 0) * 60 + int(minutes) + float(secs) / 60


def adience(key: str) -> str:
    report = load(OUT / "adience-validate" / "validation.json")
    note = ""
    if report:
        stats = report["mean_std"][SHIPPED].get(key)
    else:  # the folds trained but their int8 exports were not validated: the float figures, labelled
        trained = load(OUT / "mobile-adience-transfer" / "metrics.json")
        if not trained:
            return "not run"
        stats, note = trained["mean_std"].get(key), " (float Keras; int8 not validated)"
    return f"**{stats['mean'] * 100:.1f}** ± {stats['std'] * 100:.1f}%{note}" if stats else "n/a"


def main() -> None:
    size = across_seeds("validate", SHIPPED, "size_bytes")
    walls = [w for s in seeds() if (w := wall_minutes(s)) is not None]
    device = {load(OUT / f"mobile-utk-s{s}" / "metrics.json").get("device") for s in seeds()} or {"?"}
    rows = [
        ("shipped int8 file", f"**{size[0] / 1024:.1f} KB**" if size else "not run", "<= 400 KB"),
        ("UTKFace test (split seed 42, 85/15), age MAE", fmt(across_seeds("validate", SHIPPED, "age_mae_years"), "num"), "<= 4.9 y"),
        ("same, gender accuracy", fmt(across_seeds("validate", SHIPPED, "gender_accuracy"), "pct"), ">= 94.5%"),
        ("same weights exported one pass per face (--no-flip-average), MAE", fmt(across_seeds("validate-single", SHIPPED, "age_mae_years"), "num"), "(ablation)"),
        ("same, one pass per face, gender", fmt(across_seeds("validate-single", SHIPPED, "gender_accuracy"), "pct"), "(ablation)"),
        ("shipped int8, median ms per face (1 thread, this CPU)", fmt(latency("validate"), "ms"), "(cost)"),
        ("one pass per face, median ms per face (1 thread)", fmt(latency("validate-single"), "ms"), "(cost)"),
        ("Adience 5-fold by subject, gender", adience("gender_accuracy"), ">= 87%"),
        ("Adience 5-fold, age exact", adience("age_exact_accuracy"), ">= 58%"),
        ("Adience 5-fold, age 1-off", adience("age_1off_accuracy"), ">= 92%"),
        ("int8 vs float: MAE delta (y)", fmt(delta("validate", "age_mae_years"), "delta"), "<= 0.05"),
        ("int8 vs float: gender delta", fmt(delta("validate", "gender_accuracy"), "pp"), ">= -0.2 pp"),
        ("cross-dataset (no Adience in training), all Adience, gender", fmt(across_seeds("cross", SHIPPED, "gender_accuracy"), "pct"), ">= 85%"),
        ("same, age 1-off (years -> 8 groups)", fmt(across_seeds("cross", SHIPPED, "age_1off_accuracy"), "pct"), ">= 85%"),
        ("same through the detector + crop, gender", fmt(across_seeds("cross-crop", SHIPPED, "gender_accuracy"), "pct"), "(phone path)"),
        ("same through the detector + crop, 1-off", fmt(across_seeds("cross-crop", SHIPPED, "age_1off_accuracy"), "pct"), "(phone path)"),
        ("full training, wall minutes", " / ".join(f"{w:.0f}" for w in walls) or "not run", "<= 60 on the 2-core CPU"),
    ]
    print(f"Seeds {', '.join(seeds()) or 'none'} (mean in bold, each seed in brackets); training device: {', '.join(sorted(device))}\n")
    print("| benchmark | measured | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")


if __name__ == "__main__":
    main()
