"""The map canvas: every layer of the store drawn batched in a pyqtgraph view with equal scale.

Each layer becomes a handful of graphics items, one per style class and geometry kind (a single QPainterPath
for all its polygons or lines, a single scatter for its points), never one item per feature, so a pan or zoom
only re-renders a few paths. Scale bar and north arrow are painted in screen space over the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PyQt6.QtWidgets import QGraphicsPathItem

from gisplanner.export.labels import (
    Box,
    LabelRequest,
    area_label_requests,
    choose_anchors,
    road_label_requests,
    rotated_box,
)
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.styles import classify
from gisplanner.ui.tools import SelectRequest, Tool

_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon
_LINE_TYPES = (1, 2, 5)
_POINT_TYPES = (0, 4)
SELECTION_COLOR = "#00e5ff"
#: A layer with more features than this in view gets no labels (they could not be read).
MAX_LABELS = 150
#: Free space kept around each label, screen pixels.
LABEL_PAD_PX = 2.0
#: A light box under each label, so a name stays readable over fills and lines.
LABEL_FILL = (255, 255, 255, 170)


@dataclass(frozen=True)
class LabelSpec:
    """How the names of one kind of layer are labelled: type size (points), colour, weight, priority (larger is
    placed first), whether they are street names along lines, and the zoom (metres per pixel) above which they
    are not drawn."""

    size: float
    color: str
    priority: float
    bold: bool = False
    roads: bool = False
    max_pixel_m: float | None = None
    max_features: int = MAX_LABELS


#: Label kinds by layer: district results, the communities and the walking network's street names (drawn from
#: about 1:15 000 on screen, where a street is long enough to carry its name).
LABEL_SPECS = {"districts": LabelSpec(10, "#1f3a93", 5.0, bold=True),
               "communities": LabelSpec(9, "#222222", 3.0),
               # one street is many segments: a view of a few kilometres holds thousands
               "walk_network": LabelSpec(8, "#4d4d4d", 1.0, roads=True, max_pixel_m=4.0, max_features=20_000)}


def _label_spec(layer_name: str) -> LabelSpec | None:
    if layer_name.startswith("districts"):
        return LABEL_SPECS["districts"]
    return LABEL_SPECS.get(layer_name)


def _label_font(spec: LabelSpec) -> QFont:
    font = QFont("Noto Sans CJK SC", int(spec.size))
    font.setBold(spec.bold)
    return font


def geometry_path(geoms: np.ndarray) -> QPainterPath:
    """One QPainterPath holding every ring of the polygons and every part of the lines in ``geoms``.

    Rings become separate closed subpaths. Polygons are oriented (shells counter-clockwise, holes clockwise) and
    the path uses the winding fill rule, so holes stay empty while overlapping features (a community listed
    once per gap) still fill, which the odd-even rule would cancel out.
    """
    parts = shapely.get_parts(geoms)
    types = shapely.get_type_id(parts)
    polygons = shapely.orient_polygons(parts[types == 3])
    rings = shapely.get_rings(polygons) if len(polygons) else np.empty(0, dtype=object)
    linear = np.concatenate([rings, parts[np.isin(types, (1, 2))]])
    if not len(linear):
        return QPainterPath()
    coords, index = shapely.get_coordinates(linear, return_index=True)
    connect = np.zeros(len(index), dtype=np.int32)
    connect[:-1] = index[1:] == index[:-1]
    path = pg.arrayToQPath(coords[:, 0], coords[:, 1], connect=connect, finiteCheck=False)
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


def _pen(color: str, width: float) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)  # width in screen pixels whatever the zoom
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _path_item(path: QPainterPath, fill: str | None, edge: str, width: float) -> QGraphicsPathItem:
    item = QGraphicsPathItem(path)
    item.setPen(_pen(edge, width) if width > 0 else QPen(Qt.PenStyle.NoPen))
    item.setBrush(QBrush(QColor(fill)) if fill else QBrush(Qt.BrushStyle.NoBrush))
    return item


class LayerGraphics:
    """The items that draw one layer: per style class a polygon path, a line path and a point scatter."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items: list = []
        self.highlight: list = []
        self.frame_id: int | None = None
        self.style = None

    def rebuild(self, layer) -> None:
        self.clear(self.items)
        frame, style = layer.frame, layer.style
        geoms = frame.geometry.to_numpy()
        types = shapely.get_type_id(geoms)
        for cls in classify(frame, style):
            self.items.extend(self._draw(geoms[cls.mask], types[cls.mask], cls.fill, cls.edge, style))
        self.frame_id, self.style = id(frame), style
        self.set_highlight(layer)

    def _draw(self, geoms, types, fill, edge, style, *, selected: bool = False) -> list:
        items = []
        areal = np.isin(types, _POLYGON_TYPES)
        linear = np.isin(types, _LINE_TYPES)
        for mask, brush in ((areal, fill), (linear, None)):
            if mask.any():
                width = style.width + (2.0 if selected else 0.0)
                item = _path_item(geometry_path(geoms[mask]), None if selected else brush,
                                  SELECTION_COLOR if selected else edge, max(width, 0.5))
                items.append(item)
        points = np.isin(types, _POINT_TYPES)
        if points.any():
            xy = shapely.get_coordinates(geoms[points])
            item = pg.ScatterPlotItem(
                x=xy[:, 0], y=xy[:, 1], size=style.point_size + (4 if selected else 0), pxMode=True,
                brush=pg.mkBrush(SELECTION_COLOR if selected else (fill or edge)),
                pen=pg.mkPen("#000000", width=1) if selected else
                pg.mkPen(edge, width=1) if style.width > 0 else pg.mkPen(None))
            items.append(item)
        for item in items:
            self.view.addItem(item, ignoreBounds=True)
        return items

    def set_highlight(self, layer) -> None:
        self.clear(self.highlight)
        if len(layer.selected):
            geoms = layer.frame.geometry.to_numpy()[layer.selected]
            self.highlight = self._draw(geoms, shapely.get_type_id(geoms), None, SELECTION_COLOR, layer.style,
                                        selected=True)
        self.apply_state(layer, z=None)

    def apply_state(self, layer, z: int | None) -> None:
        for item in self.items + self.highlight:
            item.setVisible(layer.visible)
        for item in self.items:
            item.setOpacity(layer.opacity)
            if z is not None:
                item.setZValue(z)
        for item in self.highlight:
            item.setZValue(10_000)

    def clear(self, items: list) -> None:
        for item in items:
            self.view.removeItem(item)
        items.clear()


