"""Typer options built from the configs' own declarations (``edge.options``): one place per option.

``with_options(TrainConfig)`` adds every option ``TrainConfig`` declares to a command, with its help
panel, choices and default; ``config_from(TrainConfig, values)`` turns the parsed values back into
the config (Enum choices to their values, paths to the strings a config stores).
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import Field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from edge.options import Option, declared_options, field_default


def _parsed_type(config_class: type, declared: Field, how: Option) -> Any:
    """What the command line parses for a field: the declared choices or parse type, else the field's own type."""
    if how.choices is not None:
        return how.choices
    if how.parse is not None:
        return how.parse
    hint = typing.get_type_hints(config_class)[declared.name]
    kinds = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return kinds[0] if kinds else hint


def _help(how: Option) -> str:
    return f"{how.help.rstrip('.')} ({how.default_help()})." if how.default_help else how.help


def typer_parameters(config_class: type, skip: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    """One keyword parameter per option ``config_class`` declares, annotated for typer."""
    parameters = []
    for declared, how in declared_options(config_class):
        if declared.name in skip:
            continue
        parse = _parsed_type(config_class, declared, how)
        default = field_default(declared)
        if how.choices is not None and default is not None:
            default = how.choices(default)
        if parse is bool:
            names = (how.bool_flag,) if how.bool_flag else ((how.flag_names(declared.name)[0],) if default is False else ())
        else:
            names = how.flag_names(declared.name)
        info = typer.Option(*names, help=_help(how), rich_help_panel=how.panel, min=how.minimum, max=how.maximum,
                             metavar=how.metavar)
        annotation = Annotated[Optional[parse] if default is None else parse, info]  # type: ignore[valid-type]
        parameters.append(inspect.Parameter(declared.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=annotation))
    return parameters


def with_options(*config_classes: type, skip: tuple[str, ...] = ()) -> Callable:
    """Give a command taking ``**options`` the declared options of ``config_classes`` after its own parameters."""

    def decorate(command: Callable) -> Callable:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
               if p.kind is not inspect.Parameter.VAR_KEYWORD]
        declared = [p for config_class in config_classes for p in typer_parameters(config_class, skip)]
        parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.default is not inspect.Parameter.empty else p
                      for p in own] + declared
        positional = [p for p in parameters if p.default is inspect.Parameter.empty]
        keywords = [p for p in parameters if p.default is not inspect.Parameter.empty]
        command.__signature__ = inspect.Signature(positional + keywords)
        command.__annotations__ = {p.name: p.annotation for p in positional + keywords}
        return command

    return decorate


def plain(value: Any, declared: Field) -> Any:
    """A parsed value as the config stores it: Enum -> its value; Path -> str where the field is a string."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(item, declared) for item in value] or None
    if isinstance(value, Path) and str(declared.type).startswith(("str", "list[str]")):
        return str(value)
    return value


def config_from(config_class: type, values: dict, **extra: Any) -> Any:
    """Build ``config_class`` from the parsed command-line ``values`` of its declared options."""
    chosen = {declared.name: plain(values[declared.name], declared)
              for declared, _ in declared_options(config_class) if declared.name in values}
    return config_class(**chosen, **extra)
