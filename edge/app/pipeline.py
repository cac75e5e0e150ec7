"""``edge pipeline``: train -> export --int8 -> validate in one go (the quickstart's end-to-end run).

Without ``--data`` it runs on the generated, learnable SMOKE set (``edge.app.synthetic``) with the
demo's measured settings, says loudly that the data is synthetic, checks that the model learned,
and ends with the commands for a real dataset and for the phone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from edge.errors import EdgeError

PIPELINE_MARKER = ".edge-pipeline"  # the pipeline replaces only a run/ it made itself


@dataclass
class PipelineResult:
    run_dir: Path
    export_dir: Path
    report_files: list[Path]
    gate_passed: bool
    gate_reason: str
    learned: bool  # the demo's learning check; True on real data (not judged there)


@dataclass(frozen=True)
class PipelineOptions:
    """What ``edge pipeline`` trains on and how long: ``data`` None = the generated SMOKE set with the demo's
    settings; ``epochs`` None = the family's recipe (the demo's on SMOKE); ``max_images`` a random subset."""

    data: Path | None = None
    model: str | None = None  # None: TrainConfig's default family
    epochs: int | None = None
    max_images: int | None = None
    qat_epochs: int = 1

    @property
    def smoke(self) -> bool:
        """No --data: the generated SMOKE set with the demo's settings."""
        return self.data is None


def run_pipeline(options: PipelineOptions, out: Path, log: Callable[[str], None]) -> PipelineResult:
    """Train, export (int8) and validate into ``out``; see the module docstring."""
    from edge.app.synthetic import SMOKE_LABEL, demo_learning_check, make_smoke_dataset, next_steps
    from edge.app.validate import ValidateOptions, markdown_table, validate_export, write_reports
    from edge.export.exporter import ExportOptions, export_run
    from edge.train.trainer import train as run_training

    smoke = options.smoke
    if smoke:
        log(f"[bold yellow]{SMOKE_LABEL}[/bold yellow]")
    data = make_smoke_dataset(out / "smoke_data") if smoke else options.data
    run_dir = _claim_run_folder(out)

    log("[bold]1/3 train[/bold]")
    metrics = run_training(_train_config(options, data), run_dir, log=log)
    learned, learned_line = demo_learning_check(metrics, data) if smoke else (True, "")
    if smoke:  # the demo set is learnable: say whether this model learned it
        learned_line = learned_line if learned else f"[bold red]{learned_line}[/bold red]"
        log(learned_line)

    log("[bold]2/3 export --int8[/bold]")
    export = export_run(run_dir, run_dir / "export", ExportOptions(int8=True, qat_epochs=options.qat_epochs), log=log)

    log("[bold]3/3 validate[/bold]")
    result = validate_export(export.out_dir, ValidateOptions(data=data, split="test"), log=log)
    files = write_reports(result, export.out_dir / "validation")
    log(markdown_table(result.report))
    log(f"run: {run_dir}  export: {export.out_dir}  report: {files[1]}")
    log(f"release gate: {'passed' if result.gate_passed else 'FAILED'} ({result.gate_reason})")
    if smoke:
        for line in (f"[bold yellow]{SMOKE_LABEL}[/bold yellow]", learned_line, *next_steps()):
            log(line)
    return PipelineResult(run_dir, export.out_dir, files, result.gate_passed, result.gate_reason, learned)


def _claim_run_folder(out: Path) -> Path:
    """``out/run``, emptied when the pipeline made it (its marker beside it); anything else there is refused."""
    run_dir, marker = out / "run", out / PIPELINE_MARKER
    if run_dir.exists():
        if not marker.is_file():
            raise EdgeError(f"{run_dir} exists and was not made by `edge pipeline`: pick another --out")
        shutil.rmtree(run_dir)  # replace only the pipeline's own previous run (make demo is re-runnable)
    out.mkdir(parents=True, exist_ok=True)
    marker.write_text("written by edge pipeline: its run/ is replaced on the next pipeline run\n")
    return run_dir


def _train_config(options: PipelineOptions, data: Path):
    """Real data: the family's own recipe (what `edge train` would run); the demo: its measured settings."""
    from edge.app.synthetic import DEMO_BATCH, DEMO_EPOCHS, DEMO_IMAGE_SIZE
    from edge.train.config import TrainConfig

    smoke = options.smoke
    return TrainConfig(data=str(data), model=options.model or TrainConfig.model, epochs=options.epochs or (DEMO_EPOCHS if smoke else None),
                       max_images=options.max_images, batch=DEMO_BATCH if smoke else None,
                       img_size=DEMO_IMAGE_SIZE if smoke else None)
