"""The analyses of the tool, declared once: key, Chinese name, parameters, what they need, what they give.

Each :class:`Analysis` has a frozen parameter dataclass whose standard values come only from the standards
(a field declared with :func:`standard` names its path in the YAML, e.g. ``settings.network.access_snap_m``;
:func:`params_from_standards` reads them with the project's overrides applied), the layers it needs, the
results of other analyses it consumes, its outputs (result name, Chinese name, spatial or not) and its
compute function. The CLI, the app's analysis menu, the map styles, the hidden results and the export read
this catalogue; :func:`gisplanner.workflow.run` runs an analysis and records the run on the project.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner import arguments
from gisplanner.analysis.adjacency import barrier_lines, community_adjacency, street_lines
from gisplanner.analysis.bundling import DistrictRules, admin_groups
from gisplanner.analysis.checks.context import site_lonlat
from gisplanner.analysis.district_walk import community_walk_distances
from gisplanner.analysis.districts import PLAN_RESULTS, DistrictInputs, DistrictPlan, plan_districts
from gisplanner.analysis.eligibility import community_eligibility
from gisplanner.analysis.lifecircle import (
    SERVICE_GAP,
    LifeCircleGaps,
    data_coverage,
    life_circle_gaps,
    prepare_life_circle,
    requirements_from_standards,
    with_gap_kind,
)
from gisplanner.analysis.network import WalkGraph, build_walk_graph
from gisplanner.analysis.parcel_footprint import building_in_parcel, footprint_record
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
from gisplanner.analysis.sunlight import (
    requirement_for,
    shadow_sweep,
    sun_for,
    sunlight_hours,
    sunlight_impact,
)
from gisplanner.errors import ConfigError, InputError
from gisplanner.io.writers import read_unit_costs
from gisplanner.labels import site_label
from gisplanner.progress import Progress, ensure_progress
from gisplanner.project import Project
from gisplanner.standards import FacilityType, Standards, SunlightRequirement

# --------------------------------------------------------------------------------------------- result names
COMMUNITY_ACCESS = "community_access"
GAPS = "gaps"
COVERAGE = "coverage"
DATA_COVERAGE = "data_coverage"
SERVICE_AREAS = "service_areas"
CANDIDATE_SITES = "candidate_sites"
FACILITY_ACCESS = "facility_access"
DISTRICTS = PLAN_RESULTS["districts"]
DISTRICT_MEMBERS = PLAN_RESULTS["members"]
DISTRICT_RESOURCES = PLAN_RESULTS["resources"]
DISTRICT_EXCLUSIONS = PLAN_RESULTS["exclusions"]
DISTRICT_GAPS = PLAN_RESULTS["gaps"]
DISTRICT_CONTENT = PLAN_RESULTS["content"]
COMMUNITY_ELIGIBILITY = "community_eligibility"
SILL_POINTS = "sill_points"
SUNLIGHT_IMPACT = "sunlight_impact"
PLACEMENT_IMPACT = "placement_impact"
PLACEMENT_SHADOW = "placement_shadow"

# Sites that are existing buildings: a facility placed on one is a conversion unless said otherwise.
BUILDING_SITES = ("boiler_rooms", "public_buildings", "buildings", "facilities")
#: Sites that are land: a facility built on one is a building placed inside it, not the whole parcel.
PARCEL_SITES = ("idle_land",)
RESOURCE_ROLES = ("idle_land", "boiler_rooms", "public_buildings")
#: Walking distances between communities are computed up to this multiple of the district extent limit.
WALK_REPORT_FACTOR = 1.5


# --------------------------------------------------------------------------------------------- declarations
def standard(path: str, *, index: int | None = None) -> Any:
    """A parameter whose value is the standards entry at ``path`` (``<file>.<key>...``; ``index`` picks one
    end of a range). It has no default of its own: :func:`params_from_standards` fills it."""
    return field(metadata={"standard": path, "index": index})


def standard_path(f: dataclasses.Field) -> str | None:
    """The standards path of a parameter field, None for a run option."""
    return f.metadata.get("standard")


@dataclass(frozen=True)
class Output:
    """A result an analysis stores on the project.

    ``export`` is the layer of the plan package's GeoPackage that carries it: a plan layer built from it
    (``sill_points`` are the ``sunlight`` layer), else the result itself under its own name.
    """

    name: str
    zh: str
    spatial: bool
    hidden: bool = False  # drawn only when the planner turns it on (large or auxiliary)
    export: str = ""

    def __post_init__(self) -> None:
        if not self.export:
            object.__setattr__(self, "export", self.name)


@dataclass(frozen=True)
class Analysis:
    """One analysis of the catalogue; see the module docstring."""

    key: str
    zh: str
    params: type
    needs: tuple[str, ...]
    consumes: tuple[str, ...]
    outputs: tuple[Output, ...]
    compute: Callable[..., tuple[Mapping[str, pd.DataFrame], Any]]
    menu: bool = True  # listed in the app's analysis menu

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)


def params_from_standards(cls: type, standards: Standards, **changes: Any) -> Any:
    """An instance of the parameter dataclass ``cls``: standard fields from ``standards``, then ``changes``.

    A change of None keeps the standard value (so a CLI option left out changes nothing).

    Raises
    ------
    InputError
        When a change names no parameter of ``cls``.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise InputError(f"参数 {', '.join(unknown)} 不属于这项分析", fix=f"可用的参数：{', '.join(sorted(names))}")
    values = {}
    for f in dataclasses.fields(cls):
        path = standard_path(f)
        if path is not None:
            values[f.name] = _frozen(_standard_value(standards.raw, path, f.metadata["index"]))
    standard_names = {f.name for f in dataclasses.fields(cls) if standard_path(f) is not None}
    values.update({k: _frozen(v) for k, v in changes.items() if not (v is None and k in standard_names)})
    return cls(**values)


