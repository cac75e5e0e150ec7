"""The ``edge`` command line: a thin layer over library functions.

Each command parses options, calls one library function, prints what it did, and maps
known errors to exit codes: 0 ok, 1 a check or release gate failed, 2 bad input or usage,
130 interrupted. TensorFlow is imported only inside the commands that need it, so
``edge --help`` is instant.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from edge.errors import EdgeError

app = typer.Typer(
    help="Train compact face age + gender classifiers, export them to int8 TFLite, validate float vs int8.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)
data_app = typer.Typer(help="Look at datasets before training on them.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def handle_errors(command):
    """Turn EdgeError into one line on stderr + its exit code; Ctrl-C into exit 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from edge.console import err_console

        try:
            return command(*args, **kwargs)
        except EdgeError as error:
            err_console.print(f"[red]error:[/red] {error.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


KindOption = Annotated[Optional[str], typer.Option("--kind", help="Dataset kind: utkface, adience or csv (auto-detected when omitted).")]


@data_app.command("inspect")
@handle_errors
def data_inspect(
    path: Annotated[Path, typer.Argument(help="UTKFace directory, Adience root, or a path,age,gender CSV manifest.")],
    kind: KindOption = None,
    labels: Annotated[Optional[str], typer.Option(help="Age groups to count by: utk20 or adience8 (default: adience8 for Adience, else utk20).")] = None,
    out: Annotated[Path, typer.Option(help="Directory for the age-by-gender bar chart PNG.")] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
) -> None:
    """Count usable images per age group and gender, list skipped files with reasons, draw a chart."""
    from rich.table import Table

    from edge.console import console, progress_bar
    from edge.inspect_data import inspect_dataset

    with progress_bar("decoding images") as update:
        report = inspect_dataset(path, kind=kind, label_scheme=labels, chart_dir=out, progress=update)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
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
    console.print(f"chart: {report.chart_path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
