"""``edge validate``: float vs int8 on real faces, in the standalone runtime.

Runs on the same preprocessed images: the Keras float model (only when TensorFlow imports
and the source run is reachable), the float32 TFLite, the float16 TFLite when exported, the
PTQ int8 and the QAT int8 TFLite, all TFLite files through ``edge.runtime`` (LiteRT first).
Everything (preprocessing, labels, quantization, output order) comes from the spec embedded
in each model: a bare ``.tflite`` works.

The release gate compares QAT int8 with the float32 TFLite model (the same runtime, within
1e-4 of Keras by export's check): exit 1 when gender accuracy drops by more than
``gate.max_gender_drop`` percentage points or MAE grows by more than ``gate.max_mae_increase`` years, on
all faces or (wider limits) on any group with enough faces: the same
release gate, with the same defaults (``edge.gate``), as ``edge export`` and ``edge pipeline``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from edge import layout, schemas
from edge.layout import ExportDir, ModelKind, RunDir, ValidationDir
from edge.cache import load_images
from edge.datasets import FaceRecord, load_dataset, normalize_path
from edge.decode import decode_outputs, flip_average, mirror, regroup
from edge.errors import EdgeError
from edge.gate import GatePolicy
from edge.groups import GroupReport, calibration_by_group, disaggregate, format_interval, group_labels
from edge.io import write_json_atomic, write_text_atomic
from edge.metrics import agreement, confusion, label_metrics, mean_std
from edge.plotting import draw_confusion, pyplot, save_png
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.labels import get_scheme
from edge.spec import Spec
from edge.tflite_meta import read_spec
from edge.targets import targets_for

QAT = ModelKind.INT8_QAT.value  # the shipped file: the gate judges it against the float reference

CALIBRATION_KEYS = ("gender_temperature", "gender_unsure_below", "age_interval_mass")  # edge.calibration
LATENCY_RUNS = 200
LATENCY_WARMUP = 20
SPEED_NOTE = ("int8's latency win belongs to ARM phones and VNNI CPUs; on x86 CPUs with AVX2 only, LiteRT's int8 "
              "kernels can be slower than float32 at batch 1, so judge int8 speed on the target device.")


def speed_note(ratio: float | None) -> str:
    """Say plainly what was measured here: int8/float32 latency at batch 1, one thread."""
    if ratio is None:
        return SPEED_NOTE
    verdict = (f"QAT int8 was {ratio:.2f}x SLOWER than float32" if ratio > 1
               else f"QAT int8 was {1 / ratio:.2f}x faster than float32")
    return f"Measured here: {verdict} at batch 1 on one thread (int8/float32 latency = {ratio:.2f}). " + SPEED_NOTE

Progress = Callable[[int, int], None]


@dataclass
class ValidateOptions:
    data: Path
    kind: str | None = None
    split: str = "test"
    threads: int = 4
    gate: GatePolicy = field(default_factory=GatePolicy)  # the one release gate, export's (edge.gate)
    max_images: int | None = None
    keras: bool = True
    labels: str | None = None  # score age groups under this scheme (default: the model's; adience8 on Adience)
    tta: bool = False  # test-time flip averaging: two inferences per face
    face_crop: bool = False  # detect + crop by the spec's rule first (the phone's path), also for chip-trained models


def scoring_scheme(spec: Spec, records: list[FaceRecord], requested: str | None) -> str:
    """The label scheme age groups are scored in: --labels, else Adience's 8 groups for Adience faces, else the model's.

    A model whose groups differ from the dataset's is scored through the years it predicts
    (``edge.decode.regroup``): the cross-dataset protocol (trained on UTKFace, tested on Adience).
    """
    if requested:
        get_scheme(requested)
        if requested == "age":
            raise EdgeError("--labels age has no groups to score: use utk20 or adience8 (MAE is always reported)")
        return requested
    if spec.label_scheme != "adience8" and any(r.adience_group is not None for r in records):
        return "adience8"
    return spec.label_scheme


@dataclass
class ValidationResult:
    report: dict
    gate_passed: bool
    gate_reason: str
    files: list[Path] = field(default_factory=list)


def find_models(target: Path) -> dict[str, Path]:
    """The exported models of an export directory, or a single bare ``.tflite``."""
    target = Path(target)
    if target.is_file():
        if target.suffix != ".tflite":
            raise EdgeError(f"{target} is not a .tflite model or an export directory")
        return {target.stem: target}
    layout.recover_export(target)  # an export a kill interrupted mid-swap is put back first
    if not target.is_dir():
        raise EdgeError(f"export not found: {target} (run `edge export RUN_DIR --int8` first)")
    models = {kind.value: path for kind, path in ExportDir(target).models().items()}
    if not models:
        raise EdgeError(f"no model_*.tflite files in {target}: is it an `edge export` directory?")
    return models


def select_records(spec_source: Path, options: ValidateOptions) -> list[FaceRecord]:
    """The faces to evaluate: the export's test split, all of --data, or one Adience fold."""
    dataset = load_dataset(options.data, options.kind)
    records = dataset.records
    if options.split == "all":
        chosen = records
    elif options.split.startswith("fold:"):
        fold = options.split.split(":", 1)[1]
        name = fold if fold.startswith("fold_") else f"fold_{fold}"
        chosen = [r for r in records if r.fold == name]
        if not chosen:
            raise EdgeError(f"no faces in fold '{name}' of {options.data} (folds: {', '.join(dataset.folds) or 'none'})")
    elif options.split == "test":
        info = ExportDir(spec_source if spec_source.is_dir() else spec_source.parent).split()
        wanted = {info["paths"][i] for i in info["test"]}
        chosen = [r for r in records if r.path in wanted]
        if not chosen:
            raise EdgeError(f"the test split of this export lists images under {info['data']}, none of them in "
                            f"{normalize_path(options.data)}: pass --data {info['data']} or use --split all")
    else:
        raise EdgeError(f"--split '{options.split}' is not test, all or fold:K")
    if options.max_images and len(chosen) > options.max_images:
        index = np.sort(np.random.default_rng(0).choice(len(chosen), options.max_images, replace=False))
        chosen = [chosen[i] for i in index]
    return chosen


