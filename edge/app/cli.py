"""The ``edge`` command line: a thin layer over library functions.

Each command parses options, calls one library function, prints what it did, and maps
known errors to exit codes: 0 ok, 1 a check or release gate failed, 2 bad input or usage,
130 interrupted. TensorFlow is imported only inside the commands that need it, so
``edge --help`` is instant.
"""

from __future__ import annotations

import functools
import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from edge.errors import EdgeError
from edge.app.cli_options import config_from, with_options
from edge.gate import GatePolicy
from edge.export.options import ExportOptions  # light: each option is declared there once, with its default
from edge.train.config import FamilyName, SchemeName, TrainConfig, check_options  # likewise, TensorFlow-free
from edge.app.benchmark import BenchmarkOptions  # light (NumPy): the measuring defaults are declared there once
from edge.app.pipeline import PipelineOptions  # light

if TYPE_CHECKING:  # annotations only: each command imports its own module when it runs
    from edge.app.predict import FrameSelection, PredictOptions

app = typer.Typer(
    help="Train compact face age + gender classifiers, export them to int8 TFLite, validate float vs int8.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)
data_app = typer.Typer(help="Look at datasets before training on them.", no_args_is_help=True)
app.add_typer(data_app, name="data")
teacher_app = typer.Typer(help="Distillation from a larger teacher: pack a run's faces for it, average its labels files.",
                          no_args_is_help=True)
app.add_typer(teacher_app, name="teacher")
cache_app = typer.Typer(help="The decoded-image cache ($EDGE_CACHE_DIR, capped by $EDGE_CACHE_MAX_SIZE).", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def handle_errors(command):
    """Turn EdgeError into one line on stderr + its exit code; Ctrl-C into exit 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from edge.console import err_console

        try:
            return command(*args, **kwargs)
        except EdgeError as error:
            err_console.print(f"[red]error:[/red] {printable(error.message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
        except OSError as error:  # read-only, full, missing or mistyped locations: one line, exit 2
            from edge.io import os_error_message

            err_console.print(f"[red]error:[/red] {printable(os_error_message(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
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
    labels: Annotated[Optional[SchemeName], typer.Option(help="Age groups to count by (default: adience8 for Adience, else utk20).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the age-by-gender bar chart PNG into this directory (none by default: inspecting never leaves files behind).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
) -> None:
    """Count usable images per age group and gender, list skipped files with reasons, draw a chart."""
    from edge.console import progress_bar
    from edge.app.inspect_data import inspect_dataset, print_report

    with progress_bar("decoding images") as update:
        report = inspect_dataset(path, kind=kind, label_scheme=_value(labels), chart_dir=out, progress=update)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report)


def _value(option):
    """An Enum option's plain value (library configs hold strings)."""
    return option.value if isinstance(option, Enum) else option


@app.command()
@handle_errors
@with_options(TrainConfig)
def train(
    ctx: typer.Context,
    data: Annotated[Optional[Path], typer.Option("--data", rich_help_panel="Data", help="UTKFace directory, Adience root, or a path,age,gender CSV (not needed with --resume).")] = None,
    out: Annotated[Optional[Path], typer.Option(rich_help_panel="Run", help="Run directory (default runs/<model>-<dataset>).")] = None,
    resume: Annotated[bool, typer.Option("--resume", rich_help_panel="Run", help="Continue an interrupted run in --out from its last completed epoch.")] = False,
    **options,
) -> None:
    """Train a model family; writes model, spec, history, plots and test metrics to the run directory.

    --out must be a new or empty directory, or an edge run (with --resume). Every option's range is checked before anything slow starts.
    """
    from edge.train.trainer import train as run_training

    if data is None and not resume:
        raise EdgeError("--data is required (a dataset directory or CSV), unless you --resume a run")
    if resume and out is None:
        raise EdgeError("--resume needs --out: the run directory to continue")
    config = config_from(TrainConfig, options, data=str(data or ""))
    check_options(config)
    out = out or Path("runs") / f"{config.model}-{Path(data).stem or 'data'}"
    run_training(config, out, resume=resume, log=_log, overrides=_typed_options(ctx) if resume else {})
    typer.echo(f"run directory: {out}")


def _typed_options(ctx: typer.Context) -> dict:
    """The options typed on the command line (``--resume`` reports the ones it ignores)."""
    given = {name: _value(value) for name, value in ctx.params.items()
             if name not in ("out", "resume") and getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"}
    if given.get("data") is not None:
        given["data"] = str(given["data"])
    return given


@app.command("export")
@handle_errors
@with_options(ExportOptions, GatePolicy)
def export_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished `edge train` run directory (a --folds run exports every fold into OUT/folds/).")],
    out: Annotated[Optional[Path], typer.Option(help="Export directory (default RUN_DIR/export). Replaced only when the whole export succeeds.")] = None,
    **options,
) -> None:
    """Export a trained run to TFLite (float32 always; --int8 adds QAT and PTQ full-integer models) with the spec embedded.

    Release gate (exit 1, nothing written when it fails): on up to 1000 held-out faces the shipped model (QAT int8 with --int8) may lose at most --max-gender-drop points of gender accuracy and gain at most --max-mae-increase years of MAE against the float model, and on every group of faces (age band, gender, race where known) with at least --group-min-faces faces at most --max-group-gender-drop points and --max-group-mae-increase years. Agreement with float is reported only on decisive faces (float top-2 margin above one int8 output step), with the near-tie share beside it.

    --out must be new or an earlier export: edge replaces only its own directories.
    """
    from edge.export.exporter import export_run

    export_options = config_from(ExportOptions, options, gate=config_from(GatePolicy, options))
    export_options.check()
    result = export_run(run_dir, out, export_options, log=_log)
    for artifact in result.artifacts:
        _log(f"  {artifact.path}  {artifact.size_bytes / 1024:,.1f} KB  {artifact.seconds:.1f}s")
    _log(f"export directory: {result.out_dir} (checks passed)")


@app.command()
@handle_errors
@with_options(GatePolicy)
def validate(
    export_dir: Annotated[Path, typer.Argument(help="An `edge export` directory, a --folds export (folds/*), or a bare .tflite.")],
    data: Annotated[Path, typer.Option("--data", help="Dataset with real labelled faces (UTKFace, Adience or CSV).")],
    split: Annotated[str, typer.Option(help="test (the run's held-out split), all, or fold:K (one Adience fold).")] = "test",
    threads: Annotated[int, typer.Option(help="Threads for the multi-thread latency figure.")] = 4,
    report: Annotated[Optional[Path], typer.Option(help="Report directory (default EXPORT_DIR/validation).")] = None,
    kind: KindOption = None,
    max_images: Annotated[Optional[int], typer.Option(help="Evaluate a random subset of N faces.")] = None,
    keras: Annotated[bool, typer.Option(help="Also run the Keras float model when TensorFlow is installed.")] = True,
    labels: Annotated[Optional[SchemeName], typer.Option(help="Score age groups under this scheme, from the predicted years (default: the model's own; adience8 on Adience faces, so a UTKFace model is scored on Adience's groups).")] = None,
    tta: Annotated[bool, typer.Option("--tta", help="Test-time flip averaging: each face and its mirror image, outputs averaged (twice the inference time).")] = False,
    face_crop: Annotated[bool, typer.Option("--face-crop", help="Detect each face and crop it by the spec's rule before classifying (what predict and the phone do), also for a model trained on aligned chips.")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help="Print accuracy by group: a comma list of age, gender, race, group, fold (age bands 0-2, 3-9, 10-19, 20-39, 40-59, 60+; race from UTKFace names or a CSV race column; fold on Adience). Every group is always in validation.json/.md and by_group.png.")] = None,
    **gate,
) -> None:
    """Float vs int8 side by side on real faces in the standalone LiteRT runtime, overall and by group; exit 1 when QAT int8 breaks the release gate (on average or on any group with enough faces)."""
    from edge.app.validate import ValidateOptions, run_validation

    if threads < 1:
        raise EdgeError(f"--threads {threads}: must be at least 1")
    if max_images is not None and max_images < 1:
        raise EdgeError(f"--max-images {max_images}: must be at least 1")
    options = ValidateOptions(data=data, kind=kind, split=split, threads=threads, max_images=max_images, keras=keras,
                              labels=_value(labels), tta=tta, face_crop=face_crop,
                              gate=config_from(GatePolicy, gate))
    result = run_validation(export_dir, options, report, by, _log)
    if not result.gate_passed:
        from edge.console import err_console

        err_console.print(f"gate FAILED: {result.gate_reason}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    _log(f"gate passed: {result.gate_reason}")


@app.command()
@handle_errors
def pipeline(
    data: Annotated[Optional[Path], typer.Option("--data", help="Real dataset. Omit it to run on a generated SMOKE dataset (proves the pipeline runs, not accuracy).")] = None,
    model: Annotated[FamilyName, typer.Option(help="Model family (the same registry as `edge train --model`).")] = FamilyName(TrainConfig.model),
    epochs: Annotated[Optional[int], typer.Option(help="Training epochs (default: the family's recipe on real data; without --data, the demo's measured setting).")] = None,
    out: Annotated[Path, typer.Option(help="Where the run, export and validation report go.")] = Path("runs/pipeline"),
    max_images: Annotated[Optional[int], typer.Option(help="Use a random subset of N images.")] = None,
    qat_epochs: Annotated[int, typer.Option(help="QAT fine-tuning epochs.")] = PipelineOptions.qat_epochs,
) -> None:
    """Train -> export --int8 -> validate in one go (the quickstart's end-to-end run).

    Exit 1 when the release gate fails, or when the demo's model (no --data) did not learn the synthetic set.
    """
    from edge.app.pipeline import run_pipeline

    result = run_pipeline(PipelineOptions(data, _value(model), epochs, max_images, qat_epochs), out, log=_log)
    if not (result.gate_passed and result.learned):
        raise typer.Exit(1)


@teacher_app.command("pack")
@handle_errors
def teacher_pack(
    run: Annotated[Path, typer.Argument(help="A finished `edge train` run directory (trained without --extra-data).")],
    out: Annotated[Path, typer.Argument(help="The .npz to write: the run's training and validation faces, JPEG-encoded.")],
    quality: Annotated[int, typer.Option(min=1, max=100, help="JPEG quality of the packed faces.")] = 90,
) -> None:
    """Pack a run's faces, as the student sees them, for a teacher trained elsewhere (the test faces never leave)."""
    from edge.app.teacher import pack_run

    _log(pack_run(run, out, quality))


@teacher_app.command("average")
@handle_errors
def teacher_average(
    out: Annotated[Path, typer.Argument(help="The averaged labels file to write (for `edge train --teacher-labels`).")],
    inputs: Annotated[list[Path], typer.Argument(help="Two or more teacher labels files of the same pack.")],
) -> None:
    """Average several teachers' labels (e.g. seeds) over the same faces into one --teacher-labels file."""
    from edge.app.teacher import average_teachers

    _log(average_teachers(out, inputs))


@cache_app.command("info")
@handle_errors
def cache_info() -> None:
    """Where the decoded-image cache is, its size against the cap, and its entries (most recently used first)."""
    from datetime import datetime

    from edge.cache import MAX_SIZE_ENV, scan_cache

    info = scan_cache()
    _log(f"cache directory: {info.directory}")
    _log(f"size: {info.total_bytes / 2**20:,.1f} MB of {info.max_bytes / 2**20:,.0f} MB cap "
         f"(${MAX_SIZE_ENV}); {len(info.entries)} entries")
    for entry in info.entries:
        images = f"{entry.images:,} images" if entry.images is not None else "incomplete entry"
        used = datetime.fromtimestamp(entry.last_used).strftime("%Y-%m-%d %H:%M")
        _log(f"  {entry.key}  {entry.size_bytes / 2**20:8,.1f} MB  {images}  last used {used}")
    if info.stale_temp_files:
        _log(f"{len(info.stale_temp_files)} temp files left by killed runs (removed by `edge cache clear`)")
    if info.foreign_files:
        _log(f"{info.foreign_files} other files in the directory were not written by edge and are never touched")


@cache_app.command("clear")
@handle_errors
def cache_clear() -> None:
    """Delete every cached image array edge wrote (the next run decodes again); other files stay."""
    from edge.cache import cache_dir, clear_cache

    entries, freed, kept = clear_cache()
    _log(f"removed {entries} entries ({freed / 2**20:,.1f} MB) from {cache_dir()}"
         + (f"; left {kept} files edge did not write" if kept else ""))


def printable(text: str) -> str:
    """Text safe for any terminal: file names that are not valid UTF-8 show as U+FFFD, not a crash."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@app.command()
@handle_errors
def serve(
    export_dir: Annotated[Path, typer.Argument(help="An `edge export` directory (its web/ assets are written when missing), a --web-assets folder, an exported .tflite, or an app's assets folder.")],
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 picks a free one).")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind: 127.0.0.1 (this machine only) or 0.0.0.0 (phones on your network).")] = "127.0.0.1",
    cert: Annotated[Optional[Path], typer.Option(help="TLS certificate (PEM): serve https, which phones need for the live camera.")] = None,
    key: Annotated[Optional[Path], typer.Option(help="TLS private key (PEM) for --cert.")] = None,
) -> None:
    """Serve the browser page and a model's web assets (only the files the page needs); prints the URL to open. Ctrl-C stops it."""
    from edge.app.serve import ServeOptions, serve as run_server

    run_server(export_dir, ServeOptions(host=host, port=port, cert=cert, key=key), log=_log)


@app.command()
@handle_errors
def site(
    source: Annotated[Path, typer.Argument(help="What `edge serve` takes: an export, a web assets folder, an exported .tflite or an app's assets folder.")],
    out: Annotated[Path, typer.Option(help="The folder to write (new, empty, or one `edge site` wrote).")],
) -> None:
    """Write the browser page as a static site folder (page, LiteRT.js, model, service worker, _headers) for any HTTPS host."""
    from edge.app.serve import write_static_site

    write_static_site(source, out, log=_log)


@app.command()
@handle_errors
def predict(
    model: Annotated[Path, typer.Argument(help="An exported .tflite (its embedded spec says how to preprocess and decode).")],
    inputs: Annotated[Optional[list[str]], typer.Argument(help="Image files, directories (recursive, image suffixes only), or - to read paths from stdin (one per line, kept as written but for the line end).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document (schema edge.predict/1, see the README) instead of the table.")] = False,
    annotate: Annotated[Optional[Path], typer.Option(help="Write copies with boxes and labels drawn to this directory (videos: NAME_annotated.mp4). Never over an input or a file edge did not write there (its .edge-annotations records what it wrote): such a copy takes the next free name, NAME_annotated[_N].")] = None,
    tta: Annotated[bool, typer.Option("--tta", help="Flip averaging: classify each face and its mirror image, average the outputs (twice the classifier time; `edge validate --tta` measures what it buys).")] = False,
    threads: Annotated[int, typer.Option(min=1, help="Interpreter threads (classifier and detector).")] = 1,
    no_detect: Annotated[bool, typer.Option("--no-detect", help="Treat each image as one aligned face chip (UTKFace/Adience style): no detector, no crop.")] = False,
    detector: Annotated[Optional[str], typer.Option(help="Face detector: blazeface_short_range, blazeface_full_range or haar (default: the model spec's).")] = None,
    margin: Annotated[Optional[float], typer.Option(min=0.0, help="Crop margin around the detected box (default: the model spec's).")] = None,
    video: Annotated[Optional[Path], typer.Option(help="Process a video file's frames instead of images.")] = None,
    webcam: Annotated[Optional[int], typer.Option(help="Process frames from webcam N (best effort; stop with Ctrl-C).")] = None,
    stride: Annotated[int, typer.Option(min=1, help="With --video/--webcam: process every Nth frame.")] = 1,
    max_frames: Annotated[Optional[int], typer.Option(min=1, help="With --video/--webcam: stop after N processed frames.")] = None,
) -> None:
    """Find faces in photos or videos and print gender, age group and age in years for each.

    Runtime only (LiteRT + NumPy + OpenCV, never TensorFlow). Bad files are reported per file and the run goes on;
    images over 64 megapixels (by their header) are refused unread. Exit codes: 0 every input was processed and had a
    face; 1 some input could not be read, was not an image, had no face, or was a directory that is unreadable or holds
    no image, or some video frames could not be read (each is reported); 2 usage error (model missing, not an edge
    export or its embedded spec damaged, no inputs, bad option); 130 interrupted.
    """
    import sys

    from edge.console import err_console
    from edge.app.predict import FrameSelection, PredictOptions, PredictOutput, predict_images, stderr_progress

    options = PredictOptions(detect=not no_detect, detector=detector, margin=margin, threads=threads, annotate=annotate,
                             tta=tta)
    if video is not None or webcam is not None:
        if inputs or (video is not None and webcam is not None):
            raise EdgeError("give images, --video FILE or --webcam N, one of them")
        source = str(video) if video is not None else webcam
        _predict_frames(model, source, options, FrameSelection(stride, max_frames), as_json)
        return
    with stderr_progress("predict") as progress:
        summary = predict_images(model, list(inputs or []), options, PredictOutput(as_json, progress=progress),
                                 stdin=sys.stdin)
    if summary.exit_code:
        err_console.print(f"{summary.failed} of {summary.inputs} inputs could not be read, {summary.no_face} had no face",
                          highlight=False)
        raise typer.Exit(summary.exit_code)


def _predict_frames(model: Path, source: str | int, options: PredictOptions, frames: FrameSelection, as_json: bool) -> None:
    """``edge predict --video FILE`` / ``--webcam N``: exits 1 when frames of the file could not be read."""
    from edge.console import err_console
    from edge.app.predict import PredictOutput, predict_video, unread_frames_message

    message = unread_frames_message(str(source), predict_video(model, source, options, frames, PredictOutput(as_json)))
    if message:
        err_console.print(message, highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1)


@app.command()
@handle_errors
def benchmark(
    export_dir: Annotated[Path, typer.Argument(help="An `edge export` directory: every .tflite in it is measured.")],
    threads: Annotated[Optional[int], typer.Option(min=1, help="The N of 'threads 1 and N' (default: all CPU cores).")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Timed runs per model and thread count (after the warm-up).")] = BenchmarkOptions.runs,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed warm-up runs.")] = BenchmarkOptions.warmup,
    photo: Annotated[Optional[Path], typer.Option(help="A real photo for the end-to-end per-face time (default: the export's golden faces composed into one frame).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of the table.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Where benchmark.json and benchmark.png go (default: EXPORT_DIR).")] = None,
) -> None:
    """Latency (batch 1, threads 1 and N: median, p90, img/s), peak RSS, size and int8/float ratios of every exported file.

    Each model runs in its own subprocess (so peak RSS is its own); runtime only, never TensorFlow. --out and --photo
    are checked before measuring. Exit codes: 0 every model measured; 1 some model could not be measured (a report in
    which none was is not written: the previous benchmark.json/png stay); 2 bad input or usage.
    """
    from edge.app.benchmark import markdown_table, run_benchmark
    from edge.console import err_console

    report, written = run_benchmark(export_dir, out or export_dir, BenchmarkOptions(threads, runs, warmup, photo),
                                    log=lambda m: err_console.print(m, highlight=False))
    typer.echo(json.dumps(report, indent=2) if as_json else markdown_table(report))
    if written and not as_json:
        typer.echo("report: " + "  plot: ".join(str(path) for path in written))
    raise_unmeasured(report, export_dir, out or export_dir)


def raise_unmeasured(report: dict, export_dir: Path, target: Path) -> None:
    """Exit 1 (CheckFailed) when some model, or every model, could not be measured."""
    from edge.app.benchmark import failed_models
    from edge.errors import CheckFailed

    failed = failed_models(report)
    if len(failed) == len(report["models"]):
        raise CheckFailed(f"no model in {export_dir} could be measured (see the table): {target / 'benchmark.json'} "
                          "and benchmark.png were not written, any previous ones are kept")
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(report['models'])} models could not be measured: {', '.join(failed)}")


def _log(message: str) -> None:
    from edge.console import console

    console.print(printable(message), highlight=False, soft_wrap=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
