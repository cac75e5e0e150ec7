"""Options are declared once, beside their configs: the command line is built from the declarations."""

import inspect
from dataclasses import fields

import pytest
from typer.testing import CliRunner

from edge.app.cli import app, export_command, train, validate
from edge.app.cli_options import config_from, typer_parameters
from edge.export.options import ExportOptions
from edge.gate import GatePolicy
from edge.options import declared_options
from edge.train.config import TrainConfig


@pytest.mark.parametrize("config_class, extra", [(TrainConfig, {"data": "faces.csv"}), (ExportOptions, {}), (GatePolicy, {})])
def test_the_command_lines_defaults_are_the_configs_own(config_class, extra):
    parsed = {p.name: p.default for p in typer_parameters(config_class)}
    assert config_from(config_class, parsed, **extra) == config_class(**extra)


def test_every_option_of_a_config_is_on_its_command():
    for command, classes in ((train, (TrainConfig,)), (export_command, (ExportOptions, GatePolicy)), (validate, (GatePolicy,))):
        names = set(inspect.signature(command).parameters)
        declared = {f.name for config_class in classes for f, _ in declared_options(config_class)}
        assert declared <= names, (command.__name__, declared - names)


def test_export_and_validate_share_one_gate_with_one_set_of_names_and_defaults():
    gate = {p.name: p.default for p in typer_parameters(GatePolicy)}
    for command in (export_command, validate):
        parameters = inspect.signature(command).parameters
        assert {name: parameters[name].default for name in gate} == gate
    assert gate["max_gender_drop"] == GatePolicy().max_gender_drop == 1.0


def test_choices_come_from_the_library_and_a_wrong_one_is_refused_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path), "--labels", "utk99"])
    assert result.exit_code == 2
    assert "utk20" in result.output and "utk28" in result.output  # the choices listed are edge.labels.SCHEME_NAMES


def test_every_train_config_field_but_data_is_a_declared_option():
    declared = {f.name for f, _ in declared_options(TrainConfig)}
    assert {f.name for f in fields(TrainConfig)} - declared == {"data"}  # --data is the command's own (required unless --resume)
