"""README commands are checked against the code so they cannot drift."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import typer

from edge.app.cli import app
from tests.conftest import PROJECT_ROOT, run_cli

README = (PROJECT_ROOT / "README.md").read_text()
# the README's pages in docs/ are part of it: their commands are checked the same way
PAGES = README + "".join(page.read_text() for page in sorted((PROJECT_ROOT / "docs").glob("*.md")))


def _readme_edge_commands() -> list[list[str]]:
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", PAGES, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(("edge ", ".venv/bin/edge ")):
                commands.append(shlex.split(line)[1:])
    return commands


def _parse(args: list[str]):
    """Resolve sub-commands and parse options exactly as the CLI would, without running.

    A bad option or a missing required one raises, failing the test.
    """
    command = typer.main.get_command(app)
    while hasattr(command, "list_commands"):  # a command group
        name = args[0]
        context = command.make_context("edge", [name], resilient_parsing=True)
        sub = command.get_command(context, name)
        assert sub is not None, f"README uses unknown command '{name}'"
        command, args = sub, args[1:]
    command.make_context(command.name, list(args))  # raises on an unknown or malformed option
    return command


def test_a_drifted_readme_command_fails_the_parse():
    """The check above can fail: an option the CLI does not have, or a value of the wrong type, raises."""
    for drifted in (["validate", "runs/x/export", "--data", "d", "--max-drop-gendr", "1"],
                    ["train", "--data", "d", "--epochs", "forty"], ["nosuchcommand"]):
        with pytest.raises(Exception) as raised:
            _parse(drifted)
        assert type(raised.value).__name__ in ("NoSuchOption", "BadParameter", "UsageError", "AssertionError"), raised


def test_readme_has_edge_commands_for_every_stage():
    names = {c[0] if c[0] != "data" else "data " + c[1] for c in _readme_edge_commands()}
    assert {"data inspect", "train", "export", "validate", "pipeline"} <= names


@pytest.mark.parametrize("args", _readme_edge_commands(), ids=lambda a: " ".join(a)[:60])
def test_every_readme_command_parses(args):
    _parse(args)


def test_quickstart_is_two_make_targets_and_ci_runs_the_same_test_command():
    quickstart = re.search(r"## Quickstart\n\n```bash\n(.*?)```", README, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in quickstart.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "\ndemo: install\n\t$(BIN)/edge pipeline" in makefile
    assert "\ntest: install test-deps\n\t$(BIN)/python -m pytest -q" in makefile
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
    demo_args = shlex.split(makefile.split("demo: install\n\t$(BIN)/edge ")[1].splitlines()[0])
    _parse(demo_args)


def test_demo_pipeline_runs_end_to_end_on_the_smoke_dataset(tmp_path):
    """`make demo` runs `edge pipeline` with no --data: the labelled SMOKE run, end to end.

    One epoch here is too short to learn the demo set, so the run must say so and exit 1 (the
    demo never presents a model that learned nothing as a result); tests/test_demo.py runs the
    demo's real settings and requires it to learn and exit 0.
    """
    result = run_cli("pipeline", "--out", tmp_path, "--epochs", "1")
    assert result.exit_code == 1, result.output
    assert "the model did NOT learn" in result.output
    assert result.output.count("SMOKE DATASET") >= 2
    report = json.loads((tmp_path / "run" / "export" / "validation" / "validation.json").read_text())
    assert {"float32", "int8_ptq", "int8_qat"} <= set(report["models"])
    assert (tmp_path / "smoke_data" / "manifest.csv").is_file()


def test_pipeline_never_deletes_a_run_it_did_not_make(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{}")
    result = run_cli("pipeline", "--out", tmp_path, "--epochs", "1")
    assert result.exit_code == 2 and "was not made by `edge pipeline`" in result.output
    assert (tmp_path / "run" / "config.json").read_text() == "{}"
