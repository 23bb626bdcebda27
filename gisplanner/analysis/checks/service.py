"""Service: the life-circle gaps of the facility's type that it closes on the walking network."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from gisplanner.analysis import lifecircle, network
from gisplanner.analysis.checks.base import CheckResult, check, near
from gisplanner.analysis.checks.context import CheckContext


@check("service", needs=("walk_network", "communities"))
def service(ctx: CheckContext) -> CheckResult:
    """Life-circle gaps of the facility's type that it closes, on the walking network, and who gains."""
    placement, ftype, layers, standards, progress = ctx.placement, ctx.ftype, ctx.layers, ctx.standards, ctx.progress
    key, title = "service", ctx.title("service")
    requirements = lifecircle.requirements_from_standards(standards, types={ftype.key})
    if requirements.empty:
        return CheckResult(key, title, "not_checked", f"{ftype.zh}不参与生活圈缺口分析")
    settings = standards.settings
    reach = float(requirements["threshold_m"].max())
    # Walking distance is never shorter than the straight line: only communities within reach of the site
    # can gain, and only facilities, paths and snap points within three reaches can serve those.
    communities = near(layers["communities"], placement.footprint, reach)
    window = placement.footprint.buffer(3 * reach + settings.access_snap_m)
    graph = network.build_walk_graph(near(layers["walk_network"], window, 0.0),
                                     walkable_highways=settings.walkable_highways,
                                     min_component_nodes=settings.small_component_nodes, progress=progress)
    existing = near(layers["facilities"], window, 0.0) if "facilities" in layers else None
    proposed = gpd.GeoDataFrame({"feature_id": ["proposed"], "category": [ftype.key], "name": [placement.name]},
                                geometry=[placement.footprint], crs=communities.crs)
    after_facilities = proposed if existing is None else pd.concat([existing, proposed], ignore_index=True)
    served = {}
    for state, facilities in (("before", existing if existing is not None else proposed.iloc[:0]),
                              ("after", after_facilities)):
        net = lifecircle.prepare_life_circle(graph, communities, facilities, standards.category_map,
                                             gates=layers.get("gates"), access_snap_m=settings.access_snap_m)
        gaps = lifecircle.life_circle_gaps(net, communities, requirements, search_limit_m=settings.search_limit_m)
        served[state] = gaps.community_access
    before, after = served["before"], served["after"]
    closed = after[after["served"].to_numpy() & ~before["served"].to_numpy()]
    population = pd.to_numeric(communities.set_index(communities["feature_id"].astype(str))["population"],
                               errors="coerce")
    levels = []
    for level, rows in closed.groupby("level", sort=False):
        levels.append({"level": level, "threshold_m": float(rows["threshold_m"].iloc[0]),
                       "gaps_within_reach_before": int((~before["served"] & (before["level"] == level)).sum()),
                       "gaps_closed": len(rows), "population_newly_served":
                       float(population.reindex(rows["community_id"]).sum()),
                       "communities": "、".join(rows["community_name"].fillna(rows["community_id"]).astype(str))})
    newly = float(sum(row["population_newly_served"] for row in levels))
    numbers = {"levels": levels, "gaps_closed": len(closed), "population_newly_served": newly}
    basis = ftype.source
    if closed.empty:
        return CheckResult(key, title, "warn", f"未补上任何{ftype.zh}缺口：可达的小区均已有服务，"
                           "或没有可达的小区", numbers, basis,
                           ("考虑选在缺少此类设施的小区附近",))
    return CheckResult(key, title, "pass", f"补上 {len(closed)} 处缺口；新增服务居民 {newly:,.0f} 人",
                       numbers, basis)