def params_to_json(params: Any) -> dict[str, Any]:
    """The parameters as JSON-ready values (tuples as lists, paths as text)."""
    return {f.name: _json_value(getattr(params, f.name)) for f in dataclasses.fields(params)}


def params_from_json(cls: type, data: Mapping[str, Any]) -> Any:
    """The parameters recorded by :func:`params_to_json`; parameters added since keep nothing but must exist."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _frozen(v) for k, v in data.items() if k in names})


def _standard_value(raw: Mapping[str, Any], path: str, index: int | None) -> Any:
    node: Any = raw
    for key in path.split("."):
        node = node[key]
    if isinstance(node, Mapping) and "value" in node:
        node = node["value"]
    return node[index] if index is not None else node


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list | tuple) else value


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------- shared inputs
def walk_graph(project: Project, *, walkable_highways: tuple[str, ...], small_component_nodes: int,
               progress: Progress | None = None) -> WalkGraph:
    """The project's walking graph, built once per layer and parameters and shared by every analysis."""
    key = ("walk_graph", walkable_highways, small_component_nodes)
    return project.cached(key, lambda: build_walk_graph(
        project.layer("walk_network"), walkable_highways=walkable_highways,
        min_component_nodes=small_component_nodes, progress=progress))


# --------------------------------------------------------------------------------------------- life circle
@dataclass(frozen=True, kw_only=True)
class LifeCircleParams:
    levels: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    profile: str = "gb50180"
    per_facility: bool = False
    facility_ids: tuple[str, ...] | None = None
    sites_k: int = standard("settings.sites.default_k")
    access_snap_m: float = standard("settings.network.access_snap_m")
    search_limit_m: float = standard("settings.network.search_limit_m")
    walkable_highways: tuple[str, ...] = standard("settings.network.walkable_highways")
    small_component_nodes: int = standard("settings.network.small_component_nodes")


def life_circle_requirements(project: Project, params: LifeCircleParams) -> pd.DataFrame:
    """The requirement rows (type, level, threshold) of a life-circle run; InputError for unknown levels or
    types, or a choice without any walking distance."""
    standards = project.standards()
    unknown = [lv for lv in params.levels or () if lv not in standards.levels]
    if unknown:
        raise InputError(f"未知的生活圈层级：{'、'.join(unknown)}",
                         fix=f"用分钟数 5、10、15 或层级代码 {', '.join(standards.levels)}")
    catalogue = standards.facility_types(params.profile)
    bad = [t for t in params.types or () if t not in catalogue]
    if bad:
        raise InputError(f"未知的设施类型：{'、'.join(bad)}", fix=f"使用设施目录（{params.profile}）中的类型")
    req = requirements_from_standards(standards, profile=params.profile, levels=params.levels, types=params.types)
    if req.empty:
        raise InputError("所选层级和设施类型中没有规定步行距离的设施",
                         fix="另选 --levels 或 --types")
    return req


