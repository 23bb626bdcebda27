"""Import of the real Suzhou building footprints (../shared/refdata/suzhou_gusu_buildings)."""

import pyogrio
import pytest

from gisplanner.io.importer import import_layers
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance


def test_suzhou_imports_as_buildings_with_their_floors(suzhou_buildings):
    source = pyogrio.read_dataframe(suzhou_buildings)
    project = Project(city="suzhou")
    report = import_layers(project, [suzhou_buildings])
    buildings = project.layer("buildings")
    assert list(project.layers) == ["buildings"] and len(buildings) == 3076
    assert buildings["floors"].tolist() == source["Floor"].astype(float).tolist()
    assert not buildings["floors_estimated"].any() and not buildings["height_estimated"].any()
    assert buildings["height_m"].tolist() == source["height"].astype(float).tolist()
    assert project.crs.to_epsg() == 4549  # CGCS2000 3-degree GK CM 120E
    assert buildings["feature_id"].tolist()[:3] == ["1", "2", "3"]  # Id is always 0: rows are numbered
    assert [(f.code, f.feature) for f in report.of("duplicate_id")] == [("duplicate_id", "0")]
