"""Mouse tools as state machines: plain events in, requests out, no window."""

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from gisplanner.ui.tools import (
    BoxSelectTool,
    ClickSelectTool,
    DrawPolygonTool,
    FootprintDrawn,
    IdentifyRequest,
    IdentifyTool,
    LassoSelectTool,
    SelectRequest,
    selection_mode,
)


def tool(cls, pixel_m=2.0, pick_px=4.0):
    t = cls(pick_px=pick_px)
    t.pixel_m = pixel_m
    return t


@pytest.mark.parametrize(("mods", "mode"), [({}, "replace"), ({"shift": True}, "add"), ({"ctrl": True}, "toggle"),
                                           ({"alt": True}, "remove"), ({"shift": True, "alt": True}, "remove")])
def test_selection_mode_follows_modifiers(mods, mode):
    assert selection_mode(**mods) == mode


def test_click_selects_a_square_of_the_pick_tolerance_in_metres():
    t = tool(ClickSelectTool, pixel_m=2.0, pick_px=4.0)
    t.press(100.0, 200.0)
    request = t.release(101.0, 200.0, shift=True)
    assert isinstance(request, SelectRequest)
    assert request.mode == "add"
    # 4 px × 2 m/px = 8 m either side of the release point
    assert request.geometry.bounds == (93.0, 192.0, 109.0, 208.0)


def test_click_tool_ignores_a_drag_longer_than_the_tolerance():
    t = tool(ClickSelectTool)
    t.press(0.0, 0.0)
    assert t.release(50.0, 0.0) is None
    assert not t.active


def test_box_previews_a_closed_rectangle_and_selects_it():
    t = tool(BoxSelectTool)
    t.press(10.0, 20.0)
    t.move(40.0, -5.0)
    assert t.preview == [(10.0, 20.0), (40.0, 20.0), (40.0, -5.0), (10.0, -5.0), (10.0, 20.0)]
    request = t.release(40.0, -5.0)
    assert request.geometry.equals(shapely.box(10.0, -5.0, 40.0, 20.0))
    assert t.preview == []


def test_box_shorter_than_the_tolerance_acts_as_a_click():
    t = tool(BoxSelectTool, pixel_m=1.0, pick_px=5.0)
    t.press(0.0, 0.0)
    request = t.release(2.0, 1.0)
    assert request.geometry.bounds == (-3.0, -4.0, 7.0, 6.0)


def test_lasso_closes_the_outline():
    t = tool(LassoSelectTool)
    t.press(0.0, 0.0)
    for x, y in ((100.0, 0.0), (100.0, 50.0)):
        t.move(x, y)
    request = t.release(0.0, 50.0)
    assert request.geometry.area == pytest.approx(100.0 * 50.0)


def test_self_crossing_lasso_keeps_both_lobes():
    t = tool(LassoSelectTool)
    t.press(0.0, 0.0)
    t.move(10.0, 10.0)
    t.move(10.0, 0.0)
    request = t.release(0.0, 10.0)  # a bow tie: two triangles of 10 × 5 / 2 m² each
    assert isinstance(request.geometry, MultiPolygon)
    assert request.geometry.area == pytest.approx(50.0)


def test_identify_returns_the_pick_square():
    t = tool(IdentifyTool)
    t.press(5.0, 5.0)
    request = t.release(5.0, 5.0)
    assert isinstance(request, IdentifyRequest)
    assert request.geometry.contains(shapely.Point(5.0, 5.0))


def test_draw_polygon_with_clicks_and_enter():
    t = tool(DrawPolygonTool, pixel_m=1.0)
    for x, y in ((0.0, 0.0), (30.0, 0.0), (30.0, 20.0)):
        t.press(x, y)
        t.release(x, y)
    t.move(0.0, 20.0)
    assert t.preview[-1] == (0.0, 20.0)
    t.press(0.0, 20.0)
    result = t.key("Return")
    assert isinstance(result, FootprintDrawn)
    assert result.polygon.equals(Polygon([(0, 0), (30, 0), (30, 20), (0, 20)]))
    assert not t.active


def test_double_click_does_not_add_the_last_vertex_twice():
    t = tool(DrawPolygonTool, pixel_m=1.0)
    for x, y in ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0)):
        t.press(x, y)
    t.press(10.2, 10.1)  # second press of the double click
    result = t.double_click(10.2, 10.1)
    assert len(result.polygon.exterior.coords) == 4  # three vertices, closed


def test_backspace_drops_a_vertex_and_too_few_vertices_draw_nothing():
    t = tool(DrawPolygonTool, pixel_m=1.0)
    for x, y in ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0)):
        t.press(x, y)
    t.key("Backspace")
    assert t.key("Return") is None
    assert t.preview == [(0.0, 0.0), (10.0, 0.0)]


def test_escape_abandons_the_drawing():
    t = tool(DrawPolygonTool, pixel_m=1.0)
    t.press(0.0, 0.0)
    t.press(5.0, 0.0)
    t.key("Escape")
    assert not t.active and t.preview == []
