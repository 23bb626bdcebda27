"""Tiled life circle and sunlight give the whole-city answers, on small synthetic cities built in code."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from gisplanner.analysis import tiles
from gisplanner.analysis.lifecircle import life_circle_gaps, prepare_life_circle, requirements_from_standards
from gisplanner.analysis.network import build_walk_graph
from gisplanner.analysis.service_areas import service_areas
from gisplanner.analysis.sites import candidate_sites, choose_sites, site_table
from gisplanner.analysis.sunlight import requirement_for, shadow_sweep, sun_for, sunlight_hours
from gisplanner.demo import build_demo_project
from gisplanner.standards import load_standards

SEARCH_M = 600.0


def plain(frame):
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


@pytest.fixture(scope="module")
def city():
    """Two demo towns side by side (80 communities) and, 1.5 km east, a separate hamlet of four short streets.

    Facilities move off the block centres: a centre is equally far from its four roads, and which of two
    equidistant roads a snap picks depends on the order of the edges, which tiles change.
    """
    project = build_demo_project(towns=(2, 1))
    walk = project.layer("walk_network")
    minx, miny, maxx, maxy = walk.total_bounds
    hx, hy = maxx + 1500, miny + 300
    hamlet = gpd.GeoDataFrame({"feature_id": [f"H{i}" for i in range(4)], "highway": "residential",
                               "walkable": True, "bridge": False, "tunnel": False, "layer": 0, "name": "村路"},
                              geometry=[LineString([(hx, hy), (hx + 120, hy)]),
                                        LineString([(hx, hy + 60), (hx + 120, hy + 60)]),
                                        LineString([(hx, hy - 10), (hx, hy + 70)]),
                                        LineString([(hx + 120, hy - 10), (hx + 120, hy + 70)])], crs=walk.crs)
    communities = project.layer("communities")
    village = communities.iloc[[0]].assign(feature_id="V1", name="村口小区",
                                           geometry=[box(hx + 10, hy + 5, hx + 110, hy + 55)])
    facilities = project.layer("facilities")
    facilities = facilities.set_geometry(facilities.geometry.translate(3.7, 1.3))
    # Idle plots along the west edge and in the middle: sites whose reach crosses several tiles.
    idle = gpd.GeoDataFrame({"feature_id": [f"S{i}" for i in range(6)], "name": "闲置地", "status": "idle",
                             "area_m2": 900.0},
                            geometry=[box(minx + 40 + 530 * i, miny + 60 + 170 * (i % 3),
                                          minx + 70 + 530 * i, miny + 90 + 170 * (i % 3)) for i in range(6)],
                            crs=walk.crs)
    return {"walk": pd.concat([walk, hamlet], ignore_index=True),
            "communities": pd.concat([communities, village], ignore_index=True),
            "facilities": facilities, "standards": project.standards(),
            "sites": site_table({"idle_land": idle, "boiler_rooms": project.layer("boiler_rooms")})}


def whole_and_tiled(city, *, tile_m, districts=None, more=False):
    """The whole run and the tiled one; with ``more``, also the service areas and candidate sites of both
    (whole, tiled) as a fifth and sixth item."""
    standards = city["standards"]
    settings = standards.settings
    req = requirements_from_standards(standards, levels=["lc5", "lc10"])
    walk, communities, facilities = city["walk"], city["communities"], city["facilities"]
    graph = build_walk_graph(walk, min_component_nodes=settings.small_component_nodes)
    network = prepare_life_circle(graph, communities, facilities, standards.category_map,
                                  tag_rules=standards.tag_rules, access_snap_m=settings.access_snap_m)
    whole = life_circle_gaps(network, communities, req, search_limit_m=SEARCH_M, districts=districts)
    reach = tiles.life_circle_reach(req, search_limit_m=SEARCH_M, access_snap_m=settings.access_snap_m)
    sites = city["sites"] if more else None
    parts = tiles.life_circle_tiles(walk, communities, facilities, tile_m=tile_m, reach_m=reach, graph=graph,
                                    sites=sites, access_snap_m=settings.access_snap_m,
                                    service_reach_m=float(req["threshold_m"].max()) + settings.access_snap_m
                                    if more else 0.0)
    results = [tiles.run_life_circle_tile(t, standards.category_map, req, tag_rules=standards.tag_rules,
                                          access_snap_m=settings.access_snap_m,
                                          search_limit_m=SEARCH_M, districts=districts,
                                          min_component_nodes=settings.small_component_nodes,
                                          service_areas_of=req if more else None,
                                          site_requirements=req if more else None) for t in parts]
    merged, fac = tiles.merge_life_circle(results, communities, facilities, req, districts=districts)
    out = (whole, network.facilities.drop(columns="node"), merged, fac, parts)
    if not more:
        return out
    areas = (service_areas(network, req, buffer_m=settings.access_snap_m),
             tiles.merge_service_areas(results, req, fac, crs=communities.crs))
    on_net, dist = tiles.merge_site_distances(results, len(communities))
    chosen = (candidate_sites(network, communities, whole.community_access, req, sites, k=2),
              choose_sites(on_net, dist, communities, merged.community_access, req, sites, k=2,
                           crs=communities.crs))
    return (*out, areas, chosen)


@pytest.fixture(scope="module")
def runs(city):
    ids = city["communities"]["feature_id"]
    districts = pd.Series([f"D{i // 9}" for i in range(len(ids))], index=ids.to_numpy())
    return whole_and_tiled(city, tile_m=500.0, districts=districts, more=True)


def test_tile_boxes_cover_the_bounds_and_every_feature_has_one_owner():
    boxes = tiles.tile_boxes((0, 0, 1000, 450), 200)
    assert boxes.shape == (5 * 3, 4)
    assert boxes[:, 0].min() == 0 and boxes[:, 2].max() == 1000 and boxes[:, 3].max() == 600
    # Points on an inner tile edge belong to the tile above/right; on the outer edge, to the last tile.
    points = np.array([Point(200, 0), Point(199.9, 0), Point(1000, 450), Point(0, 200)])
    assert tiles.owner_tile(points, boxes).tolist() == [1, 0, 14, 5]


def test_tiles_overlap_by_the_reach(runs, city):
    parts = runs[4]
    assert len(parts) > 4
    walk = city["walk"]
    for tile in (t for t in parts if len(t.communities)):  # the others own facilities, sites or service areas
        own = tile.communities.total_bounds
        others = set().union(*[set(t.communities["feature_id"]) for t in parts if t is not tile])
        assert set(tile.communities["feature_id"]).isdisjoint(others)
        # every walking line near the owned communities is there; the far ones are not
        near = walk.intersects(box(*own).buffer(SEARCH_M))
        assert set(walk.loc[near, "feature_id"]) <= set(tile.walk_network["feature_id"])
    assert min(len(t.walk_network) for t in parts) < len(walk)


def test_tiled_community_distances_equal_the_whole_run(runs):
    whole, _, merged, _, _, *_ = runs
    pd.testing.assert_frame_equal(plain(merged.community_access), plain(whole.community_access),
                                  check_exact=False, rtol=1e-9)
    assert merged.community_access.geometry.geom_equals(whole.community_access.geometry).all()


def test_tiled_gaps_equal_the_whole_run(runs):
    whole, _, merged, _, _, *_ = runs
    assert len(whole.gaps) > 100
    pd.testing.assert_frame_equal(plain(merged.gaps), plain(whole.gaps), check_exact=False, rtol=1e-9)


def test_tiled_coverage_sums_to_the_whole_run_overall_and_per_district(runs):
    whole, _, merged, _, _, *_ = runs
    assert (whole.coverage["district"] != "all").any()
    pd.testing.assert_frame_equal(merged.coverage, whole.coverage, check_exact=False, rtol=1e-12)


def test_tiled_facility_snaps_equal_the_whole_run(runs):
    _, facilities, _, merged, _, *_ = runs
    pd.testing.assert_frame_equal(merged, facilities, check_exact=False, rtol=1e-12)


def test_an_island_stays_an_island_in_its_own_tile(runs):
    """The hamlet is the largest component of its tile, which alone would make it routable."""
    whole, _, merged, _, parts, *_ = runs
    village = merged.community_access[merged.community_access["community_id"] == "V1"]
    assert (village["access"] == "island").all()
    hamlet_tile = next(t for t in parts if "V1" in set(t.communities["feature_id"]))
    assert set(hamlet_tile.communities["feature_id"]) == {"V1"}
    hamlet_lines = hamlet_tile.walk_network["feature_id"].str.startswith("H").to_numpy()
    assert hamlet_lines.sum() == 4 and len(hamlet_tile.walk_network) == 4
    assert not hamlet_tile.line_routable.any()


def test_tiled_service_areas_are_the_whole_run_s(runs):
    """Each polygon is the union of the tiles' pieces over their squares; equal up to the 2 m simplification
    of the reached lines (in practice exactly)."""
    whole, tiled = runs[5]
    assert len(whole) >= 10 and (whole["facilities"] > 1).any()
    pd.testing.assert_frame_equal(plain(tiled).drop(columns="area_m2"), plain(whole).drop(columns="area_m2"))
    assert tiled["area_m2"].to_numpy() == pytest.approx(whole["area_m2"].to_numpy(), rel=1e-3)
    for a, b in zip(whole.geometry, tiled.geometry):
        assert a.symmetric_difference(b).area <= 1e-3 * a.area
        assert a.hausdorff_distance(b) <= 30.0 / 15 + 1e-6


def test_tiled_candidate_sites_are_the_whole_run_s(runs):
    whole, tiled = runs[6]
    assert whole["rank"].notna().sum() >= 4 and whole["site_id"].str.startswith("S").any()
    pd.testing.assert_frame_equal(plain(tiled), plain(whole), check_exact=False, rtol=1e-9)
    assert tiled.geometry.geom_equals(whole.geometry).all()


def test_one_tile_is_the_whole_run(city):
    whole, facilities, merged, fac, parts = whole_and_tiled(city, tile_m=1e5)
    assert len(parts) == 1
    pd.testing.assert_frame_equal(plain(merged.gaps), plain(whole.gaps))


# ---------------------------------------------------------------------------------------------- sunlight
@pytest.fixture(scope="module")
def sunny():
    """Rows of slabs of mixed heights 40 m apart (so tall ones shade two rows north), at Harbin's latitude."""
    rules = load_standards().sunlight
    requirement = requirement_for(rules, "harbin")
    sun = sun_for(requirement, 45.75, 126.64, year=2026, step_min=5.0)
    rng = np.random.default_rng(3)
    geoms, heights = [], []
    for row in range(6):
        for col in range(5):
            x, y = 500_000 + col * 80 + rng.uniform(-5, 5), 5_000_000 + row * 40
            geoms.append(box(x, y, x + 50, y + 12))
            heights.append(float(rng.choice([9.0, 18.0, 33.0, 54.0])))
    buildings = gpd.GeoDataFrame({"feature_id": [f"B{i:02d}" for i in range(len(geoms))], "height_m": heights,
                                  "use": ["residential"] * (len(geoms) - 2) + ["school", "office"]},
                                 geometry=geoms, crs=32652)
    options = {"spacing_m": 3.0, "sill_height_m": 0.9, "floor_height_m": 3.0,
               "sweep_deg": requirement.counting.sweep_deg}
    return buildings, sun, requirement, options


