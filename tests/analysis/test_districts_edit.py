"""Editing districts: each operation returns a new plan and a Change with its warnings."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gisplanner.analysis.adjacency import community_adjacency
from gisplanner.analysis.bundling import DistrictRules
from gisplanner.analysis.district_edit import (
    add_communities,
    create_district,
    lock_district,
    merge_districts,
    remove_communities,
    rename_district,
    split_district,
)
from gisplanner.analysis.districts import DistrictInputs, describe_plan
from gisplanner.analysis.eligibility import LEFT_OUT, community_eligibility, eligibility_rules
from gisplanner.errors import InputError
from gisplanner.standards import load_standards

STANDARDS = load_standards()

CRS = "EPSG:32652"
STEP = 110.0


@pytest.fixture(scope="module")
def inputs():
    """2 x 4 grid of 1,000-person communities 'r<row>c<col>' plus a far one 'far' built in 2015."""
    cells = [(r, c) for r in range(2) for c in range(4)]
    ids = [f"r{r}c{c}" for r, c in cells] + ["far"]
    geoms = [box(c * STEP, r * STEP, c * STEP + 100, r * STEP + 100) for r, c in cells] + [box(5000, 0, 5100, 100)]
    comm = gpd.GeoDataFrame({"feature_id": ids, "name": ids, "population": 1000.0, "households": 400.0,
                             "built_year": pd.array([1990] * 8 + [2015], dtype="Int64")}, geometry=geoms, crs=CRS)
    rules = DistrictRules.from_standards(STANDARDS, min_population=2000, max_population=4000, max_extent_m=1000)
    return DistrictInputs(comm, community_adjacency(comm), community_eligibility(comm, **eligibility_rules(STANDARDS)), rules=rules)


@pytest.fixture(scope="module")
def plan(inputs):
    """D001: columns 0-1, D002: columns 2-3; 'far' in no district."""
    ids = inputs.communities["feature_id"]
    col = ids.str.extract(r"c(\d)")[0].astype(float)
    assignment = pd.Series(pd.NA, index=ids.index, dtype="string")
    assignment[col < 2] = "D001"
    assignment[col >= 2] = "D002"
    return describe_plan(inputs, assignment)


def members(plan, district):
    return set(plan.members.loc[plan.members["district_id"] == district, "community_id"])


def test_fixture_plan_breaks_nothing(plan):
    assert (plan.districts["violations"] == "").all()


def test_create_takes_the_selection_from_its_districts(plan, inputs):
    new, change = create_district(plan, ["r0c1", "r1c1"], inputs=inputs, name="新片区")
    assert change.added == ("D003",)
    assert members(new, "D003") == {"r0c1", "r1c1"}
    assert members(new, "D001") == {"r0c0", "r1c0"}
    assert set(change.moved) == {("r0c1", "D001", "D003"), ("r1c1", "D001", "D003")}
    assert new.districts.set_index("district_id").loc["D003", "name"] == "新片区"
    assert change.modified == ("D001",)


def test_add_past_the_maximum_warns_and_is_done(plan, inputs):
    new, change = add_communities(plan, "D001", ["r0c2"], inputs=inputs)
    assert "r0c2" in members(new, "D001")
    assert change.warnings == ("片区 D001 人口高于上限",)


def test_add_far_ineligible_community_warns_twice(plan, inputs):
    new, change = add_communities(plan, "D001", ["far"], inputs=inputs)
    assert "far" in members(new, "D001")
    assert "片区 D001 不连片" in change.warnings
    assert "片区 D001 范围超过上限" in change.warnings
    assert any(w.startswith("小区 far 不在改造范围内（2015年建成") for w in change.warnings)


def test_remove_leaves_the_community_in_no_district(plan, inputs):
    new, change = remove_communities(plan, "D001", ["r0c0", "r1c0", "r0c1"], inputs=inputs)
    assert members(new, "D001") == {"r1c1"}
    assert change.moved == (("r0c0", "D001", None), ("r1c0", "D001", None), ("r0c1", "D001", None))
    assert "小区 r0c0 在改造范围内，但现未划入任何片区" in change.warnings
    assert "片区 D001 人口低于下限" in change.warnings
    left_out = new.exclusions.set_index("community_id").loc[["r0c0", "r1c0", "r0c1"], "reason"]
    assert (left_out == LEFT_OUT).all()


def test_remove_refuses_a_community_of_another_district(plan, inputs):
    with pytest.raises(InputError, match="不在片区 D001 中"):
        remove_communities(plan, "D001", ["r0c3"], inputs=inputs)


def test_removing_every_member_removes_the_district(plan, inputs):
    new, change = remove_communities(plan, "D002", sorted(members(plan, "D002")), inputs=inputs)
    assert change.removed == ("D002",)
    assert "D002" not in set(new.districts["district_id"])


def test_merge_keeps_the_first_id(plan, inputs):
    new, change = merge_districts(plan, ["D002", "D001"], inputs=inputs)
    assert new.districts["district_id"].tolist() == ["D002"]
    assert change.removed == ("D001",)
    assert members(new, "D002") == members(plan, "D001") | members(plan, "D002")
    assert change.warnings == ("片区 D002 人口高于上限",)


def test_split_into_disconnected_pieces_warns(plan, inputs):
    # r0c2 and r1c3 touch only at a corner 10*sqrt(2) m apart: still adjacent at 30 m;
    # splitting off r0c2 and r0c3 leaves r1c2 and r1c3 contiguous, so no warning
    new, change = split_district(plan, "D002", ["r0c2", "r0c3"], inputs=inputs)
    assert change.added == ("D003",) and change.warnings == ()
    new, change = split_district(plan, "D001", ["r0c0"], inputs=inputs)
    assert "片区 D003 人口低于下限" in change.warnings
    assert members(new, "D001") == {"r0c1", "r1c0", "r1c1"}


def test_split_needs_a_proper_part(plan, inputs):
    with pytest.raises(InputError, match="一部分（不是全部）"):
        split_district(plan, "D001", sorted(members(plan, "D001")), inputs=inputs)


def test_rename_changes_only_the_name(plan):
    new, change = rename_district(plan, "D001", " 革新片区 ")
    assert new.districts.set_index("district_id").loc["D001", "name"] == "革新片区"
    assert change == type(change)("rename", modified=("D001",))
    pd.testing.assert_frame_equal(new.members, plan.members)


def test_rename_refuses_a_name_another_district_has(plan):
    taken = plan.districts.set_index("district_id").loc["D002", "name"]
    with pytest.raises(InputError, match="已被片区 D002 使用"):
        rename_district(plan, "D001", taken)


def test_locked_district_refuses_member_changes(plan, inputs):
    locked, change = lock_district(plan, "D001")
    assert locked.districts.set_index("district_id").loc["D001", "locked"]
    with pytest.raises(InputError, match="片区 D001 已锁定"):
        add_communities(locked, "D002", ["r0c0"], inputs=inputs)
    with pytest.raises(InputError, match="片区 D001 已锁定"):
        add_communities(locked, "D001", ["r0c2"], inputs=inputs)
    renamed, _ = rename_district(locked, "D001", "保留")
    assert renamed.districts.set_index("district_id").loc["D001", "name"] == "保留"


def test_lock_survives_an_edit_elsewhere(plan, inputs):
    locked, _ = lock_district(plan, "D001")
    new, _ = split_district(locked, "D002", ["r0c2"], inputs=inputs)
    assert new.districts.set_index("district_id").loc["D001", "locked"]


def test_edits_leave_the_previous_plan_untouched(plan, inputs):
    before = plan.members.copy()
    merge_districts(plan, ["D001", "D002"], inputs=inputs)
    rename_district(plan, "D001", "x")
    pd.testing.assert_frame_equal(plan.members, before)
    assert plan.districts.set_index("district_id").loc["D001", "name"] != "x"


def test_unknown_ids_are_refused(plan, inputs):
    with pytest.raises(InputError, match="片区 D999 不存在"):
        add_communities(plan, "D999", ["r0c0"], inputs=inputs)
    with pytest.raises(InputError, match="小区 nope 不存在"):
        create_district(plan, ["nope"], inputs=inputs)
