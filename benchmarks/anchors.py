"""The anchors table: our float / PTQ / QAT models beside published age/gender systems.

Usage (the command behind BENCHMARKS.md "Against the anchors"):

    .venv/bin/python benchmarks/anchors.py --export /tmp/bench-export [--adience ADIENCE_EXPORT]
        [--web-json WEB.json] --out /tmp/bench-anchors

* Our rows come from files the tools wrote: ``EXPORT/validation/validation.json`` (``edge
  validate``: accuracy on the UTKFace test split, size) and ``EXPORT/benchmark.json`` (``edge
  benchmark``: latency) when present; ``--adience`` adds the Adience 5-fold export's validation
  (``validation/validation.json`` with per-model mean/std), the protocol Levi & Hassner used.
* Published anchors are typed in below WITH their sources and are labelled "published, their
  data": they are not measured here and were not obtained on our split.
* face-api.js ships its weights on npm, so it is measured on OUR test split in the browser
  harness (``benchmarks/web_latency.mjs``, BENCHMARKS.md "In the browser"); pass that harness's
  JSON line as ``--web-json`` to put its row (and ours from the same run) in this table.

Writes OUT/anchors.md, OUT/anchors.json and OUT/anchors.png (accuracy vs size, vs latency).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Published figures, on the authors' own data and protocols. Sizes in KB; None = not published.
PUBLISHED = [
    {"system": "Levi & Hassner CNN", "source": "G. Levi, T. Hassner, Age and Gender Classification using "
     "Convolutional Neural Networks, CVPR 2015 Workshops (AMFG)", "data": "Adience, 5-fold",
     "age_exact": 0.507, "age_1off": 0.847, "gender_accuracy": 0.868, "age_mae_years": None,
     "size_kb": 43.5 * 1024, "size_note": "43.5 MB per Caffe model (one for age, one for gender)"},
    {"system": "face-api.js AgeGenderNet", "source": "face-api.js README (justadudewhohacks/face-api.js), "
     "figures by its author", "data": "UTKFace (author's evaluation)", "age_exact": None, "age_1off": None,
     "gender_accuracy": 0.93, "age_mae_years": 5.25, "size_kb": 420, "size_note": "~420 KB weights"},
    {"system": "SSR-Net", "source": "T.-Y. Yang et al., SSR-Net: A Compact Soft Stagewise Regression Network "
     "for Age Estimation, IJCAI 2018", "data": "MORPH2 / MegaAge (age only)", "age_exact": None, "age_1off": None,
     "gender_accuracy": None, "age_mae_years": None, "size_kb": 0.32 * 1024, "size_note": "0.32 MB"},
    {"system": "MiVOLO", "source": "M. Kuprashevich, I. Tolstykh, MiVOLO: Multi-input Transformer for Age and "
     "Gender Estimation, 2023 (arXiv 2307.04616)", "data": "UTKFace", "age_exact": None, "age_1off": None,
     "gender_accuracy": 0.977, "age_mae_years": 4.23, "size_kb": None, "size_note": "a large ViT (VOLO-D1 based)"},
    {"system": "InsightFace genderage", "source": "deepinsight/insightface model zoo (genderage model)",
     "data": "not published for UTKFace/Adience", "age_exact": None, "age_1off": None, "gender_accuracy": None,
     "age_mae_years": None, "size_kb": None, "size_note": "0.3M parameters"},
]

OUR_NAMES = {"float32": "ours float32", "int8_ptq": "ours int8 PTQ", "int8_qat": "ours int8 QAT"}


def our_rows(export: Path, dataset: str) -> list[dict]:
    """Our models' rows from ``validation.json`` (+ ``benchmark.json`` latency when present)."""
    validation = json.loads((export / "validation" / "validation.json").read_text())
    bench_path = export / "benchmark.json"
    bench = json.loads(bench_path.read_text())["models"] if bench_path.is_file() else {}
    models = validation.get("models") or validation.get("summary") or {}
    rows = []
    for name, entry in models.items():
        if name not in OUR_NAMES:
            continue
        value = (lambda key: entry.get(key, {}).get("mean") if isinstance(entry.get(key), dict) else entry.get(key))
        latency = (bench.get(name) or bench.get(f"model_{name}", {})).get("latency", {}).get("1", {}).get("median_ms")
        if latency is None and isinstance(entry.get("latency_1_thread"), dict):
            latency = entry["latency_1_thread"].get("median_ms")
        size = value("size_bytes")
        rows.append({"system": f"{OUR_NAMES[name]} ({validation.get('family', '')})", "source": "measured here",
                     "data": dataset, "age_exact": value("age_exact_accuracy"), "age_1off": value("age_1off_accuracy"),
                     "gender_accuracy": value("gender_accuracy"), "age_mae_years": value("age_mae_years"),
                     "size_kb": size / 1024 if size else None, "latency_ms_1_thread": latency,
                     "faces": validation.get("faces")})
    return rows


