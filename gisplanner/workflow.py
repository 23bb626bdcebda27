"""Run each analysis on a Project and store its results: the entry points shared by the CLI, the demo and the app.

Each ``run_*`` function reads the project's layers and standards, calls the engine, stores the result frames
on the project (``project.set_result``) and returns them. None of them saves the project or prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from gisplanner import arguments
from gisplanner.analysis.adjacency import barrier_lines, community_adjacency, street_lines
from gisplanner.analysis.bundling import DistrictRules, admin_groups
from gisplanner.analysis.district_walk import community_walk_distances
from gisplanner.analysis.districts import DistrictInputs, DistrictPlan, plan_districts
from gisplanner.analysis.eligibility import community_eligibility
from gisplanner.analysis.lifecircle import (
    SERVICE_GAP,
    data_coverage,
    life_circle_gaps,
    prepare_life_circle,
    requirements_from_standards,
    with_gap_kind,
)
from gisplanner.analysis.network import build_walk_graph
from gisplanner.analysis.placement import (
    PlacementInput,
    PlacementReport,
    Site,
    check_placement,
    site_footprint,
)
from gisplanner.analysis.renovation import (
    Catalogue,
    apply_choices,
    community_items,
    load_catalogue,
    price_items,
    province_for,
)
from gisplanner.analysis.service_areas import service_areas
from gisplanner.analysis.sites import SITE_LAYERS, candidate_sites, site_table
from gisplanner.analysis.sun import SunPath
from gisplanner.analysis.sunlight import requirement_for, sun_for, sunlight_hours, sunlight_impact
from gisplanner.errors import InputError
from gisplanner.io.writers import read_unit_costs
from gisplanner.progress import Progress, ensure_progress
from gisplanner.project import Project
from gisplanner.standards import Standards, SunlightRequirement

# Sites that are existing buildings: a facility placed on one is a conversion unless said otherwise.
BUILDING_SITES = ("boiler_rooms", "public_buildings", "buildings")
RESOURCE_ROLES = ("idle_land", "boiler_rooms", "public_buildings")
#: Walking distances between communities are computed up to this multiple of the district extent limit.
WALK_REPORT_FACTOR = 1.5


def life_circle_results(project: Project, *, levels: Sequence[str] | None = None,
                        types: Sequence[str] | None = None, profile: str = "gb50180", sites_k: int | None = None,
                        per_facility: bool = False, facility_ids: Sequence[str] | None = None,
                        progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Run the whole life-circle analysis on a project's layers and standards; return the result frames."""
    standards = project.standards()
    settings = standards.settings
    unknown = [lv for lv in levels or () if lv not in standards.levels]
    if unknown:
        raise InputError(f"未知的生活圈层级：{'、'.join(unknown)}",
                         fix=f"用分钟数 5、10、15 或层级代码 {', '.join(standards.levels)}")
    catalogue = standards.facility_types(profile)
    bad = [t for t in types or () if t not in catalogue]
    if bad:
        raise InputError(f"未知的设施类型：{'、'.join(bad)}", fix=f"使用设施目录（{profile}）中的类型")
    req = requirements_from_standards(standards, profile=profile, levels=levels, types=types)
    if req.empty:
        raise InputError("所选层级和设施类型中没有规定步行距离的设施",
                         fix="另选 --levels 或 --types")
    communities = project.layer("communities")
    progress = ensure_progress(progress)
    graph = build_walk_graph(project.layer("walk_network"), walkable_highways=settings.walkable_highways,
                             min_component_nodes=settings.small_component_nodes,
                             progress=progress.stage(0, 5, "步行路网"))
    network = prepare_life_circle(
        graph, communities, project.layer("facilities"), standards.category_map, tag_rules=standards.tag_rules,
        gates=project.layers.get("gates"), access_snap_m=settings.access_snap_m,
        progress=progress.stage(1, 5, "出入点"))
    missing = sorted(set(facility_ids or ()) - set(network.facilities["facility_id"]))
    if missing:
        raise InputError(f"没有编号为 {'、'.join(missing)} 的设施", layer="facilities",
                         fix="使用 gisplanner info 列出的编号")
    districts = None
    members = project.results.get("district_members")
    if members is not None and len(members):
        districts = pd.Series(members["district_id"].to_numpy(), index=members["community_id"].astype(str))
    gaps = life_circle_gaps(network, communities, req, search_limit_m=settings.search_limit_m,
                            districts=districts, progress=progress.stage(2, 5, "服务缺口"))
    coverage_of_data = data_coverage(
        network, communities, req, standards.levels, min_share=standards.data_coverage.min_share_of_expected,
        confirmed_absent=standards.data_coverage.confirmed_absent,
        names={key: ft.zh for key, ft in catalogue.items()})
    gap_table = with_gap_kind(gaps.gaps, coverage_of_data)
    areas = service_areas(network, req, buffer_m=settings.access_snap_m, per_facility=per_facility,
                          facility_ids=facility_ids, progress=progress.stage(3, 5, "服务范围"))
    sites = site_table({role: project.layers.get(role) for role in SITE_LAYERS})
    k = settings.default_sites_k if sites_k is None else sites_k
    # Sites close service gaps only: a type the data do not show (数据缺失) has no gaps to close yet.
    service_req = req.merge(coverage_of_data.loc[coverage_of_data["gap_kind"] == SERVICE_GAP,
                                                 ["facility_type", "level"]], on=["facility_type", "level"])
    chosen = candidate_sites(network, communities, gaps.community_access, service_req, sites, k=k,
                             progress=progress.stage(4, 5, "候选站点"))
    facility_access = network.facilities.drop(columns="node").assign(
        facility_types=network.facilities["facility_types"].map(",".join))
    return {"community_access": gaps.community_access, "gaps": gap_table, "coverage": gaps.coverage,
            "data_coverage": coverage_of_data, "service_areas": areas, "candidate_sites": chosen,
            "facility_access": facility_access}


