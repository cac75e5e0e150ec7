"""Rebuild a run's data (images, targets, split) from its run directory.

``split.json`` records the dataset path/kind and the exact ordered record paths, so export and
validate see the same images and the decoded-image cache is hit (same key as training).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.layout import RunDir
from edge.cache import load_images
from edge.datasets import FaceRecord, load_dataset
from edge.errors import EdgeError
from edge.spec import Spec
from edge.splits import Split
from edge.targets import Targets, targets_for


@dataclass
class RunData:
    """A run's faces in split.json's order: decoded images, labels, the split, paths and dataset records."""

    images: np.ndarray  # uint8, all records of the run in split.json order
    targets: Targets
    split: Split
    paths: list[str]  # image file of each row of ``images``
    records: list[FaceRecord]  # the dataset record of each row (labels, and groups for edge.groups)


def split_info(run_dir: Path) -> dict:
    """A run's split.json: the dataset path and kind, the ordered record paths and the split's indices."""
    return RunDir(run_dir).split()


def _source_records(info: dict) -> list[FaceRecord]:
    """Every record of the run's datasets: --data's, then each --extra-data source's (training faces only)."""
    records = list(load_dataset(Path(info["data"]), info["kind"]).records)
    for source in info.get("extra_data") or ():
        records.extend(load_dataset(Path(source["data"]), source["kind"]).records)
    return records


def split_records(run_dir: Path, name: str) -> list[FaceRecord]:
    """The dataset records of one part of a run's split (``train``, ``val`` or ``test``), in dataset order."""
    info = split_info(run_dir)
    wanted = {info["paths"][i] for i in info[name]}
    return [r for r in _source_records(info) if r.path in wanted]


def load_run_data(run_dir: Path, spec: Spec) -> RunData:
    """Re-read and decode a run's faces in split.json's order (EdgeError when the dataset changed since)."""
    info = split_info(run_dir)
    by_path = {r.path: r for r in _source_records(info)}
    missing = [p for p in info["paths"] if p not in by_path]
    if missing:
        sources = ", ".join([info["data"], *(s["data"] for s in info.get("extra_data") or ())])
        raise EdgeError(f"{len(missing)} training images are gone from {sources} (e.g. {missing[0]}): "
                        "restore the dataset or retrain")
    records = [by_path[p] for p in info["paths"]]
    images = load_images(records, spec)
    if len(images.records) != len(records):
        raise EdgeError(f"{len(records) - len(images.records)} training images no longer decode in {info['data']}")
    return RunData(images.images, targets_for(records, spec.label_scheme), Split.from_dict(info), list(info["paths"]),
                   records)