def _keras_outputs(export_dir: Path, x: np.ndarray, spec: Spec, log: Callable[[str], None],
                   tta: bool = False) -> dict | None:
    """Keras float outputs when TensorFlow is importable and the source run's model loads.

    With ``tta`` the outputs are flip-averaged (one model load, two passes).

    A missing TensorFlow, an unreachable run or a damaged ``model.keras`` only drops the Keras
    column (with a warning): the exported files are what is being validated.
    """
    export = ExportDir(export_dir)
    if not export.report_json.is_file():
        return None
    # the run the export sits in first (RUN/export): a run moved after its export still finds its own
    # model, never another run that now lives at the recorded path
    candidates = [RunDir(export_dir.parent).model_keras]
    try:
        candidates.append(RunDir(export.report()["run_dir"]).model_keras)
    except (EdgeError, KeyError, TypeError):
        pass
    model_path = next((path for path in candidates if path.is_file()), None)
    if model_path is None:
        return None
    try:
        from edge.tf_bootstrap import keras_outputs, load_keras_model

        model = load_keras_model(model_path)
    except ImportError:
        return None
    except EdgeError as error:
        log(f"warning: no Keras column: {error.message}")
        return None
    if tuple(model.input_shape[1:]) != tuple(spec.input_shape):
        log(f"warning: no Keras column: {model_path} takes {tuple(model.input_shape[1:])} inputs, "
            f"the exported models {tuple(spec.input_shape)}: it is not this export's run")
        return None
    outputs = keras_outputs(model, x, spec)
    return flip_average(outputs, keras_outputs(model, mirror(x), spec)) if tta else outputs


def measure_latency(path: Path, x: np.ndarray, threads: int) -> dict:
    """Median/p90 latency per face at batch 1 (ms) and images/s, in the standalone runtime."""
    model = TFLiteModel(path, num_threads=threads)
    sample = x[0]
    for _ in range(LATENCY_WARMUP):
        model.run_raw(sample)
    times = []
    for index in range(LATENCY_RUNS):
        started = time.perf_counter()
        model.run_raw(x[index % len(x)])
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    return {"threads": threads, "median_ms": median, "p90_ms": float(np.percentile(times, 90)),
            "images_per_s": 1000.0 / median}


