"""``edge predict``: faces, ages and genders in photos and videos, in the standalone runtime.

Runtime only: LiteRT + NumPy + OpenCV. Everything about the model (input size, colour, scaling,
output decoding, the face detector and crop margin) is read from the spec embedded in the
``.tflite`` (``edge.tflite_meta``); TensorFlow is never imported.

Per image: decode -> detect faces (``edge.detect``, the spec's ``face_crop.detector``) -> crop
each with the spec's square rule -> the spec's resize + colour + scaling (``edge.preprocess``)
-> the classifier -> ``edge.decode``. ``--no-detect`` treats each image as one aligned chip.

Inputs stream: directories are walked lazily (one directory listing in memory at a time),
results are printed (or written as JSON) as each image finishes, so memory stays constant
however many images there are.

JSON schema (one document, ``schema: "edge.predict/1"``)::

    {"schema": "edge.predict/1", "model": str, "runtime": str,
     "detector": str | null, "margin": float | null,
     "images": [{"file": str, "width": int, "height": int,
                 "faces": [{"box": [x, y, w, h] (pixels, top-left origin), "score": float | null,
                            "gender": {"label": str, "p": float | null, "unsure": bool (only with a calibrated spec)},
                            "age": {"group": str | null, "p": float | null, "years": float,
                                    "range": [low, high] (years; only with a calibrated spec)},
                            "undefined": bool,
                            "too_small": true, "reason": str (only for a face under the spec's
                                face_crop.min_face_px: found, not classified)}],
                 "latency_ms": float | null,   # detect + crop + classify, decoding the file excluded
                 "error": str | null}],        # "no face detected", "not a decodable image", ...
     "summary": {"inputs": int, "processed": int, "failed": int, "no_face": int, "faces": int}}

``--video`` documents are ``{"schema": "edge.predict.video/1", "file", "fps", "stride", "frames": [{"frame": int,
"faces": [...], "latency_ms": float}], "summary": {"frames", "frames_read", "frames_in_file", "unread_frames",
"decoder_messages", "latency_ms": {"median", "p90"}, "annotated"}}``.

A directory input that yields no file (empty, no image suffix, unreadable) is an ``images`` entry of
its own: ``file`` is the directory, ``error`` the reason, counted in ``failed``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, TextIO

import numpy as np

from edge import schemas

from edge.datasets import IMAGE_SUFFIXES
from edge.decode import decode_outputs, flip_average, mirror
from edge.errors import EdgeError
from edge.preprocess import ImageError, decode_image, resize_and_convert, to_model_input
from edge.runtime import TFLiteModel

NO_FACE = "no face detected"
# Exit codes (the CLI documents them): every input processed with at least one face / some
# input failed or had no face / usage error (bad model, no inputs, bad option).
EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
DIRECTORY_SUFFIXES = (*IMAGE_SUFFIXES, ".tif", ".tiff")
MAX_UNREADABLE_IN_A_ROW = 250  # video frames (10 s at 25 fps) before a damaged video counts as ended


@dataclass
class PredictOptions:
    """How ``edge predict`` runs; ``None`` detector/margin = the model spec's."""

    detect: bool = True
    detector: str | None = None
    margin: float | None = None
    threads: int = 1
    annotate: Path | None = None
    tta: bool = False  # flip averaging: each face also runs mirrored (twice the classifier time)


@dataclass(frozen=True)
class PredictOutput:
    """Where ``edge predict`` reports: the table or one JSON document (``as_json``) on ``out`` (default
    stdout), and ``progress(done, total)`` after each input (None: no progress bar)."""

    as_json: bool = False
    out: TextIO | None = None
    progress: Callable[[int, int | None], None] | None = None

    @property
    def stream(self) -> TextIO:
        return self.out or sys.stdout


@dataclass(frozen=True)
class FrameSelection:
    """Which frames of a video or webcam are classified: every ``stride``-th, up to ``max_frames``."""

    stride: int = 1
    max_frames: int | None = None


@dataclass
class ImageResult:
    """One input's outcome (``to_dict`` is its JSON entry)."""

    file: str
    faces: list[dict] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    latency_ms: float | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"file": self.file, "width": self.width, "height": self.height, "faces": self.faces,
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2), "error": self.error}


