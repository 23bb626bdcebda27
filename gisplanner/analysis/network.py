"""Routable walking graph: noding that respects bridges and tunnels, snapping, and network distances."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from gisplanner.errors import InputError
from gisplanner.progress import Progress, ensure_progress

# Measures along a line are compared at micrometre precision: cut points closer than this are one point.
_M_DECIMALS = 6
# Vertices closer than this to another line touch it even away from line ends (shared OSM nodes, CAD joints).
_TOUCH_EPS_M = 1e-6


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """Undirected walking graph in a metric CRS, stored as numpy arrays and a CSR matrix.

    Lines are kept whole (``line_*`` arrays); *cuts* are the points where a line is split (its ends,
    junctions, inserted points), each carrying a node id. An *edge* runs between two consecutive cuts of
    one line; a *piece* is a straight part of an edge, used for snapping and service-area geometry.

    Attributes
    ----------
    node_xy : numpy.ndarray
        (n, 2) node coordinates, metres.
    edge_u, edge_v : numpy.ndarray
        End nodes of each edge.
    edge_length : numpy.ndarray
        Edge length along the line, metres.
    edge_line, edge_m0 : numpy.ndarray
        Source line (position among the walkable lines) and the edge's start measure on it, metres.
    line_feature : numpy.ndarray
        Row position, in the input walk_network frame, of each line.
    piece_edge, piece_xy0, piece_xy1, piece_start, piece_length : numpy.ndarray
        Straight pieces: their edge, end coordinates, offset of the start from the edge start (m), length (m).
    node_component : numpy.ndarray
        Connected component of each node.
    component_length : numpy.ndarray
        Total edge length of each component, metres.
    routable : numpy.ndarray
        Per component: True when it is the largest or has at least ``min_component_nodes`` network
        nodes (inserted points not counted); the others are islands and never connect a community to a
        facility.
    matrix : scipy.sparse.csr_matrix
        Symmetric adjacency with edge lengths (parallel edges keep the shortest, self-loops dropped).
    n_grade_separated : int
        Crossings left unjoined because a bridge or tunnel passes over or under the other line.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_line: np.ndarray
    edge_m0: np.ndarray
    line_feature: np.ndarray
    piece_edge: np.ndarray
    piece_xy0: np.ndarray
    piece_xy1: np.ndarray
    piece_start: np.ndarray
    piece_length: np.ndarray
    node_component: np.ndarray
    component_length: np.ndarray
    routable: np.ndarray
    matrix: sp.csr_matrix
    n_grade_separated: int
    min_component_nodes: int
    n_network_nodes: int
    # Line vertices and cuts, kept so points can be inserted later (see insert_points).
    _vertex_line: np.ndarray
    _vertex_m: np.ndarray
    _vertex_xy: np.ndarray
    _cut_line: np.ndarray
    _cut_m: np.ndarray
    _cut_node: np.ndarray

    @functools.cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(shapely.box(*np.minimum(self.piece_xy0, self.piece_xy1).T,
                                           *np.maximum(self.piece_xy0, self.piece_xy1).T))

    def piece_tree(self) -> shapely.STRtree:
        """STRtree of the pieces' bounding boxes (built once per graph)."""
        return self._tree

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @property
    def n_components(self) -> int:
        return len(self.component_length)

    def edge_is_routable(self) -> np.ndarray:
        """True for edges in a routable component (not a small island)."""
        return self.routable[self.node_component[self.edge_u]]

    def edges_frame(self, crs: object = None) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame (u, v, length_m, line, component, routable), for display and checks."""
        # Pieces come sorted by edge and offset; an edge's polyline is its piece starts plus its last end.
        last = np.r_[np.flatnonzero(np.diff(self.piece_edge)), len(self.piece_edge) - 1]
        xy = np.concatenate([self.piece_xy0, self.piece_xy1[last]])
        idx = np.concatenate([self.piece_edge, self.piece_edge[last]])
        pos = np.concatenate([self.piece_start, np.full(len(last), np.inf)])
        order = np.lexsort((pos, idx))
        geoms = shapely.linestrings(xy[order], indices=idx[order])
        e = self.piece_edge[last]
        return gpd.GeoDataFrame({
            "u": self.edge_u[e], "v": self.edge_v[e], "length_m": self.edge_length[e],
            "line": self.line_feature[self.edge_line[e]],
            "component": self.node_component[self.edge_u[e]],
            "routable": self.edge_is_routable()[e],
        }, geometry=geoms, crs=crs)


@dataclass(frozen=True)
class Snap:
    """Points snapped to the nearest point of a graph edge.

    Attributes
    ----------
    edge : numpy.ndarray
        Edge of the snapped point, -1 where nothing lay within the search distance.
    offset_m : numpy.ndarray
        Distance of the snapped point from the edge's start node along the edge, metres.
    distance_m : numpy.ndarray
        Straight connector length from the point to the network, metres (inf where not snapped).
    xy : numpy.ndarray
        (k, 2) snapped coordinates.
    """

    edge: np.ndarray
    offset_m: np.ndarray
    distance_m: np.ndarray
    xy: np.ndarray

    @property
    def snapped(self) -> np.ndarray:
        return self.edge >= 0

    def take(self, index: np.ndarray) -> Snap:
        """The snaps at ``index`` (positions or a boolean mask)."""
        return Snap(self.edge[index], self.offset_m[index], self.distance_m[index], self.xy[index])


def line_levels(walk_network: pd.DataFrame) -> np.ndarray:
    """Vertical level of each line: ``layer`` when non-zero, else +1 for bridges, -1 for tunnels, else 0.

    Examples
    --------
    >>> import pandas as pd
    >>> line_levels(pd.DataFrame({"bridge": [True, False, False, True], "tunnel": [False, True, False, False],
    ...                           "layer": [0, 0, 0, 2]})).tolist()
    [1, -1, 0, 2]
    """
    n = len(walk_network)
    layer = column_or(walk_network, "layer", 0).astype("float64").fillna(0).to_numpy().astype(np.int64)
    bridge = column_or(walk_network, "bridge", False).astype("boolean").fillna(False).to_numpy(bool)
    tunnel = column_or(walk_network, "tunnel", False).astype("boolean").fillna(False).to_numpy(bool)
    default = np.where(bridge, 1, np.where(tunnel, -1, 0))
    return np.where(layer != 0, layer, default)[:n]


def column_or(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    """``frame[name]``, or a Series of ``default`` on the frame's index where the column is absent."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(default, index=frame.index)


