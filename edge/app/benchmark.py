"""``edge benchmark EXPORT_DIR``: latency, throughput, memory and size of every exported file.

Each ``.tflite`` in the directory is measured in its OWN subprocess (``python -m edge.app.benchmark
--one``) so the peak RSS is that model's alone, at batch 1, with 1 and N interpreter threads:
warm-up runs, then timed runs -> median, p90, images/s. Ratios against ``model_float32.tflite`` (``float32``)
(latency and size) come from the same invocation, so they are side by side on one machine state.

The input is a real face when there is one: the export's ``golden/*.png`` preprocessed per the
model's spec; files without an embedded spec (e.g. ``face_detector.tflite``) get random input of
their input tensor's shape. The end-to-end time per face (detect + crop + classify, the path of
``edge predict``) is measured on a real photo: ``--photo``, or by default a frame composed from
the golden faces (real chips pasted into a 640x480 frame).

Runtime only (LiteRT + NumPy + OpenCV); TensorFlow is never imported.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from edge import layout
from edge.layout import ExportDir, ModelKind
from edge.errors import EdgeError

DEFAULT_RUNS = 200
DEFAULT_WARMUP = 20
REFERENCE = ModelKind.FLOAT32.value  # int8/float ratios are over the float32 file of the same export
E2E_RUNS = 20


def _rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _model_input(model, export_dir: Path) -> np.ndarray:
    """A real face preprocessed per the model's spec (golden PNG), else random input of the right shape."""
    from edge.preprocess import preprocess_file

    goldens = sorted(ExportDir(export_dir).golden_dir.glob("*.png")) if model.spec is not None else []
    if goldens:
        return preprocess_file(goldens[0], model.spec)
    shape = model.input["shape"][1:]
    return np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)


class _Bare:
    """A ``.tflite`` without an edge spec (e.g. the face detector): interpreter + input only."""

    def __init__(self, path: Path, threads: int):
        from edge.interpreter import make_interpreter
        from edge.tflite_meta import read_model_bytes

        self.model_bytes = read_model_bytes(path)
        self.interpreter, self.runtime_name = make_interpreter(self.model_bytes, threads)
        self.input = self.interpreter.get_input_details()[0]
        self.spec = None

    def run_raw(self, x: np.ndarray):
        self.interpreter.set_tensor(self.input["index"], x[None].astype(self.input["dtype"]))
        self.interpreter.invoke()


def _load(path: Path, threads: int):
    from edge.runtime import TFLiteModel

    try:
        return TFLiteModel(path, num_threads=threads)
    except EdgeError as error:
        if "no embedded edge spec" not in error.message:
            raise
        return _Bare(path, threads)


def time_runs(call: Callable[[], object], runs: int, warmup: int) -> dict:
    """Warm up, then time ``runs`` calls: median / p90 ms and images/s."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    return {"median_ms": round(median, 4), "p90_ms": round(float(np.percentile(times, 90)), 4),
            "images_per_s": round(1000.0 / median, 1), "runs": runs}


def compose_photo(export_dir: Path) -> np.ndarray | None:
    """A 640x480 frame with three of the export's real golden faces pasted in (BGR), or None."""
    import cv2

    goldens = sorted(ExportDir(export_dir).golden_dir.glob("*.png"))[:3]
    if not goldens:
        return None
    frame = np.full((480, 640, 3), (70, 110, 90), np.uint8)
    for i, png in enumerate(goldens):
        face = cv2.resize(cv2.imread(str(png)), (180, 180), interpolation=cv2.INTER_LINEAR)
        frame[150:330, 25 + i * 205:205 + i * 205] = face
    return frame