def district_of_communities(project: Project) -> pd.Series | None:
    """Community id -> district id of the project's district plan (None without one): the life circle
    reports its coverage per district."""
    members = project.results.get(DISTRICT_MEMBERS)
    if members is None or not len(members):
        return None
    return pd.Series(members["district_id"].to_numpy(), index=members["community_id"].astype(str))


def check_facility_ids(params: LifeCircleParams, facilities: pd.DataFrame) -> None:
    """InputError naming the facilities asked for (``facility_ids``) that the facility table lacks."""
    missing = sorted(set(params.facility_ids or ()) - set(facilities["facility_id"]))
    if missing:
        raise InputError(f"没有编号为 {'、'.join(missing)} 的设施", layer="facilities",
                         fix="使用 gisplanner info 列出的编号")


def life_circle_frames(project: Project, params: LifeCircleParams, req: pd.DataFrame, gaps: LifeCircleGaps,
                       facilities: pd.DataFrame, areas: gpd.GeoDataFrame,
                       choose_sites: Callable[[pd.DataFrame], gpd.GeoDataFrame]) -> dict[str, pd.DataFrame]:
    """The life circle's result frames from its parts, whether computed whole or tile by tile.

    ``facilities`` is the facility table of the run (``facility_types`` as lists); ``choose_sites`` gives
    the candidate sites for the requirement rows whose gaps are service gaps (a type the data do not show,
    数据缺失, has no gaps to close yet).
    """
    standards = project.standards()
    catalogue = standards.facility_types(params.profile)
    coverage_of_data = data_coverage(
        facilities, project.layer("communities"), req, standards.levels,
        min_share=standards.data_coverage.min_share_of_expected,
        confirmed_absent=standards.data_coverage.confirmed_absent,
        names={key: ft.zh for key, ft in catalogue.items()})
    service_req = req.merge(coverage_of_data.loc[coverage_of_data["gap_kind"] == SERVICE_GAP,
                                                 ["facility_type", "level"]], on=["facility_type", "level"])
    return {COMMUNITY_ACCESS: gaps.community_access, GAPS: with_gap_kind(gaps.gaps, coverage_of_data),
            COVERAGE: gaps.coverage, DATA_COVERAGE: coverage_of_data, SERVICE_AREAS: areas,
            CANDIDATE_SITES: choose_sites(service_req),
            FACILITY_ACCESS: facilities.assign(facility_types=facilities["facility_types"].map(",".join))}


