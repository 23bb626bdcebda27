"""Attribute table: pandas-backed sort and filter, selection linked both ways with the store."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PyQt6.QtCore import QItemSelectionModel, Qt

from gisplanner.labels import format_value
from gisplanner.ui.attribute_table import AttributeTable, FrameModel
from gisplanner.ui.layer_store import LayerStore


@pytest.fixture
def frame():
    return gpd.GeoDataFrame(
        {"feature_id": ["C1", "C2", "C3", "C4"], "name": ["和平小区", "革新", "和平里", None],
         "population": [800.0, np.nan, 1200.5, 300.0]},
        geometry=[shapely.Point(i, 0) for i in range(4)], crs="EPSG:32652")


def column_values(model, column):
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def test_geometry_is_not_a_column(frame):
    assert FrameModel(frame).columns == ["feature_id", "name", "population"]


def test_sort_matches_pandas_with_missing_last(frame):
    model = FrameModel(frame)
    model.sort(2, Qt.SortOrder.DescendingOrder)
    expected = frame.sort_values("population", ascending=False, na_position="last")["feature_id"].tolist()
    assert column_values(model, 0) == expected == ["C3", "C1", "C4", "C2"]


def test_filter_searches_every_column_case_insensitively(frame):
    model = FrameModel(frame)
    model.set_filter("和平")
    assert column_values(model, 0) == ["C1", "C3"]
    model.set_filter("c4")
    assert column_values(model, 0) == ["C4"]


def test_cells_are_readable_text():
    assert format_value("", np.nan) == "" and format_value("", None) == ""
    assert format_value("", 1234.5) == "1,234.5" and format_value("", 2.0) == "2"
    assert format_value("", np.bool_(True)) == "是"


def test_headers_and_codes_are_chinese(qtbot):
    model = FrameModel(pd.DataFrame({"district_id": ["D001"], "violations": ["below_min_population"],
                                     "households": [5496.4], "share_built_before_2000": [1.0]}))
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["片区编号", "约束检查", "户数", "2000年底前建成占比（%）"]
    assert [model.data(model.index(0, c)) for c in range(4)] == ["D001", "人口低于下限", "5,496", "100%"]


@pytest.fixture
def table(qtbot, frame):
    store = LayerStore()
    store.set_frame("communities", frame, kind="role")
    store.set_active("communities")
    widget = AttributeTable(store)
    qtbot.addWidget(widget)
    return widget


def test_map_selection_selects_table_rows_through_sort_and_filter(table):
    table.model.sort(0, Qt.SortOrder.DescendingOrder)  # C4, C3, C2, C1
    table.store.select("communities", [0, 2])  # C1 and C3
    rows = sorted(i.row() for i in table.view.selectionModel().selectedRows())
    assert [table.model.data(table.model.index(r, 0)) for r in rows] == ["C3", "C1"]


def test_table_selection_selects_features(table):
    table.model.set_filter("和平")
    model = table.model
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.view.selectionModel().select(model.index(1, 0), flags)  # second shown row: C3
    assert table.store.selected("communities").tolist() == [2]


def test_table_follows_the_active_layer(table):
    other = gpd.GeoDataFrame({"feature_id": ["B1"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:32652")
    table.store.set_frame("buildings", other, kind="role")
    table.store.set_active("buildings")
    assert table.model.rowCount() == 1 and "建筑" in table.title.text()
