"""``edge export RUN_DIR``: the steps, in order.

1. Check the run directory, the options and the output location before any slow work; take
   the export lock (a second export of the same target is refused), finish any interrupted
   swap and reclaim staging folders of dead exports.
2. float32 TFLite; output mapping verified against Keras (within 1e-4) on held-out images. With
   ``--flip-average`` (the default) every file's graph is the model around a batch of the face and
   its mirror image, outputs averaged (``export.convert.with_flip_average``), and the Keras
   reference every check compares with is averaged the same way.
3. ``--float16``: float16-weights model.
4. ``--int8``: PTQ baseline (full integer, calibrated on real training images) and QAT
   (quantize_model, then fine-tune from the float weights at a lower learning rate to
   reproduce the float model's own outputs on the training split -- distillation, so int8
   learns to behave like float rather than drifting toward the labels -- then convert).
   Each file's confidence is calibrated on the run's validation faces (``export.calibrate``): gender
   temperature, the "not sure" threshold and the age range's mass, written into its spec.
5. Release gate on held-out faces (see ``edge.gate``): the shipped model is judged by its
   accuracy deltas against float (gender accuracy drop, MAE increase); agreement with float is
   reported for every model, counted only on faces that are not float near-ties; the int8/float32
   size ratio is gated for conv families of >= 300k parameters.
6. Golden vectors (16 real faces), labels.txt, spec JSONs, model card, export_report.json.
Everything is written into a hidden staging directory (all folds of a ``--folds`` run
together) that replaces ``--out`` only when every step and check succeeded, in one atomic
exchange where the OS supports it: a failed or killed export never touches a previous good one.
``--out`` must be a new directory or one an earlier ``edge export`` made (its ``.edge-export``
marker); anything else is refused.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from edge import layout, schemas
from edge.layout import ExportDir, ModelKind, RunDir
from edge.decode import decode_outputs, flip_average, mirror
from edge.errors import CheckFailed, EdgeError
from edge.export.options import MIN_CALIBRATION, ExportOptions
from edge.io import check_output_dir, located, make_temp_dir, read_json, write_bytes_atomic, write_json_atomic, write_text_atomic
from edge.metrics import label_metrics
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.spec import Spec
from edge.tflite_meta import embed_spec

SIZE_GATE_RATIO = 0.3
SIZE_GATE_MIN_PARAMETERS = 300_000
CHECK_IMAGES = 1000
GOLDEN_FACES = 16
FLOAT_TOLERANCE = 1e-4

Log = Callable[[str], None]


@dataclass
class Artifact:
    """One file the export wrote: its model kind's name, final path, size and the seconds it took."""

    name: str
    path: Path
    size_bytes: int
    seconds: float


@dataclass
class ExportResult:
    """What ``export_run`` wrote: the export folder, its files and the export report (per fold for --folds)."""

    out_dir: Path
    artifacts: list[Artifact] = field(default_factory=list)
    report: dict = field(default_factory=dict)