def _eligibility_additions(standards: Standards, city: str) -> tuple[str, ...]:
    """The province's additions to the renovation scope (renovation.yaml ``provinces``), none outside them."""
    found = province_for(standards.raw["renovation"], city)
    return tuple(found[1].get("eligibility_additions", ())) if found else ()


def district_inputs(project: Project, *, min_population: float | None = None,
                    max_population: float | None = None, max_extent_m: float | None = None,
                    within_admin: bool = False, unit_costs: Path | None = None) -> DistrictInputs:
    """Gather a project's layers and standards into the inputs of the district engine.

    With a walk_network the extent limit is checked on walking distances between community
    centroids; without one, on straight lines.
    """
    standards = project.standards()
    settings = standards.settings
    elig = standards.renovation.eligibility
    lo, hi = settings.district_population
    rules = DistrictRules(
        min_population=lo if min_population is None else min_population,
        max_population=hi if max_population is None else max_population,
        max_extent_m=settings.district_max_extent_m if max_extent_m is None else max_extent_m,
        resource_reach_m=settings.resource_reach_m, adjacency_gap_m=settings.adjacency_gap_m,
        street_gap_m=settings.street_gap_max_m,
        built_before=elig.built_before_end_of)
    communities = project.layer("communities")
    optional = {role: project.layers.get(role) for role in ("walk_network", "railways", "rivers", "buildings")}
    barriers = barrier_lines(optional["walk_network"], barrier_highways=settings.barrier_highways,
                             railways=optional["railways"], rivers=optional["rivers"])
    eligibility = community_eligibility(
        communities, buildings=optional["buildings"], built_before=elig.built_before_end_of,
        extended_built_before=elig.extension_built_before_end_of,
        extended_max_share=elig.extension_max_share_of_households if elig.extension_enabled else 0.0,
        additions=_eligibility_additions(standards, project.city))
    walk = None
    if optional["walk_network"] is not None:
        graph = build_walk_graph(optional["walk_network"], walkable_highways=settings.walkable_highways,
                                 min_component_nodes=settings.small_component_nodes)
        # Beyond the limit itself, so a district that is a little too wide still shows by how much.
        walk = community_walk_distances(communities, graph, limit_m=WALK_REPORT_FACTOR * rules.max_extent_m)
    groups = None
    if within_admin:
        groups = admin_groups(communities, project.layer("admin_boundaries"))
    types = standards.facility_types()
    return DistrictInputs(
        communities=communities,
        adjacency=community_adjacency(
            communities, barriers=barriers, gap_m=settings.adjacency_gap_m,
            streets=street_lines(optional["walk_network"]),
            street_gap_m=settings.street_gap_max_m),
        eligibility=eligibility, rules=rules,
        resources={role: project.layers[role] for role in RESOURCE_ROLES if role in project.layers},
        gaps=project.results.get("gaps"), groups=groups, classes=standards.renovation_items(project.city),
        facility_classes=standards.facility_classes(),
        facility_names={k: t.zh for k, t in types.items()},
        unit_costs=read_unit_costs(unit_costs) if unit_costs is not None else None,
        unit_costs_file=str(unit_costs) if unit_costs is not None else None, walk=walk,
        roads=optional["walk_network"])