class Predictor:
    """The model + detector, loaded once; ``predict(image_bgr)`` -> face dicts."""

    def __init__(self, model_path: Path, options: PredictOptions):
        self.model = TFLiteModel(Path(model_path), num_threads=options.threads)
        self.spec = self.model.spec
        self.options = options
        # a file exported with --flip-average already runs the mirror image inside: a second pass adds nothing
        self.mirror_pass = options.tta and not self.spec.flip_averaged
        face_crop = self.spec.face_crop
        self.margin = face_crop.margin if options.margin is None else options.margin
        self.detector = None
        if options.detect:
            from edge.detect import FaceDetector

            # every face is found; those under the spec's readable size are reported, not classified
            self.detector = FaceDetector(options.detector or face_crop.detector, num_threads=options.threads,
                                         min_face_px=0)
        self.min_face_px = face_crop.min_face_px
        kinds = {out.kind for out in self.spec.outputs}
        # p is a probability only where the output is one (the tuple model's values are not)
        self.gender_is_prob = bool(kinds & {"gender_sigmoid", "age_gender_2hot"})

    @property
    def detector_name(self) -> str | None:
        return self.detector.name if self.detector else None

    def predict(self, image_bgr: np.ndarray) -> tuple[list[dict], float]:
        """Faces in a decoded BGR image, largest first, and the detect+crop+classify time (ms)."""
        from edge.detect import crop_box

        start = time.perf_counter()
        height, width = image_bgr.shape[:2]
        if self.detector is None:
            boxes = [((0.0, 0.0, float(width), float(height)), None, (0, 0, width, height))]
        else:
            boxes = [(f.box, f.score, crop_box(f, self.margin, image_bgr.shape)) for f in self.detector.detect(image_bgr)]
        faces = []
        for box, score, (x0, y0, x1, y1) in boxes:
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue  # a box clipped to nothing at the image edge
            if self.detector is not None and max(box[2], box[3]) < self.min_face_px:
                faces.append(_too_small(box, score, self.min_face_px))  # found, but too small to read
                continue
            x = to_model_input(resize_and_convert(image_bgr[y0:y1, x0:x1], self.spec), self.spec)
            outputs = self.model.run(x[None])
            if self.mirror_pass:
                outputs = flip_average(outputs, self.model.run(mirror(x[None])))
            decoded = decode_outputs(self.spec, outputs)
            faces.append(self._face_dict(decoded, box, score))
        return faces, 1000 * (time.perf_counter() - start)

    def _face_dict(self, decoded, box, score) -> dict:
        """A classified face: box, detector score, gender, age (and its range and "not sure" when calibrated)."""
        labels = decoded.labels(self.spec, 0)
        p_female = labels["gender_prob_female"]
        gender_p = None
        if self.gender_is_prob and labels["gender"] is not None:
            gender_p = round(p_female if decoded.gender[0] == 1 else 1 - p_female, 4)
        age_p = None
        if decoded.age_probs is not None and decoded.age_class[0] >= 0:
            probs = decoded.age_probs[0]
            age_p = round(float(probs[decoded.age_class[0]] / max(probs.sum(), 1e-12)), 4)
        face = {
            "box": [round(float(v), 1) for v in box],
            "score": None if score is None else round(float(score), 4),
            "gender": {"label": labels["gender"], "p": gender_p},
            "age": {"group": labels["age_group"], "p": age_p, "years": labels["age_years"]},
            "undefined": labels["undefined"],
        }
        if "gender_unsure" in labels:  # a calibrated spec (edge.calibration): say when it is guessing
            face["gender"]["unsure"] = labels["gender_unsure"]
        if "age_range" in labels:
            face["age"]["range"] = labels["age_range"]
        return face

    def predict_file(self, path: str) -> tuple[ImageResult, np.ndarray | None]:
        """Decode and predict one file; errors are reported in the result, never raised."""
        try:
            image = decode_image(path)
        except ImageError as error:
            return ImageResult(path, error=error.reason), None
        faces, latency = self.predict(image)
        result = ImageResult(path, faces, image.shape[1], image.shape[0], latency, None if faces else NO_FACE)
        return result, image


