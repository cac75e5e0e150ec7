"""``edge data inspect``: what is in a dataset, what was skipped and why, and a chart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from edge.cache import load_images
from edge.datasets import SkipLog, default_label_scheme, load_dataset
from edge.labels import GENDER_NAMES, get_scheme
from edge.spec import Spec
from edge.targets import age_class_of


@dataclass
class InspectReport:
    """Counts of a dataset after listing and decoding its images."""

    kind: str
    root: str
    label_scheme: str
    usable: int
    skipped: SkipLog
    age_gender_counts: dict[str, dict[str, int]]  # age class -> gender name/"unknown" -> count
    gender_counts: dict[str, int]
    age_unlabelled: int
    per_fold: dict[str, int] = field(default_factory=dict)
    chart_path: str | None = None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "root": self.root, "label_scheme": self.label_scheme, "usable": self.usable,
            "skipped_total": self.skipped.total, "skipped": self.skipped.to_dict(),
            "age_gender_counts": self.age_gender_counts, "gender_counts": self.gender_counts,
            "age_unlabelled": self.age_unlabelled, "per_fold": self.per_fold, "chart": self.chart_path,
        }


def inspect_dataset(
    path: Path,
    kind: str | None = None,
    label_scheme: str | None = None,
    chart_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> InspectReport:
    """List and decode a dataset; count labels per age group and gender; draw the chart."""
    dataset = load_dataset(path, kind)
    scheme_name = label_scheme or default_label_scheme(dataset.kind)
    if scheme_name == "age":
        scheme_name = default_label_scheme(dataset.kind)  # inspect groups ages for counting
    scheme = get_scheme(scheme_name)
    images = load_images(dataset.records, Spec.create(scheme_name), progress=progress)
    skipped = SkipLog()
    skipped.merge(dataset.skipped)
    skipped.merge(images.skipped)

    table = {name: {g: 0 for g in (*GENDER_NAMES, "unknown")} for name in scheme.class_names}
    genders: Counter = Counter()
    age_unlabelled = 0
    per_fold: Counter = Counter()
    for record in images.records:
        gender_name = GENDER_NAMES[record.gender] if record.gender is not None else "unknown"
        genders[gender_name] += 1
        if record.fold:
            per_fold[record.fold] += 1
        group = age_class_of(record, scheme_name)
        if group is None:
            age_unlabelled += 1
        else:
            table[scheme.class_names[group]][gender_name] += 1

    report = InspectReport(
        kind=dataset.kind, root=str(dataset.root), label_scheme=scheme_name, usable=len(images.records),
        skipped=skipped, age_gender_counts=table, gender_counts=dict(genders), age_unlabelled=age_unlabelled,
        per_fold=dict(sorted(per_fold.items())),
    )
    if chart_dir is not None:
        name = Path(dataset.root).stem or "dataset"
        report.chart_path = str(plot_age_by_gender(report, Path(chart_dir) / f"{name}_age_by_gender.png"))
    return report


def plot_age_by_gender(report: InspectReport, out_path: Path) -> Path:
    """Grouped bar chart of the age-group distribution by gender (shows the class imbalance)."""
    import numpy as np

    from edge.plotting import pyplot, save_png

    plt = pyplot()
    names = list(report.age_gender_counts)
    positions = np.arange(len(names))
    figure, axis = plt.subplots(figsize=(max(6, len(names) * 0.55), 4))
    width = 0.4
    for offset, gender, color in ((-width / 2, "male", "#4C72B0"), (width / 2, "female", "#DD8452")):
        axis.bar(positions + offset, [report.age_gender_counts[n][gender] for n in names], width, label=gender, color=color)
    axis.set_xticks(positions, names, rotation=45, ha="right")
    axis.set_xlabel(f"age group ({report.label_scheme})")
    axis.set_ylabel("images")
    axis.set_title(f"{report.kind}: {report.usable:,} usable images by age group and gender")
    axis.legend()
    return save_png(figure, out_path, dpi=110)


def print_report(report: InspectReport) -> None:
    """The report as tables on the console: counts by age group and gender, per fold, skipped files."""
    from rich.table import Table

    from edge.console import console

    console.print(f"[bold]{report.kind}[/bold] dataset at {report.root}")
    console.print(f"usable images: [bold]{report.usable:,}[/bold]   skipped: [bold]{report.skipped.total:,}[/bold]")
    table = Table(title=f"age group ({report.label_scheme}) x gender")
    for column in ("age group", "male", "female", "unknown", "total"):
        table.add_column(column, justify="right")
    for name, counts in report.age_gender_counts.items():
        table.add_row(name, *(f"{counts[g]:,}" for g in ("male", "female", "unknown")), f"{sum(counts.values()):,}")
    console.print(table)
    console.print("gender: " + ", ".join(f"{g} {c:,}" for g, c in sorted(report.gender_counts.items()))
                  + f"; no age label: {report.age_unlabelled:,}")
    if report.per_fold:
        console.print("usable faces per fold: " + ", ".join(f"{f} {c:,}" for f, c in report.per_fold.items()))
    if report.skipped.total:
        skipped = Table(title="skipped")
        skipped.add_column("reason")
        skipped.add_column("count", justify="right")
        skipped.add_column("examples")
        for reason, info in report.skipped.to_dict().items():
            skipped.add_row(reason, f"{info['count']:,}", ", ".join(info["examples"]))
        console.print(skipped)
    console.print(f"chart: {report.chart_path}" if report.chart_path else "chart: add --out DIR to draw the age-by-gender chart")