@dataclass
class Faces:
    """The faces a validation scores: model inputs, labels under the scoring scheme, the records they came from."""

    records: list[FaceRecord]
    x: np.ndarray
    truth: object  # edge.targets.Targets under ``scheme``
    scheme: str
    class_names: list[str]
    input_spec: Spec  # the spec the images were prepared with (face crop on with --face-crop)

    def decode(self, raw: dict, model_spec: Spec):
        """Labels from a model's outputs, scored in this validation's scheme (regrouped through the years)."""
        decoded = decode_outputs(model_spec, raw)
        return decoded if self.scheme == model_spec.label_scheme else regroup(decoded, self.scheme)


@dataclass
class ModelRuns:
    """Every model's raw outputs, decoded labels, spec and report entry, in report order (keras first)."""

    raw: dict = field(default_factory=dict)
    decoded: dict = field(default_factory=dict)
    specs: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    runtime_name: str | None = None

    @property
    def reference(self) -> str:
        return "float32" if "float32" in self.decoded else next(iter(self.decoded))


def validate_export(target: Path, options: ValidateOptions, progress: Progress | None = None,
                    log: Callable[[str], None] = print) -> ValidationResult:
    """Evaluate every exported model on the same faces; apply the release gate."""
    target = Path(target)
    models = find_models(target)
    spec = read_spec(next(iter(models.values())))
    faces = _prepare_faces(target, spec, options, log)
    if options.tta and spec.flip_averaged:
        log("--tta: these files already classify each face with its mirror image (exported with --flip-average); "
            "no second pass")
        options = replace(options, tta=False)
    runs = _run_models(_Job(target, models, spec, options, progress, log), faces)
    _score(runs, faces)
    labels = group_labels(faces.records, faces.truth)
    reference = runs.reference
    groups = disaggregate(runs.decoded, faces.truth, labels, reference,
                          QAT if QAT in runs.decoded else None, options.gate.group_min_faces)
    gate_passed, reason = _gate(runs.results, reference, options, groups)
    report = {"target": str(target), "data": str(normalize_path(options.data)), "split": options.split,
              "faces": len(faces.records), "runtime": runs.runtime_name, "reference": reference,
              "label_scheme": faces.scheme, "model_label_scheme": spec.label_scheme,
              "tta": "flip" if options.tta else ("flip, inside the file" if spec.flip_averaged else None),
              "face_crop": asdict(faces.input_spec.face_crop), "family": spec.family,
              "age_class_names": faces.class_names, "threads": options.threads, "models": runs.results,
              **_speed(runs.results, reference, options, spec),
              "by_group": groups.to_dict(), "calibration": _calibration_report(runs, faces, labels),
              "gate": {"passed": gate_passed, "reason": reason, **options.gate.to_dict()},
              "confusion_matrices": {name: confusion(faces.truth.age_class, d.age_class, len(faces.class_names)).tolist()
                                     for name, d in runs.decoded.items()} if faces.class_names else {}}
    return ValidationResult(report, gate_passed, reason)


def _prepare_faces(target: Path, spec: Spec, options: ValidateOptions, log: Callable[[str], None]) -> Faces:
    """The selected faces, decoded as the spec says (through the detector with --face-crop), and their labels."""
    records = select_records(target, options)
    input_spec = spec.with_updates(face_crop=replace(spec.face_crop, enabled=True)) if options.face_crop else spec
    images = load_images(records, input_spec)
    records = images.records
    if not records:
        raise EdgeError("no decodable faces to validate on")
    scheme = scoring_scheme(spec, records, options.labels)
    if scheme != spec.label_scheme:
        log(f"age groups scored as {scheme} from the predicted years (the model's own groups are {spec.label_scheme})")
    class_names = list(spec.age_class_names) if scheme == spec.label_scheme else list(get_scheme(scheme).class_names)
    return Faces(records, to_model_input(images.images, spec), targets_for(records, scheme), scheme, class_names,
                 input_spec)


@dataclass(frozen=True)
class _Job:
    """One validation: its target, the models found there and their spec, the options, and where progress
    (``progress(done, total)``) and messages go."""

    target: Path
    models: dict[str, Path]
    spec: Spec
    options: ValidateOptions
    progress: Progress | None
    log: Callable[[str], None]

    @property
    def export_dir(self) -> Path:
        return self.target if self.target.is_dir() else self.target.parent


