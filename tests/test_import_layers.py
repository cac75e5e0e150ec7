"""Imports run one way: the core, then training, then export, then the applications.

Every module's imports (top-level and inside functions) are read with ``ast`` and checked against
the table below (docs/ARCHITECTURE.md shows the same arrows). The core has no import cycle. The
runtime commands (`edge predict`, `edge serve`) load neither TensorFlow nor the trainer or exporter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

# folder -> the package it installs as (pyproject.toml's package-dir)
PACKAGES = {"edge": "edge", "edge/app": "edge.app", "train": "edge.train", "export": "edge.export"}
LAYER_OF = {"edge": "core", "edge.app": "app", "edge.train": "train", "edge.export": "export"}
# who may import whom (a layer always imports itself)
ALLOWED = {"core": {"core"}, "train": {"core", "train"}, "export": {"core", "train", "export"},
           "app": {"core", "train", "export", "app"}}


def _modules() -> dict[str, Path]:
    modules = {}
    for folder, package in PACKAGES.items():
        for source in sorted((PROJECT_ROOT / folder).glob("*.py")):
            name = package if source.stem == "__init__" else f"{package}.{source.stem}"
            modules[name] = source
    return modules


def _imports(source: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "edge" or name.startswith("edge.")}


def _layer(module: str) -> str:
    package = module if module in LAYER_OF else module.rsplit(".", 1)[0]
    return LAYER_OF.get(package, "core")


def _edges() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target in _imports(source) if target in modules} for name, source in modules.items()}


def test_every_import_follows_the_layer_table():
    wrong = [f"{module} ({_layer(module)}) imports {target} ({_layer(target)})"
             for module, targets in _edges().items() for target in sorted(targets)
             if _layer(target) not in ALLOWED[_layer(module)]]
    assert wrong == []


def test_the_layer_check_can_fail(tmp_path):
    """The table is enforced: a training module importing the applications is caught."""
    source = tmp_path / "callbacks.py"
    source.write_text("from edge.console import console\nfrom edge.app.predict import Predictor\n")
    offending = [t for t in _imports(source) if _layer(t) not in ALLOWED["train"]]
    assert offending == ["edge.app.predict"]


def test_the_core_has_no_import_cycle():
    edges = {m: {t for t in targets if _layer(t) == "core"} for m, targets in _edges().items() if _layer(m) == "core"}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return path + [module, target]
            if target not in state and (cycle := visit(target, path + [module])):
                return cycle
        state[module] = 2
        return None

    cycles = [cycle for module in sorted(edges) if module not in state and (cycle := visit(module, []))]
    assert cycles == []


RUNTIME_ONLY = """
import sys
from typer.testing import CliRunner
from edge.app.cli import app
result = CliRunner().invoke(app, ["predict", sys.argv[1], sys.argv[2], "--json"])
assert result.exit_code == 0, result.output
from edge.app.serve import ServeOptions, make_server
import threading
server = make_server(__import__("pathlib").Path(sys.argv[1]), ServeOptions(port=0, quiet=True), log=lambda message: None)
threading.Thread(target=server.serve_forever, daemon=True).start()
server.shutdown()
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tf_keras", "keras")
               or m in ("edge.train.trainer", "edge.train.pipeline", "edge.train.losses", "edge.export.exporter",
                        "edge.export.convert", "edge.export.qat"))
assert not heavy, heavy
print("runtime only")
"""


def test_predict_and_serve_load_neither_tensorflow_nor_training(utkface_dir):
    model = PROJECT_ROOT / "android_demo" / "app" / "src" / "main" / "assets" / "model.tflite"
    photo = sorted(utkface_dir.iterdir())[0]
    done = subprocess.run([sys.executable, "-c", RUNTIME_ONLY, str(model), str(photo)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0 and "runtime only" in done.stdout, done.stderr[-3000:]
