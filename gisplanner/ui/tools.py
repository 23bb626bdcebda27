"""Mouse tools as small state machines fed with plain events in map coordinates (metres).

The canvas translates Qt mouse and key events into calls of :meth:`Tool.press`, :meth:`Tool.move`,
:meth:`Tool.release`, :meth:`Tool.double_click` and :meth:`Tool.key`; a call returns a request once the
gesture is complete (else None) and :attr:`Tool.preview` gives the rubber band to draw meanwhile. No Qt here,
so the tools are tested without a window.

Modifiers pick the selection mode: none replaces, ``shift`` adds, ``ctrl`` toggles, ``alt`` removes.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import Polygon, box


@dataclass(frozen=True)
class SelectRequest:
    """Select the features of the active layer that intersect ``geometry``."""

    geometry: shapely.Geometry
    mode: str


@dataclass(frozen=True)
class IdentifyRequest:
    """Show the attributes of the features under ``geometry`` in every visible layer."""

    geometry: shapely.Geometry


@dataclass(frozen=True)
class FootprintDrawn:
    """The user finished drawing a polygon (a facility footprint)."""

    polygon: shapely.Geometry  # a Polygon, or the MultiPolygon make_valid gives for a self-crossing outline


def selection_mode(*, shift: bool = False, ctrl: bool = False, alt: bool = False) -> str:
    """The selection mode the keyboard modifiers ask for."""
    if alt:
        return "remove"
    if ctrl:
        return "toggle"
    return "add" if shift else "replace"


class Tool:
    """Base tool: ignores everything. ``pixel_m`` is the current size of a screen pixel in metres.

    Parameters
    ----------
    pick_px
        Half-width of the click tolerance square, in screen pixels.
    """

    name = "pan"
    zh = "平移"

    def __init__(self, *, pick_px: float = 4.0) -> None:
        self.pixel_m = 1.0
        self.pick_px = pick_px
        self._start: tuple[float, float] | None = None
        self._points: list[tuple[float, float]] = []

    @property
    def active(self) -> bool:
        """True while a gesture is in progress."""
        return self._start is not None or bool(self._points)

    @property
    def preview(self) -> list[tuple[float, float]]:
        """Vertices of the rubber band to draw now (empty when nothing is in progress)."""
        return []

    def press(self, x: float, y: float, **mods: bool):
        return None

    def move(self, x: float, y: float):
        return None

    def release(self, x: float, y: float, **mods: bool):
        return None

    def double_click(self, x: float, y: float):
        return None

    def key(self, name: str):
        """``Escape`` abandons the gesture in progress."""
        if name == "Escape":
            self.reset()
        return None

    def reset(self) -> None:
        self._start = None
        self._points = []

    def _pick_box(self, x: float, y: float) -> Polygon:
        half = self.pick_px * self.pixel_m
        return box(x - half, y - half, x + half, y + half)

    def _is_click(self, x: float, y: float) -> bool:
        sx, sy = self._start
        return max(abs(x - sx), abs(y - sy)) <= self.pick_px * self.pixel_m


class _ClickTool(Tool):
    """A press and a release at (nearly) the same place make a request about the features under it."""

    def press(self, x, y, **mods):
        self._start = (x, y)

    def release(self, x, y, **mods):
        if self._start is None:
            return None
        clicked = self._is_click(x, y)
        self.reset()
        return self._request(self._pick_box(x, y), mods) if clicked else None

    def _request(self, box, mods):
        raise NotImplementedError


class ClickSelectTool(_ClickTool):
    """Select what lies under a click."""

    name = "select"
    zh = "点选"

    def _request(self, box, mods):
        return SelectRequest(box, selection_mode(**mods))


class BoxSelectTool(Tool):
    """Drag a rectangle; a drag shorter than the click tolerance selects like a click."""

    name = "box"
    zh = "框选"

    def press(self, x, y, **mods):
        self._start = (x, y)
        self._points = [(x, y)]

    def move(self, x, y):
        if self._start is not None:
            self._points = [self._start, (x, y)]

    @property
    def preview(self):
        if self._start is None or len(self._points) < 2:
            return []
        (x0, y0), (x1, y1) = self._points
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]

    def release(self, x, y, **mods):
        if self._start is None:
            return None
        (x0, y0), clicked = self._start, self._is_click(x, y)
        self.reset()
        geometry = self._pick_box(x, y) if clicked else box(min(x0, x), min(y0, y), max(x0, x), max(y0, y))
        return SelectRequest(geometry, selection_mode(**mods))


class LassoSelectTool(Tool):
    """Drag a free-hand outline; the closed outline selects what it touches."""

    name = "lasso"
    zh = "套索"

    def press(self, x, y, **mods):
        self._start = (x, y)
        self._points = [(x, y)]

    def move(self, x, y):
        if self._start is not None:
            self._points.append((x, y))

    @property
    def preview(self):
        return list(self._points)

    def release(self, x, y, **mods):
        if self._start is None:
            return None
        points = [*self._points, (x, y)]
        xs, ys = zip(*points, strict=True)
        clicked = len(points) < 3 or max(max(xs) - min(xs), max(ys) - min(ys)) <= self.pick_px * self.pixel_m
        self.reset()
        if clicked:
            return SelectRequest(self._pick_box(x, y), selection_mode(**mods))
        # A self-crossing lasso is still a valid request: make_valid keeps every enclosed lobe.
        return SelectRequest(shapely.make_valid(Polygon(points)), selection_mode(**mods))


class IdentifyTool(_ClickTool):
    """Click to list the attributes of the features under the cursor."""

    name = "identify"
    zh = "查询"

    def _request(self, box, mods):
        return IdentifyRequest(box)


class DrawPolygonTool(Tool):
    """Click vertices; a double click or Enter closes the polygon, Backspace drops the last vertex."""

    name = "draw"
    zh = "绘制"

    def __init__(self, *, pick_px: float = 4.0) -> None:
        super().__init__(pick_px=pick_px)
        self._cursor: tuple[float, float] | None = None

    def press(self, x, y, **mods):
        # The second press of a double click lands on the last vertex: do not add it twice.
        if not self._points or not self._same_as_last(x, y):
            self._points.append((x, y))

    def move(self, x, y):
        self._cursor = (x, y)

    @property
    def preview(self):
        if not self._points:
            return []
        return [*self._points, self._cursor] if self._cursor else list(self._points)

    def double_click(self, x, y):
        return self._finish()

    def key(self, name):
        if name in ("Return", "Enter"):
            return self._finish()
        if name == "Backspace" and self._points:
            self._points.pop()
            return None
        return super().key(name)

    def reset(self):
        super().reset()
        self._cursor = None

    def _same_as_last(self, x, y) -> bool:
        lx, ly = self._points[-1]
        return max(abs(x - lx), abs(y - ly)) <= self.pick_px * self.pixel_m

    def _finish(self):
        if len(self._points) < 3:
            return None
        polygon = Polygon(self._points)
        self.reset()
        return FootprintDrawn(polygon if polygon.is_valid else shapely.make_valid(polygon))


TOOLS = {cls.name: cls for cls in (Tool, ClickSelectTool, BoxSelectTool, LassoSelectTool, IdentifyTool,
                                   DrawPolygonTool)}