def _run_models(job: _Job, faces: Faces) -> ModelRuns:
    """Every model on the faces (Keras first when reachable), with its latency at 1 and N threads."""
    options, runs = job.options, ModelRuns()
    export = ExportDir(job.export_dir)
    parameters = export.report().get("parameters") if export.report_json.is_file() else None
    if options.keras and job.target.is_dir():
        _add_keras_column(job, faces, runs, parameters)
    mirrored = mirror(faces.x) if options.tta else None
    total = len(job.models) * len(faces.x) * (2 if options.tta else 1)
    done = [0]

    def tick() -> None:
        done[0] += 1
        if job.progress and done[0] % 50 == 0:
            job.progress(done[0], total)

    for name, path in job.models.items():
        model = TFLiteModel(path, num_threads=options.threads)
        runs.runtime_name = model.runtime_name
        runs.raw[name] = model.run(faces.x, on_face=tick)
        if options.tta:
            runs.raw[name] = flip_average(runs.raw[name], model.run(mirrored, on_face=tick))
        runs.decoded[name], runs.specs[name] = faces.decode(runs.raw[name], model.spec), model.spec
        runs.results[name] = {"runtime": model.runtime_name, "file": path.name, "size_bytes": model.size_bytes,
                              "parameters": parameters, "latency_1_thread": measure_latency(path, faces.x, 1),
                              f"latency_{options.threads}_threads": measure_latency(path, faces.x, options.threads)}
    if job.progress:
        job.progress(total, total)
    return runs


def _add_keras_column(job: _Job, faces: Faces, runs: ModelRuns, parameters: int | None) -> None:
    """The source run's Keras model as the first column, when it can be reached; it computes what the
    files compute: flip-averaged when they are."""
    keras = _keras_outputs(job.export_dir, faces.x, job.spec, job.log, job.options.tta or job.spec.flip_averaged)
    if keras is not None:
        runs.raw["keras"], runs.decoded["keras"] = keras, faces.decode(keras, job.spec)
        runs.results["keras"] = {"runtime": "tensorflow (Keras float)", "size_bytes": None, "parameters": parameters}


def _score(runs: ModelRuns, faces: Faces) -> None:
    """Each model's metrics (the project's definitions) and its agreement with the reference, into its entry."""
    truth, reference, num_classes = faces.truth, runs.reference, len(faces.class_names)
    for name, decoded in runs.decoded.items():
        entry = runs.results[name]
        entry.update(label_metrics(decoded, truth.age_class, truth.age_years, truth.gender, num_classes))
        if name == reference:
            continue
        entry["gender_agreement_vs_float"] = agreement(decoded.gender, runs.decoded[reference].gender)
        if num_classes:
            entry["age_agreement_vs_float"] = agreement(decoded.age_class, runs.decoded[reference].age_class)
        entry["mean_abs_output_diff_vs_float"] = float(np.mean([
            np.mean(np.abs(runs.raw[name][k] - runs.raw[reference][k])) for k in runs.raw[reference]]))


def _calibration_report(runs: ModelRuns, faces: Faces, labels: dict) -> dict | None:
    """What the shipped file's calibration does, overall and per group (None for a file without one)."""
    shown = QAT if QAT in runs.specs else next(iter(runs.specs), None)
    if not shown or not any(k in runs.specs[shown].decoding for k in CALIBRATION_KEYS):
        return None
    spec = runs.specs[shown]
    bare = spec.with_updates(decoding={k: v for k, v in spec.decoding.items() if k not in CALIBRATION_KEYS})
    return {"model": shown, **calibration_by_group(faces.decode(runs.raw[shown], bare), runs.decoded[shown],
                                                   faces.truth, labels)}


def _speed(results: dict, reference: str, options: ValidateOptions, spec: Spec) -> dict:
    """The int8/float32 latency ratio and the note that says what it means here."""
    ratio = None
    if QAT in results and reference in results and "latency_1_thread" in results[reference]:
        ratio = results[QAT]["latency_1_thread"]["median_ms"] / results[reference]["latency_1_thread"]["median_ms"]
    note = speed_note(ratio)
    if options.tta:
        note += " With --tta every face runs twice (itself and its mirror image): twice the latency above."
    if spec.flip_averaged:
        note += " These files classify each face and its mirror image in one batch of two: the latency above includes both."
    return {"speed_note": note, "int8_qat_over_float32_latency_1_thread": ratio}


