"""The schema id of every JSON document edge writes for people and scripts to read: one place.

A document's first key says what it is and which version of its layout; a reader checks it
instead of guessing from the keys. The ids are pinned by tests/test_schemas.py: changing a
document's layout means a new version here, never a silent change.
"""

from __future__ import annotations

METRICS = "edge.metrics/1"  # RUN/metrics.json (a --folds run: the mean +- std summary)
EXPORT_REPORT = "edge.export_report/1"  # EXPORT/export_report.json
VALIDATION = "edge.validation/1"  # EXPORT/validation/validation.json
BENCHMARK = "edge.benchmark/1"  # EXPORT/benchmark.json
PREDICT = "edge.predict/1"  # edge predict --json
PREDICT_VIDEO = "edge.predict.video/1"  # edge predict --video/--webcam --json
ANNOTATIONS = "edge.annotations/1"  # the ledger in an --annotate folder
OWNED_FOLDER = "edge.owned-folder/1"  # .edge-assets in an app's or site's assets folder

ALL = {"metrics": METRICS, "export_report": EXPORT_REPORT, "validation": VALIDATION, "benchmark": BENCHMARK,
       "predict": PREDICT, "predict_video": PREDICT_VIDEO, "annotations": ANNOTATIONS, "owned_folder": OWNED_FOLDER}