def _too_small(box, score, min_face_px: int) -> dict:
    """A face the detector found below the spec's readable size (``face_crop.min_face_px``): said, not guessed."""
    return {"box": [round(float(v), 1) for v in box], "score": None if score is None else round(float(score), 4),
            "gender": {"label": None, "p": None}, "age": {"group": None, "p": None, "years": None},
            "undefined": False, "too_small": True,
            "reason": f"face too small to read ({max(box[2], box[3]):.0f} px; the model needs {min_face_px} px)"}


# ---------------------------------------------------------------- inputs
class Input(NamedTuple):
    """One row of ``edge predict``: a file to run, or (``error`` set) an input that yielded no file."""

    file: str
    source_dir: Path | None = None  # the directory input it was found in
    error: str | None = None  # an unreadable directory, or one without images


def iter_inputs(inputs: Iterable[str], stdin: TextIO | None = None) -> Iterator[Input]:
    """Yield an ``Input`` per file, lazily, and one per input that yields no file (with its reason).

    ``-`` reads one path per line from stdin; only the line end is removed (a name may begin or end
    with spaces). Directories are walked recursively in sorted order, keeping image files (by
    suffix); an unreadable directory (the input or one inside it) and a directory without images are
    rows of their own, so they are counted. Explicitly named files are always tried, so a non-image is
    reported rather than skipped.
    """
    for item in inputs:
        if item == "-":
            for line in stdin if stdin is not None else sys.stdin:
                path = line.removesuffix("\n").removesuffix("\r")
                if path:
                    yield Input(path)
        elif os.path.isdir(item):
            yield from _walk(item)
        else:
            yield Input(item)


def _walk(top: str) -> Iterator[Input]:
    root = Path(top)
    unreadable: list[OSError] = []
    found = 0
    for directory, subdirs, names in os.walk(top, onerror=unreadable.append):
        yield from (Input(error.filename or directory, root, f"unreadable directory ({error.strerror})")
                    for error in unreadable)
        found += len(unreadable)
        unreadable.clear()
        subdirs.sort()
        for name in sorted(names):
            if name.lower().endswith(DIRECTORY_SUFFIXES) and not name.startswith("."):
                found += 1
                yield Input(os.path.join(directory, name), root)
    yield from (Input(error.filename or top, root, f"unreadable directory ({error.strerror})") for error in unreadable)
    if not found and not unreadable:
        yield Input(top, root, f"no images in this directory (looked for {', '.join(DIRECTORY_SUFFIXES)})")


def count_inputs(inputs: list[str]) -> int | None:
    """How many rows ``iter_inputs`` will yield (a counting walk, nothing kept); None with stdin."""
    if "-" in inputs:
        return None
    return sum(1 for _ in iter_inputs(inputs))