def _gate(results: dict, reference: str, options: ValidateOptions, groups: GroupReport | None = None) -> tuple[bool, str]:
    if QAT not in results or reference == QAT:
        return True, "no QAT int8 model beside a float model: nothing to gate"
    reasons = options.gate.failures(results[QAT], results[reference], groups)
    if reasons:
        return False, "; ".join(reasons)
    return True, "QAT int8 within tolerance of float, on average and on every group of at least " \
                 f"{options.gate.group_min_faces} faces"


def run_validation(export_dir: Path, options: ValidateOptions, report_dir: Path | None, by: str | None,
                   log: Callable[[str], None]) -> ValidationResult:
    """``edge validate``: check the locations first, run (one export or every fold), print the tables, write the
    reports (a report that cannot be written is one line, exit 2, after the results were printed)."""
    from edge.console import progress_bar
    from edge.groups import GROUP_DIMENSIONS
    from edge.io import check_output_dir, os_error_message

    dimensions = [d.strip() for d in by.split(",") if d.strip()] if by else []
    unknown = [d for d in dimensions if d not in GROUP_DIMENSIONS]
    if unknown:
        raise EdgeError(f"--by {','.join(unknown)}: choose from {', '.join(GROUP_DIMENSIONS)}")
    layout.recover_export(export_dir, log)
    folds_mode = ExportDir(export_dir).is_folds
    if not folds_mode:
        find_models(export_dir)  # a missing or empty export is one line before anything is created
    out = report_dir or default_report_dir(export_dir)
    check_output_dir(out, "report directory")  # before the slow part, not after it
    with progress_bar("running models") as update:
        result = (validate_folds if folds_mode else validate_export)(export_dir, options, update, log)
    # results first: a report that cannot be written must not hide what was measured
    if folds_mode:
        log(folds_markdown(result))
    else:
        log(f"{result.report['faces']:,} faces, runtime {result.report['runtime']}\n")
        log(markdown_table(result.report) + "\n\n" + result.report["speed_note"])
        if dimensions:
            log("\n" + by_group_markdown(result.report, _known_dimensions(dimensions, result.report, log)))
    try:
        files = write_reports(result, out)
    except OSError as error:
        raise EdgeError(f"reports not written: {os_error_message(error)}") from None
    log("report: " + ", ".join(str(f) for f in files))
    return result


def _known_dimensions(dimensions: list[str], report: dict, log: Callable[[str], None]) -> list[str]:
    """--by's dimensions these faces have; the others are named in one line (the report is still written)."""
    known = list(report["by_group"]["dimensions"])
    missing = [d for d in dimensions if d not in known]
    if missing:
        log(f"--by {','.join(missing)}: these faces carry no such groups (they have {', '.join(known)}; race comes "
            "from UTKFace names or a CSV race column, group from a CSV group column)")
    return [d for d in dimensions if d in known]


def validate_folds(target: Path, options: ValidateOptions, progress: Progress | None = None,
                   log: Callable[[str], None] = print) -> ValidationResult:
    """Adience mode: validate each fold's export on its own test fold; mean +- std per model."""
    fold_dirs = [fold.path for fold in ExportDir(target).folds()]  # never edge's hidden staging folders
    per_fold = {}
    for fold_dir in fold_dirs:
        log(f"fold {fold_dir.name}")
        per_fold[fold_dir.name] = validate_export(fold_dir, options, progress, log).report
    # a model a fold could not run (e.g. its damaged model.keras: warned above) is left out of the mean
    names = [name for name in next(iter(per_fold.values()))["models"]
             if all(name in r["models"] for r in per_fold.values())]
    dropped = sorted({name for r in per_fold.values() for name in r["models"]} - set(names))
    if dropped:
        log(f"not averaged across folds (missing in some fold): {', '.join(dropped)}")
    summary = {name: mean_std([r["models"][name] for r in per_fold.values()]) for name in names}
    failed = [f"{fold}: {r['gate']['reason']}" for fold, r in per_fold.items() if not r["gate"]["passed"]]
    report = {"target": str(target), "mode": "folds", "folds": per_fold, "mean_std": summary,
              "gate": {"passed": not failed, "reason": "; ".join(failed) or "QAT int8 within tolerance on every fold"}}
    return ValidationResult(report, not failed, report["gate"]["reason"])


