"""Every JSON document edge writes for people and scripts to read: its schema id and its layout, one place.

A document's first key says what it is and which version of its layout; a reader checks it
instead of guessing from the keys. Each document is a dataclass below whose fields are its
top-level keys (a writer builds it, so a key it does not declare is an error, not a silent new
layout); the nested tables stay plain JSON. The ids and the fields are pinned by
tests/test_schemas.py: changing a document's layout means a new version here, never a silent change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from edge.errors import EdgeError

METRICS = "edge.metrics/1"  # RUN/metrics.json (a --folds run: the mean +- std summary)
EXPORT_REPORT_V1 = "edge.export_report/1"  # read, never written: see read_export_report
EXPORT_REPORT = "edge.export_report/2"  # EXPORT/export_report.json (/2: models keyed by ModelKind, e.g. int8_qat)
VALIDATION = "edge.validation/1"  # EXPORT/validation/validation.json
BENCHMARK = "edge.benchmark/2"  # EXPORT/benchmark.json (/2: export models keyed by ModelKind, e.g. int8_qat)
PREDICT = "edge.predict/1"  # edge predict --json
PREDICT_VIDEO = "edge.predict.video/1"  # edge predict --video/--webcam --json
ANNOTATIONS = "edge.annotations/1"  # the ledger in an --annotate folder
OWNED_FOLDER = "edge.owned-folder/1"  # .edge-assets in an app's or site's assets folder

ALL = {"metrics": METRICS, "export_report": EXPORT_REPORT, "validation": VALIDATION, "benchmark": BENCHMARK,
       "predict": PREDICT, "predict_video": PREDICT_VIDEO, "annotations": ANNOTATIONS, "owned_folder": OWNED_FOLDER}


def read_export_report(path: Path) -> dict:
    """An export_report.json in today's layout (/2); a /1 report's ``model_<kind>`` keys are renamed.

    Version 1 named each model by its file stem (``model_int8_qat``) where validation said
    ``int8_qat``; version 2 uses the ModelKind name everywhere. Older exports keep loading.
    """
    path = Path(path)
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise EdgeError(f"{path} cannot be read ({error}): export the run again with `edge export RUN`") from None
    if report.get("schema", EXPORT_REPORT_V1) == EXPORT_REPORT_V1:
        report = _export_report_from_v1(report)
    return report



def _export_report_from_v1(report: dict) -> dict:
    def renamed(table: dict) -> dict:
        return {(key[len("model_"):] if key.startswith("model_") else key): value for key, value in table.items()}

    report = dict(report, schema=EXPORT_REPORT)
    for table in ("models", "checks"):
        if isinstance(report.get(table), dict):
            report[table] = renamed(report[table])
    gate = (report.get("checks") or {}).get("gate")
    if isinstance(gate, dict) and str(gate.get("shipped", "")).startswith("model_"):
        report["checks"]["gate"] = dict(gate, shipped=gate["shipped"][len("model_"):])
    return report


class _Absent:
    """The value of a field the document leaves out: no key at all, unlike None (written as null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass
class Document:
    """A JSON document: ``schema`` first, then every field that is not ABSENT."""

    SCHEMA: ClassVar[str] = ""

    def to_json(self) -> dict:
        return {"schema": self.SCHEMA, **{f.name: getattr(self, f.name) for f in fields(self)
                                          if getattr(self, f.name) is not ABSENT}}

    @classmethod
    def from_json(cls, document: dict, source: str = "document"):
        """Read a document of this kind back; a different schema id or an undeclared key is an error."""
        if document.get("schema") != cls.SCHEMA:
            raise EdgeError(f"{source}: schema {document.get('schema')!r}, expected {cls.SCHEMA!r}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(document) - names - {"schema"})
        if unknown:
            raise EdgeError(f"{source}: keys {', '.join(unknown)} are not part of {cls.SCHEMA}")
        return cls(**{key: value for key, value in document.items() if key != "schema"})


@dataclass
class RunMetrics(Document):
    """RUN/metrics.json of one run (or one fold): held-out metrics (edge.metrics.label_metrics) and run facts."""

    SCHEMA: ClassVar[str] = METRICS
    model: str
    label_scheme: str
    parameters: int
    split: dict  # face counts per part and the split's name
    epochs: int
    faces: int
    gender_accuracy: float = ABSENT
    age_exact_accuracy: float = ABSENT
    age_1off_accuracy: float = ABSENT
    age_per_class: dict = ABSENT
    age_mae_years: float = ABSENT
    undefined_rate: float = ABSENT  # fcn2hot: outputs that are not a clean 2-hot
    gender_accuracy_defined: float = ABSENT
    age_exact_accuracy_defined: float = ABSENT
    device: str = ABSENT
    train_seconds_this_process: float = ABSENT
    train_images_per_s: float = ABSENT
    input_pipeline_images_per_s: float = ABSENT


@dataclass
class FoldsMetrics(Document):
    """RUN/metrics.json of a --folds run: each fold's metrics and their mean +- std."""

    SCHEMA: ClassVar[str] = METRICS
    folds: dict
    mean_std: dict
    kind: str
    label_scheme: str
    model: str


@dataclass
class ExportReport(Document):
    """EXPORT/export_report.json: the files, their checks against the float model and the release gate."""

    SCHEMA: ClassVar[str] = EXPORT_REPORT
    run_dir: str
    family: str
    parameters: int
    flip_averaged: bool
    label_scheme: str
    created: str
    check_images: int
    models: dict  # keyed by ModelKind value
    checks: dict
    qat: dict = ABSENT
    shipped_model: str = ABSENT


@dataclass
class ValidationReport(Document):
    """EXPORT/validation/validation.json of one export: float vs int8 on real faces, by group, the gate."""

    SCHEMA: ClassVar[str] = VALIDATION
    target: str
    data: str
    split: str
    faces: int
    runtime: str
    reference: str
    label_scheme: str
    model_label_scheme: str
    tta: str | None
    face_crop: dict
    family: str
    age_class_names: list
    threads: int
    models: dict
    speed_note: str
    int8_qat_over_float32_latency_1_thread: float | None
    by_group: dict
    calibration: dict | None
    gate: dict
    confusion_matrices: dict


@dataclass
class FoldsValidationReport(Document):
    """validation.json of a --folds export: each fold's report and the mean +- std per model."""

    SCHEMA: ClassVar[str] = VALIDATION
    target: str
    mode: str  # "folds"
    folds: dict
    mean_std: dict
    gate: dict


@dataclass
class BenchmarkReport(Document):
    """EXPORT/benchmark.json: latency, memory and size of every file, with ratios to float32."""

    SCHEMA: ClassVar[str] = BENCHMARK
    export_dir: str
    threads: list
    runs: int
    warmup: int
    machine: str
    models: dict  # keyed by ModelKind value (or the file stem of a file that is not an export's)
    validation: str = ABSENT  # the export's validation.json, when there is one


@dataclass
class PredictHeader(Document):
    """The head of ``edge predict --json`` (``images`` and ``summary`` are streamed after it)."""

    SCHEMA: ClassVar[str] = PREDICT
    model: str
    runtime: str
    detector: str | None
    margin: float | None


@dataclass
class PredictVideoHeader(Document):
    """The head of ``edge predict --video/--webcam --json`` (``frames`` and ``summary`` are streamed after it)."""

    SCHEMA: ClassVar[str] = PREDICT_VIDEO
    file: str
    model: str
    fps: float
    stride: int
    detector: str | None
    margin: float | None