# ---------------------------------------------------------------- drawing
def draw_faces(image_bgr: np.ndarray, faces: list[dict], margin: float | None = None) -> np.ndarray:
    """A copy of the image with each face's box and labels drawn."""
    import cv2

    out = image_bgr.copy()
    thickness = max(1, round(max(out.shape[:2]) / 400))
    for face in faces:
        x, y, w, h = face["box"]
        color = (0, 200, 255) if face["undefined"] else ((255, 120, 0) if face["gender"]["label"] == "male" else (180, 0, 255))
        cv2.rectangle(out, (int(x), int(y)), (int(x + w), int(y + h)), color, thickness)
        text = "Undefined" if face["undefined"] else label_text(face)
        scale = max(0.4, min(1.5, w / 180))
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        ty = int(y) - 4 if y - th - 6 > 0 else int(y + h) + th + 4
        cv2.rectangle(out, (int(x), ty - th - 3), (int(x) + tw + 4, ty + base), color, -1)
        cv2.putText(out, text, (int(x) + 2, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return out


def label_text(face: dict) -> str:
    """A face's label as a person reads it, e.g. 'female 27 (22-33)' or 'gender not sure 4 (2-6)'."""
    if face.get("too_small"):
        return "too small to read"
    gender = "gender not sure" if face["gender"].get("unsure") else (face["gender"]["label"] or "?")
    years = face["age"]["years"]
    if "range" in face["age"]:
        low, high = face["age"]["range"]
        return f"{gender} {years:.0f} ({low:.0f}-{high:.0f})"
    group = face["age"]["group"]
    return f"{gender} {group} ({years:.0f}y)" if group else f"{gender} {years:.0f}y"


def annotated_name(file: str, source_dir: Path | None) -> Path:
    """The annotated copy's path inside ``--annotate``: mirrors the path under a directory input, else
    the file name (an image suffix OpenCV can write, else .png)."""
    path = Path(file)
    relative = Path(source_dir.name or "input") / path.relative_to(source_dir) if source_dir else Path(path.name)
    suffix = path.suffix.lower() if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".webp") else ".png"
    return relative.with_suffix(suffix)


ANNOTATIONS_MARKER = ".edge-annotations"
_MARKER_HEADER = {"schema": schemas.ANNOTATIONS,
                  "about": "files `edge predict --annotate` wrote here; edge overwrites only these, while unchanged"}


class AnnotationFolder:
    """The ``--annotate`` directory: edge writes new files there, or replaces files it wrote itself.

    Ownership is proven, never guessed from names: ``.edge-annotations`` in the folder records each
    file edge wrote with its SHA-256, and an existing file is replaced only while it still has that
    content. Anything else (a user's photo, an input of this command, a file edge wrote but someone
    changed since, a file written earlier in this command) is kept, and the copy takes the next free
    name: ``NAME_annotated``, ``NAME_annotated_2``, ...
    """

    def __init__(self, root: Path, inputs: Iterable[str] = ()):
        from edge.io import check_output_dir

        self.root = check_output_dir(Path(root), "--annotate directory")
        self.marker = self.root / ANNOTATIONS_MARKER
        self.owned = self._read_marker()
        self.written: set[str] = set()
        self.protected = {os.path.realpath(item) for item in inputs if item != "-" and os.path.isfile(item)}

    def _read_marker(self) -> dict[str, str]:
        if not self.marker.exists():
            return {}
        lines = self.marker.read_bytes().decode("utf-8", "replace").splitlines()
        try:
            if json.loads(lines[0]).get("schema") != _MARKER_HEADER["schema"]:
                raise ValueError
        except (IndexError, ValueError, AttributeError):
            raise EdgeError(f"{self.marker} was not written by edge: choose another --annotate directory") from None
        owned = {}
        for line in lines[1:]:
            try:
                entry = json.loads(line)
                owned[entry["file"]] = entry["sha256"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill: that file is not proven edge's, so it is kept
        return owned

    def _candidates(self, wanted: Path) -> Iterator[Path]:
        base = wanted.stem if wanted.stem.endswith("_annotated") else f"{wanted.stem}_annotated"
        yield wanted
        if base != wanted.stem:
            yield wanted.with_name(base + wanted.suffix)
        for number in range(2, 10000):
            yield wanted.with_name(f"{base}_{number}{wanted.suffix}")

    def _free(self, path: Path, key: str, current_input: str | None) -> bool:
        if key in self.written:
            return False  # another input of this command already went there
        real = os.path.realpath(path)
        if real in self.protected or (current_input is not None and real == os.path.realpath(current_input)):
            return False  # never over an input
        if not os.path.lexists(path):
            return True
        return (self.owned.get(key) is not None and path.is_file() and not path.is_symlink()
                and _sha256(path) == self.owned[key])

    def target(self, wanted: Path, current_input: str | None = None) -> Path:
        """The path to write the copy named ``wanted`` (relative to the folder) to: see the class."""
        for relative in self._candidates(wanted):
            key = relative.as_posix()
            path = self.root / relative
            if self._free(path, key, current_input):
                self.written.add(key)
                return path
        raise EdgeError(f"{self.root / wanted}: no free name left for its annotated copy: choose another --annotate directory")

    def record(self, path: Path, digest: str) -> None:
        """Note in the marker that edge wrote ``path`` with content ``digest`` (after it was written)."""
        key = path.relative_to(self.root).as_posix()
        self.owned[key] = digest
        if not self.marker.exists():
            from edge.io import write_text_atomic

            write_text_atomic(self.marker, json.dumps(_MARKER_HEADER) + "\n")
        with open(self.marker, "a", encoding="utf-8") as stream:
            stream.write(json.dumps({"file": key, "sha256": digest}) + "\n")

    def write_image(self, wanted: Path, image: np.ndarray, current_input: str) -> Path:
        """Encode ``image`` by the suffix and write it atomically to its ``target``; returns the path."""
        import cv2

        from edge.io import write_bytes_atomic

        path = self.target(wanted, current_input)
        ok, data = cv2.imencode(path.suffix, image)
        if not ok:
            raise EdgeError(f"could not encode {path}: pick another --annotate directory")
        write_bytes_atomic(path, data.tobytes())
        self.record(path, hashlib.sha256(data.tobytes()).hexdigest())
        return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- text output
TABLE_HEADER = (f"{'file':<40} {'face box (x,y,w,h)':<22} {'gender':<16} {'age group':<16} {'years':>6} "
                f"{'range':>8}")


def table_lines(result: ImageResult) -> list[str]:
    """The text table rows of one image (one per face, or one for an error)."""
    name = result.file if len(result.file) <= 40 else "..." + result.file[-37:]
    if result.error and not result.faces:
        return [f"{name:<40} {result.error}"]
    lines = []
    for face in result.faces:
        box = ",".join(f"{v:.0f}" for v in face["box"])
        if face.get("too_small"):
            lines.append(f"{name:<40} {box:<22} {face['reason']}")
            continue
        if face["undefined"]:
            lines.append(f"{name:<40} {box:<22} {'Undefined':<16} {'Undefined':<16} {'':>6}")
            continue
        gp = face["gender"]["p"]
        label = "not sure" if face["gender"].get("unsure") else face["gender"]["label"]
        gender = f"{label}" + (f" {gp:.2f}" if gp is not None else "")
        ap = face["age"]["p"]
        group = (face["age"]["group"] or "-") + (f" {ap:.2f}" if ap is not None else "")
        span = "{:.0f}-{:.0f}".format(*face["age"]["range"]) if "range" in face["age"] else ""
        lines.append(f"{name:<40} {box:<22} {gender:<16} {group:<16} {face['age']['years']:>6.1f} {span:>8}")
    return lines


@contextlib.contextmanager
def stderr_progress(description: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on stderr: yields ``update(done, total)``, or None when stderr is not a terminal.

    Results go to stdout; rich redirects stdout writes above the live bar when both are a terminal.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from edge.console import err_console

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        task = progress.add_task(description, total=None)
        yield (lambda done, total: progress.update(task, completed=done, total=total)) if err_console.is_terminal else None


# ---------------------------------------------------------------- the image command
@dataclass
class Summary:
    """What ``edge predict`` did with its image inputs (the JSON document's ``summary``)."""

    inputs: int = 0
    processed: int = 0
    failed: int = 0
    no_face: int = 0
    faces: int = 0

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.failed == 0 and self.no_face == 0 else EXIT_SOME_FAILED

    def count(self, result: ImageResult, decoded: bool) -> None:
        """Add one input: decoded (with its faces, or none) or failed."""
        self.inputs += 1
        if not decoded:
            self.failed += 1
            return
        self.processed += 1
        self.no_face += not result.faces
        self.faces += len(result.faces)

    def to_dict(self) -> dict:
        return {"inputs": self.inputs, "processed": self.processed, "failed": self.failed,
                "no_face": self.no_face, "faces": self.faces}


def predict_images(model_path: Path, inputs: list[str], options: PredictOptions,
                   output: PredictOutput = PredictOutput(), stdin: TextIO | None = None) -> Summary:
    """Run every input, writing the table (or the JSON document) to ``output`` as images finish."""
    out = output.stream
    if not inputs:
        raise EdgeError("no inputs: pass image files, directories, or - to read paths from stdin")
    predictor = Predictor(model_path, options)
    annotations = AnnotationFolder(options.annotate, inputs) if options.annotate is not None else None
    total = count_inputs(inputs) if output.progress else None
    summary = Summary()
    if output.as_json:
        header = schemas.PredictHeader(str(model_path), predictor.model.runtime_name, predictor.detector_name,
                                       predictor.margin if predictor.detector else None).to_json()
        out.write(json.dumps(header)[:-1] + ', "images": [\n')
    else:
        out.write(TABLE_HEADER + "\n")
    for item in iter_inputs(inputs, stdin):
        result, image = (ImageResult(item.file, error=item.error), None) if item.error else predictor.predict_file(item.file)
        summary.count(result, image is not None)
        if annotations is not None and image is not None:
            annotations.write_image(annotated_name(item.file, item.source_dir), draw_faces(image, result.faces), item.file)
        if output.as_json:
            out.write(("" if summary.inputs == 1 else ",\n") + json.dumps(result.to_dict()))
        else:
            out.write("\n".join(table_lines(result)) + "\n")
        out.flush()
        if output.progress:
            output.progress(summary.inputs, total)
    if output.as_json:
        out.write('\n], "summary": ' + json.dumps(summary.to_dict()) + "}\n")
    return summary


# ---------------------------------------------------------------- video and webcam
class _FrameReader:
    """The frames of a capture, a damaged frame skipped: reading goes on up to the container's frame count
    (bounded, so a wrong count in a damaged header cannot keep it spinning). Counts what it read."""

    def __init__(self, capture, webcam: bool, total: int | None):
        self.capture, self.webcam, self.total = capture, webcam, total
        self.frames_read = 0

    def __iter__(self):
        index, failures_in_a_row = -1, 0
        while True:
            ok, frame = self.capture.read()
            index += 1
            if not ok:
                failures_in_a_row += 1
                if (self.webcam or self.total is None or index + 1 >= self.total
                        or failures_in_a_row > MAX_UNREADABLE_IN_A_ROW):
                    return
                continue
            failures_in_a_row = 0
            self.frames_read += 1
            yield index, frame


class _AnnotatedVideo:
    """``ANNOTATE/<name>_annotated.mp4``, opened at the first frame, written under a hidden partial name
    and given its name (and recorded as edge's) only once complete."""

    def __init__(self, annotations: AnnotationFolder, name: str, source: str | None, fps: float):
        self.annotations, self.name, self.source, self.fps = annotations, name, source, fps
        self.writer = self.path = self.partial = None

    def write(self, frame: np.ndarray) -> None:
        import cv2

        if self.writer is None:
            self.path = self.annotations.target(Path(f"{self.name}_annotated.mp4"), self.source)
            self.partial = self.path.with_name(f".{self.path.stem}.partial-{os.getpid()}.mp4")
            self.writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter_fourcc(*"mp4v"), self.fps,
                                          (frame.shape[1], frame.shape[0]))
        self.writer.write(frame)

    def close(self, complete: bool) -> Path | None:
        """The finished video's path, or None (nothing written, or the partial file removed)."""
        if self.writer is None:
            return None
        self.writer.release()
        if not complete:
            Path(self.partial).unlink(missing_ok=True)
            return None
        os.replace(self.partial, self.path)
        self.annotations.record(self.path, _sha256(self.path))
        return self.path


class _VideoOutput:
    """What ``edge predict --video`` prints: a table, or one ``edge.predict.video/1`` JSON document."""

    def __init__(self, out: TextIO, as_json: bool):
        self.out, self.as_json, self.frames = out, as_json, 0

    def header(self, header: dict) -> None:
        self.out.write(json.dumps(header)[:-1] + ', "frames": [\n' if self.as_json else f"{'frame':>7} {'ms':>7}  faces\n")

    def frame(self, index: int, faces: list, latency: float) -> None:
        if self.as_json:
            entry = {"frame": index, "faces": faces, "latency_ms": round(latency, 2)}
            self.out.write(("" if self.frames == 0 else ",\n") + json.dumps(entry))
        else:
            self.out.write(f"{index:>7} {latency:>7.1f}  " + ("; ".join(label_text(f) for f in faces) or "-") + "\n")
        self.out.flush()
        self.frames += 1

    def footer(self, summary: dict) -> None:
        if self.as_json:
            self.out.write('\n], "summary": ' + json.dumps(summary) + "}\n")
            return
        annotated = summary["annotated"]
        self.out.write(f"{summary['frames']} frames, latency median {summary['latency_ms']['median']} ms, "
                       f"p90 {summary['latency_ms']['p90']} ms" + (f", annotated: {annotated}" if annotated else "") + "\n")


def _open_capture(source: str | int):
    """An open OpenCV capture of a video file or webcam, its frame rate and frame count (None: unknown)."""
    import cv2

    webcam = isinstance(source, int)
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise EdgeError(f"webcam {source} could not be opened (is a camera attached?)" if webcam
                        else f"{source} is not a readable video (OpenCV's FFmpeg could not open it)")
    return capture, capture.get(cv2.CAP_PROP_FPS) or 25.0, max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))) or None