# --- reports -----------------------------------------------------------------------------------------------
_ROWS = (("gender_accuracy", "gender accuracy", "pct"), ("age_exact_accuracy", "age exact", "pct"),
         ("age_1off_accuracy", "age 1-off", "pct"), ("age_mae_years", "age MAE (years)", "num"),
         ("undefined_rate", "undefined rate", "pct"), ("gender_agreement_vs_float", "gender agreement vs float", "pct"),
         ("age_agreement_vs_float", "age-group agreement vs float", "pct"),
         ("mean_abs_output_diff_vs_float", "mean |output diff| vs float", "num"))


def _format(value, kind: str) -> str:
    if value is None:
        return ""
    return f"{value * 100:.2f}%" if kind == "pct" else f"{value:.4f}" if abs(value) < 1 else f"{value:.2f}"


def markdown_table(report: dict) -> str:
    """float | PTQ | QAT side by side, with QAT's delta against the reference (no delta column for one file)."""
    models = report["models"]
    names = list(models)
    reference = report["reference"]
    threads = report["threads"]
    with_delta = QAT in models and reference != QAT

    def line(label: str, cells: list[str], delta: str = "") -> str:
        return f"| {label} | {' | '.join(cells)} |" + (f" {delta} |" if with_delta else "")

    lines = [line("metric", names, f"QAT - {reference}"), "|---|" + "---:|" * (len(names) + with_delta)]
    for key, label, kind in _ROWS:
        if not any(key in models[n] for n in names):
            continue
        delta = ""
        if with_delta and key in models[QAT] and key in models[reference]:
            difference = models[QAT][key] - models[reference][key]
            delta = f"{difference * 100:+.2f} pp" if kind == "pct" else f"{difference:+.3f}"
        lines.append(line(label, [_format(models[n].get(key), kind) for n in names], delta))
    lines.append(line("file size (KB)", [f"{models[n]['size_bytes'] / 1024:,.1f}" if models[n].get("size_bytes") else ""
                                         for n in names]))
    for key, label in (("latency_1_thread", "1 thread"), (f"latency_{threads}_threads", f"{threads} threads")):
        for metric, text in (("median_ms", "median ms"), ("p90_ms", "p90 ms"), ("images_per_s", "images/s")):
            cells = [f"{models[n][key][metric]:.3f}" if key in models[n] and metric != "images_per_s"
                     else (f"{models[n][key][metric]:,.0f}" if key in models[n] else "") for n in names]
            lines.append(line(f"{text}, {label}, batch 1", cells))
    return "\n".join(lines)


def folds_markdown(result: ValidationResult) -> str:
    """The fold-mode summary (mean +- std per model, gate) as Markdown."""
    lines = ["# Validation across folds (mean +- std)", ""]
    for name, metrics in result.report["mean_std"].items():
        lines.append(f"- **{name}**: " + ", ".join(
            f"{k} {v['mean']:.4f} +- {v['std']:.4f}" for k, v in metrics.items() if k in {r[0] for r in _ROWS}))
    lines += ["", f"Gate: {'PASS' if result.gate_passed else 'FAIL'} -- {result.gate_reason}", ""]
    return "\n".join(lines)


def default_report_dir(target: Path) -> Path:
    """Where reports go: EXPORT/validation, or EXPORT/validation/<model> for a bare .tflite.

    A one-model validation never overwrites the whole export's report.
    """
    target = Path(target)
    if target.is_file():
        return ExportDir(target.parent).validation_dir / target.stem
    return ExportDir(target).validation_dir


def write_reports(result: ValidationResult, out_dir: Path) -> list[Path]:
    """JSON, Markdown and PNG charts of a validation into ``out_dir``."""
    out_dir, names = Path(out_dir), ValidationDir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = result.report
    files = [names.validation_json]
    document = schemas.FoldsValidationReport if report.get("mode") == "folds" else schemas.ValidationReport
    write_json_atomic(files[0], document(**report).to_json())
    if report.get("mode") == "folds":
        write_text_atomic(names.validation_md, folds_markdown(result))
        return files + [names.validation_md]
    text = [f"# Validation: {report['family']} ({report['label_scheme']})", "",
            f"{report['faces']:,} faces from `{report['data']}` (split: {report['split']}), runtime "
            f"`{report['runtime']}`, reference for deltas and the gate: {report['reference']} TFLite.", "",
            markdown_table(report), "", report["speed_note"], "",
            f"Gate: {'PASS' if result.gate_passed else 'FAIL'} -- {result.gate_reason}", ""]
    if report.get("by_group", {}).get("dimensions"):
        text += [by_group_markdown(report), ""]
        files.append(_plot_groups(report, names.by_group_png))
    if report.get("calibration"):
        text += [calibration_markdown(report), ""]
        files.append(_plot_reliability(report["calibration"], names.reliability_png))
    write_text_atomic(names.validation_md, "\n".join(text))
    files.append(names.validation_md)
    if report.get("confusion_matrices"):
        files.append(_plot_confusions(report, report["age_class_names"], names.confusion_png))
    files.append(_plot_tradeoff(report, names.tradeoff_png))
    return files