def life_circle_results(project: Project, params: LifeCircleParams,
                        progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Run the whole life-circle analysis on a project's layers; return the result frames."""
    standards = project.standards()
    req = life_circle_requirements(project, params)
    communities = project.layer("communities")
    progress = ensure_progress(progress)
    graph = walk_graph(project, walkable_highways=params.walkable_highways,
                       small_component_nodes=params.small_component_nodes,
                       progress=progress.stage(0, 5, "步行路网"))
    network = prepare_life_circle(
        graph, communities, project.layer("facilities"), standards.category_map, tag_rules=standards.tag_rules,
        gates=project.layers.get("gates"), access_snap_m=params.access_snap_m,
        progress=progress.stage(1, 5, "出入点"))
    gaps = life_circle_gaps(network, communities, req, search_limit_m=params.search_limit_m,
                            districts=district_of_communities(project), progress=progress.stage(2, 5, "服务缺口"))
    facilities = network.facilities.drop(columns="node")
    check_facility_ids(params, facilities)
    areas = service_areas(network, req, buffer_m=params.access_snap_m, per_facility=params.per_facility,
                          facility_ids=params.facility_ids, progress=progress.stage(3, 5, "服务范围"))
    sites = site_table({role: project.layers.get(role) for role in SITE_LAYERS})
    return life_circle_frames(project, params, req, gaps, facilities, areas, lambda service_req: candidate_sites(
        network, communities, gaps.community_access, service_req, sites, k=params.sites_k,
        progress=progress.stage(4, 5, "候选站点")))


def _compute_life_circle(project: Project, params: LifeCircleParams,
                         progress: Progress) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    results = life_circle_results(project, params, progress)
    return results, results


# --------------------------------------------------------------------------------------------- districts
@dataclass(frozen=True, kw_only=True)
class DistrictParams:
    seed: int = 0
    within_admin: bool = False
    unit_costs: str | None = None
    min_population: float = standard("settings.districts.population_range", index=0)
    max_population: float = standard("settings.districts.population_range", index=1)
    max_extent_m: float = standard("settings.districts.max_extent_m")
    resource_reach_m: float = standard("settings.districts.resource_reach_m")
    adjacency_gap_m: float = standard("settings.districts.adjacency_gap_m")
    street_gap_m: float = standard("settings.districts.street_gap_max_m")
    barrier_highways: tuple[str, ...] = standard("settings.districts.barrier_highways")
    walkable_highways: tuple[str, ...] = standard("settings.network.walkable_highways")
    small_component_nodes: int = standard("settings.network.small_component_nodes")
    built_before: int = standard("renovation.eligibility.built_before_end_of")
    extension_built_before: int = standard("renovation.eligibility.extension.built_before_end_of")
    extension_max_share: float = standard("renovation.eligibility.extension.max_share_of_households")
    extension_enabled: bool = standard("renovation.eligibility.extension.enabled")

    @property
    def rules(self) -> DistrictRules:
        return DistrictRules(min_population=self.min_population, max_population=self.max_population,
                             max_extent_m=self.max_extent_m, resource_reach_m=self.resource_reach_m,
                             adjacency_gap_m=self.adjacency_gap_m, street_gap_m=self.street_gap_m,
                             built_before=self.built_before)


def district_inputs(project: Project, params: DistrictParams) -> DistrictInputs:
    """A project's layers and standards gathered into the inputs of the district engine (cached per
    parameters until a layer or the standards change).

    With a walk_network the extent limit is checked on walking distances between community centroids;
    without one, on straight lines.
    """
    inputs = project.cached(("district_inputs", params), lambda: _district_inputs(project, params))
    unit_costs = None
    if params.unit_costs is not None:
        unit_costs = project.cached(("unit_costs", params.unit_costs),
                                    lambda: read_unit_costs(Path(params.unit_costs)))
    # The gaps and the planner's ticks are results, not layers: read them fresh, so inputs cached before a
    # life-circle run or a tick see them.
    return dataclasses.replace(inputs, gaps=project.results.get(GAPS),
                               items=renovation_items(project, unit_costs=unit_costs,
                                                      unit_costs_file=params.unit_costs))


def _district_inputs(project: Project, params: DistrictParams) -> DistrictInputs:
    standards = project.standards()
    rules = params.rules
    communities = project.layer("communities")
    optional = {role: project.layers.get(role) for role in ("walk_network", "railways", "rivers", "buildings")}
    barriers = barrier_lines(optional["walk_network"], barrier_highways=params.barrier_highways,
                             railways=optional["railways"], rivers=optional["rivers"])
    eligibility = community_eligibility(
        communities, buildings=optional["buildings"], built_before=params.built_before,
        extended_built_before=params.extension_built_before,
        extended_max_share=params.extension_max_share if params.extension_enabled else 0.0,
        additions=_eligibility_additions(standards, project.city))
    walk = None
    if optional["walk_network"] is not None:
        graph = walk_graph(project, walkable_highways=params.walkable_highways,
                           small_component_nodes=params.small_component_nodes)
        # Beyond the limit itself, so a district that is a little too wide still shows by how much.
        walk = community_walk_distances(communities, graph, limit_m=WALK_REPORT_FACTOR * rules.max_extent_m)
    groups = admin_groups(communities, project.layer("admin_boundaries")) if params.within_admin else None
    return DistrictInputs(
        communities=communities,
        adjacency=community_adjacency(
            communities, barriers=barriers, gap_m=params.adjacency_gap_m,
            streets=street_lines(optional["walk_network"]), street_gap_m=params.street_gap_m),
        eligibility=eligibility, rules=rules,
        resources={role: project.layers[role] for role in RESOURCE_ROLES if role in project.layers},
        groups=groups, walk=walk)


def _eligibility_additions(standards: Standards, city: str) -> tuple[str, ...]:
    """The province's additions to the renovation scope (renovation.yaml ``provinces``), none outside them."""
    found = province_for(standards.raw["renovation"], city)
    return tuple(found[1].get("eligibility_additions", ())) if found else ()


def _compute_districts(project: Project, params: DistrictParams,
                       progress: Progress) -> tuple[dict[str, pd.DataFrame], DistrictPlan]:
    """The plan's tables, with each community's eligibility and its basis (why a post-2000 community was kept)."""
    arguments.check_districts(min_population=params.min_population, max_population=params.max_population,
                              max_extent_m=params.max_extent_m)
    inputs = district_inputs(project, params)
    plan = plan_districts(inputs, seed=params.seed, progress=progress)
    return {**plan.results(), COMMUNITY_ELIGIBILITY: pd.DataFrame(inputs.eligibility)}, plan


# --------------------------------------------------------------------------------------------- renovation items
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


def renovation_items(project: Project, *, community_ids: Sequence[str] | None = None,
                     unit_costs: pd.DataFrame | None = None, unit_costs_file: str | None = None) -> pd.DataFrame:
    """Each community's renovation items (一区一策) with the planner's ticks, quantities and costs: the one
    source of every cost the project shows (districts, plan table, ledger, annual plan, funding, notice).

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
                            buildings=project.layers.get("buildings"), gaps=project.results.get(GAPS),
                            floor_height_m=settings.floor_height_m)
    return price_items(apply_choices(items, renovation_choices(project)), unit_costs, file=unit_costs_file)


def plan_unit_costs(project: Project) -> pd.DataFrame | None:
    """The unit-cost table the project's district plan was priced with (read back from its
    ``district_content`` result), or None when nothing was priced."""
    content = project.results.get(DISTRICT_CONTENT)
    if content is None or "unit_cost_yuan" not in content.columns:
        return None
    priced = content.dropna(subset=["unit_cost_yuan"]).drop_duplicates("item")
    return priced[["item", "unit", "unit_cost_yuan"]].reset_index(drop=True) if len(priced) else None


# --------------------------------------------------------------------------------------------- sunlight
@dataclass(frozen=True)
class SunlightRun:
    """Sill points with their hours, the requirement they were judged by, and the sun path of the standard day."""

    points: gpd.GeoDataFrame
    requirement: SunlightRequirement
    sun: SunPath

    @property
    def date(self) -> dt.date:
        return self.sun.date


@dataclass(frozen=True, kw_only=True)
class SunlightParams:
    city: str | None = None
    special: str | None = None
    day: str | None = None
    year: int | None = None
    date: str | None = None
    all_floors: bool = False
    whole_window: bool = False
    sweep_deg: float | None = None
    add_wkt: str | None = None
    add_height_m: float | None = None
    elevator: bool = False
    step_min: float = standard("sunlight.calculation.time_step_min")


def sunlight_setup(project: Project, params: SunlightParams | None = None
                   ) -> tuple[SunPath, SunlightRequirement, dict[str, Any]]:
    """The sun path, requirement and sampling options of a sunlight run (the standards' when no ``params``);
    shared by the whole-city run and the tiled one."""
    if params is None:
        params = params_from_standards(SunlightParams, project.standards())
    arguments.check_sunlight(year=params.year, step_min=params.step_min, sweep_deg=params.sweep_deg,
                             add_height_m=params.add_height_m)
    rules = project.standards().sunlight
    requirement = requirement_for(rules, params.city or project.city, special=params.special, day=params.day)
    calc = rules.calculation
    lon, lat = project.lonlat_center()
    sun = sun_for(requirement, lat, lon, year=params.year,
                  date=dt.date.fromisoformat(params.date) if params.date else None, step_min=params.step_min)
    options: dict[str, Any] = {
        "spacing_m": float(calc["sample_spacing_m"].value),
        "sill_height_m": float(rules.sill_height_m.value),
        "floor_height_m": float(calc["floor_height_m"].value),
        "all_floors": params.all_floors,
        "window_width_m": float(calc["window_width_m"].value) if params.whole_window else None,
        "sweep_deg": requirement.counting.sweep_deg if params.sweep_deg is None else params.sweep_deg,
    }
    return sun, requirement, options


def _compute_sunlight(project: Project, params: SunlightParams,
                      progress: Progress) -> tuple[dict[str, pd.DataFrame], SunlightRun]:
    """Window-sill hours of the residential buildings (``sill_points``); with a proposed building
    (``add_wkt`` and ``add_height_m``) the before/after run goes to ``sunlight_impact``, never the baseline."""
    if (params.add_wkt is None) != (params.add_height_m is None):
        raise InputError("拟建建筑须同时给出占地范围和高度",
                         fix="给出占地范围和以米计的高度")
    sun, requirement, options = sunlight_setup(project, params)
    rules = project.standards().sunlight
    buildings = project.layer("buildings")
    points = sunlight_hours(buildings, sun, requirement, progress=progress, **options)
    if params.add_wkt is None:
        return {SILL_POINTS: points}, SunlightRun(points, requirement, sun)
    impact = sunlight_impact(buildings, shapely.from_wkt(params.add_wkt), params.add_height_m, sun, requirement,
                             elevator=params.elevator and bool(rules.elevator_retrofit_exempt.value), **options)
    points = _with_impact(points, impact)
    return {SUNLIGHT_IMPACT: points}, SunlightRun(points, requirement, sun)


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


# --------------------------------------------------------------------------------------------- placement
@dataclass(frozen=True, kw_only=True)
class PlacementParams:
    facility: str
    site: str | None = None
    footprint_wkt: str | None = None
    intervention: str | None = None
    floors: float | None = None
    height_m: float | None = None
    gfa_m2: float | None = None
    adds_far: bool = False
    new_construction_land: bool = False
    investment_wan_yuan: float | None = None
    name: str = ""
    old_area: bool | None = None
    store: bool = True


@dataclass(frozen=True)
class PlacementRun:
    """A placement's report, the dwellings' sills whose hours it changes and its shadow over the standard
    day (both None without a height or a buildings layer)."""

    report: PlacementReport
    impact: gpd.GeoDataFrame | None
    shadow: gpd.GeoDataFrame | None


def placement_input(project: Project, params: PlacementParams) -> PlacementInput:
    """The proposal of ``params`` on the project: the site's footprint, or the drawn one.

    The intervention defaults to equipment for equipment types, conversion on an existing building, else new.
    """
    if (params.site is None) == (params.footprint_wkt is None):
        raise InputError("须给出场地（图层:编号）或绘制的占地范围", fix="例如 --site boiler_rooms:K001")
    arguments.check_placement(floors=params.floors, height_m=params.height_m, gfa_m2=params.gfa_m2,
                              investment_wan_yuan=params.investment_wan_yuan)
    ftype = project.standards().facility_type(params.facility)
    site_layer = site_id = None
    if params.site is not None:
        site_layer, sep, site_id = params.site.partition(":")
        if not sep or not site_id:
            raise InputError(f"场地“{params.site}”不是“图层:编号”的形式", fix="例如 boiler_rooms:K001")
        equipment = ftype.equipment or params.intervention == "equipment"
        chosen = site_footprint(project.layer(site_layer), site_layer, site_id, equipment=equipment)
    else:
        chosen = Site(shapely.from_wkt(params.footprint_wkt), None, "")
    intervention = params.intervention or ("equipment" if ftype.equipment else
                                           "conversion" if site_layer in BUILDING_SITES else "new")
    proposal = PlacementInput(
        facility_type=ftype.key, footprint=chosen.footprint, intervention=intervention, floors=params.floors,
        height_m=params.height_m, gfa_m2=params.gfa_m2, adds_far=params.adds_far,
        new_construction_land=params.new_construction_land, investment_wan_yuan=params.investment_wan_yuan,
        site_layer=site_layer, site_id=site_id, site_status=chosen.status, site_name=chosen.name,
        footprint_estimated=chosen.estimated,
        name=params.name or chosen.name, old_area=params.old_area)
    if site_layer in PARCEL_SITES and intervention == "new" and chosen.footprint.area > 0:
        return building_on_parcel(project, proposal, ftype)
    return proposal


def building_on_parcel(project: Project, proposal: PlacementInput, ftype: FacilityType) -> PlacementInput:
    """``proposal`` on a parcel with its footprint a building of GFA ÷ floors placed inside the parcel where it
    shades the neighbouring dwellings least on the city's standard day
    (:func:`~gisplanner.analysis.parcel_footprint.building_in_parcel`); the parcel stays the site of the
    site-size check. Without ``gfa_m2`` the catalogue's lower bound for the type is used, and said so."""
    parcel = proposal.footprint
    standards = project.standards()
    floor_height = float(standards.sunlight.calculation["floor_height_m"].value)
    floors = proposal.floors
    if floors is None and proposal.height_m is not None:
        floors = max(1.0, round(proposal.height_m / floor_height))
    if floors is None:
        raise InputError(f"在地块“{proposal.site_id}”上新建设施，须给出层数，才能算出建筑占地",
                         layer=proposal.site_layer, feature=proposal.site_id, fix="加上 --floors 层数（如 --floors 2）")
    gfa = proposal.gfa_m2
    from_catalogue = gfa is None
    if gfa is None:
        if ftype.gfa_m2 is None:
            raise InputError(f"设施目录未给出{ftype.zh}的建筑面积，无法在地块“{proposal.site_id}”上确定建筑占地",
                             layer=proposal.site_layer, feature=proposal.site_id,
                             fix="加上 --gfa 建筑面积（平方米）")
        gfa = float(ftype.gfa_m2[0])
    height = proposal.height_m if proposal.height_m is not None else floors * floor_height
    sun, dwellings = _parcel_sun(project, parcel)
    placed = building_in_parcel(parcel, gfa / floors, height, sun, dwellings=dwellings,
                                layer=proposal.site_layer, feature=proposal.site_id)
    record = footprint_record(placed, site=site_label(proposal.site), parcel_area_m2=parcel.area, gfa_m2=gfa, floors=floors,
                              height_m=height, gfa_from_catalogue=from_catalogue)
    return replace(proposal, footprint=placed.footprint, floors=floors, gfa_m2=gfa, site_area_m2=float(parcel.area),
                   footprint_used=record)


def _parcel_sun(project: Project, parcel: BaseGeometry) -> tuple[SunPath | None, gpd.GeoDataFrame | None]:
    """The standard day's sun path at the parcel and the residential buildings around it (outside the parcel);
    None for both without a city, a CRS or a buildings layer."""
    if project.city is None or project.crs is None or not project.has_layer("buildings"):
        return None, None
    standards = project.standards()
    try:
        requirement = standards.sunlight.requirement(project.city)
    except ConfigError:
        return None, None
    lon, lat = site_lonlat(parcel, project.crs.to_string(), standards, project.city)
    sun = sun_for(requirement, lat, lon, step_min=float(standards.sunlight.calculation["time_step_min"].value))
    buildings = project.layer("buildings")
    use = buildings["use"].fillna("residential").astype(str).str.lower() if "use" in buildings else None
    homes = buildings if use is None else buildings[(use == "residential").to_numpy()]
    inside = shapely.within(shapely.point_on_surface(homes.geometry.values), parcel)
    return sun, homes[~inside]


def _compute_placement(project: Project, params: PlacementParams,
                       progress: Progress) -> tuple[dict[str, pd.DataFrame], PlacementRun]:
    """Check a proposed facility; store it on the project; its sunlight impact and shadow are results of their
    own (``placement_impact``, ``placement_shadow``), never the baseline ``sill_points``."""
    placement = placement_input(project, params)
    standards = project.standards()
    report = check_placement(placement, project.layers, standards, city=project.city,
                             crs=project.crs.to_string() if project.crs is not None else None,
                             progress=progress.stage(0, 2, "设施检查"))
    if params.store:
        taken = [int(p["facility_id"][1:]) for p in project.placed_facilities
                 if str(p.get("facility_id", "")).startswith("P") and str(p["facility_id"])[1:].isdigit()]
        project.add_placed_facility(report.placed_facility(f"P{max(taken, default=0) + 1}"))
    rules = standards.sunlight
    height = params.height_m
    if height is None and params.floors:
        height = float(params.floors) * float(rules.calculation["floor_height_m"].value)
    if height is None or not project.has_layer("buildings") or placement.footprint.area <= 0:
        progress.update(2, 2, "完成")
        return {}, PlacementRun(report, None, None)
    # Only the sills within the new building's shadow reach are computed, not the whole city's baseline.
    sun, requirement, options = sunlight_setup(project)
    impact = sunlight_impact(project.layer("buildings"), placement.footprint, height, sun, requirement,
                             elevator=placement.intervention == "elevator" and bool(rules.elevator_retrofit_exempt.value),
                             progress=progress.stage(1, 2, "周边日照"), **options)
    impact = impact[impact["status"] != "unaffected"].reset_index(drop=True)
    shadow = gpd.GeoDataFrame({"day": [requirement.day], "height_m": [height]},
                              geometry=[shadow_sweep(placement.footprint, height, sun)], crs=project.crs)
    progress.update(2, 2, "完成")
    return {PLACEMENT_IMPACT: impact, PLACEMENT_SHADOW: shadow}, PlacementRun(report, impact, shadow)


# --------------------------------------------------------------------------------------------- the catalogue
ANALYSES: dict[str, Analysis] = {a.key: a for a in (
    Analysis(
        key="lifecircle", zh="生活圈服务缺口", params=LifeCircleParams,
        needs=("communities", "facilities", "walk_network"), consumes=(DISTRICT_MEMBERS,),
        outputs=(Output(COMMUNITY_ACCESS, "小区可达性", True, hidden=True), Output(GAPS, "服务缺口", True),
                 Output(COVERAGE, "覆盖率", False), Output(DATA_COVERAGE, "数据覆盖", False),
                 Output(SERVICE_AREAS, "服务范围", True, hidden=True),
                 Output(CANDIDATE_SITES, "候选用地", True, hidden=True),
                 Output(FACILITY_ACCESS, "设施接入点", True)),
        compute=_compute_life_circle),
    Analysis(
        key="districts", zh="自动划分片区", params=DistrictParams, needs=("communities",), consumes=(GAPS,),
        outputs=(Output(DISTRICTS, "改造片区", True), Output(DISTRICT_MEMBERS, "片区小区", False, export="communities"),
                 Output(DISTRICT_RESOURCES, "片区资源", True, hidden=True, export="resources"),
                 Output(DISTRICT_EXCLUSIONS, "未纳入片区的小区", False), Output(DISTRICT_GAPS, "片区服务缺口", False),
                 Output(DISTRICT_CONTENT, "片区改造内容", False, export="district_items"),
                 Output(COMMUNITY_ELIGIBILITY, "小区改造资格", False)),
        compute=_compute_districts),
    Analysis(
        key="sunlight", zh="住宅日照", params=SunlightParams, needs=("buildings",), consumes=(),
        outputs=(Output(SILL_POINTS, "窗台日照", True, export="sunlight"),
                 Output(SUNLIGHT_IMPACT, "拟建建筑日照影响", True)),
        compute=_compute_sunlight),
    Analysis(
        key="placement", zh="设施选址检查", params=PlacementParams, needs=(), consumes=(),
        outputs=(Output(PLACEMENT_IMPACT, "选址日照影响", True), Output(PLACEMENT_SHADOW, "拟建建筑阴影", True)),
        compute=_compute_placement, menu=False),
)}

#: Which analysis gives each result.
PRODUCER: dict[str, str] = {o.name: a.key for a in ANALYSES.values() for o in a.outputs}
#: Every output by result name.
OUTPUTS: dict[str, Output] = {o.name: o for a in ANALYSES.values() for o in a.outputs}
#: Results that are not drawn until the planner turns them on.
HIDDEN_RESULTS = frozenset(name for name, o in OUTPUTS.items() if o.hidden)


def analysis(key: str) -> Analysis:
    """The analysis ``key``; InputError listing the known ones otherwise."""
    if key not in ANALYSES:
        raise InputError(f"没有名为 {key!r} 的分析", fix=f"可用的分析：{', '.join(ANALYSES)}")
    return ANALYSES[key]


def geometry_wkt(geometry: BaseGeometry | None) -> str | None:
    """A geometry as WKT for a parameter (parameters stay plain, so a run record can be saved)."""
    return None if geometry is None else geometry.wkt
