"""The map canvas: batched paths, fill rules, scale bar lengths, tools wired to the store's selection."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PyQt6.QtCore import QPointF
from PyQt6.QtWidgets import QGraphicsPathItem

from gisplanner.ui.canvas import MapCanvas, geometry_path, nice_length
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.tools import BoxSelectTool

CRS = "EPSG:32652"


def test_path_holds_every_vertex_of_every_ring_and_line():
    donut = shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 6, 6))
    line = shapely.LineString([(20, 0), (25, 5), (30, 0)])
    geoms = np.array([donut, shapely.box(40, 0, 41, 1), line])
    path = geometry_path(geoms)
    expected = len(shapely.get_coordinates(geoms))  # 5 + 5 + 5 + 3
    assert path.elementCount() == expected == 18
    # a new subpath (moveTo) starts every ring and the line
    assert sum(path.elementAt(i).isMoveTo() for i in range(path.elementCount())) == 4


def test_holes_stay_empty_and_overlapping_features_stay_filled():
    donut = shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 6, 6))
    path = geometry_path(np.array([donut, shapely.box(20, 0, 30, 10), shapely.box(20, 0, 30, 10)]))
    assert path.contains(QPointF(1, 1))
    assert not path.contains(QPointF(4.5, 4.5))
    # the same square twice (a community listed under two gaps): odd-even would cancel it out
    assert path.contains(QPointF(25, 5))


@pytest.mark.parametrize(("limit", "expected"), [(0.9, 0.5), (1.0, 1.0), (370.0, 200.0), (4999.0, 2000.0),
                                                 (5000.0, 5000.0), (0.0, 0.0)])
def test_scale_bar_length_is_1_2_5_times_a_power_of_ten(limit, expected):
    assert nice_length(limit) == pytest.approx(expected)


@pytest.fixture
def canvas(qtbot):
    polygons = gpd.GeoDataFrame({"feature_id": [f"C{i}" for i in range(50)], "name": ["x"] * 50,
                                 "district_id": [f"D{i % 3}" for i in range(50)]},
                                geometry=[shapely.box(i * 20, 0, i * 20 + 10, 10) for i in range(50)], crs=CRS)
    store = LayerStore()
    store.set_frame("communities", polygons, kind="role")
    store.set_frame("districts", polygons.copy())
    canvas = MapCanvas(store)
    qtbot.addWidget(canvas)
    canvas.resize(800, 400)
    canvas.zoom_to_all()
    return canvas


def path_items(canvas, name):
    return [i for i in canvas._graphics[name].items if isinstance(i, QGraphicsPathItem)]


def test_one_item_per_style_class_not_per_feature(canvas):
    assert len(path_items(canvas, "communities")) == 1
    assert len(path_items(canvas, "districts")) == 3  # categorized by district_id: D0, D1, D2


def test_box_tool_selects_what_the_box_touches(canvas):
    store = canvas.store
    store.set_active("communities")
    canvas.set_tool(BoxSelectTool())
    canvas.feed("press", 25.0, 2.0)
    canvas.feed("move", 65.0, 8.0)
    canvas.feed("release", 65.0, 8.0)
    # boxes start every 20 m and are 10 m wide: x 25..65 touches boxes at 40 and 60 (and the one ending at 30)
    assert store.selected("communities").tolist() == [1, 2, 3]
    assert len(canvas._graphics["communities"].highlight) == 1


def test_hidden_layer_items_are_hidden(canvas):
    canvas.store.set_visible("districts", False)
    assert not any(i.isVisible() for i in canvas._graphics["districts"].items)


def test_draw_order_follows_the_store(canvas):
    canvas.store.move("districts", 0)
    z_districts = path_items(canvas, "districts")[0].zValue()
    z_communities = path_items(canvas, "communities")[0].zValue()
    assert z_districts < z_communities


def test_pixel_size_matches_the_view(canvas):
    left = canvas.view.mapSceneToView(QPointF(100, 100))
    right = canvas.view.mapSceneToView(QPointF(300, 100))
    assert canvas.pixel_size() == pytest.approx((right.x() - left.x()) / 200, rel=1e-6)


def _widget_pos(canvas, x, y):
    from PyQt6.QtCore import QPoint

    scene = canvas.view.mapViewToScene(QPointF(x, y))
    view = canvas.mapFromScene(scene)
    return QPoint(view.x(), view.y())


def test_a_real_mouse_click_selects_through_the_view(qtbot, canvas):
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    from gisplanner.ui.tools import ClickSelectTool

    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.store.set_active("communities")
    canvas.set_tool(ClickSelectTool())
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=_widget_pos(canvas, 45.0, 5.0))
    assert canvas.store.selected("communities").tolist() == [2]  # the box from 40 to 50 m


def test_arrow_key_pans_a_fifth_of_the_view(qtbot, canvas):
    from PyQt6.QtCore import Qt

    canvas.show()
    qtbot.waitExposed(canvas)
    (x0, x1), _ = canvas.view.viewRange()
    canvas.view.setFocus()
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Right)
    (n0, n1), _ = canvas.view.viewRange()
    assert n0 - x0 == pytest.approx((x1 - x0) * 0.2, rel=1e-6)


def test_labels_follow_the_view_once_it_settles(qtbot, canvas):
    canvas.store.set_frame("communities", canvas.store.layer("communities").frame.assign(
        name=[f"小区{i}" for i in range(50)]), kind="role")
    canvas.zoom_to((0.0, 0.0, 50.0, 10.0), margin=0.0)
    qtbot.waitUntil(lambda: not canvas._label_timer.isActive())
    (x0, x1), (y0, y1) = canvas.view.viewRange()
    frame = canvas.store.layer("communities").frame
    in_view = frame[frame.intersects(shapely.box(x0, y0, x1, y1))]
    texts = sorted(item.toPlainText() for item in canvas._labels)
    districts_in_view = canvas.store.layer("districts").frame.intersects(shapely.box(x0, y0, x1, y1)).sum()
    assert texts.count("x") == districts_in_view  # the district layer's names
    assert sorted(t for t in texts if t != "x") == sorted(in_view["name"])


def test_basemap_is_drawn_under_the_layers_and_can_be_removed(qtbot, tmp_path):
    import rasterio
    from affine import Affine

    from gisplanner.basemap import open_basemap
    from gisplanner.project import Project

    project = Project(city="harbin", crs=CRS)
    project.set_layer("communities", gpd.GeoDataFrame(
        {"feature_id": ["C1"], "name": ["一号小区"]}, geometry=[shapely.box(0, 0, 100, 50)], crs=CRS))
    store = LayerStore()
    store.set_project(project)
    canvas = MapCanvas(store)
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.zoom_to_all()
    green = np.zeros((3, 40, 60), np.uint8)
    green[1] = 200  # a green image 600 m × 400 m around the community
    tif = tmp_path / "green.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=60, height=40, count=3, dtype="uint8", crs=CRS,
                       transform=Affine(10, 0, -250, 0, -10, 175)) as dst:
        dst.write(green)

    def green_share() -> float:
        image = canvas.grab().toImage()
        pixels = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, 600, 10)]
                           for y in range(0, 400, 10)]).reshape(-1, 3)
        return float(((pixels[:, 1] > 150) & (pixels[:, 0] < 60)).mean())

    assert green_share() == 0.0
    canvas.set_basemap(open_basemap(tif))
    assert green_share() > 0.25  # the image fills the view around the community
    centre = canvas.grab().toImage().pixelColor(300, 200).getRgb()[:3]
    assert not (centre[1] > 150 and centre[0] < 60)  # the community is drawn over it
    layer_z = min(item.zValue() for item in canvas._graphics["communities"].items)
    assert canvas._basemap_item.zValue() < layer_z
    canvas.set_basemap(None)
    assert green_share() == 0.0


def _label_rects(canvas):
    """Screen rectangles of the labels as Qt draws them (an independent measure from the placer's boxes)."""
    return {item.toPlainText(): item.mapRectToScene(item.boundingRect()) for item in canvas._labels}


def _crowded_store():
    """Twelve narrow communities side by side in two districts, and a named street along them."""
    names = [f"{n}小区" for n in ("花园", "红军", "大成", "曲线", "民益", "文化", "联发", "宣西", "三辅",
                                   "四史", "五叙", "六合")]
    communities = gpd.GeoDataFrame({"feature_id": [f"C{i}" for i in range(12)], "name": names},
                                   geometry=[shapely.box(i * 30, 0, i * 30 + 28, 60) for i in range(12)], crs=CRS)
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name": ["宣化街片区", "花园街片区"]},
                                 geometry=[shapely.box(0, 0, 178, 60), shapely.box(180, 0, 358, 60)], crs=CRS)
    roads = gpd.GeoDataFrame({"feature_id": ["w1", "w2"], "highway": ["secondary", "footway"],
                              "name": ["宣化街", "无名小径"]},
                             geometry=[shapely.LineString([(-20, -90), (380, -90)]),
                                       shapely.LineString([(100, -100), (100, 70)])], crs=CRS)
    store = LayerStore()
    store.set_frame("communities", communities, kind="role")
    store.set_frame("walk_network", roads, kind="role")
    store.set_frame("districts", districts)
    return store


