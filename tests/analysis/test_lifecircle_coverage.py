"""Data coverage: facility types from raw tags by the standards' tag table, and 数据缺失 apart from 服务缺口."""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from gisplanner.analysis.lifecircle import (
    DATA_MISSING,
    SERVICE_GAP,
    data_coverage,
    facility_types_from_tags,
    life_circle_gaps,
    prepare_life_circle,
    with_gap_kind,
)
from gisplanner.analysis.network import build_walk_graph
from gisplanner.standards import Override, load_standards

CRS = "EPSG:32652"
STANDARDS = load_standards()


def tagged(rows):
    """Facilities from (tags, name) pairs."""
    return pd.DataFrame({"tags": [json.dumps(t, ensure_ascii=False) for t, _ in rows], "name": [n for _, n in rows]})


@pytest.mark.parametrize(("tags", "name", "types"), [
    ({"amenity": "school"}, "哈尔滨市花园小学", ("primary_school",)),
    ({"amenity": "school"}, "哈尔滨市第十七中学", ("middle_school",)),
    ({"amenity": "school", "isced:level": "1"}, None, ("primary_school",)),
    ({"amenity": "school"}, "哈尔滨市第三职业高级中学", ()),
    ({"amenity": "school"}, "某某学校", ()),  # no clue to its stage: counted for neither
    ({"amenity": "school"}, "萧红九年一贯制学校", ("primary_school", "middle_school")),
    ({"amenity": "hospital"}, "哈尔滨医科大学附属第一医院", ("clinic",)),
    ({"amenity": "clinic"}, "南岗区花园街道社区卫生服务中心", ("health_center",)),
    ({"amenity": "police"}, "花园街派出所", ("police_station",)),
    ({"amenity": "toilets"}, None, ("public_toilet",)),
    ({"shop": "supermarket"}, "家乐福", ("community_retail", "supermarket")),
    ({"amenity": "marketplace"}, "革新街早市", ("wet_market",)),
    ({"amenity": "kindergarten"}, "红星幼儿园", ("kindergarten",)),
])
def test_raw_tags_map_to_types_by_the_tag_table(tags, name, types):
    out = facility_types_from_tags(tagged([(tags, name)]), STANDARDS.tag_rules)
    assert out["facility_types"].iloc[0] == types


def test_an_osm_feature_is_mapped_by_its_tags_alone_and_a_user_feature_by_its_category():
    # both say category kindergarten; the OSM one is tagged landuse=governmental only (not in the table)
    net, _ = town({"feature_id": ["U1", "O1"], "category": ["kindergarten", "kindergarten"],
                   "tags": [None, '{"landuse": "governmental"}'], "x": [100, 200]})
    types = net.facilities.set_index("facility_id")["facility_types"]
    assert (types["U1"], types["O1"]) == (("kindergarten", "nursery"), ())


def town(facilities):
    """A 2 km road; two communities of 12,000 people each (lc5 holds up to 12,000: two lc5 circles)."""
    network = gpd.GeoDataFrame({"highway": ["residential"], "walkable": [True]},
                               geometry=[LineString([(0, 0), (2000, 0)])], crs=CRS)
    comm = gpd.GeoDataFrame({"feature_id": ["C1", "C2"], "population": [12000.0, 12000.0]},
                            geometry=[shapely.box(x, 10, x + 80, 90) for x in (100, 1800)], crs=CRS)
    fac = gpd.GeoDataFrame(facilities, geometry=[Point(x, -5) for x in facilities.pop("x")], crs=CRS)
    graph = build_walk_graph(network, min_component_nodes=STANDARDS.settings.small_component_nodes)
    net = prepare_life_circle(graph, comm, fac, STANDARDS.category_map, tag_rules=STANDARDS.tag_rules)
    return net, comm


REQ = pd.DataFrame({"facility_type": ["kindergarten", "public_toilet", "police_station"],
                    "level": ["lc5", "lc5", "lc15"], "threshold_m": [300.0, 300.0, 1000.0]})


def coverage(net, comm, **kw):
    return data_coverage(net.facilities, comm, REQ, STANDARDS.levels, min_share=kw.pop("min_share", 0.25),
                         names={"kindergarten": "幼儿园"}, **kw).set_index("facility_type")


def test_a_type_with_no_facility_in_the_data_is_data_missing():
    net, comm = town({"feature_id": ["K1"], "category": ["kindergarten"], "x": [100]})
    cov = coverage(net, comm)
    assert cov.loc["public_toilet", "coverage"] == "none"
    assert cov.loc["public_toilet", "gap_kind"] == DATA_MISSING
    assert cov.loc["kindergarten", "gap_kind"] == SERVICE_GAP  # 1 of 2 expected: 50 % ≥ 25 %


def test_a_type_far_rarer_than_the_population_implies_is_data_missing():
    net, comm = town({"feature_id": ["K1"], "category": ["kindergarten"], "x": [100]})
    cov = coverage(net, comm, min_share=0.6)  # 1 of the 2 the population implies is below 60 %
    assert (cov.loc["kindergarten", "expected"], cov.loc["kindergarten", "coverage"]) == (2.0, "sparse")
    assert "应不少于2处" in cov.loc["kindergarten", "note"]


def test_a_type_confirmed_absent_gives_service_gaps():
    net, comm = town({"feature_id": ["K1"], "category": ["kindergarten"], "x": [100]})
    cov = coverage(net, comm, confirmed_absent=("public_toilet",))
    assert (cov.loc["public_toilet", "coverage"], cov.loc["public_toilet", "gap_kind"]) == (
        "confirmed_absent", SERVICE_GAP)


def test_every_gap_gets_the_kind_of_its_type():
    net, comm = town({"feature_id": ["K1"], "category": ["kindergarten"], "x": [100]})
    gaps = with_gap_kind(life_circle_gaps(net, comm, REQ).gaps, coverage(net, comm).reset_index())
    kinds = gaps.groupby("facility_type")["gap_kind"].agg(set).to_dict()
    assert kinds == {"kindergarten": {SERVICE_GAP}, "public_toilet": {DATA_MISSING},
                     "police_station": {DATA_MISSING}}
    assert (gaps["facility_type"] == "kindergarten").sum() == 1  # C2, 1.7 km from the only kindergarten


def test_confirming_a_type_absent_is_a_recorded_override():
    standards = load_standards(overrides=[Override("facilities.data_coverage.confirmed_absent.value",
                                                   ["police_station"], who="王工", why="辖区内确无派出所")])
    assert standards.data_coverage.confirmed_absent == ("police_station",)
