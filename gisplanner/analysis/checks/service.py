"""Service: the life-circle gaps of the facility's type that it closes on the walking network, and the gaps that
open where the site is an existing facility in use whose supply the works remove."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis import lifecircle, network
from gisplanner.analysis.checks.base import CheckResult, check, near
from gisplanner.analysis.checks.context import CheckContext

#: A facility polygon the footprint covers by more than this share is taken by the works.
TAKEN_SHARE = 0.5


@check("service", needs=("walk_network", "communities"))
def service(ctx: CheckContext) -> CheckResult:
    """Life-circle gaps of the facility's type that it closes, on the walking network, and who gains."""
    placement, ftype, layers, standards = ctx.placement, ctx.ftype, ctx.layers, ctx.standards
    key, title = "service", ctx.title("service")
    requirements = lifecircle.requirements_from_standards(standards, types={ftype.key})
    if requirements.empty:
        return CheckResult(key, title, "not_checked", f"{ftype.zh}不参与生活圈缺口分析")
    reach = float(requirements["threshold_m"].max())
    # Walking distance is never shorter than the straight line: only communities within reach of the site
    # can gain, and only facilities, paths and snap points within three reaches can serve those.
    communities = near(layers["communities"], placement.footprint, reach)
    existing = near(layers["facilities"], _window(ctx, placement.footprint, reach), 0.0) \
        if "facilities" in layers else None
    before = existing if existing is not None else _proposed(ctx, communities.crs).iloc[:0]
    after = _proposed(ctx, communities.crs) if existing is None else pd.concat(
        [existing, _proposed(ctx, communities.crs)], ignore_index=True)
    served_before, served_after = _served(ctx, placement.footprint, reach, communities, requirements,
                                          (before, after))
    closed = served_after[served_after["served"].to_numpy() & ~served_before["served"].to_numpy()]
    population = _population(communities)
    levels = []
    for level, rows in closed.groupby("level", sort=False):
        levels.append({"level": level, "threshold_m": float(rows["threshold_m"].iloc[0]),
                       "gaps_within_reach_before": int((~served_before["served"]
                                                        & (served_before["level"] == level)).sum()),
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


@check("service_lost", needs=("walk_network", "communities", "facilities"))
def service_lost(ctx: CheckContext) -> CheckResult:
    """Where the works take an existing facility in use (the site feature of the facilities layer, or a facility
    standing on the site), its supply goes: the life-circle gaps that open (which communities lose which type
    at which level), after the proposed facility is counted in. 不适用 where no facility stands on the site."""
    placement, layers, standards = ctx.placement, ctx.layers, ctx.standards
    key, title = "service_lost", ctx.title("service_lost")
    removed = _removed_facilities(ctx)
    if placement.intervention not in ("new", "conversion") or removed.empty:
        return CheckResult(key, title, "not_applicable", "选址上没有在用的现状设施，不减少现有服务",
                           {"removed": []})
    # The tag table may name types of another profile (口袋公园): only the project profile's types are gaps.
    catalogue = standards.facility_types(ctx.profile)
    supplies = [tuple(t for t in ts if t in catalogue) for ts in
                lifecircle.facility_table(removed, standards.category_map, standards.tag_rules)["facility_types"]]
    types = sorted({t for ts in supplies for t in ts})
    removed_rows = [{"facility_id": str(f), "name": "" if pd.isna(n) else str(n),
                     "types": "、".join(catalogue[t].zh for t in ts)}
                    for f, n, ts in zip(removed["feature_id"], network.column_or(removed, "name", None), supplies,
                                        strict=True)]
    names = "、".join(r["name"] or r["facility_id"] for r in removed_rows)
    requirements = lifecircle.requirements_from_standards(standards, types=set(types)) if types else pd.DataFrame()
    if requirements.empty:
        return CheckResult(key, title, "pass", f"选址上的现状设施（{names}）不属于生活圈配套的设施类型，"
                           "改建不减少生活圈服务", {"removed": removed_rows})
    reach = float(requirements["threshold_m"].max())
    area = shapely.union_all(removed.geometry.values)
    communities = near(layers["communities"], area, reach)
    existing = near(layers["facilities"], _window(ctx, area, reach), 0.0)
    gone = existing["feature_id"].astype(str).isin(removed["feature_id"].astype(str)).to_numpy()
    after = pd.concat([existing[~gone], _proposed(ctx, communities.crs)], ignore_index=True)
    before_access, after_access = _served(ctx, area, reach, communities, requirements, (existing, after))
    opened = after_access[before_access["served"].to_numpy() & ~after_access["served"].to_numpy()].copy()
    population = _population(communities)
    opened_rows = [{"community_id": str(r.community_id),
                    "community_name": str(r.community_id if pd.isna(r.community_name) else r.community_name),
                    "facility_type": r.facility_type, "level": r.level,
                    "distance_before_m": _metres(before_access.loc[i, "distance_m"]),
                    "distance_after_m": _metres(r.distance_m), "threshold_m": float(r.threshold_m),
                    "population": float(population.get(str(r.community_id), np.nan))}
                   for i, r in zip(opened.index, opened.itertuples(), strict=True)]
    numbers = {"removed": removed_rows, "gaps_opened": len(opened_rows), "opened": opened_rows,
               "population_losing": float(population.reindex(opened["community_id"].astype(str).unique()).sum())}
    basis = tuple(s for t in types for s in standards.facility_type(t).source)
    if not opened_rows:
        return CheckResult(key, title, "pass", f"改建后{names}不再提供原有服务，但其服务范围内的小区仍由其他设施"
                           "在生活圈步行距离内覆盖，不产生新的缺口", numbers, basis)
    lines = "；".join(f"{r['community_name']}失去{standards.levels[r['level']].zh}的"
                     f"{standards.facility_type(r['facility_type']).zh}" for r in opened_rows)
    return CheckResult(key, title, "warn", f"改建占用在用设施（{names}），其服务随之取消，新增 {len(opened_rows)} 处"
                       f"服务缺口：{lines}", numbers, basis,
                       ("在受影响小区的生活圈步行距离内另行配置同类设施，或另选不占用在用设施的场地",))


def _removed_facilities(ctx: CheckContext) -> gpd.GeoDataFrame:
    """Facilities in use that the works take: the site feature of the facilities layer, every facility point on
    the footprint and every facility polygon the footprint covers by more than half (a building in a corner of
    a large park leaves the park; what it takes of it is the green checks' matter)."""
    if "facilities" not in ctx.layers or ctx.placement.footprint.area <= 0:
        return gpd.GeoDataFrame({"feature_id": []}, geometry=[])
    facilities = near(ctx.layers["facilities"], ctx.placement.footprint, 0.0)
    geoms, footprint = facilities.geometry.values, ctx.placement.footprint
    area = shapely.area(geoms)
    covered = shapely.area(shapely.intersection(geoms, footprint))
    on_site = np.where(area > 0, covered > TAKEN_SHARE * area, shapely.within(geoms, footprint))
    if ctx.placement.site_layer == "facilities":
        on_site |= (facilities["feature_id"].astype(str) == str(ctx.placement.site_id)).to_numpy()
    return facilities[on_site]


def _window(ctx: CheckContext, area: shapely.Geometry, reach: float) -> shapely.Geometry:
    """Where facilities, paths and snap points can serve the communities within ``reach`` of ``area``."""
    return area.buffer(3 * reach + ctx.standards.settings.access_snap_m)


def _proposed(ctx: CheckContext, crs: object) -> gpd.GeoDataFrame:
    """The proposed facility as one feature of the facilities layer."""
    return gpd.GeoDataFrame({"feature_id": ["proposed"], "category": [ctx.ftype.key], "name": [ctx.placement.name]},
                            geometry=[ctx.placement.footprint], crs=crs)


def _served(ctx: CheckContext, area: shapely.Geometry, reach: float, communities: gpd.GeoDataFrame,
            requirements: pd.DataFrame, states: tuple[gpd.GeoDataFrame, ...]) -> list[pd.DataFrame]:
    """The community access table (``served``, ``distance_m`` per community and requirement row) with each
    facilities layer of ``states``, on the walking graph around ``area``."""
    layers, settings = ctx.layers, ctx.standards.settings
    graph = network.build_walk_graph(near(layers["walk_network"], _window(ctx, area, reach), 0.0),
                                     walkable_highways=settings.walkable_highways,
                                     min_component_nodes=settings.small_component_nodes, progress=ctx.progress)
    out = []
    for facilities in states:
        net = lifecircle.prepare_life_circle(graph, communities, facilities, ctx.standards.category_map,
                                             tag_rules=ctx.standards.tag_rules, gates=layers.get("gates"),
                                             access_snap_m=settings.access_snap_m)
        out.append(lifecircle.life_circle_gaps(net, communities, requirements,
                                               search_limit_m=settings.search_limit_m).community_access)
    return out


def _population(communities: gpd.GeoDataFrame) -> pd.Series:
    return pd.to_numeric(communities.set_index(communities["feature_id"].astype(str))["population"], errors="coerce")


def _metres(value: object) -> float | None:
    return None if pd.isna(value) else round(float(value), 1)
