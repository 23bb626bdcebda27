"""Sunlight on the 3,076 real Suzhou old-city buildings (../shared/refdata/suzhou_gusu_buildings)."""

import numpy as np
import pytest
import shapely

from gisplanner.analysis.sunlight import sun_for, sunlight_hours, sunlight_impact
from gisplanner.io.importer import import_layers
from gisplanner.io.readers import list_layers
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def suzhou(suzhou_buildings):
    project = Project(city="suzhou")
    import_layers(project, [suzhou_buildings], roles=dict.fromkeys(list_layers(suzhou_buildings), "buildings"),
                  city="suzhou")
    requirement = project.standards().sunlight.requirement("suzhou")
    lon, lat = project.lonlat_center()
    return project.layer("buildings"), requirement, sun_for(requirement, lat, lon, year=2026)


@pytest.fixture(scope="module")
def sills(suzhou):
    buildings, requirement, sun = suzhou
    return sunlight_hours(buildings, sun, requirement)


def test_every_ground_floor_sill_gets_hours_within_the_window(suzhou, sills):
    buildings, _, sun = suzhou
    assert len(sills) > 100_000
    assert (sills.floor == 1).all()
    assert sills.hours.between(0.0, sun.window_hours).all()
    # Every building with a wall facing the sun and not wholly enclosed gets sills.
    assert sills.building_id.nunique() > 0.95 * len(buildings)


def test_old_city_has_both_sunny_and_failing_sills(sills):
    assert 0.05 < (~sills.passes).mean() < 0.6
    assert (sills.hours == 8.0).mean() > 0.05


def test_tall_building_takes_hours_from_its_north_neighbours(suzhou):
    buildings, requirement, sun = suzhou
    tower = buildings.loc[buildings.height_m.idxmax()]
    rest = buildings.drop(index=tower.name)
    impact = sunlight_impact(rest, tower.geometry, float(tower.height_m), sun, requirement)
    lost = impact[impact.hours_after < impact.hours_before]
    assert len(lost) > 50
    c = tower.geometry.centroid
    # The shadow falls north-west to north-east of the tower in winter.
    assert (lost.geometry.y > c.y - 30).mean() > 0.95
    assert (lost.status.isin(["reduced", "newly_failing"])).all()
    # Reach: the farthest sill within the tower's longest shadow over the window.
    reach = tower.height_m / np.tan(np.radians(sun.altitude_deg.min())) + shapely.minimum_bounding_radius(
        tower.geometry)
    assert lost.distance(c).max() <= reach
