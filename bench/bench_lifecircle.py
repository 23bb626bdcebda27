"""Benchmark: life-circle gaps and service areas on central Harbin against osmnx+pandana, networkx and bare scipy.

Run: ``.venv/bin/python bench/bench_lifecircle.py [--repeat 3]`` (peers: ``pip install -e .[bench]``).

Every pipeline reads the same layers with pyogrio (a small adapter gives the canonical columns; population
is a stand-in of 0.02 persons/m² of community area, which weights results but not times) and tests every
catalogue type with a walking threshold at lc5, lc10 and lc15 (standards loaded once, not timed).

- ours: build_walk_graph (noding that respects bridge/tunnel/layer), prepare_life_circle (facilities and
  community boundary access points snapped with connectors), life_circle_gaps, service_areas (one polygon
  per type and level).
- osmnx + pandana, the usual peer pipeline: graph at shared OSM vertices (how osmnx builds from OSM; it
  joins nothing else and has no CAD noding), ``ox.graph_from_gdfs``, ``pandana.Network``, community
  centroid and facilities snapped to nearest nodes, ``nearest_pois`` per type, gap table, service areas as
  the union of buffered edges whose both ends are within the threshold.
- networkx: ``multi_source_dijkstra_path_length`` per type on the same graph as ours (distance step only).
- bare scipy: ``csgraph.dijkstra(min_only, limit)`` per type on our matrix (distance step floor).
Our peak memory is ru_maxrss read before any peer is imported.
Afterwards four of our service areas are compared with buffering every reached segment on its own (symmetric
difference / area; the documented tolerance is 1%).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.sparse import csgraph

from gisplanner.analysis.lifecircle import life_circle_gaps, prepare_life_circle, requirements_from_standards
from gisplanner.analysis.network import build_walk_graph
from gisplanner.analysis.service_areas import reached_segments, service_areas
from gisplanner.standards import load_standards

REFDATA = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "harbin_central_osm"
FILES = {"focus 3 km": REFDATA / "harbin_focus_nangang_3km.gpkg", "central": REFDATA / "harbin_central_osm.gpkg"}
CRS = "EPSG:32652"
BUFFER_M = 30.0


def read(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """walk_network, communities, facilities with canonical columns, in UTM 52N."""
    w = pyogrio.read_dataframe(path, layer="walk_network",
                               columns=["highway", "walkable", "bridge", "tunnel", "layer"]).to_crs(CRS)
    w["walkable"] = w["walkable"].astype(bool)
    w["bridge"] = w["bridge"].notna() & w["bridge"].ne("no")
    w["tunnel"] = w["tunnel"].notna() & w["tunnel"].ne("no")
    w["layer"] = pd.to_numeric(w["layer"], errors="coerce").fillna(0).astype(np.int64)
    c = pyogrio.read_dataframe(path, layer="residential_areas", columns=["res_id", "name", "area_m2"]).to_crs(CRS)
    c["feature_id"] = c["res_id"].astype(str)
    c["population"] = c["area_m2"] * 0.02
    c["population_estimated"] = True
    f = pyogrio.read_dataframe(path, layer="pois", columns=["osm_type", "osm_ref", "category"]).to_crs(CRS)
    f["feature_id"] = f["osm_type"] + "/" + f["osm_ref"].astype(str)
    return w, c, f


def ours(path: Path, req: pd.DataFrame, category_map, settings) -> dict[str, float]:
    t = {}
    t0 = time.perf_counter()
    walk, comm, fac = read(path)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph = build_walk_graph(walk, min_component_nodes=settings.small_component_nodes)
    t["graph"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = prepare_life_circle(graph, comm, fac, category_map, access_snap_m=settings.access_snap_m)
    t["snap + access"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    gaps = life_circle_gaps(net, comm, req, search_limit_m=settings.search_limit_m)
    t["distances + gap table"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    areas = service_areas(net, req, buffer_m=BUFFER_M)
    t["service areas"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    ours.last = (graph, net, gaps, areas, comm)  # type: ignore[attr-defined]
    return t


def tolerance(net, areas: gpd.GeoDataFrame, types: list[str]) -> list[tuple[str, str, float, float]]:
    """Symmetric difference / area of our polygons against buffering every reached segment on its own.

    The reference takes the same reached segments (partial edges cut at the exact distance) but neither
    merges nor simplifies them and builds each type from its own facilities (no reuse of a smaller set's
    polygon): one buffer (1 segment a quarter circle, as ours) per segment and one union.
    """
    out = []
    for ft in types:
        row = areas[areas["facility_type"] == ft].iloc[0]
        r = float(row["threshold_m"])
        t0 = time.perf_counter()
        s, e, _ = reached_segments(net.graph, net.type_distances(ft, limit_m=r), r)
        ref = shapely.union_all(shapely.buffer(shapely.linestrings(np.stack([s, e], axis=1)), BUFFER_M, quad_segs=1))
        out.append((ft, row["level"], shapely.symmetric_difference(row.geometry, ref).area / ref.area,
                    time.perf_counter() - t0))
    return out


def distance_floor(net, req: pd.DataFrame) -> tuple[float, float, float]:
    """Distance step: ours (Dijkstra with connector leaves + access-point reduction), bare scipy, networkx."""
    types = list(dict.fromkeys(req["facility_type"]))
    limit = max(2000.0, float(req["threshold_m"].max()))
    n = net.access_community.max() + 1
    t0 = time.perf_counter()
    for ft in types:
        net.community_distance(net.type_distances(ft, limit_m=limit), n)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for ft in types:
        nodes, _ = net.sources(ft)
        if len(nodes):
            csgraph.dijkstra(net.graph.matrix, indices=nodes, min_only=True, limit=limit)
    t_scipy = time.perf_counter() - t0
    g = nx.Graph()
    m = net.graph.matrix.tocoo()
    g.add_weighted_edges_from(zip(m.row.tolist(), m.col.tolist(), m.data.tolist()))
    t0 = time.perf_counter()
    for ft in types:
        nodes, _ = net.sources(ft)
        if len(nodes):
            nx.multi_source_dijkstra_path_length(g, set(nodes.tolist()), cutoff=limit)
    t_nx = time.perf_counter() - t0
    return t_ours, t_scipy, t_nx


def shared_vertex_graph(walk: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges split at shared OSM vertices (osmnx's own rule), as graph_from_gdfs wants them."""
    lines = shapely.get_parts(walk.geometry.to_numpy()[walk["walkable"].to_numpy()])
    xy, line = shapely.get_coordinates(lines, return_index=True)
    key = np.round(xy, 3)
    _, vid, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    vid = vid.ravel()
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    is_node = first | last | (count[vid] > 1)
    node_ids = np.unique(vid[is_node])
    # Each edge runs from a node vertex to the next one; a line's last vertex is always a node.
    node_pos = np.flatnonzero(is_node)
    keep = ~last[node_pos[:-1]]
    starts, ends = node_pos[:-1][keep], node_pos[1:][keep]
    size = ends - starts + 1
    part = np.repeat(np.arange(len(starts)), size)
    idx = np.repeat(starts, size) + np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    geoms = shapely.linestrings(xy[idx], indices=part)
    u, v = vid[starts], vid[ends]
    pos = np.zeros((vid.max() + 1, 2))
    pos[vid] = xy
    nodes = gpd.GeoDataFrame({"x": pos[node_ids, 0], "y": pos[node_ids, 1]}, index=pd.Index(node_ids, name="osmid"),
                             geometry=gpd.points_from_xy(pos[node_ids, 0], pos[node_ids, 1]), crs=CRS)
    edges = gpd.GeoDataFrame({"u": u, "v": v, "key": 0, "length": shapely.length(geoms)}, geometry=geoms, crs=CRS)
    edges["key"] = edges.groupby(["u", "v"]).cumcount()
    return nodes, edges.set_index(["u", "v", "key"])


