"""The gisplanner command: subcommands found, demo and info on the demo project, bad input exits 2."""

import pytest

from gisplanner.cli import command_modules, main
from gisplanner.project import Project


def test_every_documented_command_is_there():
    assert {"import_", "info", "demo", "lifecircle", "districts", "sunlight", "check", "export"} <= set(
        command_modules())


def test_demo_then_info_lists_every_role(tmp_path, capsys):
    path = tmp_path / "demo.gpkg"
    assert main(["demo", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    for role, frame in Project.load(path).layers.items():
        assert f"（{role}）：{len(frame)} 个要素，来自 demo.py:{role}" in text
        assert frame["feature_id"].iloc[0] in text


def test_missing_project_exits_2_with_the_file_named(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope.gpkg")]) == 2
    assert "nope.gpkg" in capsys.readouterr().err


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit) as err:
        main(["frobnicate"])
    assert err.value.code == 2
