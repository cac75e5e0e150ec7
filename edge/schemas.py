"""The schema id of every JSON document edge writes for people and scripts to read: one place.

A document's first key says what it is and which version of its layout; a reader checks it
instead of guessing from the keys. The ids are pinned by tests/test_schemas.py: changing a
document's layout means a new version here, never a silent change.
"""

from __future__ import annotations

import json
from pathlib import Path

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
