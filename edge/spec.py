"""The preprocessing and label contract: the ONLY place these values live.

A ``Spec`` says how an image file becomes a model input (size, color, interpolation,
scaling, optional face crop) and how model outputs become labels (scheme, class names,
gender encoding, output names/order, int8 quantization of the exported model). It is
written as ``spec.json`` into every run directory, embedded in every exported ``.tflite``,
and read by training, calibration, validation, prediction and the Android app.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from edge.detect import DEFAULT_DETECTOR, DEFAULT_MARGIN
from edge.errors import EdgeError
from edge.labels import GENDER_NAMES, get_scheme

SPEC_VERSION = 1
COLORS = ("gray", "rgb")
INTERPOLATIONS = ("area", "linear", "nearest")


@dataclass(frozen=True)
class FaceCropSpec:
    """Face detection and crop. Off for pre-aligned datasets (UTKFace chips, Adience aligned).

    ``detector`` names an ``edge.detect`` detector; the crop is the square of side
    ``max(w, h) * (1 + 2 * margin)`` on the detected box's centre (docs/FACE_DETECTION.md).
    When no face is found, ``on_miss`` = ``full_image`` uses the whole frame, ``skip`` drops it.
    """

    enabled: bool = False
    detector: str = DEFAULT_DETECTOR
    margin: float = DEFAULT_MARGIN
    min_face_px: int = 30
    on_miss: str = "full_image"


@dataclass(frozen=True)
class QuantParams:
    """Affine int8 quantization: real = scale * (q - zero_point)."""

    scale: float
    zero_point: int


@dataclass(frozen=True)
class OutputSpec:
    """One model output, in the order the model (and the exported file) produces it.

    kind: ``age_softmax`` (probabilities over age classes), ``age_regression`` (years),
    ``gender_sigmoid`` (P(female)), ``age_gender_2hot`` (age-class softmax block followed by
    a 2-way gender softmax block), ``age_gender_tuple`` ([age class value, gender value]).
    ``tflite_index`` and ``quantization`` are filled in per exported file.
    """

    name: str
    kind: str
    width: int
    tflite_index: int | None = None
    quantization: QuantParams | None = None


@dataclass(frozen=True)
class Spec:
    """The single preprocessing + label contract (see module docstring)."""

    image_size: int = 64
    color: str = "gray"
    interpolation: str = "area"
    pixel_scale: float = 1.0 / 255.0
    pixel_offset: float = 0.0
    face_crop: FaceCropSpec = field(default_factory=FaceCropSpec)
    label_scheme: str = "utk20"
    age_class_names: tuple[str, ...] = ()
    age_class_centers: tuple[float, ...] = ()
    gender_class_names: tuple[str, ...] = GENDER_NAMES
    family: str = ""
    outputs: tuple[OutputSpec, ...] = ()
    decoding: dict[str, Any] = field(default_factory=dict)
    input_quantization: QuantParams | None = None
    # True in an exported file that runs each face together with its mirror image (a batch of
    # two inside the file) and returns the mean of the two outputs: flip averaging that every
    # runtime gets without code. Its outputs are decoded like any other; run dirs are False.
    flip_averaged: bool = False
    version: int = SPEC_VERSION

    @classmethod
    def create(
        cls,
        label_scheme: str = "utk20",
        image_size: int = 64,
        color: str = "gray",
        face_crop: bool = False,
        **overrides: Any,
    ) -> "Spec":
        """Build a validated spec; class names and centers come from the label scheme."""
        scheme = get_scheme(label_scheme)
        spec = cls(
            image_size=image_size,
            color=color,
            label_scheme=label_scheme,
            age_class_names=scheme.class_names,
            age_class_centers=scheme.class_centers,
            face_crop=FaceCropSpec(enabled=face_crop),
            **overrides,
        )
        spec.validate()
        return spec

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

    def validate(self) -> None:
        """Raise EdgeError when a value is out of its documented range."""
        if not 8 <= self.image_size <= 1024:
            raise EdgeError(f"image size {self.image_size} is out of range: use 8..1024 (e.g. --img-size 64)")
        if self.color not in COLORS:
            raise EdgeError(f"color '{self.color}' is not supported: use gray or rgb")
        if self.interpolation not in INTERPOLATIONS:
            raise EdgeError(f"interpolation '{self.interpolation}' is not supported: use {', '.join(INTERPOLATIONS)}")
        if self.face_crop.on_miss not in ("full_image", "skip"):
            raise EdgeError("face_crop.on_miss must be full_image or skip")
        get_scheme(self.label_scheme)

    def preprocessing_key(self) -> dict[str, Any]:
        """The fields that change decoded pixels (used as the image-cache key)."""
        return {
            "image_size": self.image_size,
            "color": self.color,
            "interpolation": self.interpolation,
            "face_crop": asdict(self.face_crop),
        }

    def with_updates(self, **changes: Any) -> "Spec":
        return replace(self, **changes)

    def output(self, name: str) -> OutputSpec:
        for out in self.outputs:
            if out.name == name:
                return out
        raise KeyError(name)

    # --- serialization -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Spec":
        if not isinstance(data, dict):
            raise EdgeError("spec JSON must be an object")
        version = data.get("version", SPEC_VERSION)
        if version > SPEC_VERSION:
            raise EdgeError(f"spec version {version} is newer than this edge ({SPEC_VERSION}): upgrade edge")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise EdgeError(f"spec has unknown fields {sorted(unknown)}: was it written by a newer edge?")
        values = dict(data)
        values["face_crop"] = FaceCropSpec(**values.get("face_crop", {}))
        values["outputs"] = tuple(_output_from_dict(o) for o in values.get("outputs", ()))
        for key in ("age_class_names", "age_class_centers", "gender_class_names"):
            if key in values:
                values[key] = tuple(values[key])
        if values.get("input_quantization") is not None:
            values["input_quantization"] = QuantParams(**values["input_quantization"])
        spec = cls(**values)
        spec.validate()
        return spec

    @classmethod
    def from_json(cls, text: str) -> "Spec":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as error:
            raise EdgeError(f"spec is not valid JSON ({error}): re-export the model") from None

    def save(self, path: Path) -> None:
        from edge.io import write_text_atomic

        write_text_atomic(Path(path), self.to_json() + "\n")

    @classmethod
    def load(cls, path: Path) -> "Spec":
        path = Path(path)
        if not path.is_file():
            raise EdgeError(f"spec file not found: {path}")
        return cls.from_json(path.read_text())


def _output_from_dict(data: dict[str, Any]) -> OutputSpec:
    values = dict(data)
    if values.get("quantization") is not None:
        values["quantization"] = QuantParams(**values["quantization"])
    return OutputSpec(**values)
