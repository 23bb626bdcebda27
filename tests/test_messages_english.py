"""No English in the messages that reach a planner late: the placement checks when their layers are missing
or their inputs are unknown (each check's own message, not only the report around it), errors of a broken
standards file, and district constraint names."""

import pytest
from english import english_words

from gisplanner import labels, workflow
from gisplanner.analysis.district_tables import VIOLATIONS
from gisplanner.errors import ConfigError, error_line
from gisplanner.project import Project
from gisplanner.ui.app import demo_path

ALL_CONTEXT = ("walk_network", "facilities", "green_space", "landuse", "buildings", "admin_boundaries")


@pytest.fixture(scope="module")
def bare_report():
    """A kindergarten on boiler room K001 of the demo with only communities and resources: every check that
    needs the network, buildings, green space or land use is not checked, and says why."""
    project = Project.load(demo_path())
    for role in ALL_CONTEXT:
        if project.has_layer(role):
            project.remove_layer(role)
    return workflow.run(project, "placement", facility="kindergarten", site="boiler_rooms:K001",
                        store=False).report


def test_every_check_message_and_step_is_chinese(bare_report):
    texts = [t for c in bare_report.checks for t in (c.title, c.message, *c.next_steps)]
    assert [t for t in texts if english_words(t)] == []


def test_the_bare_report_has_checks_not_checked_for_missing_layers(bare_report):
    # the scan above must have read the messages of checks that could not run
    assert sum(c.verdict == "not_checked" for c in bare_report.checks) >= 3


def test_a_broken_standards_file_is_named_in_chinese():
    line = error_line(ConfigError("缺少该键", file="settings.yaml", key="network.access_snap_m", value=-1))
    assert line == "问题：缺少该键（文件 settings.yaml，键 network.access_snap_m，值 -1）"
    assert english_words(line.replace("settings.yaml", "").replace("network.access_snap_m", "")) == []


def test_errors_quoted_inside_other_messages_are_chinese_around_their_names():
    from gisplanner.errors import InputError

    text = str(InputError("缺少户数", file="x.gpkg", layer="communities", feature="C1", fix="补上户数"))
    assert text == "缺少户数（文件 x.gpkg，图层 小区（communities），要素 C1）；怎么办：补上户数"
    assert str(ConfigError("不是数", file="a.yaml", key="k", value="z")) == "不是数（文件 a.yaml，键 k，值 'z'）"


def test_district_constraints_have_chinese_names_only():
    assert all(not english_words(labels.code_label(v, "violation")) for v in VIOLATIONS)
    assert labels.violations_text(";".join(VIOLATIONS)).count("、") == len(VIOLATIONS) - 1
