"""The placement check on real OSM data of Nangang, Harbin (harbin_focus_nangang_3km.gpkg)."""

import numpy as np
import pandas as pd
import pytest
import shapely

from gisplanner.analysis import green
from gisplanner.analysis.placement import PlacementInput, check_placement
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def project(harbin_focus):
    project = Project(city="harbin")
    import_layers(project, [harbin_focus])
    return project


@pytest.fixture(scope="module")
def parks(project):
    return green.public_parks(project.layer("green_space"))


def _brute_force_radius(polygon, spacing_m):
    """Largest distance from a grid point inside the polygon to its boundary: a lower bound of the inscribed
    radius, within spacing / sqrt(2) of it."""
    minx, miny, maxx, maxy = polygon.bounds
    xs, ys = np.meshgrid(np.arange(minx, maxx, spacing_m), np.arange(miny, maxy, spacing_m))
    points = shapely.points(xs.ravel(), ys.ravel())
    inside = points[shapely.contains(polygon, points)]
    return float(shapely.distance(inside, polygon.boundary).max()) if len(inside) else 0.0


def test_park_widths_agree_with_a_brute_force_grid(parks):
    spacing = 2.0
    large = parks[parks["area_m2"] > 2000]
    assert len(large) >= 10
    for park in large.itertuples():
        brute = 2 * _brute_force_radius(park.geometry, spacing)
        assert brute - 0.05 <= park.width_m <= brute + 2 * spacing / np.sqrt(2) + 0.05, park.park_id


def test_placing_in_xiangjiang_park_takes_its_footprint_from_the_park(project, parks):
    park = parks[parks["name"] == "湘江公园"].iloc[0]
    point = park.geometry.representative_point()
    footprint = shapely.box(point.x - 15, point.y - 15, point.x + 15, point.y + 15)
    assert park.geometry.contains(footprint)
    report = check_placement(PlacementInput("elderly_daycare", footprint, gfa_m2=600), project.layers,
                             project.standards(), city=project.city)
    (hit,) = report.check("park").numbers["parks"]
    assert hit["name"] == "湘江公园"
    assert hit["area_before_m2"] - hit["area_after_m2"] == pytest.approx(900, abs=0.01)
    level = report.check(f"green_public_{hit['level']}").numbers
    assert level["taken_m2"] == pytest.approx(900, abs=0.01)


def test_service_gaps_closed_match_a_full_life_circle_run(project):
    # A day-care centre inside 宣西小区: the check only looks at communities and network near the site; a run
    # over the whole 3 km window must agree.
    from gisplanner.analysis import lifecircle
    from gisplanner.catalogue import walk_graph

    standards = project.standards()
    communities = project.layer("communities")
    point = communities[communities["name"] == "宣西小区"].iloc[0].geometry.representative_point()
    footprint = shapely.box(point.x - 15, point.y - 15, point.x + 15, point.y + 15)
    report = check_placement(PlacementInput("elderly_daycare", footprint, gfa_m2=600), project.layers,
                             standards, city=project.city)
    requirements = lifecircle.requirements_from_standards(standards, types={"elderly_daycare"})
    proposed = project.layer("facilities").iloc[:0].copy()
    proposed.loc[0, ["feature_id", "category"]] = ["proposed", "elderly_daycare"]
    proposed = proposed.set_geometry([footprint], crs=project.crs)
    served = []
    for facilities in (project.layer("facilities"), pd.concat([project.layer("facilities"), proposed])):
        graph = walk_graph(project, walkable_highways=standards.settings.walkable_highways,
                           small_component_nodes=standards.settings.small_component_nodes)
        net = lifecircle.prepare_life_circle(graph, project.layer("communities"), facilities,
                                             standards.category_map, access_snap_m=standards.settings.access_snap_m)
        gaps = lifecircle.life_circle_gaps(net, project.layer("communities"), requirements,
                                           search_limit_m=standards.settings.search_limit_m)
        served.append(gaps.community_access["served"].to_numpy())
    closed = int((served[1] & ~served[0]).sum())
    assert closed > 0
    assert report.check("service").numbers["gaps_closed"] == closed