def by_group_markdown(report: dict, dimensions: list[str] | None = None) -> str:
    """Per-group tables (95% intervals in brackets) with the shipped model's delta against float."""
    groups = report["by_group"]
    shown = QAT if QAT in report["models"] else report["reference"]
    lines = [f"## By group ({shown}; 95% intervals: Wilson for accuracy, bootstrap for MAE)", ""]
    for dimension, entries in groups["dimensions"].items():
        if dimensions and dimension not in dimensions:
            continue
        lines += [f"| {dimension} | faces | gender accuracy | age MAE (y) | age exact | age 1-off | "
                  f"gender vs float (pp) | MAE vs float (y) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for group, entry in entries.items():
            metrics, delta = entry["models"][shown], entry.get("delta", {})
            cells = [format_interval(metrics, "gender_accuracy", True), format_interval(metrics, "age_mae_years", False),
                     f"{metrics['age_exact_accuracy']:.1%}" if "age_exact_accuracy" in metrics else "",
                     f"{metrics['age_1off_accuracy']:.1%}" if "age_1off_accuracy" in metrics else "",
                     f"{delta['gender_accuracy_pp']:+.2f}" if "gender_accuracy_pp" in delta else "",
                     f"{delta['age_mae_years']:+.3f}" if "age_mae_years" in delta else ""]
            small = " (few faces)" if entry["faces"] < groups["min_faces"] else ""
            lines.append(f"| {group}{small} | {entry['faces']:,} | " + " | ".join(cells) + " |")
        lines.append("")
    for metric, label in (("gender_accuracy", "gender accuracy"), ("age_mae_years", "age MAE")):
        worst, gap = groups["worst"].get(metric), groups["largest_gap"].get(metric)
        if worst:
            value = f"{worst['value']:.1%}" if metric == "gender_accuracy" else f"{worst['value']:.2f} y"
            lines.append(f"- Worst group for {label} (at least {groups['min_faces']} faces): {worst['dimension']} "
                         f"{worst['group']}, {value} on {worst['faces']:,} faces")
        if gap:
            size = f"{gap['gap'] * 100:.1f} points" if metric == "gender_accuracy" else f"{gap['gap']:.2f} y"
            lines.append(f"- Largest gap in {label}: {size} between {gap['dimension']} {gap['best']} and {gap['worst']}")
    return "\n".join(lines)


def _plot_groups(report: dict, path: Path) -> Path:
    """One bar chart per metric: every group (sorted within its dimension), float and int8, 95% whiskers."""
    groups = report["by_group"]["dimensions"]
    models = [m for m in (report["reference"], QAT) if m in report["models"]]
    rows = [(f"{d}: {g}", e) for d, entries in groups.items() for g, e in entries.items()]
    metrics = [(k, t) for k, t in (("gender_accuracy", "gender accuracy"), ("age_mae_years", "age MAE (years)"))
               if any(k in e["models"].get(models[-1], {}) for _, e in rows)]
    figure, axes = pyplot().subplots(1, len(metrics), figsize=(7 * len(metrics), 0.32 * len(rows) + 1.8), squeeze=False)
    for axis, (key, title) in zip(axes[0], metrics):
        shown = [(name, e) for name, e in rows if key in e["models"].get(models[-1], {})]
        positions = np.arange(len(shown))
        for offset, model in enumerate(models):
            values = np.asarray([e["models"][model].get(key, np.nan) for _, e in shown])
            intervals = np.asarray([e["models"][model].get(f"{key}_ci", (np.nan, np.nan)) for _, e in shown])
            whiskers = np.abs(np.vstack([values - intervals[:, 0], intervals[:, 1] - values]))
            axis.barh(positions + offset * 0.4, values, height=0.4, xerr=whiskers, capsize=2, label=model)
        axis.set_yticks(positions + 0.2, [f"{name} ({e['faces']})" for name, e in shown], fontsize=8)
        axis.invert_yaxis()
        axis.set_xlabel(title)
        axis.legend(fontsize=8, loc="lower right")
    figure.suptitle(f"{report['family']}: accuracy by group ({report['faces']:,} faces, 95% intervals)")
    return save_png(figure, path)


def calibration_markdown(report: dict) -> str:
    """Calibration, "not sure" and the age range, overall and per group."""
    calibration = report["calibration"]
    columns = (("gender_ece_before", "gender ECE before", "pct"), ("gender_ece_after", "gender ECE after", "pct"),
               ("gender_unsure_share", "not sure", "pct"), ("gender_precision_reported", "precision of reported gender", "pct"),
               ("age_range_coverage", "age range coverage", "pct"), ("age_range_mean_width_years", "range width (y)", "num"))
    used = [c for c in columns if c[0] in calibration["overall"]]
    lines = [f"## Confidence ({calibration['model']}): calibration, \"not sure\", the age range", "",
             "| group | faces | " + " | ".join(c[1] for c in used) + " |", "|---|---:|" + "---:|" * len(used)]
    rows = [("all faces", calibration["overall"])] + [(f"{d} {g}", m) for d, groups in calibration["dimensions"].items()
                                                     for g, m in groups.items()]
    for name, metrics in rows:
        cells = [_format(metrics.get(key), kind) for key, _, kind in used]
        lines.append(f"| {name} | {metrics['faces']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _plot_reliability(calibration: dict, path: Path) -> Path:
    """Reliability diagram of the gender confidence, before and after the spec's calibration."""
    figure, axis = pyplot().subplots(figsize=(5.5, 5))
    axis.plot([0.5, 1.0], [0.5, 1.0], color="grey", linestyle="--", label="perfectly calibrated")
    for key, label in (("reliability_before", "before"), ("reliability_after", "after")):
        bins = [b for b in calibration[key] if b["faces"]]
        ece = calibration["overall"].get(f"gender_ece_{label}")
        axis.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o",
                  label=f"{label} (ECE {ece:.1%})" if ece is not None else label)
    axis.set_xlabel("gender confidence")
    axis.set_ylabel("accuracy")
    axis.set_title(f"{calibration['model']}: gender confidence on {calibration['overall']['faces']:,} faces")
    axis.legend()
    return save_png(figure, path)


def _plot_confusions(report: dict, class_names: list[str], path: Path) -> Path:
    shown = [n for n in (report["reference"], QAT) if n in report["confusion_matrices"]]
    figure, axes = pyplot().subplots(1, len(shown), figsize=(6 * len(shown), 5.2), squeeze=False)
    for axis, name in zip(axes[0], shown):
        accuracy = report["models"][name].get("age_exact_accuracy", float("nan"))
        draw_confusion(axis, report["confusion_matrices"][name], class_names, f"{name}: age exact {accuracy:.1%}")
    return save_png(figure, path)


def _plot_tradeoff(report: dict, path: Path) -> Path:
    models = {n: m for n, m in report["models"].items() if m.get("size_bytes")}
    metric = "age_exact_accuracy" if any("age_exact_accuracy" in m for m in models.values()) else "gender_accuracy"
    figure, axes = pyplot().subplots(1, 2, figsize=(11, 4))
    for name, m in models.items():
        for axis, x in ((axes[0], m["size_bytes"] / 1024), (axes[1], m["latency_1_thread"]["median_ms"])):
            axis.scatter(x, m.get(metric, np.nan), s=60)
            axis.annotate(name, (x, m.get(metric, np.nan)), textcoords="offset points", xytext=(5, 5))
    axes[0].set_xlabel("file size (KB)")
    axes[1].set_xlabel("median latency, batch 1, 1 thread (ms)")
    for axis in axes:
        axis.set_ylabel(metric.replace("_", " "))
    figure.suptitle(f"{report['family']}: accuracy vs size and latency ({report['faces']:,} faces)")
    return save_png(figure, path)
