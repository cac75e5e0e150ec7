"""The model card written with every export (Markdown), after Mitchell et al., "Model Cards for Model
Reporting" (2019): details, intended and out-of-scope uses, factors, metrics, data, the numbers
disaggregated by group with 95% intervals, calibration, what quantization cost each group, caveats."""

from __future__ import annotations

import sys
from pathlib import Path

from edge.groups import format_interval
from edge.io import write_text_atomic
from edge.layout import ModelKind
from edge.spec import Spec

_METRICS = (("gender_accuracy", "gender acc", "{:.1%}"), ("age_exact_accuracy", "age exact", "{:.1%}"),
            ("age_1off_accuracy", "age 1-off", "{:.1%}"), ("age_mae_years", "MAE (y)", "{:.2f}"),
            ("undefined_rate", "undefined", "{:.1%}"), ("gender_agreement_vs_keras", "gender agree (decisive faces)", "{:.1%}"),
            ("age_agreement_vs_keras", "age agree (decisive faces)", "{:.1%}"))
_DATA_LICENCES = {"utkface": "UTKFace: non-commercial research use only",
                  "adience": "Adience: non-commercial research use only", "csv": "your CSV's images: their own licence"}


def _cell(value, fmt: str) -> str:
    """A metric, or an agreement record ({agreement, decisive_faces, near_tie_share}) as its agreement."""
    if isinstance(value, dict):
        value = value.get("agreement")
        return "not judged" if value is None else fmt.format(value)
    return "" if value is None else fmt.format(value)


def _details(report: dict, config: dict, spec: Spec) -> list[str]:
    command = report.get("command") or (' '.join(['edge', *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith('edge')
                                        else 'edge export (library call)')
    return [
        f"# Model card: {spec.family} ({spec.label_scheme})", "", "## Model details", "",
        f"- Source run: `{report['run_dir']}`; created {report['created']} by `{command}`",
        f"- Input: {spec.image_size}x{spec.image_size} {spec.color}, pixels x {spec.pixel_scale:.6g} + {spec.pixel_offset:g}, "
        f"{spec.interpolation} resize, face crop {'on' if spec.face_crop.enabled else 'off'} "
        f"(deployment: {spec.face_crop.detector}, margin {spec.face_crop.margin})",
        "- Outputs: " + ", ".join(f"`{o.name}` ({o.kind}, {o.width})" for o in spec.outputs)
        + ("; each the mean over the face and its mirror image, computed inside the file (one batch of two)"
           if spec.flip_averaged else "; one pass per face"),
        f"- Gender encoding: 0 = male, 1 = female; age classes: {', '.join(spec.age_class_names) or 'regression (years)'}",
        f"- Parameters: {report['parameters']:,}", "",
        "## Intended use", "",
        "- Estimating the apparent age range and gender presentation of faces in photos and camera frames, on the "
        "device, for aggregate statistics, content adaptation and demos, where a wrong answer is cheap and visible.",
        "- Out of scope: identifying or tracking people; any decision about a person (access, hiring, credit, "
        "policing, age verification for legal purposes); inferring gender identity (the labels are the dataset's "
        "binary annotation of appearance, not how a person identifies); faces of people who did not agree to it.", "",
        "## Training data", "",
        f"- `{config['data']}` ({config['kind']}; {_DATA_LICENCES.get(config['kind'], 'see the dataset licence')}), "
        f"seed {config['seed']}, {config['epochs']} epochs"
        + "".join(f"; more training faces from `{extra}`" for extra in config.get("extra_data") or ()),
        "- Factors that change accuracy (measured below where the data records them): age, gender, race as the "
        "dataset labels it, image quality, face size, pose, lighting.", ""]


def _checks_table(report: dict) -> list[str]:
    checks = report.get("checks", {})
    rows = [name for name in ("keras", *(kind.value for kind in ModelKind)) if name in checks]
    columns = [m for m in _METRICS if any(checks[r].get(m[0]) is not None for r in rows)]
    lines = [f"## Metrics on {report['check_images']:,} held-out real faces (test split)", "",
             "| model | size (KB) | " + " | ".join(c[1] for c in columns) + " |", "|---|---:|" + "---:|" * len(columns)]
    for row in rows:
        size = report["models"].get(row, {}).get("size_bytes")
        cells = [_cell(checks[row].get(c[0]), c[2]) for c in columns]
        lines.append(f"| {row} | {'' if size is None else f'{size / 1024:,.1f}'} | " + " | ".join(cells) + " |")
    return lines + [""]


def _group_tables(report: dict) -> list[str]:
    groups = report.get("checks", {}).get("by_group")
    if not groups:
        return []
    lines = ["## Quantitative analyses: by group (shipped model; 95% intervals; int8 minus float)", "",
             f"Groups with fewer than {groups['min_faces']} faces are marked: their intervals are wide; read them as such.", ""]
    for dimension, entries in groups["dimensions"].items():
        lines += [f"| {dimension} | faces | gender accuracy | age MAE (y) | gender, int8 - float (pp) | MAE, int8 - float (y) |",
                  "|---|---:|---:|---:|---:|---:|"]
        for group, entry in entries.items():
            metrics, delta = entry["models"]["shipped"], entry.get("delta", {})
            small = " (few faces)" if entry["faces"] < groups["min_faces"] else ""
            lines.append(f"| {group}{small} | {entry['faces']} | {format_interval(metrics, 'gender_accuracy', True)} | "
                         f"{format_interval(metrics, 'age_mae_years', False)} | "
                         f"{_signed(delta, 'gender_accuracy_pp', '{:+.2f}')} | {_signed(delta, 'age_mae_years', '{:+.3f}')} |")
        lines.append("")
    return lines


def _signed(delta: dict, key: str, fmt: str) -> str:
    """int8 minus float, or 'not measured' where the file has no float twin beside it."""
    return fmt.format(delta[key]) if key in delta else "not measured"


def _calibration(spec: Spec) -> list[str]:
    decoding = spec.decoding
    if "gender_temperature" not in decoding and "age_interval_mass" not in decoding:
        return []
    lines = ["## Confidence (fitted on the validation split)", ""]
    if "gender_temperature" in decoding:
        lines.append(f"- Gender probability is temperature-scaled (T = {decoding['gender_temperature']:.2f}); a gender "
                     f"whose calibrated confidence is below {decoding['gender_unsure_below']:.3f} is reported as "
                     "\"not sure\" (the threshold at which the reported genders reached 97% precision on validation).")
    if "age_interval_mass" in decoding:
        lines.append(f"- Every age comes with a range: the central {decoding['age_interval_mass']:.1%} of the model's "
                     "age distribution, the mass that held 80% of validation ages. `edge validate` measures its "
                     "coverage per age band on held-out faces.")
    return lines + [""]


def write_model_card(path: Path, report: dict, config: dict, spec: Spec) -> None:
    """Write MODEL_CARD.md for an export (``spec`` is the shipped file's: its calibration is stated)."""
    lines = _details(report, config, spec) + _checks_table(report) + _group_tables(report) + _calibration(spec)
    lines += ["## Caveats and recommendations", "",
              "- Trained on one dataset: accuracy on faces from other sources, cameras and populations is lower "
              "(the project measures it on datasets it never trained on: BENCHMARKS.md).",
              "- Babies' and children's gender is close to a guess; ages over 60 have the largest errors. Show the "
              "age range and \"not sure\" rather than a bare number.",
              "- `edge validate --by` on your own labelled faces is the check that matters for your users.", ""]
    write_text_atomic(path, "\n".join(lines))
