"""Every JSON document edge writes says what it is: the schema ids are pinned here (a layout change is a new version)."""

from __future__ import annotations

import json

from edge import schemas

PINNED = {"metrics": "edge.metrics/1", "export_report": "edge.export_report/2", "validation": "edge.validation/1",
          "benchmark": "edge.benchmark/2", "predict": "edge.predict/1", "predict_video": "edge.predict.video/1",
          "annotations": "edge.annotations/1", "owned_folder": "edge.owned-folder/1"}


def test_schema_ids_are_pinned():
    assert schemas.ALL == PINNED


def test_runs_and_exports_carry_their_schema(exported_run):
    export = exported_run("mobile")
    assert json.loads((export / "export_report.json").read_text())["schema"] == schemas.EXPORT_REPORT
    assert json.loads((export.parent / "metrics.json").read_text())["schema"] == schemas.METRICS
