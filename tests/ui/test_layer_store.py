"""The layer store: draw order, display state, selection and its signals, writing results to the project."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplanner.project import Project
from gisplanner.ui.layer_store import LayerStore

CRS = "EPSG:32652"


def squares(n, *, size=10.0, gap=5.0, names=None):
    """A row of n squares, each ``size`` m wide, ``gap`` m apart."""
    geoms = [shapely.box(i * (size + gap), 0, i * (size + gap) + size, size) for i in range(n)]
    return gpd.GeoDataFrame({"feature_id": [f"C{i:03d}" for i in range(n)],
                             "name": names or [f"小区{i}" for i in range(n)]}, geometry=geoms, crs=CRS)


@pytest.fixture
def project():
    p = Project(city="harbin", crs=CRS)
    # Added in an order unlike the draw order, to see the store sort them.
    p.set_layer("buildings", squares(3, size=4.0))
    p.set_layer("communities", squares(6, names=["和平小区", "革新小区", "奋斗", "文化", "和平里", "花园"]))
    p.set_layer("landuse", squares(2, size=100.0))
    return p


@pytest.fixture
def store(qtbot, project):
    return LayerStore(project)


def test_roles_are_drawn_in_role_order_whatever_the_insertion_order(store):
    assert store.names == ["landuse", "communities", "buildings"]


def test_results_go_on_top_and_into_the_project(store, project, qtbot):
    gaps = squares(2)
    with qtbot.waitSignal(store.added) as blocker:
        store.set_result("gaps", gaps)
    assert blocker.args == ["gaps"]
    assert store.names[-1] == "gaps"
    assert project.results["gaps"] is gaps
    assert store.modified


def test_tables_are_stored_but_not_drawn(store, project):
    import pandas as pd

    store.set_result("coverage", pd.DataFrame({"x": [1]}))
    assert "coverage" in project.results and "coverage" not in store


def test_a_role_added_later_slots_in_by_role_order(store):
    store.set_result("gaps", squares(1))
    store.set_frame("green_space", squares(1), kind="role")
    assert store.names == ["landuse", "green_space", "communities", "buildings", "gaps"]


def test_move_reorders_and_signals(store, qtbot):
    with qtbot.waitSignal(store.reordered):
        store.move("landuse", 2)
    assert store.names == ["communities", "buildings", "landuse"]


def test_display_changes_signal_once_and_not_when_unchanged(store):
    seen = []
    store.changed.connect(seen.append)
    store.set_opacity("communities", 0.4)
    store.set_opacity("communities", 0.4)
    store.set_visible("communities", False)
    assert seen == ["communities", "communities"]
    assert store.layer("communities").opacity == 0.4 and not store.layer("communities").visible


@pytest.mark.parametrize(("mode", "expected"), [("replace", {3, 4}), ("add", {1, 2, 3, 4}), ("remove", {1}),
                                                ("toggle", {1, 3, 4})])
def test_selection_modes_follow_set_algebra(store, mode, expected):
    store.select("communities", [1, 2])
    store.select("communities", [2, 3, 4] if mode != "replace" else [3, 4], mode)
    assert set(store.selected("communities").tolist()) == expected


def test_selection_signal_only_on_change(store):
    seen = []
    store.selection_changed.connect(seen.append)
    store.select("communities", [0, 1])
    store.select("communities", [1, 0])
    assert seen == ["communities"]


def test_rows_in_matches_shapely_intersects(store):
    query = shapely.box(12.0, 2.0, 47.0, 3.0)
    frame = store.layer("communities").frame
    expected = np.flatnonzero(frame.geometry.intersects(query).to_numpy())
    assert store.rows_in("communities", query).tolist() == expected.tolist() == [1, 2, 3]


def test_rows_named_finds_substrings(store):
    assert store.rows_named("communities", "和平").tolist() == [0, 4]
    assert store.rows_named("communities", "C005").tolist() == [5]
    assert store.rows_named("communities", "").tolist() == []


def test_new_data_clears_the_selection(store):
    store.select("communities", [0])
    store.set_frame("communities", squares(2), kind="role")
    assert len(store.selected("communities")) == 0


def test_bounds_cover_the_visible_layers(store):
    store.set_visible("landuse", False)
    assert store.bounds() == pytest.approx((0.0, 0.0, 85.0, 10.0))
    assert store.bounds(["landuse"]) == pytest.approx((0.0, 0.0, 205.0, 100.0))


def test_removing_a_result_drops_it_from_the_project(store, project):
    store.set_result("gaps", squares(1))
    store.set_active("gaps")
    store.remove("gaps")
    assert "gaps" not in project.results and store.active == ""
