"""The model card written with every export (Markdown)."""

from __future__ import annotations

import sys
from pathlib import Path

from edge.io import write_text_atomic
from edge.spec import Spec

_METRICS = (("gender_accuracy", "gender acc", "{:.1%}"), ("age_exact_accuracy", "age exact", "{:.1%}"),
            ("age_1off_accuracy", "age 1-off", "{:.1%}"), ("age_mae_years", "MAE (y)", "{:.2f}"),
            ("undefined_rate", "undefined", "{:.1%}"), ("gender_agreement_vs_keras", "gender agree (decisive faces)", "{:.1%}"),
            ("age_agreement_vs_keras", "age agree (decisive faces)", "{:.1%}"))


def _cell(value, fmt: str) -> str:
    """A metric, or an agreement record ({agreement, decisive_faces, near_tie_share}) as its agreement."""
    if isinstance(value, dict):
        value = value.get("agreement")
        return "not judged" if value is None else fmt.format(value)
    return "" if value is None else fmt.format(value)


def write_model_card(path: Path, report: dict, config: dict, spec: Spec) -> None:
    checks = report.get("checks", {})
    rows = [name for name in ("keras", "model_float32", "model_float16", "model_int8_ptq", "model_int8_qat") if name in checks]
    columns = [m for m in _METRICS if any(checks[r].get(m[0]) is not None for r in rows)]
    lines = [
        f"# Model card: {spec.family} ({spec.label_scheme})", "",
        f"- Source run: `{report['run_dir']}`",
        f"- Data: `{config['data']}` ({config['kind']}), seed {config['seed']}, {config['epochs']} epochs"
        + "".join(f"; more training faces from `{extra}`" for extra in config.get("extra_data") or ()),
        f"- Input: {spec.image_size}x{spec.image_size} {spec.color}, pixels x {spec.pixel_scale:.6g} + {spec.pixel_offset:g}, "
        f"{spec.interpolation} resize, face crop {'on' if spec.face_crop.enabled else 'off'}",
        "- Outputs: " + ", ".join(f"`{o.name}` ({o.kind}, {o.width})" for o in spec.outputs)
        + ("; each the mean over the face and its mirror image, computed inside the file (one batch of two)"
           if spec.flip_averaged else "; one pass per face"),
        f"- Gender encoding: 0 = male, 1 = female; age classes: {', '.join(spec.age_class_names) or 'regression (years)'}",
        f"- Parameters: {report['parameters']:,}",
        f"- Created: {report['created']}",
        f"- Command: `{' '.join(['edge', *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith('edge') else 'edge export (library call)'}`",
        "", f"## Quick check on {report['check_images']} held-out real images", "",
        "| model | size (KB) | " + " | ".join(c[1] for c in columns) + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    for row in rows:
        size = report["models"].get(row, {}).get("size_bytes")
        cells = [_cell(checks[row].get(c[0]), c[2]) for c in columns]
        lines.append(f"| {row} | {'' if size is None else f'{size / 1024:,.1f}'} | " + " | ".join(cells) + " |")
    lines += ["", "These are the export's fast built-in checks; `edge validate` gives the full float-vs-int8 report.",
              "Trained on the dataset above only; age/gender estimates carry that dataset's biases.", ""]
    write_text_atomic(path, "\n".join(lines))
