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


# Each document's top-level keys, pinned: a layout change is a new schema version, never a silent one
FIELDS = {
    schemas.RunMetrics: "model label_scheme parameters split epochs faces gender_accuracy age_exact_accuracy "
                        "age_1off_accuracy age_per_class age_mae_years undefined_rate gender_accuracy_defined "
                        "age_exact_accuracy_defined device train_seconds_this_process train_images_per_s "
                        "input_pipeline_images_per_s",
    schemas.FoldsMetrics: "folds mean_std kind label_scheme model",
    schemas.ExportReport: "run_dir family parameters flip_averaged label_scheme created check_images models checks qat "
                          "shipped_model",
    schemas.ValidationReport: "target data split faces runtime reference label_scheme model_label_scheme tta face_crop "
                              "family age_class_names threads models speed_note int8_qat_over_float32_latency_1_thread "
                              "by_group calibration gate confusion_matrices",
    schemas.FoldsValidationReport: "target mode folds mean_std gate",
    schemas.BenchmarkReport: "export_dir threads runs warmup machine models validation",
    schemas.PredictHeader: "model runtime detector margin",
    schemas.PredictVideoHeader: "file model fps stride detector margin",
}


def test_document_layouts_are_pinned():
    from dataclasses import fields

    for document, names in FIELDS.items():
        assert [f.name for f in fields(document)] == names.split(), document.__name__
        assert document.SCHEMA in schemas.ALL.values()


def test_a_document_writes_its_schema_first_and_leaves_absent_keys_out():
    header = schemas.PredictHeader("m.tflite", "LiteRT", None, None).to_json()
    assert list(header) == ["schema", "model", "runtime", "detector", "margin"] and header["detector"] is None
    report = schemas.BenchmarkReport("e", [1], 5, 1, "x86", {}).to_json()
    assert "validation" not in report and report["schema"] == schemas.BENCHMARK
    assert schemas.BenchmarkReport.from_json(report) == schemas.BenchmarkReport("e", [1], 5, 1, "x86", {})


def test_an_undeclared_key_or_another_schema_is_refused():
    import pytest

    from edge.errors import EdgeError

    with pytest.raises(TypeError):  # a writer cannot add a key the document does not declare
        schemas.PredictHeader("m", "LiteRT", None, None, images=[])
    header = schemas.PredictHeader("m", "LiteRT", None, None).to_json()
    with pytest.raises(EdgeError, match="surprise"):
        schemas.PredictHeader.from_json({**header, "surprise": 1})
    with pytest.raises(EdgeError, match="expected 'edge.predict/1'"):
        schemas.PredictHeader.from_json({**header, "schema": schemas.PREDICT_VIDEO})


def test_what_train_and_export_write_reads_back_as_their_documents(exported_run):
    export = exported_run("mobile")
    report = json.loads((export / "export_report.json").read_text())
    assert schemas.ExportReport.from_json(report).to_json() == report
    metrics = json.loads((export.parent / "metrics.json").read_text())
    assert schemas.RunMetrics.from_json(metrics).to_json() == metrics
