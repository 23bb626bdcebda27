"""Fault and bad-input suite: a small project near Harbin built in code, and a CLI runner that checks every run.

Every case asserts what a planner would: no traceback, the project unchanged (byte-identical), a Chinese message
that names the file (or layer, feature) and says what to do, and the exit code.
"""

import hashlib
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from gisplanner.cli import main
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

LON0, LAT0 = 126.64, 45.74  # 南岗区, Harbin
KX, KY = 111320.0 * np.cos(np.radians(LAT0)), 110540.0


def lonlat(geom):
    """A geometry in metres east/north of (LON0, LAT0) to lon/lat degrees."""
    return shapely.transform(geom, lambda c: np.column_stack([LON0 + c[:, 0] / KX, LAT0 + c[:, 1] / KY]))


def town_layers() -> dict[str, gpd.GeoDataFrame]:
    """Nine 150 m communities on a 200 m street grid, a building in each, in EPSG:4326."""
    streets = [shapely.LineString([(x, -100), (x, 700)]) for x in (-20, 180, 380, 580)]
    streets += [shapely.LineString([(-100, y), (700, y)]) for y in (-20, 180, 380, 580)]
    blocks = [shapely.box(x, y, x + 150, y + 150) for x in (0, 200, 400) for y in (0, 200, 400)]
    communities = gpd.GeoDataFrame({"name": [f"小区{i}" for i in range(len(blocks))],
                                    "households": [120.0 + 10 * i for i in range(len(blocks))],
                                    "built_year": [1990] * len(blocks)},
                                   geometry=[lonlat(b) for b in blocks], crs=4326)
    buildings = gpd.GeoDataFrame({"floors": [6.0] * len(blocks)},
                                 geometry=[lonlat(shapely.box(*b.centroid.buffer(20).bounds)) for b in blocks],
                                 crs=4326)
    roads = gpd.GeoDataFrame({"highway": ["residential"] * len(streets)},
                             geometry=[lonlat(s) for s in streets], crs=4326)
    return {"communities": communities, "buildings": buildings, "walk_network": roads}


@pytest.fixture(scope="session")
def town_source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("town") / "town.gpkg"
    for role, frame in town_layers().items():
        pyogrio.write_dataframe(frame, path, layer=role)
    return path


@pytest.fixture(scope="session")
def _saved_project(tmp_path_factory, town_source) -> Path:
    project = Project(city="harbin")
    import_layers(project, [town_source])
    return project.save(tmp_path_factory.mktemp("saved") / "P.gpkg")


@pytest.fixture
def project_file(tmp_path, _saved_project) -> Path:
    """A fresh copy of the town project for one test."""
    path = tmp_path / "P.gpkg"
    shutil.copyfile(_saved_project, path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cli(capsys):
    """Run ``gisplanner ARGS``; returns (exit code, stdout, stderr) after checking that nothing leaked a traceback."""

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "Traceback" not in out
        return code, out, err

    return run


def assert_refused(result: tuple[int, str, str], *names: str, code: int = 2) -> str:
    """The run exited with ``code`` and said, in Chinese, what is wrong, where (``names``) and what to do."""
    exit_code, _, err = result
    assert exit_code == code, err
    assert "问题" in err and "怎么办" in err, err
    for name in names:
        assert name in err, err
    assert err.count("\n") == 1, err  # one line
    return err