def export_run(run_dir: Path, out_dir: Path | None = None, options: ExportOptions | None = None,
               log: Log = print) -> ExportResult:
    """Export a trained run directory; returns what was written (see module docstring).

    A ``--folds`` run exports every fold into ``OUT/folds/<fold>`` (what ``edge validate``'s
    fold mode reads); all folds are staged together and swapped in at once.
    """
    options = options or ExportOptions()
    run_dir = Path(run_dir)
    fold_dirs = _check_run_dir(run_dir)
    out_dir = Path(out_dir) if out_dir else RunDir(run_dir).default_export
    _check_out_dir(run_dir, out_dir)
    _check_asset_folders(options, out_dir)
    result = ExportResult(out_dir)
    with export_lock(out_dir), located(out_dir):  # a full disk names the export, not "(file system)"
        layout.recover_export(out_dir, log)
        staging = make_temp_dir(out_dir.parent, f".{out_dir.name}{layout.STAGING_TAG}{os.getpid()}-")
        try:
            if fold_dirs:
                for fold_dir in fold_dirs:
                    log(f"--- {fold_dir.name}")
                    relative = Path(layout.FOLDS_DIR) / fold_dir.name
                    fold = _export_one(fold_dir, staging / relative, out_dir / relative, options, log)
                    result.artifacts += fold.artifacts
                    result.report[fold_dir.name] = fold.report
            else:
                single = _export_one(run_dir, staging, out_dir, options, log)
                result.artifacts, result.report = single.artifacts, single.report
            write_text_atomic(ExportDir(staging).marker,
                              "written by edge export: this directory is replaced by the next export\n")
            _commit(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if options.android_assets and not fold_dirs:
        _copy_android_assets(out_dir, Path(options.android_assets), result.report["shipped_model"], log)
    if options.web_assets and not fold_dirs:
        from edge.export.web import write_web_assets

        write_web_assets(out_dir, Path(options.web_assets), log)
    return result


def _check_run_dir(run_dir: Path) -> list[Path]:
    """The run must be a finished ``edge train`` directory; returns its fold dirs (empty if none)."""
    if run_dir.is_file():
        raise EdgeError(f"{run_dir} is a file: pass the run directory `edge train --out` wrote "
                        f"(it holds {layout.MODEL_KERAS}, {layout.CONFIG_JSON}, {layout.SPEC_JSON}, {layout.SPLIT_JSON})")
    if not run_dir.is_dir():
        raise EdgeError(f"run directory not found: {run_dir} (train one with `edge train --out {run_dir}`)")
    run = RunDir(run_dir)
    if run.is_folds:
        fold_dirs = [fold.path for fold in run.folds()]
        if not fold_dirs:
            raise EdgeError(f"{run.folds_dir} holds no fold runs: is the --folds training finished?")
        for fold_dir in fold_dirs:
            _check_run_dir(fold_dir)
        return fold_dirs
    for needed in (run.model_keras, run.spec_json, run.config_json, run.split_json):
        if not needed.is_file():
            raise EdgeError(f"{run_dir} is not a finished training run: {needed.name} is missing "
                            f"(finish it with `edge train --resume --out {run_dir}`)")
    return []


def _check_out_dir(run_dir: Path, out_dir: Path) -> None:
    """--out may be new, or an earlier edge export; never the run itself or a folder holding it."""
    run, out = run_dir.resolve(), out_dir.resolve()
    if out == run or run.is_relative_to(out):
        raise EdgeError(f"--out {out_dir} is (or contains) the run directory {run_dir}: exporting there would "
                        f"replace the run; use the default {RunDir(run_dir).default_export} or a new directory")
    layout.claim_export_dir(out_dir)
    check_output_dir(out_dir.parent, "export location")


def export_lock(out_dir: Path):
    """Hold an exclusive lock on ``out_dir`` for the whole export; a second one is refused."""
    return layout.folder_lock(out_dir, "edge export", "export to another --out")


def _commit(staging: Path, out_dir: Path) -> None:
    """Swap the finished staging directory into place; the previous export is removed afterwards.

    With an existing export the two directories are exchanged in one ``renameat2(RENAME_EXCHANGE)``
    call where the kernel offers it; otherwise old -> backup, staging -> out, and
    ``recover_export`` repairs a kill between the two renames.
    """
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous export
        return
    backup = out_dir.with_name(f".{out_dir.name}{layout.BACKUP_TAG}{os.getpid()}")
    os.replace(out_dir, backup)
    os.replace(staging, out_dir)
    shutil.rmtree(backup, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0


@dataclass
class ExportJob:
    """One run's export in progress: what it reads, where it writes, what it has written so far."""

    run_dir: Path
    staging: Path
    final_dir: Path
    options: ExportOptions
    log: Log
    config: dict
    spec: Spec
    data: object  # edge.train.run_data.RunData
    check_index: np.ndarray  # held-out faces of the checks and the gate
    check_inputs: np.ndarray
    reference_outputs: dict  # Keras on the check faces, as the files compute (flip-averaged when they are)
    calibration_index: np.ndarray  # validation faces the calibration is fitted on
    report: dict
    result: ExportResult
    specs: dict[ModelKind, Spec] = field(default_factory=dict)

    def write_model(self, kind: ModelKind, model_bytes: bytes, tolerance: float | None, started: float) -> None:
        """Map and verify the file's outputs, fit its calibration, embed its spec and write it into staging."""
        from edge.export.calibrate import fit_calibration
        from edge.export.convert import map_outputs

        model_spec, mapping = map_outputs(model_bytes, self.spec, self.reference_outputs, self.check_inputs, tolerance)
        if len(self.calibration_index):  # confidence, "not sure" and the age range, fitted on validation faces
            model_spec = fit_calibration(model_bytes, model_spec,
                                         to_model_input(self.data.images[self.calibration_index], self.spec),
                                         self.data.targets.subset(self.calibration_index), self.log)
        path = self.staging / kind.file
        write_bytes_atomic(path, embed_spec(model_bytes, model_spec))
        write_text_atomic(self.staging / kind.spec_file, model_spec.to_json() + "\n")
        seconds = time.perf_counter() - started
        artifact = Artifact(kind.value, self.final_dir / path.name, path.stat().st_size, seconds)
        self.result.artifacts.append(artifact)
        self.report["models"][kind.value] = {"file": path.name, "size_bytes": artifact.size_bytes,
                                             "seconds": round(seconds, 2), "output_mapping": mapping}
        self.log(f"{path.stem}: {artifact.size_bytes / 1024:,.1f} KB in {seconds:.1f}s")
        self.specs[kind] = model_spec


def _export_one(run_dir: Path, staging: Path, final_dir: Path, options: ExportOptions, log: Log) -> ExportResult:
    """Steps 2-6 for one run directory, written into ``staging`` (which becomes ``final_dir``)."""
    job, model, qat_model = _start_job(run_dir, staging, final_dir, options, log)
    _convert_all(job, model, qat_model)  # steps 2-4
    shipped = ModelKind.INT8_QAT if options.int8 else ModelKind.FLOAT32
    job.report["checks"] = _run_checks(job, shipped)  # step 5: the release gate
    _write_deliverables(job, shipped)  # step 6
    return job.result


def _read_run(run_dir: Path, options: ExportOptions, log: Log) -> tuple[dict, Spec]:
    """The run's config and the spec the files will carry (the deployment crop, flip averaging)."""
    run = RunDir(run_dir)
    config = read_json(run.config_json, f"re-train the run with `edge train --out {run_dir}`")
    spec = _deployment_crop(Spec.load(run.spec_json), log).with_updates(flip_averaged=options.flip_average)
    if options.int8 and options.calibration < int(config["batch"]):
        raise EdgeError(f"--calibration {options.calibration} is below the batch size {config['batch']}: "
                        f"use at least {MIN_CALIBRATION} real images")
    if options.int8 and options.calibration < MIN_CALIBRATION:
        log(f"warning: --calibration {options.calibration} < {MIN_CALIBRATION}: int8 ranges may be poor")
    return config, spec


def _start_job(run_dir: Path, staging: Path, final_dir: Path, options: ExportOptions,
               log: Log) -> tuple[ExportJob, object, object]:
    """One run's export, started: its ``ExportJob``, its Keras model and (--int8, else None) the QAT wrapper.

    The job holds the run's config, spec and faces, the held-out check faces with Keras's outputs on them, and the
    report's header.
    """
    config, spec = _read_run(run_dir, options, log)
    model, qat_model = _load_models(run_dir, options)
    from edge.export.calibrate import MAX_FACES as MAX_CALIBRATION_FACES
    from edge.tf_bootstrap import keras_outputs
    from edge.train.run_data import load_run_data

    data = load_run_data(run_dir, spec)
    held_out = data.split.test if len(data.split.test) else data.split.val
    check_index = _pick(held_out, CHECK_IMAGES, seed=1)
    check_inputs = to_model_input(data.images[check_index], spec)
    reference_outputs = keras_outputs(model, check_inputs, spec)
    if options.flip_average:  # what the files will compute: each face and its mirror image, averaged
        reference_outputs = flip_average(reference_outputs, keras_outputs(model, mirror(check_inputs), spec))
    staging.mkdir(parents=True, exist_ok=True)
    report: dict = {"run_dir": str(run_dir.resolve()), "family": spec.family, "parameters": int(model.count_params()),
                    "flip_averaged": options.flip_average,
                    "label_scheme": spec.label_scheme, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "check_images": int(len(check_index)), "models": {}, "checks": {}}
    job = ExportJob(run_dir, staging, final_dir, options, log, config, spec, data, check_index, check_inputs,
                    reference_outputs, _pick(data.split.val, MAX_CALIBRATION_FACES, seed=4), report,
                    ExportResult(final_dir))
    return job, model, qat_model


def _load_models(run_dir: Path, options: ExportOptions) -> tuple[object, object]:
    """The run's Keras model and its quantize_model wrapper (--int8; else None).

    Wrapped before any slow step, so a model QAT cannot wrap fails fast.
    """
    from edge.tf_bootstrap import import_tf, load_keras_model

    import_tf()
    from edge.export.convert import freeze_batch_norm, quantize_for_training

    model = load_keras_model(RunDir(run_dir).model_keras)
    if options.int8:
        freeze_batch_norm(model)  # QAT keeps the float BN statistics (inference unaffected)
    return model, quantize_for_training(model) if options.int8 else None


def _convert_all(job: ExportJob, model, qat_model) -> None:
    """float32 (and float16), then PTQ and QAT int8: each converted, verified, calibrated and written."""
    from edge.export.convert import convert, with_flip_average
    from edge.export.qat import QatPlan, qat_learning_rate, quantization_aware_finetune

    options, spec, data = job.options, job.spec, job.data

    def deployed(keras_model):
        """The graph each file holds: the model itself, or it around a face and its mirror image."""
        return with_flip_average(keras_model, spec) if options.flip_average else keras_model

    started = time.perf_counter()  # before the conversion: each file's seconds include converting it
    job.write_model(ModelKind.FLOAT32, convert(deployed(model), "float32"), FLOAT_TOLERANCE, started)
    if options.float16:
        started = time.perf_counter()
        job.write_model(ModelKind.FLOAT16, convert(deployed(model), "float16"), None, started)
    if not options.int8:
        return
    calibration = to_model_input(data.images[_pick(data.split.train, options.calibration, seed=2)], spec)
    job.log(f"PTQ: calibrating on {len(calibration)} real training images")
    started = time.perf_counter()
    job.write_model(ModelKind.INT8_PTQ, convert(deployed(model), "int8", calibration), None, started)
    started = time.perf_counter()
    quantization_aware_finetune(qat_model, model, data, QatPlan(job.config, spec, calibration, options.qat_epochs,
                                                                 options.seed), job.log)
    job.write_model(ModelKind.INT8_QAT, convert(deployed(qat_model), "int8", calibration), None, started)
    job.report["qat"] = {"epochs": options.qat_epochs, "learning_rate": qat_learning_rate(job.config),
                         "targets": "float model outputs (distillation)"}


def _write_deliverables(job: ExportJob, shipped: ModelKind) -> None:
    """What the phone, the browser and people read: spec, labels, golden faces, split, report, model card."""
    from edge.export.card import write_model_card
    from edge.export.golden import write_golden

    staging, data = ExportDir(job.staging), job.data
    held_out = data.split.test if len(data.split.test) else data.split.val
    write_text_atomic(staging.spec_json, job.specs[shipped].to_json() + "\n")
    write_text_atomic(staging.labels_txt, _labels_text(job.spec))
    write_golden(staging.path, staging.model(shipped), data, _pick(held_out, GOLDEN_FACES, seed=3))
    shutil.copyfile(RunDir(job.run_dir).split_json, staging.split_json)
    job.report["shipped_model"] = shipped.file
    write_json_atomic(staging.report_json, schemas.ExportReport(**job.report).to_json())
    write_model_card(staging.model_card, job.report, job.config, job.specs[shipped])
    job.result.report = job.report


def _deployment_crop(spec: Spec, log: Log) -> Spec:
    """The crop rule the phone, the browser and `edge predict` will use for this model.

    A run trained on pre-aligned chips (face crop off) never cropped anything, so its detector and
    margin are only deployment settings: the export carries today's measured defaults (the
    detector and the margin that reproduce a chip's framing, docs/FACE_DETECTION.md) instead of
    whatever default the run was trained under. A run trained WITH detector crops keeps its own.
    """
    from edge.spec import FaceCropSpec

    if spec.face_crop.enabled or spec.face_crop == FaceCropSpec():
        return spec
    current = FaceCropSpec()
    log(f"face crop for deployment: {current.detector}, margin {current.margin} "
        f"(the run's spec named {spec.face_crop.detector}, margin {spec.face_crop.margin}; it trained on aligned chips)")
    return spec.with_updates(face_crop=current)


def _pick(index: np.ndarray, count: int, seed: int) -> np.ndarray:
    if len(index) <= count:
        return np.asarray(index)
    return np.sort(np.random.default_rng(seed).choice(index, count, replace=False))


def _run_checks(job: ExportJob, shipped: ModelKind) -> dict:
    """Release gate on held-out real faces (see ``edge.gate``); raise CheckFailed when it fails."""
    targets = job.data.targets.subset(job.check_index)
    reference = decode_outputs(job.spec, job.reference_outputs)
    checks: dict = {"keras": label_metrics(reference, targets.age_class, targets.age_years, targets.gender,
                                           len(job.spec.age_class_names))}
    failures: list[str] = []
    for kind in job.specs:
        checks[kind.value], decoded, agreements = _check_model(job, kind, reference, checks["keras"])
        if kind == shipped and kind.is_int8:  # a float export ships float32: nothing to gate against Keras
            failures += _gate_shipped(job, checks, kind, (reference, decoded), agreements)
    checks["passed"] = not failures
    checks["failures"] = failures
    checks["gate"] = {"shipped": shipped.value, **job.options.gate.to_dict()}
    if failures:
        raise CheckFailed(f"export checks failed on {len(job.check_index)} held-out faces: " + "; ".join(failures)
                          + " -- nothing was written")
    return checks


def _check_model(job: ExportJob, kind: ModelKind, reference, keras_metrics: dict):
    """One file on the check faces: its metrics, its agreement with Keras and (int8) its size over float32."""
    from edge.gate import age_agreement, gender_agreement

    files, targets = ExportDir(job.staging), job.data.targets.subset(job.check_index)
    decoded = decode_outputs(job.specs[kind], TFLiteModel(files.model(kind)).run(job.check_inputs))
    entry = label_metrics(decoded, targets.age_class, targets.age_years, targets.gender, len(job.spec.age_class_names))
    gender_agree, age_agree = gender_agreement(reference, decoded), age_agreement(reference, decoded)
    entry["gender_agreement_vs_keras"] = gender_agree.to_dict() if gender_agree else None
    entry["age_agreement_vs_keras"] = age_agree.to_dict() if age_agree else None
    if kind.is_int8:
        entry["size_ratio_vs_float32"] = files.model(kind).stat().st_size / files.model(ModelKind.FLOAT32).stat().st_size
        job.log(f"{kind.value}: {_delta_text(entry, keras_metrics)}; gender agreement "
                f"{gender_agree.text() if gender_agree else 'n/a'}"
                + (f", age-group agreement {age_agree.text()}" if age_agree else "")
                + f", size {entry['size_ratio_vs_float32']:.2f}x float32"
                + ("" if _size_gated(job) else " (size reported, not gated: small or non-conv model)"))
    return entry, decoded, (gender_agree, age_agree)


def _size_gated(job: ExportJob) -> bool:
    return _is_conv(job.spec.family) and job.report["parameters"] >= SIZE_GATE_MIN_PARAMETERS


def _gate_shipped(job: ExportJob, checks: dict, kind: ModelKind, outputs: tuple, agreements: tuple) -> list[str]:
    """The shipped file against Keras, on average and on every group: the reasons it fails (none: it ships).

    ``outputs`` is (Keras's, the file's) decoded outputs; ``agreements`` the file's gender and age agreement.
    """
    from edge.groups import largest_group_loss, largest_group_loss_text

    (reference, decoded), options, entry = outputs, job.options, checks[kind.value]
    groups = _group_check(reference, decoded, job.data.targets.subset(job.check_index),
                          [job.data.records[i] for i in job.check_index], options)
    entry["worst_group"] = {"worst": groups.worst, "largest_gap": groups.largest_gap,
                            "largest_int8_loss": largest_group_loss(groups)}
    checks["by_group"] = groups.to_dict()  # the model card's disaggregated tables
    job.log(f"{kind.value} by group (at least {options.gate.group_min_faces} faces): "
            + "".join(f"worst {m.replace('_', ' ')} {w['text']}; " for m, w in groups.worst.items())
            + largest_group_loss_text(entry["worst_group"]["largest_int8_loss"]))
    failures = options.gate.failures(entry, checks["keras"], groups)
    for what, agree, minimum in (("gender", agreements[0], options.min_gender_agreement),
                                 ("age-group", agreements[1], options.min_age_agreement)):
        if minimum and agree and agree.agreement is not None and agree.agreement < minimum:
            failures.append(f"{what} agreement {agree.agreement:.1%} on decisive faces < {minimum:.0%}")
    ratio = entry.get("size_ratio_vs_float32")
    if ratio is not None and _size_gated(job) and ratio > SIZE_GATE_RATIO:
        failures.append(f"int8/float32 size ratio {ratio:.2f} > {SIZE_GATE_RATIO}")
    return failures


def _group_check(reference, decoded, targets, records: list, options: ExportOptions):
    """The shipped model against Keras on each group of the check faces (age band, gender, race where known)."""
    from edge.groups import disaggregate, group_labels

    groups = disaggregate({"keras": reference, "shipped": decoded}, targets, group_labels(records, targets),
                          "keras", "shipped", options.gate.group_min_faces)
    for metric, worst in groups.worst.items():
        value = f"{worst['value']:.1%}" if metric == "gender_accuracy" else f"{worst['value']:.2f} y"
        groups.worst[metric]["text"] = f"{worst['dimension']} {worst['group']}: {value} ({worst['faces']} faces)"
    return groups


def _is_conv(family: str) -> bool:
    from edge.train.models import FAMILIES

    return family in FAMILIES and FAMILIES[family].conv


def _delta_text(entry: dict, reference: dict) -> str:
    parts = []
    if "gender_accuracy" in entry and "gender_accuracy" in reference:
        parts.append(f"gender accuracy {(entry['gender_accuracy'] - reference['gender_accuracy']) * 100:+.2f} pp")
    if "age_mae_years" in entry and "age_mae_years" in reference:
        parts.append(f"MAE {entry['age_mae_years'] - reference['age_mae_years']:+.3f} y")
    return ", ".join(parts) + " vs float" if parts else "no labelled faces to compare"


def _labels_text(spec: Spec) -> str:
    lines = [f"# age ({spec.label_scheme}), class index = line order"]
    lines += list(spec.age_class_names) or ["(regression: years)"]
    lines += ["# gender, 0 = male, 1 = female", *spec.gender_class_names]
    return "\n".join(lines) + "\n"


def _android_names(shipped: str) -> dict[str, str]:
    """The app's asset name of each export file it loads."""
    return {"model.tflite": shipped, layout.SPEC_JSON: layout.SPEC_JSON, layout.LABELS_TXT: layout.LABELS_TXT,
            layout.GOLDEN_JSON: layout.GOLDEN_JSON}


def _check_asset_folders(options: ExportOptions, out_dir: Path) -> None:
    """--android-assets / --web-assets: checked before the export runs (not after it is committed)."""
    from edge.detect import DETECTOR_CONFIG_FILE, DETECTOR_MODEL_FILE
    from edge.owned_folder import check_asset_folder

    detector = [DETECTOR_MODEL_FILE, DETECTOR_CONFIG_FILE]
    if options.android_assets:
        check_asset_folder(Path(options.android_assets), "--android-assets", out_dir,
                           list(_android_names("model.tflite")) + detector)
    if options.web_assets:
        from edge.export.web import MANIFEST_NAME, WEB_MODEL_NAME

        check_asset_folder(Path(options.web_assets), "--web-assets", out_dir,
                           [WEB_MODEL_NAME, layout.LABELS_TXT, layout.GOLDEN_JSON, MANIFEST_NAME] + detector)


def _copy_android_assets(out_dir: Path, assets: Path, shipped: str, log: Log) -> None:
    """Put everything the Android app (android_demo/) loads into its assets folder.

    The shipped model as ``model.tflite`` (spec embedded), ``spec.json`` (the app's fallback),
    ``labels.txt``, ``golden.json`` + ``golden/*.png`` (the app's instrumented golden test and
    the core's Gradle tests) and the face detector (``face_detector.tflite`` + ``.json`` from
    ``edge.detect``; the spec's BlazeFace, or the default one when the spec names the desktop-only Haar).
    """
    from edge import detect
    from edge.owned_folder import OwnedFolder, detector_files, read_tree

    files = {name: (out_dir / source).read_bytes() for name, source in _android_names(shipped).items()}
    files.update(read_tree(ExportDir(out_dir).golden_dir, layout.GOLDEN_DIR))
    detector = Spec.load(ExportDir(out_dir).spec_json).face_crop.detector
    if detect.canonical_name(detector) == detect.HAAR:
        detector = detect.DEFAULT_DETECTOR
    files.update(detector_files(detector))
    OwnedFolder(assets, "--android-assets").write(files)
    log(f"android assets: {assets} (model.tflite, spec.json, labels.txt, golden.json + golden/, "
        f"{detect.DETECTOR_MODEL_FILE} + {detect.DETECTOR_CONFIG_FILE}: {detector})")
