"""Map labels placed without collisions: larger labels first, a smaller one moves or is left out.

Used by the map sheets. A label is a request (text, anchor, size, priority, candidate offsets); the placer
measures each candidate's box with the renderer, in display units, and keeps the first one that lies inside
the map and overlaps nothing placed before it or any fixed obstacle (scale bar, north arrow, notes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


def _overlaps(box: np.ndarray, boxes: list[np.ndarray]) -> bool:
    if not boxes:
        return False
    b = np.asarray(boxes)
    return bool(np.any((b[:, 0] < box[2]) & (b[:, 2] > box[0]) & (b[:, 1] < box[3]) & (b[:, 3] > box[1])))


def place_labels(ax: Any, requests: Sequence[LabelRequest], font: Any, *, obstacles: Sequence[Any] = (),
                 pad_pt: float = 1.5, halo: Sequence[Any] = ()) -> tuple[list[Any], int]:
    """Place ``requests`` on ``ax`` so that no two labels' boxes overlap.

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
    pad = pad_pt * fig.dpi / 72.0
    taken: list[np.ndarray] = [np.array([o.x0, o.y0, o.x1, o.y1]) for o in obstacles]
    placed: list[Any] = []
    dropped = 0
    order = sorted(range(len(requests)), key=lambda i: -requests[i].priority)
    for i in order:
        request = requests[i]
        text = ax.text(0.0, 0.0, request.text, fontproperties=font(request.size), ha="center", va="center",
                       zorder=20, parse_math=False, clip_on=False, path_effects=list(halo),
                       rotation_mode="anchor", **request.style)
        for x, y, rotation in request.anchors:
            text.set_position((x, y))
            text.set_rotation(rotation)
            bb = text.get_window_extent(renderer)
            box = np.array([bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad])
            inside = box[0] >= frame.x0 and box[1] >= frame.y0 and box[2] <= frame.x1 and box[3] <= frame.y1
            if inside and not _overlaps(box, taken):
                taken.append(box)
                placed.append(text)
                break
        else:
            text.remove()
            dropped += 1
    return placed, dropped


def area_anchors(x: float, y: float, height_map: float) -> list[tuple[float, float, float]]:
    """Candidate positions of an area label at ``(x, y)`` whose text is ``height_map`` map units tall."""
    return [(x + dx * height_map * 2.0, y + dy * height_map, 0.0) for dx, dy in AREA_OFFSETS]
