"""Command-line options declared once, beside the config objects they fill.

A config dataclass (``TrainConfig``, ``ExportOptions``, ``GatePolicy``) marks each field that is a
command-line option with :func:`option`: its help line, its help panel, its choices (an Enum of the
library) and the type the command line parses. The CLI (``edge.app.cli``) builds its options from
these declarations, so a default, a choice or a help line is written in one place, and a config
made in Python and one made on the command line are the same object.

Core, no dependencies: the library does not import the CLI toolkit; this module only describes.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields
from enum import Enum
from typing import Any, Callable


@dataclass(frozen=True)
class Option:
    """How one config field appears on the command line."""

    help: str
    panel: str = "Options"
    flags: tuple[str, ...] = ()  # e.g. ("--max-gender-drop", "--max-drop-gender"); default: --field-name
    parse: Any = None  # what the command line parses (int, float, Path, list[Path], an Enum...); default: the field's
    choices: type[Enum] | None = None  # the library's Enum of allowed values (the config holds its .value)
    default_help: Callable[[], str] | None = None  # a computed default for --help (e.g. each family's own)
    bool_flag: str | None = None  # "--flip-average/--no-flip-average"; default: --name for False, --name/--no-name for True
    minimum: float | None = None
    maximum: float | None = None
    metavar: str | None = None  # the value's name in --help (e.g. PATH for a repeated path)

    def flag_names(self, name: str) -> tuple[str, ...]:
        return self.flags or (f"--{name.replace('_', '-')}",)


def option(default: Any = MISSING, *, help: str, default_factory: Any = MISSING, **how: Any) -> Any:
    """A dataclass field that is also a command-line option (see :class:`Option`)."""
    metadata = {"option": Option(help=help, **how)}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def declared_options(config_class: type) -> list[tuple[Field, Option]]:
    """The fields of ``config_class`` declared as options, in declaration order."""
    return [(f, f.metadata["option"]) for f in fields(config_class) if "option" in f.metadata]


def field_default(declared: Field) -> Any:
    """A field's default value (calling its default factory)."""
    if declared.default is not MISSING:
        return declared.default
    if declared.default_factory is not MISSING:  # type: ignore[misc]
        return declared.default_factory()  # type: ignore[misc]
    return MISSING


def choices_enum(name: str, values: tuple[str, ...] | list[str]) -> type[Enum]:
    """A str Enum of a fixed list of names (a registry's keys, a module's tuple of names)."""
    return Enum(name, {value: value for value in values}, type=str)  # type: ignore[return-value]