@pytest.fixture
def crowded(qtbot):
    canvas = MapCanvas(_crowded_store())
    qtbot.addWidget(canvas)
    canvas.resize(700, 400)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def test_labels_never_overlap_and_the_smaller_give_way(crowded):
    canvas = crowded
    canvas.zoom_to((-420.0, -100.0, 780.0, 160.0), margin=0.0)  # about 1.7 m per pixel: names wider than lots
    canvas._update_labels()
    rects = _label_rects(canvas)
    assert {"宣化街片区", "花园街片区", "宣化街"} <= set(rects)  # districts first, the street too
    assert "无名小径" not in rects  # a footway is not a street
    placed = list(rects.values())
    overlapping = [(a, b) for i, a in enumerate(rects) for b in list(rects)[i + 1:]
                   if rects[a].intersects(rects[b])]
    assert overlapping == []
    assert 2 + 1 < len(placed) < 2 + 12 + 1  # some community names fit, not all twelve: the rest are left out


def test_street_names_only_when_zoomed_in(crowded):
    canvas = crowded
    canvas.zoom_to((-20.0, -110.0, 380.0, 80.0), margin=0.0)
    canvas._update_labels()
    assert "宣化街" in _label_rects(canvas)
    canvas.zoom_to((-5000.0, -3000.0, 5000.0, 3000.0), margin=0.0)  # about 14 m per pixel
    canvas._update_labels()
    assert "宣化街" not in _label_rects(canvas)