def measure_one(path: Path, threads_list: list[int], runs: int, warmup: int, photo: Path | None) -> dict:
    """Measure one model in THIS process (called in a fresh subprocess by ``benchmark_export``)."""
    baseline = _rss_mb()
    export_dir = path.parent
    result = {"file": path.name, "size_bytes": path.stat().st_size, "latency": {}}
    model = None
    for threads in threads_list:
        model = _load(path, threads)
        result["runtime"] = model.runtime_name
        x = _model_input(model, export_dir)
        result["input_dtype"] = np.dtype(model.input["dtype"]).name
        result["latency"][str(threads)] = time_runs(lambda: model.run_raw(x), runs, warmup)
    result["has_spec"] = model.spec is not None
    if model.spec is not None:
        result["end_to_end"] = end_to_end(path, threads_list, photo)
    result["peak_rss_mb"] = round(_rss_mb(), 1)
    result["baseline_rss_mb"] = round(baseline, 1)  # Python + NumPy + OpenCV + LiteRT imported, no model yet
    return result


def end_to_end(path: Path, threads_list: list[int], photo: Path | None) -> dict:
    """Detect + crop + classify on a real photo, per face (``edge predict``'s path), 1 and N threads."""
    from edge.app.predict import PredictOptions, Predictor
    from edge.preprocess import ImageError, decode_image

    if photo is not None:
        try:
            image = decode_image(photo)
        except ImageError as error:
            raise EdgeError(f"--photo {photo}: {error.reason}") from None
        source = str(photo)
    else:
        image = compose_photo(path.parent)
        source = "3 golden faces composed into a 640x480 frame"
    if image is None:
        return {"error": "no --photo and no golden/ faces beside the model"}
    out = {"photo": source}
    for threads in threads_list:
        predictor = Predictor(path, PredictOptions(threads=threads))
        faces, _ = predictor.predict(image)
        if not faces:
            return {"photo": source, "error": "no face detected in the photo", "detector": predictor.detector_name}
        timing = time_runs(lambda: predictor.predict(image), E2E_RUNS, 3)
        out[str(threads)] = {"faces": len(faces), "median_ms_per_photo": timing["median_ms"],
                             "median_ms_per_face": round(timing["median_ms"] / len(faces), 3),
                             "p90_ms_per_photo": timing["p90_ms"]}
        out["detector"] = predictor.detector_name
    return out


def report_name(path: Path) -> str:
    """A file's name in the report: its ModelKind (``int8_qat``) for an export's model, else its stem."""
    kind = ModelKind.named(path.stem)
    return kind.value if kind and path.name == kind.file else path.stem


def find_tflite(export_dir: Path) -> list[Path]:
    export_dir = Path(export_dir)
    if not export_dir.is_dir():
        raise EdgeError(f"export directory not found: {export_dir} (run `edge export RUN_DIR --int8` first)")
    files = sorted(p for p in export_dir.glob("*.tflite") if not layout.is_hidden(p))
    if not files:
        raise EdgeError(f"no .tflite files in {export_dir}: is it an `edge export` directory?")
    return files


def check_photo(photo: Path) -> None:
    """EdgeError naming ``--photo`` unless it is an image edge decodes (checked before any measuring)."""
    from edge.preprocess import ImageError, decode_image

    try:
        decode_image(photo)
    except ImageError as error:
        raise EdgeError(f"--photo {photo}: {error.reason}: choose a photo with faces") from None


@dataclass(frozen=True)
class BenchmarkOptions:
    """How ``edge benchmark`` measures: ``threads`` is the N of "threads 1 and N" (None: every CPU core),
    ``runs`` timed and ``warmup`` untimed runs per model and thread count, ``photo`` the real photo for the
    end-to-end time per face (None: the export's golden faces composed into one frame)."""

    threads: int | None = None
    runs: int = DEFAULT_RUNS
    warmup: int = DEFAULT_WARMUP
    photo: Path | None = None

    @property
    def thread_counts(self) -> list[int]:
        return sorted({1, self.threads or os.cpu_count() or 1})

    def check(self) -> None:
        """Refuse impossible counts and an unusable photo before anything is measured."""
        if self.runs < 1 or self.warmup < 0:
            raise EdgeError("--runs must be >= 1 and --warmup >= 0")
        if self.photo is not None:
            check_photo(Path(self.photo))