class MapViewBox(pg.ViewBox):
    """A ViewBox that hands mouse gestures to the current tool and pans/zooms with the keyboard."""

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(lockAspect=True, enableMenu=False, invertY=False)
        self.canvas = canvas
        self.setFlag(self.GraphicsItemFlag.ItemIsFocusable, True)

    def mouseDragEvent(self, ev, axis=None):
        tool = self.canvas.tool
        if type(tool) is Tool or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        mods = _mods(ev.modifiers())
        if ev.isStart():
            start = self.mapSceneToView(ev.buttonDownScenePos())
            self.canvas.feed("press", start.x(), start.y(), **mods)
        if ev.isFinish():
            self.canvas.feed("release", p.x(), p.y(), **mods)
        else:
            self.canvas.feed("move", p.x(), p.y())

    def mouseClickEvent(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseClickEvent(ev)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        mods = _mods(ev.modifiers())
        if ev.double():
            self.canvas.feed("double_click", p.x(), p.y())
        else:
            self.canvas.feed("press", p.x(), p.y(), **mods)
            self.canvas.feed("release", p.x(), p.y(), **mods)

    def keyPressEvent(self, ev):
        key = ev.key()
        (x0, x1), (y0, y1) = self.viewRange()
        step_x, step_y = (x1 - x0) * 0.2, (y1 - y0) * 0.2
        moves = {Qt.Key.Key_Left: (-step_x, 0), Qt.Key.Key_Right: (step_x, 0),
                 Qt.Key.Key_Up: (0, step_y), Qt.Key.Key_Down: (0, -step_y)}
        if key in moves:
            self.translateBy(*moves[key])
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.scaleBy((0.8, 0.8))
        elif key == Qt.Key.Key_Minus:
            self.scaleBy((1.25, 1.25))
        else:
            names = {Qt.Key.Key_Escape: "Escape", Qt.Key.Key_Return: "Return", Qt.Key.Key_Enter: "Enter",
                     Qt.Key.Key_Backspace: "Backspace"}
            if key not in names:
                return super().keyPressEvent(ev)
            self.canvas.feed("key", names[key])
        ev.accept()


def _mods(modifiers) -> dict[str, bool]:
    return {"shift": bool(modifiers & Qt.KeyboardModifier.ShiftModifier),
            "ctrl": bool(modifiers & Qt.KeyboardModifier.ControlModifier),
            "alt": bool(modifiers & Qt.KeyboardModifier.AltModifier)}


def nice_length(max_m: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``max_m`` (scale bar length)."""
    if max_m <= 0 or not math.isfinite(max_m):
        return 0.0
    exponent = 10 ** math.floor(math.log10(max_m))
    return max(f * exponent for f in (1, 2, 5) if f * exponent <= max_m)


class MapCanvas(pg.GraphicsView):
    """Draws a :class:`LayerStore` and turns tool gestures into selections and requests.

    Signals
    -------
    cursor_moved(x, y)
        cursor position in the project's metric CRS (m).
    identify_requested(geometry)
        the identify tool was clicked; geometry is the pick square (shapely).
    footprint_drawn(geometry)
        the draw tool finished a polygon.
    """

    cursor_moved = pyqtSignal(float, float)
    identify_requested = pyqtSignal(object)
    footprint_drawn = pyqtSignal(object)

    def __init__(self, store: LayerStore, parent=None) -> None:
        super().__init__(parent, background="#ffffff")
        self.store = store
        self.view = MapViewBox(self)
        self.setCentralItem(self.view)
        self.tool: Tool = Tool()
        self._graphics: dict[str, LayerGraphics] = {}
        self._labels: list[pg.TextItem] = []
        self.basemap = None  # a gisplanner.basemap.Basemap under every layer, re-rendered when the view settles
        self._basemap_item = pg.ImageItem(axisOrder="row-major")
        self._basemap_item.setZValue(-1_000_000)
        self.view.addItem(self._basemap_item, ignoreBounds=True)
        self._rubber = QGraphicsPathItem()
        self._rubber.setPen(_pen("#e31a1c", 1.5))
        self._rubber.setZValue(20_000)
        self.view.addItem(self._rubber, ignoreBounds=True)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        # Labels are rebuilt once the view settles, not on every frame of a drag.
        self._label_timer = QTimer(self)
        self._label_timer.setSingleShot(True)
        self._label_timer.setInterval(80)
        self._label_timer.timeout.connect(self._view_settled)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.view.sigRangeChanged.connect(self._range_changed)
        store.added.connect(self._added)
        store.removed.connect(self._removed)
        store.changed.connect(self._changed)
        store.reordered.connect(self._restack)
        store.selection_changed.connect(self._selection_changed)
        store.project_replaced.connect(self.zoom_to_all)
        for name in store.names:
            self._added(name)
        self.zoom_to_all()

    # The scene turns press/release pairs into its own click and drag events and leaves the Qt event
    # unaccepted; the map consumes every mouse press, so say so (parents must not act on it too).
    def mousePressEvent(self, ev) -> None:
        super().mousePressEvent(ev)
        ev.accept()

    def mouseReleaseEvent(self, ev) -> None:
        super().mouseReleaseEvent(ev)
        ev.accept()

    def close(self) -> bool:
        # pyqtgraph's close() deletes the scene's items; a pending label rebuild must not touch them after.
        self._label_timer.stop()
        return super().close()

    # --- store events --------------------------------------------------------------------------------------
    def _added(self, name: str) -> None:
        graphics = LayerGraphics(self.view)
        self._graphics[name] = graphics
        graphics.rebuild(self.store.layer(name))
        self._restack()
        self._update_labels()

    def _removed(self, name: str) -> None:
        graphics = self._graphics.pop(name)
        graphics.clear(graphics.items)
        graphics.clear(graphics.highlight)
        self._update_labels()

    def _changed(self, name: str) -> None:
        layer, graphics = self.store.layer(name), self._graphics[name]
        if graphics.frame_id != id(layer.frame) or graphics.style != layer.style:
            graphics.rebuild(layer)
        self._restack()
        self._update_labels()

    def _selection_changed(self, name: str) -> None:
        self._graphics[name].set_highlight(self.store.layer(name))

    def _restack(self) -> None:
        for z, name in enumerate(self.store.names):
            if name in self._graphics:  # while the canvas is being filled, later layers are not built yet
                self._graphics[name].apply_state(self.store.layer(name), z=z * 10)

    # --- view ----------------------------------------------------------------------------------------------
    def zoom_to(self, bounds, *, margin: float = 0.05) -> None:
        """Show ``(minx, miny, maxx, maxy)`` in metres, with a relative margin."""
        if bounds is None:
            return
        minx, miny, maxx, maxy = bounds
        pad = max(maxx - minx, maxy - miny, 10.0) * margin
        self.view.setRange(QRectF(minx - pad, miny - pad, maxx - minx + 2 * pad, maxy - miny + 2 * pad),
                           padding=0)

    def zoom_to_all(self) -> None:
        self.zoom_to(self.store.bounds())

    def zoom_to_layer(self, name: str) -> None:
        self.zoom_to(self.store.bounds([name]))

    def pixel_size(self) -> float:
        """Size of one screen pixel in metres at the current zoom."""
        size = self.view.viewPixelSize()[0]
        return size if math.isfinite(size) and size > 0 else 1.0

    # --- tools ---------------------------------------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self.tool.reset()
        self.tool = tool
        self._draw_rubber()
        cursor = Qt.CursorShape.OpenHandCursor if type(tool) is Tool else Qt.CursorShape.CrossCursor
        self.setCursor(cursor)

    def feed(self, event: str, *args, **mods) -> None:
        """Pass one plain event to the tool and act on the request it returns."""
        self.tool.pixel_m = self.pixel_size()
        request = getattr(self.tool, event)(*args, **mods)
        self._draw_rubber()
        if request is None:
            return
        if isinstance(request, SelectRequest):
            active = self.store.active
            if active:
                self.store.select(active, self.store.rows_in(active, request.geometry), request.mode)
        elif hasattr(request, "polygon"):
            self.footprint_drawn.emit(request.polygon)
        else:
            self.identify_requested.emit(request.geometry)

    def _draw_rubber(self) -> None:
        points = self.tool.preview
        path = QPainterPath()
        if points:
            path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
        self._rubber.setPath(path)

    def _mouse_moved(self, pos) -> None:
        p = self.view.mapSceneToView(pos)
        self.cursor_moved.emit(p.x(), p.y())
        if self.tool.preview or type(self.tool).__name__ == "DrawPolygonTool":
            self.tool.move(p.x(), p.y())
            self._draw_rubber()

    def _range_changed(self, *args) -> None:
        self._label_timer.start()

    def _view_settled(self) -> None:
        self._update_basemap()
        self._update_labels()

    # --- basemap -------------------------------------------------------------------------------------------
    def set_basemap(self, basemap) -> None:
        """Draw ``basemap`` (:class:`gisplanner.basemap.Basemap`, a local file) under the layers; None removes it."""
        self.basemap = basemap
        self._update_basemap()

    def _update_basemap(self) -> None:
        """Render the basemap for the view at screen resolution (a warp of the visible part only)."""
        crs = getattr(self.store.project, "crs", None)
        if self.basemap is None or crs is None:
            self._basemap_item.clear()
            return
        (x0, x1), (y0, y1) = self.view.viewRange()
        rect = self.view.sceneBoundingRect()
        picture = self.basemap.render(crs, (x0, y0, x1, y1), (rect.width(), rect.height()))
        self._basemap_item.setImage(picture.rgba[::-1], autoLevels=False)  # rows from the bottom, as y grows
        self._basemap_item.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))

    # --- labels --------------------------------------------------------------------------------------------
    def _label_requests(self, window) -> tuple[list[LabelRequest], list[LabelSpec]]:
        """Names of districts, communities and (zoomed in) streets in view, each layer only while it has few
        enough features in view to read, with the spec of each; heights from the font at this zoom."""
        requests: list[LabelRequest] = []
        specs: list[LabelSpec] = []
        pixel = self.pixel_size()
        for name in self.store.names:
            layer = self.store.layer(name)
            if not layer.visible or "name" not in layer.frame.columns or not len(layer.frame):
                continue
            spec = _label_spec(name)
            if spec is None or (spec.max_pixel_m is not None and pixel > spec.max_pixel_m):
                continue
            rows = layer.frame.sindex.query(window, predicate="intersects")
            if len(rows) > spec.max_features:
                continue
            height = QFontMetricsF(_label_font(spec)).height() * pixel
            sub = layer.frame.iloc[rows]
            if spec.roads:
                made = road_label_requests(sub, window, height, spec.size, spec.priority)
            else:
                made = area_label_requests(sub, "name", height, spec.size, spec.priority)
            requests += made
            specs += [spec] * len(made)
        return requests, specs

    def _update_labels(self) -> None:
        """Name labels placed without collisions (:func:`gisplanner.export.labels.choose_anchors`, as on the
        sheets): districts first, then communities, then street names; a label that finds no free place in
        view is left out."""
        for item in self._labels:
            self.view.removeItem(item)
        self._labels = []
        (x0, x1), (y0, y1) = self.view.viewRange()
        requests, specs = self._label_requests(shapely.box(x0, y0, x1, y1))
        if not requests:
            return
        pixel = self.pixel_size()
        items: dict[int, pg.TextItem] = {}

        def measure(i: int, anchor: tuple[float, float, float]) -> Box:
            if i not in items:
                items[i] = pg.TextItem(requests[i].text, color=specs[i].color, anchor=(0.5, 0.5), fill=LABEL_FILL)
                items[i].setFont(_label_font(specs[i]))
            x, y, rotation = anchor
            items[i].setPos(x, y)
            items[i].setAngle(rotation)
            rect = items[i].textItem.boundingRect()
            return rotated_box(x, y, rect.width() * pixel, rect.height() * pixel, rotation)

        chosen = choose_anchors(requests, measure, (x0, y0, x1, y1), pad=LABEL_PAD_PX * pixel)
        for i, k in enumerate(chosen):
            if k is not None:
                items[i].setZValue(15_000)
                self.view.addItem(items[i], ignoreBounds=True)
                self._labels.append(items[i])

    # --- overlays ------------------------------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect) -> None:
        """Scale bar (bottom left) and north arrow (top right), in screen pixels."""
        super().drawForeground(painter, rect)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        width, height = self.viewport().width(), self.viewport().height()
        font = QFont("Noto Sans CJK SC", 9)
        painter.setFont(font)
        metres = nice_length(self.pixel_size() * width * 0.25)
        if metres > 0:
            length = metres / self.pixel_size()
            x, y = 16, height - 18
            painter.setPen(QPen(QColor("#000000"), 2))
            painter.fillRect(QRectF(x - 4, y - 22, length + 60, 30), QColor(255, 255, 255, 200))
            painter.drawLine(QPointF(x, y), QPointF(x + length, y))
            painter.drawLine(QPointF(x, y - 5), QPointF(x, y))
            painter.drawLine(QPointF(x + length, y - 5), QPointF(x + length, y))
            label = f"{metres / 1000:g} 千米" if metres >= 1000 else f"{metres:g} 米"
            painter.drawText(QPointF(x + length + 6, y + 4), label)
        cx, top = width - 30, 14
        arrow = QPolygonF([QPointF(cx, top), QPointF(cx - 9, top + 26), QPointF(cx, top + 20),
                           QPointF(cx + 9, top + 26)])
        painter.setPen(QPen(QColor("#000000"), 1))
        painter.setBrush(QBrush(QColor("#000000")))
        painter.drawPolygon(arrow)
        painter.drawText(QRectF(cx - 15, top + 27, 30, 18), Qt.AlignmentFlag.AlignCenter, "北")
        painter.restore()