def build_walk_graph(walk_network: gpd.GeoDataFrame, *, walkable_highways: Collection[str] | None = None,
                     min_component_nodes: int, tolerance_m: float = 0.5,
                     progress: Progress | None = None) -> WalkGraph:
    """Node the walkable lines and build the routable graph.

    Lines are split wherever they cross or touch (vertices need not be shared) unless the two lines lie
    on different vertical levels (:func:`line_levels`). A line end counts as ground level too, so a
    bridge joins the roads its ends land on, while a road passing under a bridge's span stays apart.
    A line end within ``tolerance_m`` of another line is joined to it (CAD undershoots).

    Parameters
    ----------
    walk_network
        Canonical walk_network layer in a metric CRS (``highway``, ``walkable``, ``bridge``, ``tunnel``,
        ``layer``). Lines with ``walkable`` False are dropped.
    walkable_highways
        Highway classes to keep where the layer has no ``walkable`` column; all lines when None.
    tolerance_m
        Gap, metres, under which a line end is joined to a nearby line.
    min_component_nodes
        Node count from which a component other than the largest is routable; smaller ones are islands
        (``settings.yaml`` network.small_component_nodes).
    progress
        Progress sink; checked between the noding steps.

    Returns
    -------
    WalkGraph
    """
    progress = ensure_progress(progress)
    lines, feature = _walkable_lines(walk_network, walkable_highways)
    z = line_levels(walk_network.iloc[feature])
    progress.update(0, 3, "路网打断")
    vx_line, vx_m, vx_xy, line_len = line_vertices(lines)
    cut_line, cut_m, cut_xy, link_a, link_b, n_sep = _junctions(vx_line, vx_m, vx_xy, line_len, z,
                                                                tolerance_m)
    progress.update(1, 3, "合并路口")
    n_cut = len(cut_line)
    links = sp.coo_matrix((np.ones(len(link_a)), (link_a, link_b)), shape=(n_cut, n_cut))
    _, cut_node = csgraph.connected_components(links, directed=False)
    n_nodes = int(cut_node.max()) + 1 if n_cut else 0
    count = np.bincount(cut_node, minlength=n_nodes)
    node_xy = np.column_stack([np.bincount(cut_node, cut_xy[:, k], n_nodes) for k in (0, 1)]) / count[:, None]
    progress.update(2, 3, "组装路段")
    graph = _assemble(vx_line, vx_m, vx_xy, cut_line, cut_m, cut_node, node_xy, feature,
                      n_sep, min_component_nodes, n_nodes)
    progress.update(3, 3, "步行路网就绪")
    return graph