def benchmark_export(export_dir: Path, options: BenchmarkOptions = BenchmarkOptions(),
                     log: Callable[[str], None] = print, out: Path | None = None) -> dict:
    """Measure every ``.tflite`` of ``export_dir``, each in its own subprocess; returns the report.

    The inputs and ``out`` (where the caller will write the report; default ``export_dir``) are
    checked first, so a bad ``--photo`` or a read-only location fails in a second, not after the
    measuring.
    """
    from edge.io import check_output_dir

    export_dir = Path(export_dir)
    files = find_tflite(export_dir)
    options.check()
    check_output_dir(Path(out) if out is not None else export_dir, "benchmark report directory (--out)")
    models = {}
    for path in files:
        log(f"measuring {path.name} (threads {', '.join(map(str, options.thread_counts))})")
        entry = models[report_name(path)] = _measure_in_subprocess(path, options)
        if "error" in entry:
            log(f"  failed: {entry['error']}")
    report = {"export_dir": str(export_dir), "threads": options.thread_counts, "runs": options.runs,
              "warmup": options.warmup, "machine": machine_description(), "models": models}
    add_ratios(report)
    validation = ExportDir(export_dir).validation_json
    if validation.is_file():
        report["validation"] = str(validation)
    return report


def _measure_in_subprocess(path: Path, options: BenchmarkOptions) -> dict:
    """One model's entry, measured by ``python -m edge.app.benchmark --one`` (its own peak memory);
    ``{"file", "error"}`` with the subprocess's last line when it failed."""
    command = [sys.executable, "-m", "edge.app.benchmark", "--one", str(path),
               "--threads", ",".join(map(str, options.thread_counts)), "--runs", str(options.runs),
               "--warmup", str(options.warmup)] + (["--photo", str(options.photo)] if options.photo else [])
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        return {"file": path.name, "error": (completed.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def failed_models(report: dict) -> list[str]:
    """The models of a report that could not be measured (their ``error``)."""
    return [name for name, entry in report["models"].items() if "error" in entry]


def machine_description() -> str:
    import platform

    return f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPU cores visible, Python {platform.python_version()}"


def add_ratios(report: dict) -> None:
    """Latency and size of each model over the ``float32`` file from the same run (int8/float ratios)."""
    reference = report["models"].get(REFERENCE)
    if not reference or "latency" not in reference:
        return
    for name, entry in report["models"].items():
        if "latency" not in entry or name == REFERENCE or not entry.get("has_spec"):
            continue  # the detector is not a variant of the classifier: no ratio
        entry["vs_float32"] = {
            "size": round(entry["size_bytes"] / reference["size_bytes"], 3),
            **{f"latency_{t}_threads": round(entry["latency"][t]["median_ms"] / reference["latency"][t]["median_ms"], 3)
               for t in entry["latency"] if t in reference["latency"]},
        }


def table_rows(report: dict) -> list[list[str]]:
    """The printed table: one row per model."""
    rows = []
    for name, entry in report["models"].items():
        if "error" in entry:
            rows.append([name, "error: " + entry["error"]] + [""] * 7)
            continue
        lat = entry["latency"]
        one, many = lat[str(report["threads"][0])], lat[str(report["threads"][-1])]
        e2e = entry.get("end_to_end", {})
        e2e_face = e2e.get(str(report["threads"][0]), {}).get("median_ms_per_face")
        ratio = entry.get("vs_float32", {})
        rows.append([
            name, f"{entry['size_bytes'] / 1024:.0f} KB",
            f"{one['median_ms']:.3f} / {one['p90_ms']:.3f}", f"{one['images_per_s']:.0f}",
            f"{many['median_ms']:.3f} / {many['p90_ms']:.3f}", f"{entry['peak_rss_mb']:.0f} MB",
            f"{ratio['latency_1_threads']:.2f}x / {ratio['size']:.2f}x" if ratio else "",
            f"{e2e_face:.2f} ms" if e2e_face is not None else e2e.get("error", ""), entry.get("input_dtype", ""),
        ])
    return rows


TABLE_HEADERS = ["model", "size", "1 thread median/p90 ms", "img/s (1 thr)", "N threads median/p90 ms", "peak RSS",
                 "vs float32 latency/size", "end-to-end per face (1 thr)", "input"]


def markdown_table(report: dict) -> str:
    headers = [h.replace("N threads", f"{report['threads'][-1]} threads") for h in TABLE_HEADERS]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(report)]
    return "\n".join(lines)


def write_plot(report: dict, path: Path) -> Path:
    """Latency vs size per model; accuracy vs size and vs latency when validation.json is beside."""
    from edge.plotting import pyplot, save_png

    plt = pyplot()
    ok = {n: e for n, e in report["models"].items() if "latency" in e}
    accuracy = {}
    if report.get("validation"):
        validation = json.loads(Path(report["validation"]).read_text())
        for name, entry in validation.get("models", {}).items():
            if name in ok and "gender_accuracy" in entry:  # one name per model: validation's and ours agree
                accuracy[name] = entry
    columns = 3 if accuracy else 1
    figure, axes = plt.subplots(1, columns, figsize=(5.5 * columns, 4.2))
    axes = np.atleast_1d(axes)
    one = str(report["threads"][0])
    for name, entry in ok.items():
        size_kb = entry["size_bytes"] / 1024
        latency = entry["latency"][one]["median_ms"]
        axes[0].scatter(size_kb, latency)
        axes[0].annotate(name, (size_kb, latency), fontsize=8)
        if name in accuracy:
            for axis, x in ((axes[1], size_kb), (axes[2], latency)):
                axis.scatter(x, accuracy[name]["gender_accuracy"], marker="o", color="tab:blue")
                if "age_exact_accuracy" in accuracy[name]:
                    axis.scatter(x, accuracy[name]["age_exact_accuracy"], marker="s", color="tab:orange")
                axis.annotate(name, (x, accuracy[name]["gender_accuracy"]), fontsize=8)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("file size (KB, log)")
    axes[0].set_ylabel(f"median latency, {one} thread (ms)")
    axes[0].set_title("latency vs size", fontsize=10)
    if accuracy:
        for axis, label in ((axes[1], "file size (KB, log)"), (axes[2], f"median latency, {one} thread (ms)")):
            axis.set_xlabel(label)
            axis.set_ylabel("accuracy (circles: gender, squares: age group exact)")
        axes[1].set_xscale("log")
        axes[1].set_title("accuracy vs size", fontsize=10)
        axes[2].set_title("accuracy vs latency", fontsize=10)
    figure.suptitle(f"edge benchmark: {Path(report['export_dir']).name}", fontsize=11)
    return save_png(figure, path)


def _main_one(argv: list[str]) -> None:
    """Subprocess entry: ``python -m edge.app.benchmark --one MODEL --threads 1,N --runs R --warmup W [--photo P]``."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--one", type=Path, required=True)
    parser.add_argument("--threads", default="1")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP)
    parser.add_argument("--photo", type=Path)
    args = parser.parse_args(argv)
    try:
        result = measure_one(args.one, [int(t) for t in args.threads.split(",")], args.runs, args.warmup, args.photo)
    except EdgeError as error:
        print(error.message, file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps(result))


if __name__ == "__main__":
    _main_one(sys.argv[1:])


def run_benchmark(export_dir: Path, target: Path, options: BenchmarkOptions,
                  log: Callable[[str], None]) -> tuple[dict, list[Path]]:
    """Measure every file of an export; write benchmark.json + .png into ``target`` unless no model could be
    measured (a previous good report is never replaced by an all-error one). Returns the report and the files."""
    from edge import schemas
    from edge.io import write_json_atomic

    report = schemas.BenchmarkReport(**benchmark_export(export_dir, options, log=log, out=target)).to_json()
    if len(failed_models(report)) == len(report["models"]):
        return report, []
    write_json_atomic(target / layout.BENCHMARK_JSON, report)
    return report, [target / layout.BENCHMARK_JSON, write_plot(report, target / layout.BENCHMARK_PNG)]