def web_rows(web: dict) -> list[dict]:
    """face-api.js and ours, measured in ONE headless Chromium run on our test faces."""
    faces = web.get("faces")
    data = f"UTKFace test split, {faces} faces, browser"
    return [
        {"system": "face-api.js AgeGenderNet (measured)", "source": "benchmarks/web_latency.mjs, same run",
         "data": data, "gender_accuracy": web["faceapi_accuracy"]["gender_accuracy"],
         "age_mae_years": web["faceapi_accuracy"]["mae_years"], "size_kb": 420, "latency_ms_browser": web["faceapi_ms"]["median"]},
        {"system": "ours int8 QAT (browser, measured)", "source": "benchmarks/web_latency.mjs, same run", "data": data,
         "gender_accuracy": web["ours_accuracy"]["gender_accuracy"], "age_mae_years": web["ours_accuracy"]["mae_years"],
         "latency_ms_browser": web["ours_ms"]["median"]},
    ]


def fmt(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return f"{100 * value:.1f} %"
    if kind == "kb":
        return f"{value / 1024:.1f} MB" if value >= 1024 else f"{value:.0f} KB"
    return f"{value:.2f}"


def markdown(rows: list[dict]) -> str:
    lines = ["| system | figures are | data | gender acc | age MAE (y) | age exact | age 1-off | size | latency (ms) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        kind = "measured here" if r["source"].startswith(("measured", "benchmarks/")) else "published, their data"
        size = fmt(r.get("size_kb"), "kb") if r.get("size_kb") else r.get("size_note", "-")
        latency = r.get("latency_ms_1_thread")
        latency_text = f"{latency:.3f} (LiteRT, 1 thread)" if latency is not None else (
            f"{r['latency_ms_browser']:.2f} (browser)" if r.get("latency_ms_browser") is not None else "-")
        lines.append(f"| {r['system']} | {kind} | {r['data']} | {fmt(r.get('gender_accuracy'), 'pct')} | "
                     f"{fmt(r.get('age_mae_years'), 'num')} | {fmt(r.get('age_exact'), 'pct')} | "
                     f"{fmt(r.get('age_1off'), 'pct')} | {size} | {latency_text} |")
    lines += ["", "Sources of the published rows:"] + [f"- {r['system']}: {r['source']}." for r in PUBLISHED]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> Path:
    from edge.plotting import pyplot, save_png

    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for r in rows:
        measured = r["source"].startswith(("measured", "benchmarks/"))
        style = {"marker": "o" if measured else "^", "color": "tab:blue" if measured else "tab:gray"}
        label = r["system"]
        if r.get("size_kb") and r.get("gender_accuracy") is not None:
            axes[0].scatter(r["size_kb"], 100 * r["gender_accuracy"], **style)
            axes[0].annotate(label, (r["size_kb"], 100 * r["gender_accuracy"]), fontsize=7)
        if r.get("size_kb") and r.get("age_mae_years") is not None:
            axes[1].scatter(r["size_kb"], r["age_mae_years"], **style)
            axes[1].annotate(label, (r["size_kb"], r["age_mae_years"]), fontsize=7)
        latency = r.get("latency_ms_1_thread") or r.get("latency_ms_browser")
        if latency and r.get("gender_accuracy") is not None:
            axes[2].scatter(latency, 100 * r["gender_accuracy"], **style)
            axes[2].annotate(label, (latency, 100 * r["gender_accuracy"]), fontsize=7)
    axes[0].set(xscale="log", xlabel="model size (KB, log)", ylabel="gender accuracy (%)", title="gender vs size")
    axes[1].set(xscale="log", xlabel="model size (KB, log)", ylabel="age MAE (years)", title="age MAE vs size")
    axes[2].set(xscale="log", xlabel="latency per face (ms, log; LiteRT desktop or browser)", ylabel="gender accuracy (%)",
                title="gender vs latency (measured only)")
    figure.suptitle("circles: measured here on our splits; triangles: published figures on their own data", fontsize=10)
    return save_png(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", type=Path, required=True, help="UTKFace export with validation/validation.json")
    parser.add_argument("--adience", type=Path, help="Adience 5-fold export with validation/validation.json")
    parser.add_argument("--web-json", type=Path, help="the JSON line printed by benchmarks/web_latency.mjs")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-anchors"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = our_rows(args.export, "UTKFace test split")
    if args.adience:
        rows += our_rows(args.adience, "Adience, 5-fold (mean)")
    if args.web_json:
        rows += web_rows(json.loads(args.web_json.read_text().strip().splitlines()[-1]))
    rows += PUBLISHED
    (args.out / "anchors.json").write_text(json.dumps(rows, indent=2) + "\n")
    table = markdown(rows)
    (args.out / "anchors.md").write_text(table + "\n")
    plot(rows, args.out / "anchors.png")
    print(table)


if __name__ == "__main__":
    main()
