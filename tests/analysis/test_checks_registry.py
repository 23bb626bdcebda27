"""A placement check is one module of gisplanner/analysis/checks plus one entry of checks.yaml."""

import shutil
import sys

import pytest
import yaml
from shapely.geometry import box

from gisplanner.analysis import checks
from gisplanner.analysis.placement import PlacementInput, check_placement
from gisplanner.demo import build_demo_project
from gisplanner.errors import ConfigError
from gisplanner.standards import STANDARDS_DIR, load_standards

FIRE_LANE = '''
from gisplanner.analysis.checks.base import CheckResult, check


@check("fire_lane", needs=("{layer}",))
def fire_lane(ctx):
    width = ctx.placement.footprint.bounds[2] - ctx.placement.footprint.bounds[0]
    verdict = "pass" if width <= 40 else "warn"
    return CheckResult("fire_lane", ctx.title("fire_lane"), verdict, f"{{width:.0f}} m wide")
'''


@pytest.fixture
def add_check(tmp_path, monkeypatch):
    """Write a check module into a folder of the checks package and its entry into a copy of the standards."""
    def add(layer: str, *, listed: bool = True):
        package = tmp_path / "more_checks"
        package.mkdir()
        (package / "fire_lane.py").write_text(FIRE_LANE.format(layer=layer), encoding="utf-8")
        monkeypatch.setattr(checks, "__path__", [*checks.__path__, str(package)])
        # Each test imports the module afresh, so its decorator registers it again.
        monkeypatch.delitem(sys.modules, f"{checks.__name__}.fire_lane", raising=False)
        standards_dir = shutil.copytree(STANDARDS_DIR, tmp_path / "standards")
        path = standards_dir / "checks.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if listed:
            data["checks"]["fire_lane"] = {"zh": "消防车道", "status": "tool-default", "source": ["gisplanner"]}
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return load_standards(directory=standards_dir)
    yield add
    checks.REGISTRY.pop("fire_lane", None)
    sys.modules.pop(f"{checks.__name__}.fire_lane", None)


def place(standards, project):
    site = project.layer("idle_land").geometry.iloc[0].centroid
    footprint = box(site.x - 10, site.y - 10, site.x + 10, site.y + 10)
    return check_placement(PlacementInput("elderly_daycare", footprint, floors=2), project.layers, standards,
                           city=project.city)


def test_a_new_check_is_one_module_and_one_yaml_entry(add_check):
    project = build_demo_project()
    report = place(add_check("walk_network"), project)
    result = report.check("fire_lane")
    assert (result.title, result.verdict, result.message) == ("消防车道", "pass", "20 m wide")
    assert report.checks[-1].key == "fire_lane"  # the report follows checks.yaml, where it was added last


def test_a_check_missing_a_layer_it_needs_is_not_checked_without_running(add_check):
    project = build_demo_project()
    report = place(add_check("rivers"), project)
    assert report.check("fire_lane").verdict == "not_checked"
    assert "河流" in report.check("fire_lane").message  # the missing layer, named in Chinese


def test_a_check_without_its_yaml_entry_is_refused(add_check):
    project = build_demo_project()
    with pytest.raises(ConfigError, match="checks.yaml"):
        place(add_check("walk_network", listed=False), project)


def test_every_shipped_check_is_registered_and_listed():
    assert list(checks.registered()) and set(checks.registered()) == set(load_standards().checks.entries)