def _walkable_lines(walk_network: gpd.GeoDataFrame,
                    walkable_highways: Collection[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Single LineStrings of the walkable features and the row position each comes from."""
    if "walkable" in walk_network.columns:
        keep = walk_network["walkable"].astype("boolean").fillna(False).to_numpy(bool)
    elif walkable_highways is not None:
        keep = column_or(walk_network, "highway", "").isin(list(walkable_highways)).to_numpy(bool)
    else:
        keep = np.ones(len(walk_network), bool)
    geoms = walk_network.geometry.to_numpy()
    bad = keep & ~np.isin(shapely.get_type_id(geoms), [1, 5])
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"步行路网的几何类型为 {shapely.get_type_id(geoms[row])}，不是线",
                         layer="walk_network", feature=walk_network.index[row],
                         fix="步行路网须为线（LineString 或 MultiLineString）要素")
    parts, part_of = shapely.get_parts(geoms[keep], return_index=True)
    # Zero-length parts carry no walking and would be lines without a segment.
    solid = shapely.length(parts) > 0
    parts, part_of = parts[solid], part_of[solid]
    if len(parts) == 0:
        raise InputError("没有可步行的道路", layer="walk_network",
                         fix="检查“可步行”字段和设置中的可步行道路等级")
    return parts, np.flatnonzero(keep)[part_of]


def line_vertices(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vertices of lines as flat arrays, consecutive duplicates removed.

    Returns
    -------
    line, m, xy, line_length : numpy.ndarray
        Line of each vertex, its measure along the line (m), its coordinates, and each line's length (m).
    """
    xy, line = shapely.get_coordinates(lines, return_index=True)
    keep = np.ones(len(xy), bool)
    same = (line[1:] == line[:-1]) & np.all(xy[1:] == xy[:-1], axis=1)
    keep[1:] = ~same
    xy, line = xy[keep], line[keep]
    step = np.zeros(len(xy))
    seg = line[1:] == line[:-1]
    step[1:] = np.where(seg, np.hypot(*(xy[1:] - xy[:-1]).T), 0.0)
    cum = np.cumsum(step)
    first = np.r_[True, line[1:] != line[:-1]]
    m = cum - np.maximum.accumulate(np.where(first, cum, 0.0))
    line_len = np.zeros(len(lines))
    np.maximum.at(line_len, line, m)
    return line, m, xy, line_len


def _junctions(vx_line: np.ndarray, vx_m: np.ndarray, vx_xy: np.ndarray, line_len: np.ndarray,
               z: np.ndarray, tol: float) -> tuple[np.ndarray, ...]:
    """Cut points (line ends and level-compatible crossings/touches) and the links merging them into nodes."""
    seg = np.flatnonzero(vx_line[1:] == vx_line[:-1])
    a, b = vx_xy[seg], vx_xy[seg + 1]
    s_line, s_m0 = vx_line[seg], vx_m[seg]
    s_len = vx_m[seg + 1] - s_m0
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    reach = max(tol, _TOUCH_EPS_M)
    # Boxes grown by the reach on both sides: a few more candidate pairs than needed, one box per segment.
    boxes = shapely.box(lo[:, 0] - reach, lo[:, 1] - reach, hi[:, 0] + reach, hi[:, 1] + reach)
    qi, qj = shapely.STRtree(boxes).query(boxes)
    pick = (qi < qj) & (s_line[qi] != s_line[qj])
    i, j = qi[pick], qj[pick]
    ev_i, ev_ti, ev_j, ev_tj = [], [], [], []

    # Proper crossings.
    d1, d2 = b[i] - a[i], b[j] - a[j]
    den = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    w = a[j] - a[i]
    ok = np.abs(den) > 1e-12 * s_len[i] * s_len[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (w[:, 0] * d2[:, 1] - w[:, 1] * d2[:, 0]) / den
        u = (w[:, 0] * d1[:, 1] - w[:, 1] * d1[:, 0]) / den
    ok &= (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    ev_i.append(i[ok]), ev_ti.append(t[ok]), ev_j.append(j[ok]), ev_tj.append(u[ok])

    # Segment ends on (or, for line ends, within tol of) the other segment: touches, shared vertices,
    # collinear overlaps and undershoots.
    vx_first = np.r_[True, vx_line[1:] != vx_line[:-1]]
    vx_last = np.r_[vx_line[1:] != vx_line[:-1], True]
    for p, q, end_t in ((i, j, 0.0), (i, j, 1.0), (j, i, 0.0), (j, i, 1.0)):
        pt = a[p] if end_t == 0.0 else b[p]
        is_end = vx_first[seg[p]] if end_t == 0.0 else vx_last[seg[p] + 1]
        dq = b[q] - a[q]
        proj = np.clip(np.einsum("ij,ij->i", pt - a[q], dq) / np.einsum("ij,ij->i", dq, dq), 0.0, 1.0)
        gap = np.hypot(*(a[q] + proj[:, None] * dq - pt).T)
        near = gap <= np.where(is_end, reach, _TOUCH_EPS_M)
        ev_i.append(p[near]), ev_ti.append(np.full(near.sum(), end_t)), ev_j.append(q[near])
        ev_tj.append(proj[near])

    ei, ti, ej, tj = (np.concatenate(x) for x in (ev_i, ev_ti, ev_j, ev_tj))
    li, lj = s_line[ei], s_line[ej]
    mi = np.minimum(s_m0[ei] + ti * s_len[ei], line_len[li])
    mj = np.minimum(s_m0[ej] + tj * s_len[ej], line_len[lj])
    end_i = (mi <= reach) | (mi >= line_len[li] - reach)
    end_j = (mj <= reach) | (mj >= line_len[lj] - reach)
    zi, zj = z[li], z[lj]
    join = (zi == zj) | (end_i & (zj == 0)) | (end_j & (zi == 0)) | (end_i & end_j)
    # Count each unjoined crossing once, though several segment-end checks may have found it.
    sep = np.lexsort((np.round(mi[~join], 3), lj[~join], li[~join]))
    sep_key = np.column_stack([li[~join], lj[~join], np.round(mi[~join], 3)])[sep]
    n_sep = int(np.any(np.diff(sep_key, axis=0) != 0, axis=1).sum() + 1) if len(sep) else 0

    n_lines = len(line_len)
    ends_line = np.repeat(np.arange(n_lines), 2)
    ends_m = np.column_stack([np.zeros(n_lines), line_len]).ravel()
    cut_line = np.concatenate([ends_line, li[join], lj[join]])
    cut_m = np.round(np.concatenate([ends_m, mi[join], mj[join]]), _M_DECIMALS)
    cut_line_u, cut_m_u, inverse = _unique_positions(cut_line, cut_m)
    k = join.sum()
    base = 2 * n_lines
    link_a = [inverse[base:base + k]]
    link_b = [inverse[base + k:]]
    # A closed line (ring) joins its own two ends.
    start_xy = vx_xy[np.searchsorted(vx_line, np.arange(n_lines))]
    end_xy = vx_xy[np.searchsorted(vx_line, np.arange(n_lines), side="right") - 1]
    ring = np.flatnonzero(np.hypot(*(start_xy - end_xy).T) <= reach)
    link_a.append(inverse[2 * ring])
    link_b.append(inverse[2 * ring + 1])
    link_a = np.concatenate(link_a)
    link_b = np.concatenate(link_b)
    cut_xy = position_along(vx_line, vx_m, vx_xy, cut_line_u, cut_m_u)
    return cut_line_u, cut_m_u, cut_xy, link_a, link_b, n_sep


def _unique_positions(line: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (line, measure) pairs, sorted, and the index of each input pair among them."""
    order = np.lexsort((m, line))
    ls, ms = line[order], m[order]
    new = np.r_[True, (ls[1:] != ls[:-1]) | (ms[1:] != ms[:-1])]
    inverse = np.empty(len(line), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ls[new], ms[new], inverse


def _line_key(line: np.ndarray, m: np.ndarray, vx_line: np.ndarray, vx_m: np.ndarray) -> np.ndarray:
    """Monotonic key (line, measure) -> float, to searchsorted along all lines at once."""
    n_lines = int(vx_line.max()) + 1
    line_len = np.zeros(n_lines)
    np.maximum.at(line_len, vx_line, vx_m)
    offset = np.r_[0.0, np.cumsum(line_len + 1.0)[:-1]]
    return offset[line] + m


def position_along(vx_line: np.ndarray, vx_m: np.ndarray, vx_xy: np.ndarray, line: np.ndarray,
                   m: np.ndarray) -> np.ndarray:
    """Coordinates at measure ``m`` along ``line``, by interpolation between its vertices."""
    vkey = _line_key(vx_line, vx_m, vx_line, vx_m)
    key = _line_key(line, m, vx_line, vx_m)
    k = np.clip(np.searchsorted(vkey, key, side="right") - 1, 0, len(vkey) - 2)
    # At a line's last vertex k+1 belongs to the next line; step back one vertex.
    k = np.where((vx_line[np.minimum(k + 1, len(vx_line) - 1)] != line) & (k > 0), k - 1, k)
    span = vx_m[k + 1] - vx_m[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where((span > 0) & (vx_line[k + 1] == line), (m - vx_m[k]) / span, 0.0)
    f = np.clip(f, 0.0, 1.0)
    return vx_xy[k] + f[:, None] * (vx_xy[k + 1] - vx_xy[k])


def _assemble(vx_line: np.ndarray, vx_m: np.ndarray, vx_xy: np.ndarray, cut_line: np.ndarray,
              cut_m: np.ndarray, cut_node: np.ndarray, node_xy: np.ndarray, line_feature: np.ndarray,
              n_sep: int, min_component_nodes: int, n_network_nodes: int) -> WalkGraph:
    """Edges between consecutive cuts of each line, their straight pieces, components and the CSR matrix."""
    order = np.lexsort((cut_m, cut_line))
    cut_line, cut_m, cut_node = cut_line[order], cut_m[order], cut_node[order]
    nxt = np.flatnonzero((cut_line[1:] == cut_line[:-1]) & (cut_m[1:] > cut_m[:-1]))
    edge_u, edge_v = cut_node[nxt], cut_node[nxt + 1]
    edge_line, edge_m0 = cut_line[nxt], cut_m[nxt]
    edge_length = cut_m[nxt + 1] - edge_m0

    # Pieces: the line split at both its vertices and its cuts.
    pm = np.concatenate([vx_m, cut_m])
    pl = np.concatenate([vx_line, cut_line])
    pm_r = np.round(pm, _M_DECIMALS)
    o = np.lexsort((pm_r, pl))
    pl, pm_r = pl[o], pm_r[o]
    keep = np.r_[True, (pl[1:] != pl[:-1]) | (pm_r[1:] != pm_r[:-1])]
    pl, pm_r = pl[keep], pm_r[keep]
    pxy = position_along(vx_line, vx_m, vx_xy, pl, pm_r)
    p = np.flatnonzero((pl[1:] == pl[:-1]) & (pm_r[1:] > pm_r[:-1]))
    ekey = _line_key(edge_line, edge_m0, vx_line, vx_m)
    pkey = _line_key(pl[p], pm_r[p], vx_line, vx_m)
    piece_edge = np.searchsorted(ekey, pkey, side="right") - 1
    piece_start = pm_r[p] - edge_m0[piece_edge]
    piece_length = pm_r[p + 1] - pm_r[p]

    n = len(node_xy)
    loop = edge_u == edge_v
    u = np.concatenate([edge_u[~loop], edge_v[~loop]])
    v = np.concatenate([edge_v[~loop], edge_u[~loop]])
    w = np.concatenate([edge_length[~loop], edge_length[~loop]])
    o = np.lexsort((w, v, u))
    u, v, w = u[o], v[o], w[o]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])][:len(u)]
    matrix = sp.csr_matrix((w[first], (u[first], v[first])), shape=(n, n))
    n_comp, comp = csgraph.connected_components(matrix, directed=False)
    comp_len = np.bincount(comp[edge_u], edge_length, n_comp)
    routable = np.bincount(comp[:n_network_nodes], minlength=n_comp) >= min_component_nodes
    if n_comp:
        routable[np.argmax(comp_len)] = True
    return WalkGraph(
        node_xy=node_xy, edge_u=edge_u, edge_v=edge_v, edge_length=edge_length, edge_line=edge_line,
        edge_m0=edge_m0, line_feature=line_feature, piece_edge=piece_edge, piece_xy0=pxy[p],
        piece_xy1=pxy[p + 1], piece_start=piece_start, piece_length=piece_length, node_component=comp,
        component_length=comp_len, routable=routable, matrix=matrix, n_grade_separated=n_sep,
        min_component_nodes=min_component_nodes, n_network_nodes=n_network_nodes, _vertex_line=vx_line, _vertex_m=vx_m, _vertex_xy=vx_xy,
        _cut_line=cut_line, _cut_m=cut_m, _cut_node=cut_node)


def snap_points(graph: WalkGraph, xy: np.ndarray, *, max_distance_m: float | None = None,
                routable_only: bool = False) -> Snap:
    """Snap points to the nearest point of the graph's edges.

    Parameters
    ----------
    graph
        The walking graph.
    xy
        (k, 2) point coordinates in the graph's CRS, metres.
    max_distance_m
        Points farther than this from every edge stay unsnapped (``edge`` -1); no limit when None.
    routable_only
        Snap only to edges of routable components, ignoring islands.

    Returns
    -------
    Snap
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    # A bounded search is exact within its radius, and its cost grows with the radius squared: start
    # small and widen only for the points still unsnapped.
    every = np.concatenate([xy, graph.piece_xy0, graph.piece_xy1])
    span = float(np.hypot(*(every.max(axis=0) - every.min(axis=0)))) if len(every) else 0.0
    limit = span if max_distance_m is None else max_distance_m
    reach = min(32.0, limit)
    out = _snap_within(graph, xy, reach, routable_only)
    while not out.snapped.all() and reach < limit:
        reach = min(reach * 4, limit)
        todo = np.flatnonzero(~out.snapped)
        more = _snap_within(graph, xy[todo], reach, routable_only)
        for name in ("edge", "offset_m", "distance_m", "xy"):
            getattr(out, name)[todo] = getattr(more, name)
    return out


def _snap_within(graph: WalkGraph, xy: np.ndarray, max_distance_m: float, routable_only: bool) -> Snap:
    """Nearest edge point within a distance: candidate pieces by bounding box, exact distances in numpy."""
    k = len(xy)
    r = max_distance_m
    pi, pp = graph.piece_tree().query(shapely.box(xy[:, 0] - r, xy[:, 1] - r, xy[:, 0] + r, xy[:, 1] + r))
    if routable_only:
        keep = graph.edge_is_routable()[graph.piece_edge[pp]]
        pi, pp = pi[keep], pp[keep]
    t, q, d = _project(xy[pi], graph.piece_xy0[pp], graph.piece_xy1[pp])
    near = d <= max_distance_m
    pi, pp, t, q, d = pi[near], pp[near], t[near], q[near], d[near]
    order = np.lexsort((d, pi))
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]] if len(order) else order
    pi, pp, t, q, d = pi[first], pp[first], t[first], q[first], d[first]
    edge = np.full(k, -1)
    offset = np.full(k, np.nan)
    dist = np.full(k, np.inf)
    out_xy = np.full((k, 2), np.nan)
    edge[pi] = graph.piece_edge[pp]
    offset[pi] = graph.piece_start[pp] + t * graph.piece_length[pp]
    dist[pi] = d
    out_xy[pi] = q
    return Snap(edge, offset, dist, out_xy)


def _project(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest point of segments a-b to points p: fraction along the segment, the point, the distance."""
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    q = a + t[:, None] * d
    return t, q, np.hypot(*(p - q).T)


def insert_points(graph: WalkGraph, snap: Snap) -> tuple[WalkGraph, np.ndarray]:
    """Insert snapped points as nodes, splitting the edges they lie on.

    Parameters
    ----------
    graph
        The walking graph.
    snap
        Points snapped to ``graph`` (:func:`snap_points`).

    Returns
    -------
    graph : WalkGraph
        A new graph where every snapped point is a node (existing node ids are kept).
    nodes : numpy.ndarray
        Node id of each point, -1 where it was not snapped. The connector (``snap.distance_m``) is not
        part of the graph: add it to distances measured at the node.
    """
    ok = snap.snapped
    nodes = np.full(len(snap.edge), -1)
    if not ok.any():
        return graph, nodes
    e = snap.edge[ok]
    line = graph.edge_line[e]
    m = np.round(graph.edge_m0[e] + snap.offset_m[ok], _M_DECIMALS)
    # Points on an existing cut take its node; the rest get new nodes, shared by identical positions.
    ckey = _line_key(graph._cut_line, graph._cut_m, graph._vertex_line, graph._vertex_m)
    key = _line_key(line, m, graph._vertex_line, graph._vertex_m)
    pos = np.clip(np.searchsorted(ckey, key), 0, len(ckey) - 1)
    hit = np.abs(ckey[pos] - key) <= 10.0 ** -_M_DECIMALS
    new_line, new_m, inv = _unique_positions(line[~hit], m[~hit])
    new_nodes = graph.n_nodes + np.arange(len(new_line))
    node_of = np.empty(ok.sum(), dtype=np.int64)
    node_of[hit] = graph._cut_node[pos[hit]]
    node_of[~hit] = new_nodes[inv]
    nodes[ok] = node_of
    new_xy = position_along(graph._vertex_line, graph._vertex_m, graph._vertex_xy, new_line, new_m)
    out = _assemble(graph._vertex_line, graph._vertex_m, graph._vertex_xy,
                    np.concatenate([graph._cut_line, new_line]), np.concatenate([graph._cut_m, new_m]),
                    np.concatenate([graph._cut_node, new_nodes]), np.concatenate([graph.node_xy, new_xy]),
                    graph.line_feature, graph.n_grade_separated, graph.min_component_nodes,
                    graph.n_network_nodes)
    # Splitting edges joins no components, so each keeps the routable flag it had: a graph whose flags were
    # set from elsewhere (a tile of a city, with the whole network's islands) must not get its own back.
    routable = np.zeros(out.n_components, dtype=bool)
    routable[out.node_component[:graph.n_nodes]] = graph.routable[graph.node_component]
    return dataclasses.replace(out, routable=routable), nodes


def attach_leaves(graph: WalkGraph, nodes: np.ndarray, length_m: np.ndarray) -> sp.csr_matrix:
    """The graph's matrix with one leaf node per entry, ids ``n_nodes + k``, hung on ``nodes[k]``.

    A leaf has a single edge (a connector of ``length_m[k]`` metres), so no shortest path between other
    nodes passes through it; Dijkstra from a leaf starts with its connector already walked.
    """
    n, k = graph.n_nodes, len(nodes)
    leaves = n + np.arange(k)
    w = np.asarray(length_m, dtype=float)
    coo = graph.matrix.tocoo()
    rows = np.concatenate([coo.row, leaves, nodes])
    cols = np.concatenate([coo.col, nodes, leaves])
    # Built from coordinates (not by adding matrices) so zero-length connectors stay edges.
    return sp.csr_matrix((np.concatenate([coo.data, w, w]), (rows, cols)), shape=(n + k, n + k))


def network_distances(graph: WalkGraph, sources: np.ndarray, *, source_offset_m: np.ndarray | None = None,
                      limit_m: float = np.inf, min_only: bool = True) -> np.ndarray:
    """Shortest network distances from source nodes (scipy.sparse.csgraph Dijkstra).

    Parameters
    ----------
    graph
        The walking graph.
    sources
        Source node ids.
    source_offset_m
        Distance already walked at each source, metres (a facility's connector to the network).
        Each source then hangs on a leaf edge of that length, which no shortest path can cut through.
    limit_m
        Search radius, metres, offsets included; nodes farther away get inf.
    min_only
        True: one row, the distance to the nearest source. False: one row per source.

    Returns
    -------
    numpy.ndarray
        (n_nodes,) or (len(sources), n_nodes) distances in metres, inf where not reached.
    """
    sources = np.asarray(sources, dtype=np.int64)
    n = graph.n_nodes
    if len(sources) == 0:
        return np.full((n,) if min_only else (0, n), np.inf)
    matrix = graph.matrix
    if source_offset_m is not None:
        matrix = attach_leaves(graph, sources, source_offset_m)
        sources = n + np.arange(len(sources))
    dist = csgraph.dijkstra(matrix, directed=True, indices=sources, limit=limit_m, min_only=min_only)
    return dist[..., :n]


def distances_from_points(graph: WalkGraph, snap: Snap, *, limit_m: float = np.inf) -> np.ndarray:
    """Network distances from snapped points that are not graph nodes, one row per point.

    Each point joins its edge's two ends with its connector plus the part of the edge on that side;
    the detour through the point is never shorter than the edge, so no shortest path is cut short.
    Pair it with :func:`same_edge_distances` for targets on the same edge as a point.

    Parameters
    ----------
    graph
        The walking graph.
    snap
        Snapped source points (all must be snapped).
    limit_m
        Search radius, metres.

    Returns
    -------
    numpy.ndarray
        (k, n_nodes) distances in metres, inf where not reached.
    """
    n, k = graph.n_nodes, len(snap.edge)
    if k == 0:
        return np.full((0, n), np.inf)
    pts = n + np.arange(k)
    u, v = graph.edge_u[snap.edge], graph.edge_v[snap.edge]
    wu = snap.distance_m + snap.offset_m
    wv = snap.distance_m + graph.edge_length[snap.edge] - snap.offset_m
    coo = graph.matrix.tocoo()
    rows = np.concatenate([coo.row, pts, u, pts, v])
    cols = np.concatenate([coo.col, u, pts, v, pts])
    data = np.concatenate([coo.data, wu, wu, wv, wv])
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(n + k, n + k))
    return csgraph.dijkstra(matrix, directed=True, indices=pts, limit=limit_m)[:, :n]


def same_edge_distances(source: Snap, target: Snap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct distances between source and target points snapped to the same edge.

    Returns
    -------
    i, j : numpy.ndarray
        Source and target positions of each same-edge pair.
    distance : numpy.ndarray
        Connector + offset difference along the edge + connector, metres.
    """
    order = np.argsort(target.edge, kind="stable")
    te = target.edge[order]
    lo = np.searchsorted(te, source.edge, side="left")
    hi = np.searchsorted(te, source.edge, side="right")
    count = np.where(source.snapped, hi - lo, 0)
    i = np.repeat(np.arange(len(source.edge)), count)
    j = order[np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)]
    d = source.distance_m[i] + np.abs(source.offset_m[i] - target.offset_m[j]) + target.distance_m[j]
    return i, j, d


def distance_at(graph: WalkGraph, node_distance: np.ndarray, snap: Snap) -> np.ndarray:
    """Network distance at snapped points, given distances at the nodes, plus each point's connector.

    An access point lies on an edge; the way to it runs through one of the edge's ends, so its
    distance is ``min(d[u] + offset, d[v] + length - offset) + connector``.

    Parameters
    ----------
    graph
        The graph ``node_distance`` was computed on (with the sources inserted, see insert_points).
    node_distance
        (..., n_nodes) distances at nodes, metres.
    snap
        Points snapped to ``graph``.

    Returns
    -------
    numpy.ndarray
        (..., k) distances in metres; inf where unsnapped or unreached.
    """
    ok = snap.snapped
    e = np.where(ok, snap.edge, 0)
    du = node_distance[..., graph.edge_u[e]] + snap.offset_m
    dv = node_distance[..., graph.edge_v[e]] + (graph.edge_length[e] - snap.offset_m)
    d = np.minimum(du, dv) + snap.distance_m
    return np.where(ok, d, np.inf)
