"""The map canvas on real data: central Harbin's OSM buildings drawn batched, selected like geopandas does."""

import numpy as np
import pyogrio
import pytest
import shapely

from gisplanner.ui.canvas import MapCanvas, geometry_path
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.tools import LassoSelectTool

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def buildings(harbin_focus):
    return pyogrio.read_dataframe(harbin_focus, layer="buildings").to_crs(32652)


def test_every_building_vertex_is_in_the_one_path(buildings):
    path = geometry_path(buildings.geometry.to_numpy())
    assert path.elementCount() == len(shapely.get_coordinates(buildings.geometry.to_numpy()))


def test_lasso_selects_what_geopandas_intersects(qtbot, buildings):
    store = LayerStore()
    store.set_frame("buildings", buildings, kind="role")
    store.set_active("buildings")
    canvas = MapCanvas(store)
    qtbot.addWidget(canvas)
    x0, y0, x1, y1 = buildings.total_bounds
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 6
    outline = [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)]
    tool = LassoSelectTool()
    canvas.set_tool(tool)
    canvas.feed("press", *outline[0])
    for x, y in outline[1:]:
        canvas.feed("move", x, y)
    canvas.feed("release", *outline[0])
    expected = np.flatnonzero(buildings.intersects(shapely.Polygon(outline)).to_numpy())
    assert len(expected) > 50
    assert store.selected("buildings").tolist() == expected.tolist()
