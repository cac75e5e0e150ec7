"""``edge export RUN_DIR``: the steps, in order.

1. Validate the run directory and options (calibration count, QAT-wrappability) before any
   slow work.
2. float32 TFLite; output mapping verified against Keras (within 1e-4) on held-out images.
3. ``--float16``: float16-weights model.
4. ``--int8``: PTQ baseline (full integer, calibrated on real training images) and QAT
   (quantize_model, then fine-tune from the float weights at a lower learning rate to
   reproduce the float model's own outputs on the training split -- distillation, so int8
   learns to behave like float rather than drifting toward the labels -- then convert).
5. Checks: QAT int8 vs Keras float agreement (gender >= 99%, age group >= 97%); int8/float32
   size ratio (gated <= 0.3 for conv families of >= 300k parameters; tiny nets are reported).
6. Golden vectors (16 real faces), labels.txt, spec JSONs, model card, export_report.json.
Everything is written into a temporary directory that replaces ``--out`` only when every step
and check succeeded: a failed export never touches a previous good one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from edge.decode import decode_outputs
from edge.errors import CheckFailed, EdgeError
from edge.io import write_bytes_atomic, write_json_atomic, write_text_atomic
from edge.metrics import agreement, label_metrics
from edge.preprocess import to_model_input
from edge.runtime import TFLiteModel
from edge.spec import Spec
from edge.tflite_meta import embed_spec

CONV_FAMILIES = ("cnn", "mobile")
SIZE_GATE_RATIO = 0.3
SIZE_GATE_MIN_PARAMETERS = 300_000
MIN_CALIBRATION = 300
CHECK_IMAGES = 200
GOLDEN_FACES = 16
FLOAT_TOLERANCE = 1e-4

Log = Callable[[str], None]


@dataclass
class ExportOptions:
    int8: bool = False
    float16: bool = False
    qat_epochs: int = 2
    calibration: int = MIN_CALIBRATION
    min_gender_agreement: float = 0.99
    min_age_agreement: float = 0.97
    android_assets: Path | None = None


@dataclass
class Artifact:
    name: str
    path: Path
    size_bytes: int
    seconds: float


@dataclass
class ExportResult:
    out_dir: Path
    artifacts: list[Artifact] = field(default_factory=list)
    report: dict = field(default_factory=dict)


def export_run(run_dir: Path, out_dir: Path | None = None, options: ExportOptions | None = None,
               log: Log = print) -> ExportResult:
    """Export a trained run directory; returns what was written (see module docstring).

    A ``--folds`` run exports every fold into ``OUT/folds/<fold>`` (what ``edge validate``'s
    fold mode reads).
    """
    options = options or ExportOptions()
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir / "export"
    if (run_dir / "folds").is_dir() and not (run_dir / "model.keras").exists():
        result = ExportResult(out_dir)
        for fold_dir in sorted(p for p in (run_dir / "folds").iterdir() if p.is_dir()):
            log(f"--- {fold_dir.name}")
            fold = export_run(fold_dir, out_dir / "folds" / fold_dir.name, options, log)
            result.artifacts += fold.artifacts
            result.report[fold_dir.name] = fold.report
        return result
    for needed in ("model.keras", "spec.json", "config.json", "split.json"):
        if not (run_dir / needed).is_file():
            raise EdgeError(f"{run_dir} is not a finished training run: {needed} is missing")
    config = json.loads((run_dir / "config.json").read_text())
    spec = Spec.load(run_dir / "spec.json")
    if options.int8 and options.calibration < config["batch"]:
        raise EdgeError(f"--calibration {options.calibration} is below the batch size {config['batch']}: "
                        f"use at least {MIN_CALIBRATION} real images")
    if options.int8 and options.calibration < MIN_CALIBRATION:
        log(f"warning: --calibration {options.calibration} < {MIN_CALIBRATION}: int8 ranges may be poor")

    from train.tf_setup import import_tf

    tf, keras = import_tf()
    import train.losses  # noqa: F401  (registers the custom losses for loading)
    from export.convert import convert, freeze_batch_norm, map_outputs, quantize_for_training
    from train.run_data import load_run_data
    from train.trainer import keras_outputs as keras_model_outputs

    try:
        model = keras.models.load_model(run_dir / "model.keras", compile=False)
    except (ValueError, TypeError, OSError) as error:
        raise EdgeError(f"cannot load {run_dir / 'model.keras'}: {' '.join(str(error).split())[:200]}") from None
    if options.int8:
        freeze_batch_norm(model)  # QAT keeps the float BN statistics (inference unaffected)
    qat_model = quantize_for_training(model) if options.int8 else None  # fails fast, before the slow steps
    data = load_run_data(run_dir, spec)
    check_index = _pick(data.split.test if len(data.split.test) else data.split.val, CHECK_IMAGES, seed=1)
    check_inputs = to_model_input(data.images[check_index], spec)
    keras_outputs = keras_model_outputs(model, check_inputs, spec)
    parameters = int(model.count_params())

    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=_ensure_parent(out_dir)))
    result = ExportResult(out_dir)
    report: dict = {"run_dir": str(run_dir.resolve()), "family": spec.family, "parameters": parameters,
                    "label_scheme": spec.label_scheme, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "check_images": int(len(check_index)), "models": {}, "checks": {}}
    try:
        specs: dict[str, Spec] = {}

        def write_model(name: str, model_bytes: bytes, tolerance: float | None, started: float) -> Spec:
            model_spec, mapping = map_outputs(model_bytes, spec, keras_outputs, check_inputs, tolerance)
            path = staging / f"{name}.tflite"
            write_bytes_atomic(path, embed_spec(model_bytes, model_spec))
            write_text_atomic(staging / f"{name}.spec.json", model_spec.to_json() + "\n")
            seconds = time.perf_counter() - started
            artifact = Artifact(name, out_dir / path.name, path.stat().st_size, seconds)
            result.artifacts.append(artifact)
            report["models"][name] = {"file": path.name, "size_bytes": artifact.size_bytes,
                                      "seconds": round(seconds, 2), "output_mapping": mapping}
            log(f"{name}: {artifact.size_bytes / 1024:,.1f} KB in {seconds:.1f}s")
            specs[name] = model_spec
            return model_spec

        started = time.perf_counter()
        write_model("model_float32", convert(model, "float32"), FLOAT_TOLERANCE, started)
        if options.float16:
            started = time.perf_counter()
            write_model("model_float16", convert(model, "float16"), None, started)
        if options.int8:
            calibration = to_model_input(data.images[_pick(data.split.train, options.calibration, seed=2)], spec)
            log(f"PTQ: calibrating on {len(calibration)} real training images")
            started = time.perf_counter()
            write_model("model_int8_ptq", convert(model, "int8", calibration), None, started)
            started = time.perf_counter()
            _quantization_aware_finetune(qat_model, model, config, spec, data, calibration, options.qat_epochs, log)
            write_model("model_int8_qat", convert(qat_model, "int8", calibration), None, started)
            report["qat"] = {"epochs": options.qat_epochs, "learning_rate": _qat_learning_rate(config),
                             "targets": "float model outputs (distillation)"}

        report["checks"] = _run_checks(staging, specs, spec, keras_outputs, data, check_index, parameters, options, log)
        shipped = "model_int8_qat" if options.int8 else "model_float32"
        write_text_atomic(staging / "spec.json", specs[shipped].to_json() + "\n")
        write_text_atomic(staging / "labels.txt", _labels_text(spec))
        from export.golden import write_golden

        write_golden(staging, staging / f"{shipped}.tflite", data, _pick(data.split.test if len(data.split.test)
                                                                        else data.split.val, GOLDEN_FACES, seed=3))
        shutil.copyfile(run_dir / "split.json", staging / "split.json")
        report["shipped_model"] = f"{shipped}.tflite"
        write_json_atomic(staging / "export_report.json", report)
        from export.card import write_model_card

        write_model_card(staging / "MODEL_CARD.md", report, config, spec)
        if os.environ.get("EDGE_EXPORT_FAIL_BEFORE_COMMIT"):  # test hook: prove a late failure loses nothing
            raise CheckFailed("forced failure before commit (EDGE_EXPORT_FAIL_BEFORE_COMMIT is set)")
        _commit(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if options.android_assets:
        _copy_android_assets(out_dir, Path(options.android_assets), report["shipped_model"], log)
    result.report = report
    return result


def _ensure_parent(out_dir: Path) -> Path:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return out_dir.parent


def _commit(staging: Path, out_dir: Path) -> None:
    """Swap the finished staging directory into place (old export removed only afterwards)."""
    backup = None
    if out_dir.exists():
        backup = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, backup)
    os.replace(staging, out_dir)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def _pick(index: np.ndarray, count: int, seed: int) -> np.ndarray:
    if len(index) <= count:
        return np.asarray(index)
    return np.sort(np.random.default_rng(seed).choice(index, count, replace=False))


def _qat_learning_rate(config: dict) -> float:
    return float(config["lr"]) * 0.05  # fine-tune gently from the trained float weights


def _quantization_aware_finetune(qat_model, teacher, config: dict, spec: Spec, data, calibration: np.ndarray,
                                 epochs: int, log: Log) -> None:
    """Fine-tune the quantize_model-wrapped model to reproduce the float teacher (see step 4).

    Activation ranges are first set from the teacher's real activations (tfmot's +-6 start
    and slow EMA would otherwise clip the heads' logits). Targets are the float model's
    outputs on the un-augmented training images; the learning rate is 1/20 of training's.
    With 0 epochs one step at learning rate 0 sets the weight ranges and nothing else.
    """
    from export.convert import calibrate_qat_ranges
    from train.losses import compile_distillation
    from train.pipeline import make_dataset

    ranges = calibrate_qat_ranges(qat_model, teacher, calibration)
    log(f"QAT: {ranges} activation ranges set from {len(calibration)} real images")
    compile_distillation(qat_model, config["model"], spec.label_scheme, _qat_learning_rate(config) if epochs else 0.0)
    train_images = data.images[data.split.train]
    images = train_images if epochs else train_images[: int(config["batch"])]  # 0 epochs: one batch
    teacher_outputs = teacher.predict(to_model_input(images, spec), batch_size=256, verbose=0)
    y = tuple(teacher_outputs) if isinstance(teacher_outputs, list) else teacher_outputs
    weight = tuple(np.ones(len(images), np.float32) for _ in spec.outputs) if len(spec.outputs) > 1 \
        else np.ones(len(images), np.float32)
    dataset = make_dataset(images, y, weight, spec, int(config["batch"]), training=True,
                           seed=int(config["seed"]), augment=False)
    for epoch in range(max(epochs, 1)):
        started = time.perf_counter()
        history = qat_model.fit(dataset, epochs=1, verbose=0)
        if epochs:
            log(f"QAT epoch {epoch + 1}/{epochs}: loss {history.history['loss'][-1]:.4f} "
                f"({time.perf_counter() - started:.1f}s)")


def _run_checks(staging: Path, specs: dict[str, Spec], spec: Spec, keras_outputs: dict, data, check_index,
                parameters: int, options: ExportOptions, log: Log) -> dict:
    """Quick quality checks on held-out real images; raise CheckFailed when a gate fails."""
    targets = data.targets.subset(check_index)
    inputs = to_model_input(data.images[check_index], spec)
    num_classes = len(spec.age_class_names)
    keras_decoded = decode_outputs(spec, keras_outputs)
    checks: dict = {"keras": label_metrics(keras_decoded, targets.age_class, targets.age_years, targets.gender,
                                           num_classes)}
    near_ties = None
    if keras_decoded.age_probs is not None:
        # faces whose float top-2 age probabilities differ by less than one int8 output step
        # (TFLite's int8 softmax/probability outputs use scale 1/256): a coin flip for ANY int8 model
        top_two = np.sort(keras_decoded.age_probs, axis=1)[:, -2:]
        near_ties = float(np.mean(top_two[:, 1] - top_two[:, 0] < 1.0 / 256))
        checks["age_near_tie_share"] = near_ties
    failures = []
    for name, model_spec in specs.items():
        decoded = decode_outputs(model_spec, TFLiteModel(staging / f"{name}.tflite").run(inputs))
        entry = label_metrics(decoded, targets.age_class, targets.age_years, targets.gender, num_classes)
        entry["gender_agreement_vs_keras"] = agreement(decoded.gender, keras_decoded.gender)
        if num_classes:
            entry["age_agreement_vs_keras"] = agreement(decoded.age_class, keras_decoded.age_class)
        checks[name] = entry
    float_size = (staging / "model_float32.tflite").stat().st_size
    for name in ("model_int8_ptq", "model_int8_qat"):
        if name not in specs:
            continue
        ratio = (staging / f"{name}.tflite").stat().st_size / float_size
        checks[name]["size_ratio_vs_float32"] = ratio
        gated = spec.family in CONV_FAMILIES and parameters >= SIZE_GATE_MIN_PARAMETERS
        line = (f"{name}: gender agreement {checks[name]['gender_agreement_vs_keras']:.1%}"
                + (f", age-group agreement {checks[name]['age_agreement_vs_keras']:.1%}" if num_classes else "")
                + f", size {ratio:.2f}x float32" + ("" if gated else " (reported, not gated: small or non-conv model)"))
        log(line)
        if name == "model_int8_qat":
            if checks[name]["gender_agreement_vs_keras"] < options.min_gender_agreement:
                failures.append(f"QAT gender agreement {checks[name]['gender_agreement_vs_keras']:.1%} "
                                f"< {options.min_gender_agreement:.0%}")
            if num_classes and checks[name]["age_agreement_vs_keras"] < options.min_age_agreement:
                failures.append(f"QAT age-group agreement {checks[name]['age_agreement_vs_keras']:.1%} "
                                f"< {options.min_age_agreement:.0%}" + (
                                    f" ({near_ties:.1%} of these faces are float near-ties within one int8 "
                                    "output step; lower --min-age-agreement deliberately if that explains the gap)"
                                    if near_ties else ""))
            if gated and ratio > SIZE_GATE_RATIO:
                failures.append(f"int8/float32 size ratio {ratio:.2f} > {SIZE_GATE_RATIO}")
    checks["passed"] = not failures
    checks["failures"] = failures
    if failures:
        raise CheckFailed("export checks failed: " + "; ".join(failures)
                          + " -- nothing was written")
    return checks


def _labels_text(spec: Spec) -> str:
    lines = [f"# age ({spec.label_scheme}), class index = line order"]
    lines += list(spec.age_class_names) or ["(regression: years)"]
    lines += ["# gender, 0 = male, 1 = female", *spec.gender_class_names]
    return "\n".join(lines) + "\n"


def _copy_android_assets(out_dir: Path, assets: Path, shipped: str, log: Log) -> None:
    assets.mkdir(parents=True, exist_ok=True)
    for name in (shipped, "spec.json", "labels.txt", "golden.json"):
        shutil.copyfile(out_dir / name, assets / ("model.tflite" if name == shipped else name))
    log(f"android assets: {assets} (model.tflite, spec.json, labels.txt, golden.json)")