def peer_osmnx_pandana(path: Path, req: pd.DataFrame, category_map) -> dict[str, float]:
    import osmnx as ox
    import pandana

    t = {}
    t0 = time.perf_counter()
    walk, comm, fac = read(path)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    nodes, edges = shared_vertex_graph(walk)
    G = ox.graph_from_gdfs(nodes, edges)
    t["graph (shared vertices + graph_from_gdfs)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    e = ox.graph_to_gdfs(G, nodes=False).reset_index()
    node_frame = ox.graph_to_gdfs(G, edges=False)
    net = pandana.Network(node_frame["x"], node_frame["y"], e["u"], e["v"], e[["length"]], twoway=True)
    t["pandana setup"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cxy = shapely.get_coordinates(comm.geometry.centroid.to_numpy())
    comm_node = net.get_node_ids(cxy[:, 0], cxy[:, 1]).to_numpy()
    types = list(dict.fromkeys(req["facility_type"]))
    fxy = shapely.get_coordinates(fac.geometry.to_numpy())
    node_dist = {}
    maxdist = max(2000.0, float(req["threshold_m"].max()))
    for ft in types:
        cats = [c for c, ts in category_map.items() if ft in ts]
        sel = fac["category"].isin(cats).to_numpy()
        if not sel.any():
            continue
        net.set_pois(ft, maxdist, 1, fxy[sel, 0], fxy[sel, 1])
        node_dist[ft] = net.nearest_pois(maxdist, ft, num_pois=1)[1]
    t["nearest_pois"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = []
    for r in req.itertuples(index=False):
        d = node_dist[r.facility_type].reindex(comm_node).to_numpy() if r.facility_type in node_dist else \
            np.full(len(comm), np.nan)
        d = np.where(d >= maxdist, np.nan, d)
        rows.append(pd.DataFrame({"community_id": comm["feature_id"].to_numpy(), "facility_type": r.facility_type,
                                  "level": r.level, "distance_m": d, "served": d <= r.threshold_m}))
    table = pd.concat(rows, ignore_index=True)
    table[~table["served"]].merge(comm[["feature_id", "population"]], left_on="community_id",
                                  right_on="feature_id")
    t["gap table"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = {}
    for r in req.itertuples(index=False):
        if r.facility_type not in node_dist:
            continue
        key = (r.facility_type, r.threshold_m)
        d = node_dist[r.facility_type]
        ok = (d.reindex(e["u"]).to_numpy() <= r.threshold_m) & (d.reindex(e["v"]).to_numpy() <= r.threshold_m)
        done[key] = shapely.union_all(shapely.buffer(e.geometry.to_numpy()[ok], BUFFER_M, quad_segs=1))
    t["service areas"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return t


def _timed(work) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not FILES["central"].exists():
        print(f"reference data not found at {REFDATA}", file=sys.stderr)
        return 1
    std = load_standards()
    req = requirements_from_standards(std, levels=["lc5", "lc10", "lc15"])
    print(f"{len(req)} type-levels: {', '.join(sorted(set(req['level'])))}")
    figures = {}
    for name, path in FILES.items():
        runs = [ours(path, req, std.category_map, std.settings) for _ in range(args.repeat)]
        figures[name] = median(runs)
        graph, net, gaps, areas, comm = ours.last  # type: ignore[attr-defined]
        print(f"\n== ours, {name}: {graph.n_nodes} nodes, {graph.n_edges} edges, {graph.n_components} components "
              f"({(~graph.routable).sum()} islands), {graph.n_grade_separated} crossings kept apart, "
              f"{len(net.access_community)} access points of {len(comm)} communities, "
              f"{(net.facilities['status'] == 'network').sum()} facilities on the network, {len(areas)} service areas")
        for k, v in figures[name].items():
            print(f"  {k:<28} {v:7.3f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nour peak memory (ru_maxrss, both files, before any peer import): {peak_mb:.0f} MB")
    f, c = figures["focus 3 km"]["total"], figures["central"]["total"]
    print(f"growth focus -> central: {c / f:.1f}x time for {10009 / 602:.1f}x ways")

    graph, net, gaps, areas, comm = ours.last  # type: ignore[attr-defined]
    single = statistics.median(_timed(lambda: service_areas(net, req, buffer_m=BUFFER_M, workers=1))
                               for _ in range(args.repeat))
    print(f"service areas on one thread: {single:.3f} s (two threads: {figures['central']['service areas']:.3f} s)")
    print("\n== polygons against buffering every reached segment on its own (symmetric difference / area)")
    # The largest area, the two built as a smaller set's polygon plus the extra facilities, and a small one.
    for ft, level, ratio, t_ref in tolerance(net, areas, ["middle_school", "clinic", "outdoor_fitness",
                                                          "community_retail"]):
        print(f"  {ft:<18} {level:<5} {ratio:.4%}  (reference union {t_ref:.2f} s)")
    d_ours, d_scipy, d_nx = (statistics.median(x) for x in zip(*(distance_floor(net, req)
                                                                  for _ in range(args.repeat))))
    print(f"\n== distance step, central ({len(set(req['facility_type']))} types)")
    print(f"  ours (connector leaves + access reduction) {d_ours:.3f} s")
    print(f"  bare scipy csgraph.dijkstra min_only        {d_scipy:.3f} s  -> ours / scipy = {d_ours / d_scipy:.2f}")
    print(f"  networkx multi_source_dijkstra             {d_nx:.3f} s  -> networkx / ours = {d_nx / d_ours:.1f}x")

    peer_runs = [peer_osmnx_pandana(FILES["central"], req, std.category_map) for _ in range(max(1, args.repeat - 1))]
    peer = median(peer_runs)
    print("\n== osmnx + pandana, central")
    for k, v in peer.items():
        print(f"  {k:<44} {v:7.3f} s")
    print(f"\nend to end: ours {c:.2f} s, osmnx+pandana {peer['total']:.2f} s -> {peer['total'] / c:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
