"""The preprocessing and label contract: the ONLY place these values live.

A ``Spec`` says how an image file becomes a model input (size, color, interpolation,
scaling, optional face crop) and how model outputs become labels (scheme, class names,
gender encoding, output names/order, int8 quantization of the exported model). It is
written as ``spec.json`` into every run directory, embedded in every exported ``.tflite``,
and read by training, calibration, validation, prediction and the Android app.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from edge.errors import EdgeError
from edge.labels import GENDER_NAMES, get_scheme

SPEC_VERSION = 1
# The face detectors a spec may name, and the deployment defaults its face_crop carries. They are spec facts
# (every phone, page and `edge predict` reads them from the spec); edge.detect implements the detectors.
BLAZEFACE_NAMES = ("blazeface_short_range", "blazeface_full_range")
HAAR = "haar"
HAAR_CASCADE = "haarcascade_frontalface_default.xml"
DETECTOR_NAMES = (*BLAZEFACE_NAMES, HAAR)
# Chosen by the detector comparison in BENCHMARKS.md ("Face detectors", validation chips only):
# full range finds more small faces, but only 6.5 % of faces that fill the image (selfies,
# cropped portraits) against short range's 100 %; short range is the default, full range an
# option (--detector) for group photos.
DEFAULT_DETECTOR = "blazeface_short_range"
# The crop margin whose square best reproduces a UTKFace chip's own framing around the default
# detector's box (BENCHMARKS.md "Face detectors": the margin sweep).
DEFAULT_MARGIN = 0.05
COLORS = ("gray", "rgb")
INTERPOLATIONS = ("area", "linear", "nearest")
OUTPUT_KINDS = ("age_softmax", "age_regression", "gender_sigmoid", "age_gender_2hot", "age_gender_tuple")
AGE_CLASS_KINDS = ("age_softmax", "age_gender_2hot", "age_gender_tuple")  # decode into the scheme's groups


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
        """Raise EdgeError naming the field when a value is out of its documented range or of the wrong type.

        A spec is read back from files a user can edit (spec.json, the one embedded in a .tflite), so
        every value the runtime computes with is checked here: integer sizes, finite numbers, known
        names, class lists that match the outputs. ``edge.runtime`` also checks it against the model's
        own tensors.
        """
        if not _is_int(self.image_size):
            raise EdgeError(f"spec field image_size = {self.image_size!r} is not a whole number of pixels")
        if not 8 <= self.image_size <= 1024:
            raise EdgeError(f"image size {self.image_size} is out of range: use 8..1024 (e.g. --img-size 64)")
        if self.color not in COLORS:
            raise EdgeError(f"color '{self.color}' is not supported: use gray or rgb")
        if self.interpolation not in INTERPOLATIONS:
            raise EdgeError(f"interpolation '{self.interpolation}' is not supported: use {', '.join(INTERPOLATIONS)}")
        _check_number("pixel_scale", self.pixel_scale, positive=True)
        _check_number("pixel_offset", self.pixel_offset)
        crop = self.face_crop
        if crop.on_miss not in ("full_image", "skip"):
            raise EdgeError("face_crop.on_miss must be full_image or skip")
        if crop.detector not in (*DETECTOR_NAMES, HAAR_CASCADE):
            raise EdgeError(f"spec field face_crop.detector = {crop.detector!r} is not one of {', '.join(DETECTOR_NAMES)}")
        _check_number("face_crop.margin", crop.margin, minimum=0.0, maximum=10.0)
        if not _is_int(crop.min_face_px) or crop.min_face_px < 0:
            raise EdgeError(f"spec field face_crop.min_face_px = {crop.min_face_px!r} is not a whole number >= 0")
        get_scheme(self.label_scheme)
        self._check_classes()
        for position, out in enumerate(self.outputs):
            self._check_output(f"outputs[{position}]", out)
        if len({out.name for out in self.outputs}) != len(self.outputs):
            raise EdgeError("spec field outputs has two outputs of the same name")
        if self.input_quantization is not None:
            _check_quantization("input_quantization", self.input_quantization)
        self._check_decoding()

    def _check_classes(self) -> None:
        for key in ("age_class_names", "gender_class_names"):
            names = getattr(self, key)
            if not all(isinstance(n, str) and n for n in names):
                raise EdgeError(f"spec field {key} holds an empty or non-text name")
        for position, center in enumerate(self.age_class_centers):
            _check_number(f"age_class_centers[{position}]", center)
        if len(self.age_class_centers) != len(self.age_class_names):
            raise EdgeError(f"spec fields age_class_names ({len(self.age_class_names)}) and age_class_centers "
                            f"({len(self.age_class_centers)}) differ in length")
        if len(self.gender_class_names) != 2:
            raise EdgeError(f"spec field gender_class_names has {len(self.gender_class_names)} names, not 2")

    def _check_output(self, where: str, out: "OutputSpec") -> None:
        if not isinstance(out.name, str) or not out.name:
            raise EdgeError(f"spec field {where}.name is empty or not text")
        if out.kind not in OUTPUT_KINDS:
            raise EdgeError(f"spec field {where}.kind = {out.kind!r} is not one of {', '.join(OUTPUT_KINDS)}")
        if out.kind in AGE_CLASS_KINDS and not self.age_class_names:
            raise EdgeError(f"spec field age_class_names is empty, but output {out.name} ({out.kind}) decodes age groups")
        expected = self.output_width(out.kind)
        if not _is_int(out.width) or out.width != expected:
            raise EdgeError(f"spec field {where}.width = {out.width!r}, but an output of kind {out.kind} with "
                            f"{len(self.age_class_names)} age classes has width {expected}")
        if out.tflite_index is not None and (not _is_int(out.tflite_index) or out.tflite_index < 0):
            raise EdgeError(f"spec field {where}.tflite_index = {out.tflite_index!r} is not a whole number >= 0")
        if out.quantization is not None:
            _check_quantization(f"{where}.quantization", out.quantization)

    def output_width(self, kind: str) -> int:
        """The width an output of ``kind`` has under this spec's age classes."""
        classes = len(self.age_class_names)
        return {"age_softmax": classes, "age_regression": 1, "gender_sigmoid": 1,
                "age_gender_2hot": classes + 2, "age_gender_tuple": 2}[kind]

    def _check_decoding(self) -> None:
        if not isinstance(self.decoding, dict):
            raise EdgeError("spec field decoding is not an object")
        for key in ("undefined_age_threshold", "undefined_gender_threshold", "tuple_gender_threshold"):
            if key in self.decoding:
                _check_number(f"decoding.{key}", self.decoding[key])
        thresholds = self.decoding.get("tuple_age_thresholds")
        if thresholds is not None:
            if not isinstance(thresholds, (list, tuple)) or len(thresholds) != max(0, len(self.age_class_names) - 1):
                raise EdgeError(f"spec field decoding.tuple_age_thresholds must list {len(self.age_class_names) - 1} "
                                "numbers (one between each two age classes)")
            for position, value in enumerate(thresholds):
                _check_number(f"decoding.tuple_age_thresholds[{position}]", value)
        for key, low, high in (("gender_temperature", 0.05, 100.0), ("age_interval_mass", 0.01, 1.0),
                               ("gender_unsure_below", 0.5, 1.0)):  # edge.calibration's keys
            if key in self.decoding:
                _check_number(f"decoding.{key}", self.decoding[key], minimum=low, maximum=high)
        if self.decoding.get("age_years", "expected") not in ("expected", "median"):
            raise EdgeError(f"spec field decoding.age_years = {self.decoding['age_years']!r} is not expected or median")

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
        values["face_crop"] = _nested("face_crop", FaceCropSpec, values.get("face_crop", {}))
        outputs = values.get("outputs", ())
        if not isinstance(outputs, list):
            raise EdgeError("spec field outputs is not a list")
        values["outputs"] = tuple(_output_from_dict(f"outputs[{i}]", o) for i, o in enumerate(outputs))
        for key in ("age_class_names", "age_class_centers", "gender_class_names"):
            if key in values:
                if not isinstance(values[key], list):
                    raise EdgeError(f"spec field {key} is not a list")
                values[key] = tuple(values[key])
        if values.get("input_quantization") is not None:
            values["input_quantization"] = _nested("input_quantization", QuantParams, values["input_quantization"])
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