def predict_video(model_path: Path, source: str | int, options: PredictOptions,
                  frames: FrameSelection = FrameSelection(), output: PredictOutput = PredictOutput()) -> dict:
    """The selected frames of a video file (or webcam index): faces and per-frame latency.

    With ``options.annotate`` the processed frames are written, boxes drawn, to
    ``ANNOTATE/<name>_annotated.mp4`` (or the next free name, see ``AnnotationFolder``). A frame
    the decoder cannot read is skipped and reading goes on up to the container's frame count; the
    summary says how many were lost (``unread_frames``, the command then exits 1). Returns the
    summary (latency median/p90 in ms).
    """
    if frames.stride < 1:
        raise EdgeError("--stride must be >= 1")
    webcam = isinstance(source, int)
    if not webcam and not os.path.isfile(source):
        raise EdgeError(f"video not found: {source}")
    predictor = Predictor(model_path, options)
    capture, fps, total = _open_capture(source)
    video = (_AnnotatedVideo(AnnotationFolder(options.annotate, [] if webcam else [str(source)]),
                             f"webcam{source}" if webcam else Path(source).stem, None if webcam else str(source),
                             fps / frames.stride) if options.annotate else None)
    printer, reader = _VideoOutput(output.stream, output.as_json), _FrameReader(capture, webcam, total)
    printer.header(schemas.PredictVideoHeader(str(source), str(model_path), fps, frames.stride, predictor.detector_name,
                                              predictor.margin if predictor.detector else None).to_json())
    try:
        measured = _classify_frames(predictor, reader, frames, _FrameSinks(printer, video, output.progress, total), webcam)
    finally:
        capture.release()
        annotated = video.close(complete=printer.frames > 0) if video is not None else None
    if printer.frames == 0 and not webcam:
        raise EdgeError(f"{source}: no frame could be decoded")
    unread = 0 if (webcam or measured.stopped_early or total is None) else max(0, total - reader.frames_read)
    latencies = measured.latencies
    summary = {"frames": printer.frames, "frames_read": reader.frames_read, "frames_in_file": total,
               "unread_frames": unread, "decoder_messages": measured.decoder_messages,
               "latency_ms": {"median": round(float(np.median(latencies)), 2) if latencies else None,
                              "p90": round(float(np.percentile(latencies, 90)), 2) if latencies else None},
               "annotated": str(annotated) if annotated else None}
    printer.footer(summary)
    return summary


