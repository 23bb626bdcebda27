"""Map labels placed without collisions: larger labels first, a smaller one moves or is left out.

Used by the map sheets (matplotlib, :func:`place_labels`) and the desktop canvas (Qt), both through
:func:`choose_anchors`. A label is a request (text, candidate anchors, size, priority); the placer measures each
candidate's box with the renderer that draws it and keeps the first one that lies inside the map and overlaps
nothing placed before it or any fixed obstacle (scale bar, north arrow, notes). The requests of area names and
road names are built here too (:func:`area_label_requests`, :func:`road_label_requests`), in map units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Candidate offsets of an area label, in multiples of its own height: centre, then above, below, right, left,
#: then the same twice as far.
AREA_OFFSETS = ((0.0, 0.0), (0.0, 1.1), (0.0, -1.1), (0.6, 0.0), (-0.6, 0.0),
                (0.0, 2.2), (0.0, -2.2), (1.2, 0.0), (-1.2, 0.0))


@dataclass
class LabelRequest:
    """One label to place.

    Attributes
    ----------
    text
        What it says (shown literally: no mathtext).
    anchors
        Candidate positions in map units, tried in order, each ``(x, y, rotation_deg)``.
    size
        Type size in points before the sheet's paper scaling.
    priority
        Larger is placed first; ties keep the order of the requests.
    style
        Extra ``Axes.text`` keywords (colour, weight).
    """

    text: str
    anchors: Sequence[tuple[float, float, float]]
    size: float
    priority: float
    style: dict[str, Any] = field(default_factory=dict)


#: OSM highway classes that are streets: their names are labelled (paths and service ways are not).
STREET_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
                  "living_street")
#: A label box: (x0, y0, x1, y1) in the units of the frame it is placed in.
Box = tuple[float, float, float, float]


def _overlaps(box: np.ndarray, boxes: list[np.ndarray]) -> bool:
    if not boxes:
        return False
    b = np.asarray(boxes)
    return bool(np.any((b[:, 0] < box[2]) & (b[:, 2] > box[0]) & (b[:, 1] < box[3]) & (b[:, 3] > box[1])))


def placing_order(requests: Sequence[LabelRequest]) -> list[int]:
    """Indexes of ``requests`` by falling priority; ties keep their order."""
    return sorted(range(len(requests)), key=lambda i: -requests[i].priority)


def choose_anchors(requests: Sequence[LabelRequest], measure: Callable[[int, tuple[float, float, float]], Box],
                   frame: Box, *, obstacles: Sequence[Box] = (), pad: float = 0.0) -> list[int | None]:
    """Which anchor of each request to use so that no two labels' boxes overlap.

    Requests are taken by falling ``priority`` (ties keep their order); each gets the first of its anchors whose
    box, ``measure(request_index, anchor)`` grown by ``pad`` on every side, lies inside ``frame`` and overlaps
    no box chosen before nor any of ``obstacles``. ``measure`` is called for the anchors tried, in order, and
    last for the anchor chosen.

    Returns
    -------
    list of int or None
        Per request, the index of its anchor, or None when it is left out for want of room.
    """
    taken: list[np.ndarray] = [np.asarray(o, dtype=float) for o in obstacles]
    chosen: list[int | None] = [None] * len(requests)
    for i in placing_order(requests):
        for k, anchor in enumerate(requests[i].anchors):
            x0, y0, x1, y1 = measure(i, anchor)
            box = np.array([x0 - pad, y0 - pad, x1 + pad, y1 + pad])
            inside = box[0] >= frame[0] and box[1] >= frame[1] and box[2] <= frame[2] and box[3] <= frame[3]
            if inside and not _overlaps(box, taken):
                taken.append(box)
                chosen[i] = k
                break
    return chosen


def place_labels(ax: Any, requests: Sequence[LabelRequest], font: Any, *, obstacles: Sequence[Any] = (),
                 pad_pt: float = 1.5, halo: Sequence[Any] = ()) -> tuple[list[Any], int]:
    """Place ``requests`` on matplotlib ``ax`` so that no two labels' boxes overlap (:func:`choose_anchors`).

    Parameters
    ----------
    ax
        Map axes with their final limits and aspect.
    requests
        The labels; see :class:`LabelRequest`.
    font
        ``size -> FontProperties``.
    obstacles
        Display-space bounding boxes (matplotlib ``Bbox``) no label may cover.
    pad_pt
        Gap kept around each label, points (the white halo is drawn inside it).
    halo
        Path effects for every label.

    Returns
    -------
    (list of matplotlib.text.Text, int)
        The labels placed and the number left out for want of room.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    ax.apply_aspect()
    frame = ax.get_window_extent(renderer)
    texts: dict[int, Any] = {}

    def measure(i: int, anchor: tuple[float, float, float]) -> Box:
        if i not in texts:
            texts[i] = ax.text(0.0, 0.0, requests[i].text, fontproperties=font(requests[i].size), ha="center",
                               va="center", zorder=20, parse_math=False, clip_on=False, path_effects=list(halo),
                               rotation_mode="anchor", **requests[i].style)
        x, y, rotation = anchor
        texts[i].set_position((x, y))
        texts[i].set_rotation(rotation)
        bb = texts[i].get_window_extent(renderer)
        return bb.x0, bb.y0, bb.x1, bb.y1

    chosen = choose_anchors(requests, measure, (frame.x0, frame.y0, frame.x1, frame.y1),
                            obstacles=[(o.x0, o.y0, o.x1, o.y1) for o in obstacles], pad=pad_pt * fig.dpi / 72.0)
    for i, k in enumerate(chosen):
        if k is None:
            texts[i].remove()
    return [texts[i] for i in placing_order(requests) if chosen[i] is not None], chosen.count(None)