def _output_from_dict(where: str, data: dict[str, Any]) -> OutputSpec:
    values = dict(data) if isinstance(data, dict) else data
    if isinstance(values, dict) and values.get("quantization") is not None:
        values["quantization"] = _nested(f"{where}.quantization", QuantParams, values["quantization"])
    return _nested(where, OutputSpec, values)


def _nested(where: str, kind: type, data: Any) -> Any:
    """Build a nested spec dataclass; a non-object or unknown/missing keys name the field."""
    if not isinstance(data, dict):
        raise EdgeError(f"spec field {where} is not an object")
    try:
        return kind(**data)
    except TypeError as error:
        raise EdgeError(f"spec field {where} is malformed ({error})") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_number(where: str, value: Any, positive: bool = False, minimum: float | None = None,
                  maximum: float | None = None) -> None:
    """EdgeError naming the spec field unless ``value`` is a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise EdgeError(f"spec field {where} = {value!r} is not a finite number")
    if positive and value <= 0:
        raise EdgeError(f"spec field {where} = {value!r} must be positive")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise EdgeError(f"spec field {where} = {value!r} is outside {minimum}..{maximum}")


def _check_quantization(where: str, params: QuantParams) -> None:
    _check_number(f"{where}.scale", params.scale, positive=True)
    if not _is_int(params.zero_point) or not -32768 <= params.zero_point <= 65535:
        raise EdgeError(f"spec field {where}.zero_point = {params.zero_point!r} is not a whole number")