class _FrameSinks(NamedTuple):
    """Where each classified frame goes: the printed table or document, the annotated video, the progress bar."""

    printer: _VideoOutput
    video: _AnnotatedVideo | None
    progress: Callable[[int, int | None], None] | None
    total: int | None


@dataclass
class _FramePass:
    """What one pass over a capture measured."""

    latencies: list[float] = field(default_factory=list)
    decoder_messages: int = 0
    stopped_early: bool = False


def _classify_frames(predictor: Predictor, reader: _FrameReader, frames: FrameSelection, sinks: _FrameSinks,
                     webcam: bool) -> _FramePass:
    """Classify the selected frames into the sinks; FFmpeg's decoding errors are counted, not printed."""
    from edge.preprocess import captured_stderr

    result = _FramePass()
    # FFmpeg writes its decoding errors to fd 2: they are counted into one line, not printed per frame
    with contextlib.nullcontext() if webcam else captured_stderr() as written:
        for index, frame in reader:
            if index % frames.stride:
                continue
            faces, latency = predictor.predict(frame)
            result.latencies.append(latency)
            if sinks.video is not None:
                sinks.video.write(draw_faces(frame, faces))
            sinks.printer.frame(index, faces, latency)
            if sinks.progress:
                sinks.progress(index + 1, sinks.total)
            if frames.max_frames is not None and sinks.printer.frames >= frames.max_frames:
                result.stopped_early = True
                break
        if written is not None:
            result.decoder_messages = len([line for line in written().splitlines() if line.strip()])
    return result


def unread_frames_message(source: str, summary: dict) -> str | None:
    """The one line ``edge predict --video`` prints (and exits 1 with) when frames could not be read."""
    if not summary.get("unread_frames"):
        return None
    messages = summary.get("decoder_messages") or 0
    return (f"{source}: {summary['unread_frames']} of its {summary['frames_in_file']} frames could not be read "
            f"(the video is damaged{f': the decoder reported {messages} errors' if messages else ''}); "
            f"the {summary['frames_read']} frames read were processed")
