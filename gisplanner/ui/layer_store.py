"""The layer store: the project's layers and results in draw order, with display state and selection.

It holds no widgets. Widgets and the canvas subscribe to its Qt signals and never change each other directly:

``added(name)``
    a layer was added (on top of its group).
``removed(name)``
    a layer was removed.
``changed(name)``
    a layer's data, style, visibility or opacity changed.
``reordered()``
    the draw order changed.
``selection_changed(name)``
    the selected rows of a layer changed.
``active_changed(name)``
    the layer that tools and the attribute table work on changed ("" when none).
``project_replaced()``
    a different project was opened; every layer was removed and the new ones added.
``modified_changed(bool)``
    the project gained or lost unsaved edits.

Selections are positional row numbers of the layer's frame (numpy ``int64`` arrays), so the canvas and the
attribute table can index the frame without looking up IDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from gisplanner.ui.styles import HIDDEN_RESULTS, Style, default_style

#: Bottom-to-top order of the canonical roles; results go above them in the order they arrive.
ROLE_ORDER = ("landuse", "admin_boundaries", "green_space", "communities", "idle_land", "buildings",
              "rivers", "railways", "walk_network", "public_buildings", "boiler_rooms", "facilities", "gates")

SELECTION_MODES = ("replace", "add", "remove", "toggle")


def _role_rank(role: str) -> int:
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


@dataclass
class Layer:
    """One drawable layer: its frame and how it is shown."""

    name: str
    frame: gpd.GeoDataFrame
    kind: str  # "role" (an input layer of the project) or "result" (written by an analysis)
    style: Style
    visible: bool = True
    opacity: float = 1.0
    selected: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


class LayerStore(QObject):
    """Ordered layers of one project; see the module docstring for the signals."""

    added = pyqtSignal(str)
    removed = pyqtSignal(str)
    changed = pyqtSignal(str)
    reordered = pyqtSignal()
    selection_changed = pyqtSignal(str)
    active_changed = pyqtSignal(str)
    project_replaced = pyqtSignal()
    modified_changed = pyqtSignal(bool)

    def __init__(self, project=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._layers: dict[str, Layer] = {}
        self._order: list[str] = []
        self._active = ""
        self._modified = False
        self.project = None
        if project is not None:
            self.set_project(project)

    # --- project -------------------------------------------------------------------------------------------
    def set_project(self, project) -> None:
        """Show ``project``: one layer per role present, then one per spatial result."""
        for name in list(self._order):
            self._drop(name)
        self.project = project
        for role in ROLE_ORDER:
            if project.has_layer(role):
                self._insert(Layer(role, project.layer(role), "role", default_style(role)))
        for name, frame in project.results.items():
            if isinstance(frame, gpd.GeoDataFrame) and name not in self._layers:
                self._insert(Layer(name, frame, "result", default_style(name), visible=name not in HIDDEN_RESULTS))
        self._active = "communities" if "communities" in self._layers else (self._order[-1] if self._order else "")
        self.set_modified(False)
        self.project_replaced.emit()
        self.active_changed.emit(self._active)

    @property
    def modified(self) -> bool:
        return self._modified

    def set_modified(self, modified: bool) -> None:
        if modified != self._modified:
            self._modified = modified
            self.modified_changed.emit(modified)

    # --- access --------------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Layer names, bottom to top."""
        return list(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._layers

    def layer(self, name: str) -> Layer:
        return self._layers[name]

    @property
    def active(self) -> str:
        return self._active

    def set_active(self, name: str) -> None:
        if name != self._active and (name == "" or name in self._layers):
            self._active = name
            self.active_changed.emit(name)

    def bounds(self, names: list[str] | None = None) -> tuple[float, float, float, float] | None:
        """Joint bounds of the named layers (default: all visible), or None when nothing is drawn."""
        frames = [self._layers[n].frame for n in (names or [n for n in self._order if self._layers[n].visible])]
        boxes = np.array([f.total_bounds for f in frames if len(f)])
        if not len(boxes) or not np.isfinite(boxes).all():
            return None
        return (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())

    # --- data ----------------------------------------------------------------------------------------------
    def set_result(self, name: str, frame) -> None:
        """Store an analysis result in the project and, when it has geometry, show it as a layer on top."""
        if self.project is not None:
            self.project.store_results({name: frame})
        if isinstance(frame, gpd.GeoDataFrame):
            self.set_frame(name, frame, kind="result")
        self.set_modified(True)

    def set_frame(self, name: str, frame: gpd.GeoDataFrame, *, kind: str = "result") -> None:
        """Replace a layer's data (clearing its selection), or add the layer on top when it is new."""
        if name in self._layers:
            layer = self._layers[name]
            layer.frame = frame
            had_selection = len(layer.selected) > 0
            layer.selected = np.empty(0, dtype=np.int64)
            self.changed.emit(name)
            if had_selection:
                self.selection_changed.emit(name)
        else:
            self._insert(Layer(name, frame, kind, default_style(name), visible=name not in HIDDEN_RESULTS))
        if kind == "role" and self.project is not None:
            self.project.set_layer(name, frame)
        self.set_modified(True)

    def remove(self, name: str) -> None:
        """Remove a layer from the view (results are also dropped from the project)."""
        layer = self._layers[name]
        if layer.kind == "result" and self.project is not None:
            self.project.results.pop(name, None)
            self.set_modified(True)
        self._drop(name)

    # --- display state -------------------------------------------------------------------------------------
    def set_visible(self, name: str, visible: bool) -> None:
        self._update(name, visible=bool(visible))

    def set_opacity(self, name: str, opacity: float) -> None:
        self._update(name, opacity=float(min(max(opacity, 0.0), 1.0)))

    def set_style(self, name: str, style: Style) -> None:
        self._update(name, style=style)

    def move(self, name: str, index: int) -> None:
        """Move a layer to draw position ``index`` (0 is the bottom)."""
        index = min(max(index, 0), len(self._order) - 1)
        if self._order.index(name) != index:
            self._order.remove(name)
            self._order.insert(index, name)
            self.reordered.emit()

    # --- selection -----------------------------------------------------------------------------------------
    def selected(self, name: str) -> np.ndarray:
        return self._layers[name].selected

    def select(self, name: str, rows, mode: str = "replace") -> None:
        """Change the selection of ``name`` by positional ``rows``; ``mode`` is one of SELECTION_MODES."""
        if mode not in SELECTION_MODES:
            raise ValueError(f"mode must be one of {SELECTION_MODES}, not {mode!r}")
        layer = self._layers[name]
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        current = layer.selected
        if mode == "replace":
            new = rows
        elif mode == "add":
            new = np.union1d(current, rows)
        elif mode == "remove":
            new = np.setdiff1d(current, rows)
        else:
            new = np.setxor1d(current, rows)
        if not np.array_equal(new, current):
            layer.selected = new.astype(np.int64)
            self.selection_changed.emit(name)

    def rows_in(self, name: str, geometry) -> np.ndarray:
        """Positional rows of ``name`` whose geometry intersects ``geometry`` (a shapely query shape)."""
        frame = self._layers[name].frame
        if not len(frame):
            return np.empty(0, dtype=np.int64)
        return np.sort(frame.sindex.query(geometry, predicate="intersects")).astype(np.int64)

    def rows_named(self, name: str, text: str) -> np.ndarray:
        """Positional rows of ``name`` whose ``name`` (or ``feature_id``) contains ``text``."""
        frame = self._layers[name].frame
        hits = np.zeros(len(frame), dtype=bool)
        for column in ("name", "feature_id"):
            if column in frame.columns and text:
                hits |= frame[column].astype("string").str.contains(text, regex=False).fillna(False).to_numpy()
        return np.flatnonzero(hits).astype(np.int64)

    # --- internals -----------------------------------------------------------------------------------------
    def _insert(self, layer: Layer) -> None:
        self._layers[layer.name] = layer
        index = len(self._order)
        if layer.kind == "role":
            rank = _role_rank(layer.name)
            index = next((i for i, n in enumerate(self._order)
                          if self._layers[n].kind != "role" or _role_rank(n) > rank), index)
        self._order.insert(index, layer.name)
        self.added.emit(layer.name)

    def _drop(self, name: str) -> None:
        del self._layers[name]
        self._order.remove(name)
        if self._active == name:
            self._active = ""
            self.active_changed.emit("")
        self.removed.emit(name)

    def _update(self, name: str, **changes) -> None:
        layer = self._layers[name]
        current = {key: getattr(layer, key) for key in changes}
        if current != changes:
            self._layers[name] = replace(layer, **changes)
            self.changed.emit(name)