def rotated_box(x: float, y: float, width: float, height: float, rotation_deg: float) -> Box:
    """The axis-aligned box of a ``width`` × ``height`` label centred on ``(x, y)``, turned by ``rotation_deg``."""
    c, s = abs(math.cos(math.radians(rotation_deg))), abs(math.sin(math.radians(rotation_deg)))
    half_w, half_h = (width * c + height * s) / 2, (width * s + height * c) / 2
    return x - half_w, y - half_h, x + half_w, y + half_h


def area_label_requests(gdf: gpd.GeoDataFrame, column: str, text_height: float, size: float, priority: float,
                        style: dict[str, Any] | None = None) -> list[LabelRequest]:
    """One request per named feature of ``gdf`` at its representative point; larger features win ties of
    ``priority``. ``text_height``: the height of the text in map units (m), which spaces the anchors."""
    if gdf.empty or column not in gdf.columns:
        return []
    gdf = gdf[gdf[column].notna() & (gdf[column].astype(str).str.strip() != "")]
    areas = gdf.geometry.area.to_numpy()
    top = float(areas.max()) if len(areas) else 1.0
    return [LabelRequest(text, area_anchors(point.x, point.y, text_height), size,
                         priority + 0.5 * area / max(top, 1.0), dict(style or {}))
            for text, point, area in zip(gdf[column].astype(str), gdf.geometry.representative_point(), areas)]


def road_label_requests(roads: gpd.GeoDataFrame, view: Any, text_height: float, size: float, priority: float,
                        style: dict[str, Any] | None = None) -> list[LabelRequest]:
    """One request per named street (:data:`STREET_CLASSES`) along its longest stretch inside ``view`` (a
    shapely polygon), turned to read upright; a name longer than its stretch is left out.

    ``text_height``: the height of one character in map units (m); a Chinese character is about as wide.
    """
    named = roads[roads["name"].notna() & (roads["name"].astype(str).str.strip() != "")] \
        if "name" in roads.columns else roads.iloc[:0]
    if "highway" in named.columns:
        named = named[named["highway"].isin(list(STREET_CLASSES))]
    if named.empty:
        return []
    requests = []
    clipped = shapely.intersection(named.geometry.to_numpy(), view)
    for name, parts in pd.Series(clipped, index=named.index).groupby(named["name"].astype(str)):
        merged = shapely.line_merge(shapely.union_all(parts.to_numpy()))
        lines = [g for g in getattr(merged, "geoms", [merged]) if g.geom_type == "LineString"]
        if not lines:
            continue
        line = max(lines, key=lambda g: g.length)
        text_len = len(name) * text_height
        if line.length < 1.2 * text_len:
            continue  # a name longer than its road would only mislead
        anchors = []
        for fraction in (0.5, 0.3, 0.7, 0.15, 0.85):
            at = line.interpolate(fraction, normalized=True)
            a = line.interpolate(max(fraction * line.length - text_len / 2, 0.0))
            b = line.interpolate(min(fraction * line.length + text_len / 2, line.length))
            angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
            angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
            anchors.append((at.x, at.y, angle))
        requests.append(LabelRequest(name, anchors, size, priority + min(line.length / 1e4, 0.5),
                                     dict(style or {})))
    return requests


def area_anchors(x: float, y: float, height_map: float) -> list[tuple[float, float, float]]:
    """Candidate positions of an area label at ``(x, y)`` whose text is ``height_map`` map units tall."""
    return [(x + dx * height_map * 2.0, y + dy * height_map, 0.0) for dx, dy in AREA_OFFSETS]