def test_tiled_sill_hours_equal_the_whole_run(sunny):
    buildings, sun, requirement, options = sunny
    whole = sunlight_hours(buildings, sun, requirement, **options)
    parts = tiles.sunlight_tiles(buildings, sun, tile_m=100.0)
    assert len(parts) >= 6
    merged = tiles.merge_sunlight([tiles.run_sunlight_tile(t, sun, requirement, **options) for t in parts],
                                  buildings)
    assert (whole["hours"] < requirement.hours).any() and (whole["hours"] > 0).any()
    pd.testing.assert_frame_equal(plain(merged), plain(whole))
    assert merged.geometry.geom_equals(whole.geometry).all()


def test_a_tile_takes_every_building_whose_shadow_reaches_it(sunny):
    buildings, sun, _, _ = sunny
    tallest = float(buildings["height_m"].max())
    shadows = gpd.GeoSeries([shadow_sweep(b, tallest, sun, every_min=20.0) for b in buildings.geometry])
    for tile in tiles.sunlight_tiles(buildings, sun, tile_m=100.0):
        casting = shadows.intersects(box(*tile.buildings[tile.owned].total_bounds)).to_numpy()
        assert set(buildings.loc[casting, "feature_id"]) <= set(tile.buildings["feature_id"])


def test_shadow_reach_box_is_no_wider_than_needed(sunny):
    """Nothing north of the owned buildings casts a shadow on them in winter: the box does not reach north."""
    buildings, sun, _, _ = sunny
    bounds = (0.0, 0.0, 10.0, 10.0)
    reach = tiles.sunlight_reach_box(bounds, sun, 30.0)
    assert reach[3] == pytest.approx(10.0 + 1.0, abs=1e-9)
    assert reach[1] < -30.0  # reaches well south
    assert shapely.box(*reach).contains(shapely.box(*bounds))