def run_life_circle(project: Project, *, levels: Sequence[str] | None = None, types: Sequence[str] | None = None,
                    profile: str = "gb50180", sites_k: int | None = None, per_facility: bool = False,
                    progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Life-circle access, gaps, coverage, service areas and candidate sites; stored as results."""
    results = life_circle_results(project, levels=levels, types=types, profile=profile, sites_k=sites_k,
                                  per_facility=per_facility, progress=progress)
    for name, frame in results.items():
        project.set_result(name, frame)
    return results


def run_districts(project: Project, *, seed: int = 0, min_population: float | None = None,
                  max_population: float | None = None, max_extent_m: float | None = None,
                  within_admin: bool = False, unit_costs: Path | None = None,
                  progress: Progress | None = None) -> DistrictPlan:
    """Bundle the eligible communities into districts; the plan's tables are stored as results, with each
    community's eligibility and its basis (``community_eligibility``: why a post-2000 community was kept)."""
    arguments.check_districts(min_population=min_population, max_population=max_population,
                              max_extent_m=max_extent_m)
    inputs = district_inputs(project, min_population=min_population, max_population=max_population,
                             max_extent_m=max_extent_m, within_admin=within_admin, unit_costs=unit_costs)
    plan = plan_districts(inputs, seed=seed, progress=progress)
    for name, frame in plan.results().items():
        project.set_result(name, frame)
    project.set_result("community_eligibility", pd.DataFrame(inputs.eligibility))
    return plan


@dataclass(frozen=True)
class SunlightRun:
    """Sill points with their hours, the requirement they were judged by, and the sun path of the standard day."""

    points: gpd.GeoDataFrame
    requirement: SunlightRequirement
    sun: SunPath

    @property
    def date(self) -> dt.date:
        return self.sun.date


def sunlight_setup(project: Project, *, city: str | None = None, special: str | None = None,
                   day: str | None = None, year: int | None = None, date: dt.date | None = None,
                   step_min: float | None = None, all_floors: bool = False, whole_window: bool = False,
                   sweep_deg: float | None = None) -> tuple[SunPath, SunlightRequirement, dict[str, Any]]:
    """The sun path, requirement and sampling options of a project's sunlight run (see :func:`run_sunlight`)."""
    rules = project.standards().sunlight
    requirement = requirement_for(rules, city or project.city, special=special, day=day)
    calc = rules.calculation
    lon, lat = project.lonlat_center()
    sun = sun_for(requirement, lat, lon, year=year, date=date,
                  step_min=float(calc["time_step_min"].value) if step_min is None else step_min)
    options: dict[str, Any] = {
        "spacing_m": float(calc["sample_spacing_m"].value),
        "sill_height_m": float(rules.sill_height_m.value),
        "floor_height_m": float(calc["floor_height_m"].value),
        "all_floors": all_floors,
        "window_width_m": float(calc["window_width_m"].value) if whole_window else None,
        "sweep_deg": requirement.counting.sweep_deg if sweep_deg is None else sweep_deg,
    }
    return sun, requirement, options


def run_sunlight(project: Project, *, city: str | None = None, special: str | None = None,
                 day: str | None = None, year: int | None = None, date: dt.date | None = None,
                 step_min: float | None = None, all_floors: bool = False, whole_window: bool = False,
                 sweep_deg: float | None = None, add: BaseGeometry | None = None, add_height_m: float | None = None,
                 elevator: bool = False, progress: Progress | None = None) -> SunlightRun:
    """Window-sill sunlight hours of the project's residential buildings, stored as ``sill_points``.

    With ``add`` (a proposed footprint in the project CRS) and ``add_height_m`` the points also carry
    ``hours_before``, ``hours_after`` and ``status`` (unaffected / reduced / newly_failing / exempt).
    """
    if (add is None) != (add_height_m is None):
        raise InputError("拟建建筑须同时给出占地范围和高度",
                         fix="给出占地范围和以米计的高度")
    arguments.check_sunlight(year=year, step_min=step_min, sweep_deg=sweep_deg, add_height_m=add_height_m)
    sun, requirement, options = sunlight_setup(project, city=city, special=special, day=day, year=year, date=date,
                                               step_min=step_min, all_floors=all_floors,
                                               whole_window=whole_window, sweep_deg=sweep_deg)
    rules = project.standards().sunlight
    buildings = project.layer("buildings")
    points = sunlight_hours(buildings, sun, requirement, progress=progress, **options)
    if add is not None:
        impact = sunlight_impact(buildings, add, add_height_m, sun, requirement,
                                 elevator=elevator and bool(rules.elevator_retrofit_exempt.value), **options)
        points = _with_impact(points, impact)
    project.set_result("sill_points", points)
    return SunlightRun(points, requirement, sun)


def _with_impact(points: gpd.GeoDataFrame, impact: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every sill with hours_before/hours_after/status; sills beyond the new building's reach are unaffected."""
    out = points.copy()
    out["hours_before"] = out["hours"]
    out["hours_after"] = out["hours"]
    out["status"] = "unaffected"
    at = out.set_index("sill_id").index.get_indexer(impact["sill_id"])
    for column in ("hours_before", "hours_after"):
        out.iloc[at, out.columns.get_loc(column)] = impact[column].to_numpy()
    out.iloc[at, out.columns.get_loc("status")] = impact["status"].astype(str).to_numpy()
    return out


def run_placement(project: Project, *, facility: str, site: str | None = None,
                  footprint: BaseGeometry | None = None, intervention: str | None = None,
                  floors: float | None = None, height_m: float | None = None, gfa_m2: float | None = None,
                  adds_far: bool = False, new_construction_land: bool = False,
                  investment_wan_yuan: float | None = None, name: str = "", old_area: bool | None = None,
                  store: bool = True, progress: Progress | None = None) -> PlacementReport:
    """Check a proposed facility on a site (``LAYER:ID``) or a drawn footprint; store it on the project.

    The intervention defaults to equipment for equipment types, conversion on an existing building, else new.
    """
    if (site is None) == (footprint is None):
        raise InputError("须给出场地（图层:编号）或绘制的占地范围", fix="例如 --site boiler_rooms:K001")
    arguments.check_placement(floors=floors, height_m=height_m, gfa_m2=gfa_m2,
                              investment_wan_yuan=investment_wan_yuan)
    standards = project.standards()
    ftype = standards.facility_type(facility)
    site_layer = site_id = None
    if site is not None:
        site_layer, sep, site_id = site.partition(":")
        if not sep or not site_id:
            raise InputError(f"场地“{site}”不是“图层:编号”的形式", fix="例如 boiler_rooms:K001")
        equipment = ftype.equipment or intervention == "equipment"
        chosen = site_footprint(project.layer(site_layer), site_layer, site_id, equipment=equipment)
    else:
        chosen = Site(footprint, None, "")
    intervention = intervention or ("equipment" if ftype.equipment else
                                    "conversion" if site_layer in BUILDING_SITES else "new")
    placement = PlacementInput(
        facility_type=ftype.key, footprint=chosen.footprint, intervention=intervention, floors=floors,
        height_m=height_m, gfa_m2=gfa_m2, adds_far=adds_far, new_construction_land=new_construction_land,
        investment_wan_yuan=investment_wan_yuan, site_layer=site_layer, site_id=site_id,
        site_status=chosen.status, footprint_estimated=chosen.estimated, name=name or chosen.name,
        old_area=old_area)
    report = check_placement(placement, project.layers, standards, city=project.city,
                             crs=project.crs.to_string() if project.crs is not None else None, progress=progress)
    if store:
        taken = [int(p["facility_id"][1:]) for p in project.placed_facilities
                 if str(p.get("facility_id", "")).startswith("P") and str(p["facility_id"])[1:].isdigit()]
        project.placed_facilities.append(report.placed_facility(f"P{max(taken, default=0) + 1}"))
    return report


def run_all(project: Project, *, seed: int = 0, placements: Sequence[Mapping[str, Any]] = (),
            progress: Progress | None = None) -> dict[str, Any]:
    """Every analysis in order: districts, life-circle gaps, districts again with their gaps, sunlight, then
    each placement (keyword arguments of :func:`run_placement`). Returns a short summary."""
    progress = ensure_progress(progress)
    stages = 4 + len(placements)
    run_districts(project, seed=seed, progress=progress.stage(0, stages, "片区"))
    run_life_circle(project, progress=progress.stage(1, stages, "生活圈"))
    # Bundling again with the gaps known gives each district its gap counts; the seed keeps it the same.
    plan = run_districts(project, seed=seed, progress=progress.stage(2, stages, "片区"))
    sunlight = run_sunlight(project, progress=progress.stage(3, stages, "日照"))
    reports = [run_placement(project, progress=progress.stage(4 + i, stages, "设施"), **kw)
               for i, kw in enumerate(placements)]
    progress.update(stages, stages, "完成")
    return {"districts": len(plan.districts), "gaps": len(project.results["gaps"]),
            "sill_points": len(sunlight.points), "placements": [r.overall for r in reports]}


#: Name of the project result holding the planner's ticks of renovation items (community_id, item, selected).
RENOVATION_CHOICES = "renovation_choices"


def renovation_catalogue(project: Project) -> Catalogue:
    """The renovation catalogue of the project's province (national where the city is in none)."""
    raw = project.standards().raw
    return load_catalogue(raw["renovation"], raw["sources"]["quotes"], project.city)


def renovation_choices(project: Project) -> dict[tuple[str, str], bool]:
    """The planner's ticks stored in the project: (community_id, item) -> selected."""
    frame = project.results.get(RENOVATION_CHOICES)
    if frame is None or not len(frame):
        return {}
    return {(str(c), str(i)): bool(v) for c, i, v in zip(frame["community_id"], frame["item"], frame["selected"])}


def set_renovation_choices(project: Project, choices: Mapping[tuple[str, str], bool]) -> None:
    """Store the planner's ticks (replacing earlier ones for the same community and item)."""
    merged = {**renovation_choices(project), **{(str(c), str(i)): bool(v) for (c, i), v in choices.items()}}
    project.set_result(RENOVATION_CHOICES, pd.DataFrame(
        [(c, i, v) for (c, i), v in sorted(merged.items())], columns=["community_id", "item", "selected"]))


def renovation_items(project: Project, *, community_ids: Sequence[str] | None = None,
                     unit_costs: pd.DataFrame | None = None, unit_costs_file: str | None = None) -> pd.DataFrame:
    """Each community's renovation items (一区一策) with the planner's ticks, quantities and costs.

    The items of the project's catalogue (:func:`renovation_catalogue`) for every community, decided from its
    condition fields, its buildings and the ``gaps`` result (:func:`gisplanner.analysis.renovation.community_items`);
    ``selected`` is the planner's tick where stored, else whether the rule finds the item needed; ``cost_yuan``
    is quantity × unit cost from ``unit_costs`` and blank without one. ``community_ids`` limits the result to
    those communities (e.g. the one a dialog shows).
    """
    settings = project.standards().settings.estimation
    communities = project.layer("communities")
    if community_ids is not None:
        communities = communities[communities["feature_id"].astype(str).isin([str(c) for c in community_ids])]
    items = community_items(communities, renovation_catalogue(project),
                            buildings=project.layers.get("buildings"), gaps=project.results.get("gaps"),
                            floor_height_m=settings.floor_height_m)
    return price_items(apply_choices(items, renovation_choices(project)), unit_costs, file=unit_costs_file)
