"""Functions short enough to read at once: no function of the library (edge/, train/, export/) over 60
lines or 6 parameters. The typer commands of edge/app/cli.py are exempt from the parameter count: each
option of a command is one parameter by typer's design; their bodies stay short (their length is checked)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

MAX_LINES, MAX_PARAMETERS = 60, 6
FOLDERS = ("edge", "train", "export")


def too_long(source: str, name: str, commands_exempt: bool = False) -> list[str]:
    """'file:function (N lines / N parameters)' for each function over the limits."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        count = len([a for a in arguments if a.arg not in ("self", "cls")])
        command = commands_exempt and any(_is_command(d) for d in node.decorator_list)
        lines = node.end_lineno - node.lineno + 1
        if lines > MAX_LINES or (count > MAX_PARAMETERS and not command):
            found.append(f"{name}:{node.name} ({lines} lines / {count} parameters)")
    return found


def _is_command(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "command"


def test_no_library_function_is_too_long_or_takes_too_many_parameters():
    found = []
    for folder in FOLDERS:
        for source in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            name = source.relative_to(PROJECT_ROOT).as_posix()
            found += too_long(source.read_text(), name, commands_exempt=name == "edge/app/cli.py")
    assert found == [], "split these (docs/ARCHITECTURE.md, 'Rules that keep it honest'): " + "; ".join(found)


def test_the_check_finds_a_long_function_and_a_long_parameter_list():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    source = f"def long():\n{body}\n\ndef wide(a, b, c, d, e, f, g):\n    pass\n\ndef fine(self, a, b, c, d, e, f):\n    pass\n"
    assert too_long(source, "m.py") == [f"m.py:long ({MAX_LINES + 1} lines / 0 parameters)", "m.py:wide (2 lines / 7 parameters)"]
    command = "@app.command()\ndef wide(a, b, c, d, e, f, g):\n    pass\n"
    assert too_long(command, "cli.py", commands_exempt=True) == []
    assert too_long(command, "cli.py") == ["cli.py:wide (2 lines / 7 parameters)"]
