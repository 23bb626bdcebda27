"""Placement check of one proposed facility: size, service, sunlight, green space, land use, in one report."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from gisplanner.analysis import green, landuse, lifecircle, network, sunlight
from gisplanner.analysis.sun import SunPath
from gisplanner.errors import ConfigError, InputError
from gisplanner.progress import Progress, ensure_progress
from gisplanner.standards import INTERVENTIONS, FacilityType, LandUseRules, Standards, SunlightRequirement

# Verdicts of one check, from best to worst. "consult" means residents' consultation (一事一议) decides;
# "fail" is a mandatory rule (强制性条文) or a site that cannot be used as it stands.
VERDICTS = ("pass", "not_checked", "warn", "consult", "fail")
# Overall outcome named after the worst verdict.
OVERALL = {"pass": "pass", "not_checked": "pass", "warn": "conditions", "consult": "consultation",
           "fail": "refused"}
# Title of every check (Chinese, then English); green_public_<level> titles name the level.
CHECK_TITLES = {
    "site_status": "锅炉房停用 Boiler room decommissioned",
    "size_site": "用地规模 Site area",
    "size_gfa": "建筑规模 Floor area",
    "land_use": "用地性质 Land use",
    "permit": "施工许可 Construction permit",
    "service": "服务缺口 Service gaps closed",
    "sunlight_own": "自身日照 Own sunlight",
    "sunlight_neighbours": "邻近住宅日照 Neighbours' sunlight",
    "park": "公园规模与宽度 Park size and width",
    "block_green": "街坊集中绿地 Block concentrated green",
    "green_ratio": "绿地率 Green ratio",
}
CONSULT_STEP = "hold residents' consultation (一事一议) on this point, or move or shrink the footprint"
# Cuts smaller than this are geometry noise, not green taken (m²).
_NOISE_M2 = 0.01


@dataclass(frozen=True)
class PlacementInput:
    """A proposed facility.

    Parameters
    ----------
    facility_type
        Key of the catalogue (``Standards.facility_types``), e.g. ``kindergarten``.
    footprint
        The building's footprint (Polygon), or a Point for equipment, in the project's metric CRS.
    intervention
        ``new`` building, ``conversion`` of an existing building, ``elevator`` addition or ``equipment``.
    floors
        Storeys of the building; with the footprint it gives the GFA when ``gfa_m2`` is not given, and the
        height (× the standards' floor height) when ``height_m`` is not given.
    height_m
        Height of the building, m, for the shadow it casts and the sunlight it gets.
    gfa_m2
        Gross floor area, m².
    adds_far
        Whether the works add floor area counted in FAR (计容建筑面积).
    new_construction_land
        Whether the works take land that is not construction land yet.
    investment_wan_yuan
        Investment, 万元, for the permit-threshold rule; None when unknown.
    site_layer, site_id, site_status
        The layer role and ``feature_id`` of the site feature, and its ``status`` (boiler rooms, public
        buildings); None for a drawn footprint.
    footprint_estimated
        The footprint is a square of the site's recorded area around a point, not its outline.
    name
        The planner's name for the proposal.
    old_area
        Whether the site lies in an old area under renovation (旧区改建), which relaxes the green floors.
        None: old when a community under the site was built by the end of the renovation cutoff year
        (``Standards.renovation.eligibility``) or has no year, or when no community lies under it.
    """

    facility_type: str
    footprint: BaseGeometry
    intervention: str = "new"
    floors: float | None = None
    height_m: float | None = None
    gfa_m2: float | None = None
    adds_far: bool = False
    new_construction_land: bool = False
    investment_wan_yuan: float | None = None
    site_layer: str | None = None
    site_id: str | None = None
    site_status: str | None = None
    footprint_estimated: bool = False
    name: str = ""
    old_area: bool | None = None

    @property
    def site(self) -> str | None:
        """``LAYER:ID`` of the site feature, None for a drawn footprint."""
        return f"{self.site_layer}:{self.site_id}" if self.site_layer else None

    def floor_area_m2(self) -> float | None:
        """The GFA given, else footprint area × floors; None when neither is known."""
        if self.gfa_m2 is not None:
            return float(self.gfa_m2)
        if self.floors is not None and self.footprint.area > 0:
            return float(self.footprint.area * self.floors)
        return None


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check with its numbers, basis (source ids) and the planner's next steps."""

    key: str
    title: str
    verdict: str
    message: str
    numbers: Mapping[str, Any] = field(default_factory=dict)
    basis: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Several rules of one check often share a source; list each once, in order.
        object.__setattr__(self, "basis", tuple(dict.fromkeys(self.basis)))


@dataclass(frozen=True)
class PlacementReport:
    """Every check of one placement. ``overall`` is ``pass``, ``conditions``, ``consultation`` or
    ``refused`` after the worst verdict."""

    facility_type: str
    facility_zh: str
    name: str
    intervention: str
    site: str | None
    footprint_wkt: str
    crs: str | None
    overall: str
    checks: tuple[CheckResult, ...]
    created: str = ""

    def check(self, key: str) -> CheckResult:
        """The check named ``key``; KeyError when the report has none."""
        for result in self.checks:
            if result.key == key:
                return result
        raise KeyError(key)

    @property
    def verdicts(self) -> dict[str, str]:
        return {c.key: c.verdict for c in self.checks}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN becomes None)."""
        return _json_ready(asdict(self))

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlacementReport:
        checks = tuple(CheckResult(**{**c, "basis": tuple(c["basis"]), "next_steps": tuple(c["next_steps"])})
                       for c in data["checks"])
        return cls(**{**data, "checks": checks})

    def placed_facility(self, facility_id: str) -> dict[str, Any]:
        """The record stored in ``Project.placed_facilities``: WKT footprint (``footprint``), the verdicts,
        and ``needs_consultation`` when residents' consultation (一事一议) decides."""
        return {"facility_id": facility_id, "facility_type": self.facility_type, "name": self.name,
                "intervention": self.intervention, "site": self.site, "footprint": self.footprint_wkt,
                "overall": self.overall, "needs_consultation": self.overall == "consultation",
                "verdicts": self.verdicts, "created": self.created}


@dataclass(frozen=True)
class Site:
    """A site feature picked with ``--site LAYER:ID``: its footprint, status and name.

    ``estimated`` is set when the footprint is a square of the feature's ``area_m2`` around a point.
    """

    footprint: BaseGeometry
    status: str | None
    name: str
    estimated: bool = False


def site_footprint(layer: gpd.GeoDataFrame, role: str, feature_id: str, *, equipment: bool = False) -> Site:
    """The site feature ``feature_id`` of ``layer`` (``--site LAYER:ID``).

    A point site becomes a square of its ``area_m2`` centred on the point; equipment keeps the point.

    Raises
    ------
    InputError
        When the id is absent, or a point site has no area to build a footprint from.
    """
    match = layer[layer["feature_id"].astype(str) == str(feature_id)]
    if match.empty:
        raise InputError(f"no feature with feature_id {feature_id!r}", layer=role,
                         fix="use an ID that `gisplanner info` lists for this layer")
    row = match.iloc[0]
    geom = row.geometry
    status = None if _missing(row.get("status")) else str(row.get("status"))
    name = "" if _missing(row.get("name")) else str(row.get("name"))
    if geom.area > 0 or equipment:
        return Site(geom, status, name)
    area = row.get("area_m2")
    if _missing(area) or float(area) <= 0:
        raise InputError("the site is a point without area_m2, so its footprint is unknown", layer=role,
                         feature=feature_id, fix="draw the footprint and pass it with --footprint FILE")
    half = math.sqrt(float(area)) / 2.0
    point = geom.centroid
    square = shapely.box(point.x - half, point.y - half, point.x + half, point.y + half)
    return Site(square, status, name, estimated=True)


def check_placement(placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame], standards: Standards,
                    *, city: str | None = None, crs: str | None = None, profile: str = "gb50180",
                    progress: Progress | None = None) -> PlacementReport:
    """Check one proposed facility against the standards and return the report.

    The checks, in the report's order: ``site_status`` (a boiler room must be decommissioned), ``size_site``
    and ``size_gfa`` (catalogue ranges), ``land_use`` (the §6.2 decision table on the parcels under the
    site), ``permit`` (the city's construction-permit thresholds), ``service`` (life-circle gaps of the type
    closed on the walking network), ``sunlight_own`` (sun-sensitive types), ``sunlight_neighbours``
    (dwellings before/after), ``green_public_<level>`` (per-capita public green before/after),
    ``park`` (remaining park size and width), ``block_green`` (concentrated green per person, width and
    share outside the shadow line) and ``green_ratio`` (绿地率). Sunlight and green failures ask for
    residents' consultation (``consult``); mandatory clauses and an unusable site ``fail``.

    Parameters
    ----------
    placement
        The proposal.
    layers
        Project layers by role (``communities``, ``buildings``, ``green_space``, ``landuse``, ...), all in the
        footprint's metric CRS. A missing layer leaves its checks ``not_checked``.
    standards
        The project's standards (``Project.standards()``).
    city
        The project's city key: its sunlight standard, counting rule and place, its permit thresholds and
        local conversion rules. Without it sunlight is ``not_checked``.
    crs
        The CRS of the footprint (e.g. ``EPSG:32652``): recorded in the report and used to find the site's
        latitude and longitude; without it the city's are used.
    profile
        Facility catalogue profile.
    progress
        Progress sink; the checks report one step each.

    Returns
    -------
    PlacementReport
    """
    progress = ensure_progress(progress)
    if placement.intervention not in INTERVENTIONS:
        raise InputError(f"unknown intervention {placement.intervention!r}",
                         fix=f"use one of {', '.join(INTERVENTIONS)}")
    if placement.footprint is None or placement.footprint.is_empty:
        raise InputError("the footprint is empty", fix="draw the footprint or pick a site feature")
    ftype = standards.facility_type(placement.facility_type, profile)
    if placement.old_area is None:
        placement = replace(placement, old_area=_is_old_area(placement.footprint, layers, standards))
    decision = _land_use_decision(placement, ftype, layers, standards, city)
    greens = _GreenStates.build(placement, layers, standards)
    sun = _SunContext.build(placement, layers, standards, city, crs)
    steps = [
        lambda: [_site_status(placement, decision, standards)],
        lambda: _size_checks(placement, ftype),
        lambda: [_land_use_check(decision, standards)],
        lambda: [_permit_check(placement, standards, city)],
        lambda: [_service_check(placement, ftype, layers, standards, progress)],
        lambda: [_own_sunlight_check(placement, ftype, sun, standards, progress)],
        lambda: [_neighbour_sunlight_check(placement, layers, sun, standards, progress)],
        lambda: _public_green_checks(placement, layers, greens, standards),
        lambda: [_park_check(placement, greens, standards)],
        lambda: _block_checks(placement, layers, greens, sun, standards, progress),
    ]
    checks: list[CheckResult] = []
    for done, step in enumerate(steps):
        progress.update(done, len(steps), "checking the placement")
        checks.extend(step())
    progress.update(len(steps), len(steps), "placement checked")
    worst = max((c.verdict for c in checks), key=VERDICTS.index)
    return PlacementReport(
        facility_type=ftype.key, facility_zh=ftype.zh, name=placement.name,
        intervention=placement.intervention, site=placement.site, footprint_wkt=placement.footprint.wkt,
        crs=crs, overall=OVERALL[worst], checks=tuple(checks),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


# --------------------------------------------------------------------------------------------- land use
def _land_use_decision(placement: PlacementInput, ftype: FacilityType, layers: Mapping[str, gpd.GeoDataFrame],
                       standards: Standards, city: str | None) -> landuse.LandUseDecision:
    parcels = (landuse.parcels_under(layers["landuse"], placement.footprint) if "landuse" in layers
               else gpd.GeoDataFrame({"feature_id": [], "lu_code": [], "lu_code_planned": []}, geometry=[]))
    return landuse.decide_site(
        standards.landuse.decisions, parcels, intervention=placement.intervention,
        target_code=_target_code(ftype, parcels), facility_levels=ftype.levels, adds_far=placement.adds_far,
        new_construction_land=placement.new_construction_land,
        local_conversion_rule=city in standards.landuse.local_conversion_cities)


def _target_code(ftype: FacilityType, parcels: gpd.GeoDataFrame) -> str | None:
    """The type's 2023 code that the site already carries, else its first code."""
    if not ftype.lu2023:
        return None
    current = [str(c) for c in parcels["lu_code"] if not _missing(c)]
    return next((code for code in ftype.lu2023 if any(c.startswith(code) for c in current)), ftype.lu2023[0])


def _land_use_check(decision: landuse.LandUseDecision, standards: Standards) -> CheckResult:
    names = standards.landuse
    numbers = {
        "outcome": decision.outcome, "row": decision.row_id,
        "rows": list(dict.fromkeys(d.row_id for d in decision.parcels)), "target_code": decision.target_code,
        "target_name": _code_name(names, decision.target_code),
        "parcels": [{"parcel_id": d.parcel_id, "current_code": d.current_code,
                     "current_name": _code_name(names, d.current_code), "planned_code": d.planned_code,
                     "planned_name": _code_name(names, d.planned_code), "outcome": d.outcome,
                     "plan_conforming": d.plan_conforming} for d in decision.parcels],
        "plan_conforming": decision.plan_conforming, "triggered_checks": list(decision.checks),
        "needs_local_rule": decision.needs_local_rule,
    }
    steps = []
    if decision.outcome == "statutory_procedure":
        verdict = "warn"
        steps.append("follow the statutory procedure (法定程序): change of land use or new FAR-counted area "
                     "needs the detailed plan (详规) and land-supply approvals")
        if decision.plan_conforming is False:
            steps.append("the planned code (详规) differs from the facility's: the detailed plan must be amended")
        if "land_supply" in decision.checks:
            steps.append("ask for supply by 划拨 or 协议有偿 if the parcel cannot be supplied on its own")
    elif decision.outcome == "conversion_local_rule":
        verdict = "warn"
        steps.append("apply the city's 存量建筑功能转换 rule for converting the building's use")
        if decision.needs_local_rule:
            steps.append("no such rule is loaded for this city: obtain it, or treat the case as statutory")
    else:
        verdict = "pass"
    if not decision.parcels or decision.parcels[0].parcel_id is None:
        steps.append("no land-use parcel lies under the site: import the landuse layer to confirm the codes")
        verdict = "warn"
    notes = {d.row_id: d.note for d in decision.parcels if d.outcome == decision.outcome}
    message = f"{decision.outcome}: " + "; ".join(f"{note or row} (row {row})" for row, note in notes.items())
    return CheckResult("land_use", CHECK_TITLES["land_use"], verdict, message, numbers, decision.basis, tuple(steps))


def _site_status(placement: PlacementInput, decision: landuse.LandUseDecision,
                 standards: Standards) -> CheckResult:
    basis = tuple(dict.fromkeys(s for row in standards.landuse.decisions if "decommissioned" in row.checks
                                for s in row.basis))
    title = CHECK_TITLES["site_status"]
    numbers = {"site": placement.site, "status": placement.site_status}
    if placement.site_layer == "boiler_rooms" and placement.intervention in ("new", "conversion"):
        refusal = landuse.decommission_refusal(placement.site_status)
        if refusal:
            return CheckResult("site_status", title, "fail", refusal, numbers, basis,
                               ("move the heat supply, then set the boiler room's status to decommissioned",))
        return CheckResult("site_status", title, "pass", "the boiler room is decommissioned", numbers, basis)
    if "decommissioned" in decision.checks:
        return CheckResult("site_status", title, "warn", "the site is on heating land (供热用地) but is not a "
                           "boiler-room feature, so its status is unknown", numbers, basis,
                           ("confirm that the heat supply of the site is decommissioned",))
    if placement.site_layer == "boiler_rooms":
        return CheckResult("site_status", title, "pass", f"{placement.intervention} works do not convert the "
                           "boiler room", numbers)
    return CheckResult("site_status", title, "pass", "the site is not a boiler room", numbers)


def _permit_check(placement: PlacementInput, standards: Standards, city: str | None) -> CheckResult:
    rule = landuse.permit_rule_for(standards.landuse.permit_rules.values(), city)
    new_area = placement.floor_area_m2() if placement.intervention in ("new", "elevator") else 0.0
    title = CHECK_TITLES["permit"]
    numbers = {"new_floor_area_m2": new_area, "investment_wan_yuan": placement.investment_wan_yuan,
               "rule": rule.key if rule else None,
               "max_new_floor_area_m2": rule.max_new_floor_area_m2 if rule else None,
               "max_investment_wan_yuan": rule.max_investment_wan_yuan if rule else None}
    if new_area is None:
        return CheckResult("permit", title, "not_checked", "the new floor area is unknown", numbers,
                           rule.source if rule else (), ("give --gfa or --floors",))
    result = landuse.construction_permit(rule, new_floor_area_m2=new_area,
                                         investment_wan_yuan=placement.investment_wan_yuan)
    if result.required is None:
        return CheckResult("permit", title, "not_checked", result.reason, numbers, result.source)
    if result.required:
        return CheckResult("permit", title, "warn", f"a construction permit is needed: {result.reason}", numbers,
                           result.source, ("apply for the construction permit (施工许可)",))
    return CheckResult("permit", title, "pass", f"no construction permit needed: {result.reason}", numbers,
                       result.source)


# --------------------------------------------------------------------------------------------- size
def _size_checks(placement: PlacementInput, ftype: FacilityType) -> list[CheckResult]:
    site_area = placement.footprint.area if placement.footprint.area > 0 else None
    site = _range_check("size_site", CHECK_TITLES["size_site"], site_area, ftype.site_m2, ftype)
    if placement.footprint_estimated:
        site = replace(site, numbers={**site.numbers, "footprint_estimated": True},
                       message=f"{site.message} (footprint estimated: a square of the site's recorded area)",
                       next_steps=(*site.next_steps, "draw the real outline and check again with --footprint"))
    return [site, _range_check("size_gfa", CHECK_TITLES["size_gfa"], placement.floor_area_m2(), ftype.gfa_m2,
                               ftype)]


def _range_check(key: str, title: str, value: float | None, bounds: tuple[float, float] | None,
                 ftype: FacilityType) -> CheckResult:
    numbers = {"value_m2": value, "min_m2": bounds[0] if bounds else None, "max_m2": bounds[1] if bounds else None}
    if bounds is None:
        return CheckResult(key, title, "not_checked", f"the catalogue gives no range for {ftype.zh}", numbers)
    if value is None:
        return CheckResult(key, title, "not_checked", "the size is unknown", numbers, ftype.source,
                           ("give --gfa or --floors",))
    if bounds[0] <= value <= bounds[1]:
        return CheckResult(key, title, "pass", f"{value:.0f} m² within {bounds[0]:.0f}–{bounds[1]:.0f} m²",
                           numbers, ftype.source)
    side = "below" if value < bounds[0] else "above"
    return CheckResult(key, title, "warn", f"{value:.0f} m² is {side} the catalogue range "
                       f"{bounds[0]:.0f}–{bounds[1]:.0f} m² for {ftype.zh}", numbers, ftype.source,
                       ("resize the facility or record why this size serves the catchment",))


# --------------------------------------------------------------------------------------------- service
def _service_check(placement: PlacementInput, ftype: FacilityType, layers: Mapping[str, gpd.GeoDataFrame],
                   standards: Standards, progress: Progress) -> CheckResult:
    """Life-circle gaps of the facility's type that it closes, on the walking network, and who gains."""
    key, title = "service", CHECK_TITLES["service"]
    requirements = lifecircle.requirements_from_standards(standards, types={ftype.key})
    if requirements.empty:
        return CheckResult(key, title, "not_checked", f"{ftype.zh} is not part of the life-circle gap analysis")
    missing = _missing_layers(layers, ("walk_network", "communities"))
    if missing:
        return CheckResult(key, title, "not_checked", missing)
    settings = standards.settings
    reach = float(requirements["threshold_m"].max())
    # Walking distance is never shorter than the straight line: only communities within reach of the site
    # can gain, and only facilities, paths and snap points within three reaches can serve those.
    communities = _near(layers["communities"], placement.footprint, reach)
    window = placement.footprint.buffer(3 * reach + settings.access_snap_m)
    graph = network.build_walk_graph(_near(layers["walk_network"], window, 0.0),
                                     walkable_highways=settings.walkable_highways, progress=progress)
    existing = _near(layers["facilities"], window, 0.0) if "facilities" in layers else None
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
                       "communities": ", ".join(rows["community_name"].fillna(rows["community_id"]).astype(str))})
    newly = float(sum(row["population_newly_served"] for row in levels))
    numbers = {"levels": levels, "gaps_closed": len(closed), "population_newly_served": newly}
    basis = ftype.source
    if closed.empty:
        return CheckResult(key, title, "warn", f"closes no {ftype.zh} gap: every community it reaches was "
                           "already served, or it reaches none", numbers, basis,
                           ("consider a site nearer the communities that lack this facility",))
    return CheckResult(key, title, "pass", f"closes {len(closed)} gap(s); {newly:,.0f} residents newly served",
                       numbers, basis)


# --------------------------------------------------------------------------------------------- sunlight
@dataclass(frozen=True)
class _SunContext:
    """What every sunlight step shares: the dwellings' requirement and sun path, and the buildings before and
    after (the site's own building replaced by the proposed mass). ``reason`` says why sunlight cannot be
    checked when ``requirement`` is None."""

    reason: str
    requirement: SunlightRequirement | None = None
    path: SunPath | None = None
    lonlat: tuple[float, float] | None = None
    height_m: float | None = None
    before: gpd.GeoDataFrame | None = None
    after: gpd.GeoDataFrame | None = None

    @classmethod
    def build(cls, placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame], standards: Standards,
              city: str | None, crs: str | None) -> _SunContext:
        if city is None:
            return cls("the project has no city, so the standard day and place are unknown")
        if "buildings" not in layers:
            return cls("the buildings layer is absent")
        try:
            requirement = standards.sunlight.requirement(city)
        except ConfigError as exc:
            return cls(f"the city's sunlight standard is not settled: {exc}")
        lonlat = _lonlat(placement.footprint, crs, standards, city)
        path = sunlight.sun_for(requirement, lonlat[1], lonlat[0],
                                step_min=float(standards.sunlight.calculation["time_step_min"].value))
        buildings = layers["buildings"]
        replaced = shapely.within(shapely.point_on_surface(buildings.geometry.values), placement.footprint)
        height = placement.height_m
        if height is None and placement.floors is not None:
            height = placement.floors * float(standards.sunlight.calculation["floor_height_m"].value)
        if height is None and replaced.any() and placement.intervention == "conversion":
            height = float(buildings.loc[replaced, "height_m"].max())
        after = buildings[~replaced]
        if height is not None and placement.footprint.area > 0 and placement.intervention != "equipment":
            mass = gpd.GeoDataFrame({"feature_id": ["proposed"], "height_m": [height], "use": ["proposed"]},
                                    geometry=[placement.footprint], crs=buildings.crs)
            after = pd.concat([after, mass], ignore_index=True)
        return cls("", requirement, path, lonlat, height, buildings, after)

    def sun_for(self, day: str, hours: float, standards: Standards) -> tuple[SunlightRequirement, SunPath]:
        """The requirement and sun path of another standard day at the same place and counting rule."""
        counting = self.requirement.counting
        requirement = SunlightRequirement(day=day, hours=hours,
                                          window=counting.window or standards.sunlight.windows[day],
                                          counting=counting, basis=(), status="")
        step = float(standards.sunlight.calculation["time_step_min"].value)
        return requirement, sunlight.sun_for(requirement, self.lonlat[1], self.lonlat[0], step_min=step)


def _own_sunlight_check(placement: PlacementInput, ftype: FacilityType, sun: _SunContext, standards: Standards,
                        progress: Progress) -> CheckResult:
    key, title = "sunlight_own", CHECK_TITLES["sunlight_own"]
    if ftype.sun is None:
        return CheckResult(key, title, "pass", f"{ftype.zh} has no sunlight requirement of its own")
    basis = ftype.source
    numbers: dict[str, Any] = {"day": ftype.sun.day, "required_hours": ftype.sun.hours, "rooms": ftype.sun.calc}
    if sun.requirement is None:
        return CheckResult(key, title, "not_checked", sun.reason, numbers, basis)
    if sun.height_m is None or placement.footprint.area <= 0:
        return CheckResult(key, title, "not_checked", "the building's height is unknown", numbers, basis,
                           ("give --floors or --height",))
    requirement, path = sun.sun_for(ftype.sun.day, ftype.sun.hours, standards)
    calc = standards.sunlight.calculation
    spacing = float(calc["sample_spacing_m"].value)
    # Only the proposed building gets sills; every other building just casts shadows.
    scene = sun.after.assign(use=np.where(sun.after["feature_id"] == "proposed", "residential", "other"))
    sills = sunlight.sunlight_hours(scene, path, requirement, spacing_m=spacing,
                                    sill_height_m=float(standards.sunlight.sill_height_m.value),
                                    floor_height_m=float(calc["floor_height_m"].value), progress=progress)
    meeting_m = float(sills["passes"].sum()) * spacing
    window_m = float(calc["window_width_m"].value)
    numbers.update(ground_floor_sills=len(sills), facade_meeting_m=meeting_m,
                   best_hours=float(sills["hours"].max()) if len(sills) else 0.0, window_width_m=window_m)
    text = (f"{meeting_m:.0f} m of ground-floor facade get ≥ {ftype.sun.hours:g} h on {ftype.sun.day} "
            f"(best {numbers['best_hours']:.1f} h)")
    if meeting_m >= window_m:
        rooms = f" ({ftype.sun.calc})" if ftype.sun.calc else ""
        return CheckResult(key, title, "pass", f"{text}: put the rooms that need sun{rooms} there", numbers,
                           basis)
    return CheckResult(key, title, "consult", f"no window width of facade meets the requirement: {text}",
                       numbers, basis, (CONSULT_STEP,))


def _neighbour_sunlight_check(placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame],
                              sun: _SunContext, standards: Standards, progress: Progress) -> CheckResult:
    key, title = "sunlight_neighbours", CHECK_TITLES["sunlight_neighbours"]
    if placement.intervention in ("conversion", "equipment"):
        return CheckResult(key, title, "pass", f"a {placement.intervention} adds no building mass")
    if sun.requirement is None:
        return CheckResult(key, title, "not_checked", sun.reason)
    basis = sun.requirement.basis + standards.sunlight.no_reduction_of_neighbours.source
    if sun.height_m is None or placement.footprint.area <= 0:
        return CheckResult(key, title, "not_checked", "the building's height is unknown", {}, basis,
                           ("give --floors or --height",))
    calc = standards.sunlight.calculation
    elevator = placement.intervention == "elevator"
    impact = sunlight.sunlight_impact(
        layers["buildings"], placement.footprint, sun.height_m, sun.path, sun.requirement, elevator=elevator,
        spacing_m=float(calc["sample_spacing_m"].value), sill_height_m=float(standards.sunlight.sill_height_m.value),
        floor_height_m=float(calc["floor_height_m"].value), progress=progress)
    status = impact["status"].astype(str)
    newly = impact[status == "newly_failing"]
    worse = impact[(status == "reduced") & ~impact["passes_before"]]
    lost = (impact["hours_before"] - impact["hours_after"]).to_numpy()
    numbers = {"day": sun.requirement.day, "required_hours": sun.requirement.hours, "height_m": sun.height_m,
               "sills_in_reach": len(impact), "newly_failing": len(newly), "failing_and_reduced": len(worse),
               "exempt": int((status == "exempt").sum()), "max_hours_lost": float(lost.max()) if len(lost) else 0.0,
               "buildings_newly_failing": sorted(map(str, newly["building_id"].unique()))}
    if elevator:
        basis += standards.sunlight.elevator_retrofit_exempt.source
        return CheckResult(key, title, "pass", f"elevator addition, exempt under GB 50180 4.0.9-2; "
                           f"{numbers['exempt']} sill(s) lose sun", numbers, basis,
                           ("check the city's elevator rules and neighbours' consent",) if numbers["exempt"] else ())
    if len(newly):
        return CheckResult(key, title, "consult", f"{len(newly)} sill(s) of "
                           f"{len(numbers['buildings_newly_failing'])} building(s) fall below "
                           f"{sun.requirement.hours:g} h on {sun.requirement.day}", numbers, basis, (CONSULT_STEP,))
    if len(worse):
        return CheckResult(key, title, "warn", f"{len(worse)} sill(s) already below the standard lose more "
                           "sun (a common local reading forbids it)", numbers, basis,
                           ("check the city's rule on windows already below the standard",))
    return CheckResult(key, title, "pass", f"no dwelling falls below {sun.requirement.hours:g} h on "
                       f"{sun.requirement.day}", numbers, basis)


def _lonlat(footprint: BaseGeometry, crs: str | None, standards: Standards, city: str) -> tuple[float, float]:
    """Longitude and latitude of the site (the city's when the CRS is unknown), degrees."""
    if crs is None:
        where = standards.sunlight.city(city)
        return where.lon, where.lat
    point = footprint.centroid
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(point.x, point.y)
    return float(lon), float(lat)


# --------------------------------------------------------------------------------------------- green
@dataclass(frozen=True)
class _GreenStates:
    """The green layer and its levelled parks before and after the footprint takes its part."""

    before: gpd.GeoDataFrame
    after: gpd.GeoDataFrame
    parks_before: gpd.GeoDataFrame
    parks_after: gpd.GeoDataFrame

    @classmethod
    def build(cls, placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame],
              standards: Standards) -> _GreenStates | None:
        if "green_space" not in layers:
            return None
        before = layers["green_space"]
        parks = green.public_parks(before)
        return cls(before, green.remove_footprint(before, placement.footprint), _with_levels(parks, standards),
                   _with_levels(green.cut_parks(parks, placement.footprint), standards))


def _public_green_checks(placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame],
                         greens: _GreenStates | None, standards: Standards) -> list[CheckResult]:
    rules = standards.green
    keys = list(rules.public)
    titles = {k: f"{standards.levels[k].zh}公共绿地 Public green per person ({k})" for k in keys}
    missing = _missing_layers(layers, ("green_space", "communities"))
    if greens is None or missing:
        return [CheckResult(f"green_public_{k}", titles[k], "not_checked", missing) for k in keys]
    # The level's walking distance around the site, as a straight-line screen of whom its parks serve.
    catchments = {k: placement.footprint.buffer(standards.levels[k].walk_distance_m) for k in keys}
    before = green.per_capita_public_green(greens.parks_before, layers["communities"], catchments)
    after = green.per_capita_public_green(greens.parks_after, layers["communities"], catchments)
    floor_ratio = rules.old_area_floor_ratio.value
    results = []
    for key in keys:
        rule = rules.public[key]
        floor = rule.m2_per_person * (floor_ratio if placement.old_area else 1.0)
        taken = before.loc[key, "green_m2"] - after.loc[key, "green_m2"]
        numbers = {"old_area": placement.old_area, "reach_m": standards.levels[key].walk_distance_m,
                   "population": before.loc[key, "population"],
                   "green_before_m2": before.loc[key, "green_m2"], "green_after_m2": after.loc[key, "green_m2"],
                   "taken_m2": taken, "before_m2_per_person": before.loc[key, "m2_per_person"],
                   "after_m2_per_person": after.loc[key, "m2_per_person"],
                   "required_m2_per_person": rule.m2_per_person, "floor_m2_per_person": floor}
        basis = rule.source + (rules.old_area_floor_ratio.source if placement.old_area else ())
        if not before.loc[key, "population"] > 0:
            results.append(CheckResult(f"green_public_{key}", titles[key], "not_checked",
                                       "nobody lives within the level's reach", numbers, basis))
            continue
        value = after.loc[key, "m2_per_person"]
        verdict = green.green_verdict(value, rule.m2_per_person, old_area=placement.old_area,
                                      old_area_floor_ratio=floor_ratio)
        text = (f"{value:.2f} m²/person after (before {before.loc[key, 'm2_per_person']:.2f}); table "
                f"{rule.m2_per_person:.2f}, floor {floor:.2f}")
        if taken <= _NOISE_M2:
            results.append(CheckResult(f"green_public_{key}", titles[key], "pass",
                                       f"takes none of this level's park area; {text}", numbers, basis))
        elif verdict == green.PASS:
            results.append(CheckResult(f"green_public_{key}", titles[key], "pass", text, numbers, basis))
        elif verdict == green.BELOW_TABLE:
            results.append(CheckResult(f"green_public_{key}", titles[key], "warn", f"below the table, above "
                                       f"the old-area floor: {text}", numbers, basis,
                                       ("make up the loss by 多点分布 or 立体绿化 (GB 50180 4.0.5)",)))
        else:
            results.append(CheckResult(f"green_public_{key}", titles[key], "consult", f"below the floor: {text}",
                                       numbers, basis, (CONSULT_STEP,)))
    return results


def _is_old_area(footprint: BaseGeometry, layers: Mapping[str, gpd.GeoDataFrame], standards: Standards) -> bool:
    if "communities" not in layers or "built_year" not in layers["communities"].columns:
        return True
    under = _near(layers["communities"], footprint, 0.0)
    if under.empty:
        return True
    years = pd.to_numeric(under["built_year"], errors="coerce")
    return bool((years.isna() | (years <= standards.renovation.eligibility.built_before_end_of)).any())


def _with_levels(parks: gpd.GeoDataFrame, standards: Standards) -> gpd.GeoDataFrame:
    public = standards.green.public
    return parks.assign(level=green.park_levels(
        parks["area_m2"], parks["width_m"], min_area_m2={k: r.park_min_hm2 * 1e4 for k, r in public.items()},
        min_width_m={k: r.park_min_width_m for k, r in public.items()}))


def _park_check(placement: PlacementInput, greens: _GreenStates | None, standards: Standards) -> CheckResult:
    title = CHECK_TITLES["park"]
    if greens is None:
        return CheckResult("park", title, "not_checked", "the green_space layer is absent")
    parks = greens.parks_before
    hit = parks[shapely.area(shapely.intersection(parks.geometry.values, placement.footprint)) > _NOISE_M2]
    if hit.empty:
        return CheckResult("park", title, "pass", "the footprint takes no public park", {"parks": []})
    rows, verdict, basis = [], "pass", ()
    for park in hit.itertuples():
        remaining = shapely.get_parts(shapely.difference(park.geometry, placement.footprint))
        largest = remaining[np.argmax(shapely.area(remaining))] if len(remaining) else shapely.Polygon()
        row = {"park_id": park.park_id, "name": park.name, "level": park.level,
               "area_before_m2": park.area_m2, "width_before_m": park.width_m,
               "area_after_m2": largest.area, "width_after_m": float(green.inscribed_width([largest])[0]),
               "pieces_after": len(remaining)}
        if not _missing(park.level):
            rule = standards.green.public[park.level]
            row.update(min_area_m2=rule.park_min_hm2 * 1e4, min_width_m=rule.park_min_width_m)
            row["meets_after"] = bool(row["area_after_m2"] >= row["min_area_m2"]
                                      and row["width_after_m"] >= row["min_width_m"])
            basis += rule.source
            if not row["meets_after"]:
                verdict = "consult"
        rows.append(row)
    broken = [r["name"] or r["park_id"] for r in rows if r.get("meets_after") is False]
    message = (f"the remaining park falls below its level's minimum size or width: {', '.join(broken)}"
               if broken else "the remaining parks keep their level's minimum size and width")
    return CheckResult("park", title, verdict, message, {"parks": rows}, basis,
                       (CONSULT_STEP,) if broken else ())


def _block_checks(placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame],
                  greens: _GreenStates | None, sun: _SunContext, standards: Standards,
                  progress: Progress) -> list[CheckResult]:
    titles = {k: CHECK_TITLES[k] for k in ("block_green", "green_ratio")}
    missing = _missing_layers(layers, ("green_space", "communities"))
    if greens is None or missing:
        return [CheckResult(k, t, "not_checked", missing) for k, t in titles.items()]
    communities = layers["communities"]
    overlap = shapely.area(shapely.intersection(communities.geometry.values, placement.footprint))
    inside = shapely.intersects(communities.geometry.values, placement.footprint)
    if not inside.any():
        return [CheckResult(k, t, "pass", "the site lies in no residential block") for k, t in titles.items()]
    block = communities.iloc[int(np.argmax(np.where(inside, overlap + 1e-9, -1.0)))]
    return [_block_green_check(placement, block, greens, sun, standards, titles, progress),
            _green_ratio_check(block, layers, greens, standards, titles)]


def _block_green_check(placement: PlacementInput, block: Any, greens: _GreenStates, sun: _SunContext,
                       standards: Standards, titles: Mapping[str, str], progress: Progress) -> CheckResult:
    rules = standards.green
    width = rules.block_min_width_m.value
    required = rules.block_old_m2_per_person if placement.old_area else rules.block_new_m2_per_person
    share_needed = rules.block_outside_shadow_share.value
    concentrated_before = green.block_concentrated_green(greens.before, block.geometry, min_width_m=width)
    concentrated_after = green.block_concentrated_green(greens.after, block.geometry, min_width_m=width)
    before, after = concentrated_before.area, concentrated_after.area
    population = float(block["population"])
    share = _outside_shadow_share(concentrated_after, sun, standards, progress)
    numbers = {"block_id": block["feature_id"], "block_name": block.get("name", ""), "old_area": placement.old_area,
               "population": population,
               "min_width_m": width, "concentrated_before_m2": before, "concentrated_after_m2": after,
               "before_m2_per_person": before / population if population > 0 else None,
               "after_m2_per_person": after / population if population > 0 else None,
               "required_m2_per_person": required.value, "outside_shadow_share_after": share,
               "outside_shadow_share_required": share_needed}
    basis = required.source + rules.block_min_width_m.source + rules.block_outside_shadow_share.source
    key, title = "block_green", titles["block_green"]
    if not population > 0:
        return CheckResult(key, title, "not_checked", "the block has no population", numbers, basis)
    value = after / population
    text = (f"{value:.2f} m²/person of green at least {width:.0f} m wide after "
            f"(before {before / population:.2f}); required {required.value:.2f}")
    text += (f"; {share:.0%} of it outside the shadow line (≥ {share_needed:.0%})" if share is not None
             else "; its share outside the shadow line is not computed: " + (sun.reason or "no concentrated green"))
    short = value < required.value
    shaded = share is not None and share < share_needed
    if not short and not shaded:
        return CheckResult(key, title, "pass", text, numbers, basis)
    if shaded:
        # Only work out the share before when it matters: did the new building cast that shadow?
        numbers["outside_shadow_share_before"] = _outside_shadow_share(
            concentrated_before, replace(sun, after=sun.before), standards, progress)
    caused = (short and before - after > _NOISE_M2) or (
        shaded and not (numbers["outside_shadow_share_before"] or 0.0) < share_needed)
    if not caused:
        return CheckResult(key, title, "pass", f"already below, and the facility does not make it worse: {text}",
                           numbers, basis)
    if rules.block_mandatory.value:
        return CheckResult(key, title, "fail", f"mandatory clause (强制性条文) broken: {text}", numbers,
                           basis + rules.block_mandatory.source,
                           ("keep the block's concentrated green and its sun: move or shrink the footprint",))
    return CheckResult(key, title, "consult", text, numbers, basis, (CONSULT_STEP,))


def _outside_shadow_share(area: BaseGeometry, sun: _SunContext, standards: Standards,
                          progress: Progress) -> float | None:
    """Share of ``area`` getting the dwellings' standard hours with the proposed building standing."""
    if sun.requirement is None or area.is_empty:
        return None
    result = sunlight.area_sunlight(area, sun.after, sun.path, sun.requirement, min_hours=sun.requirement.hours,
                                    grid_m=float(standards.sunlight.calculation["area_grid_m"].value),
                                    progress=progress)
    return None if np.isnan(result.share) else result.share


def _green_ratio_check(block: Any, layers: Mapping[str, gpd.GeoDataFrame], greens: _GreenStates,
                       standards: Standards, titles: Mapping[str, str]) -> CheckResult:
    key, title = "green_ratio", titles["green_ratio"]
    rules = standards.green
    before = green.green_ratio(greens.before, block.geometry)
    after = green.green_ratio(greens.after, block.geometry)
    numbers: dict[str, Any] = {"block_id": block["feature_id"], "ratio_before": before, "ratio_after": after}
    if "buildings" not in layers:
        return CheckResult(key, title, "not_checked", "the buildings layer is absent, so the storey class "
                           "is unknown", numbers)
    buildings = layers["buildings"]
    inside = buildings[shapely.within(shapely.centroid(buildings.geometry.values), block.geometry)]
    floors = green.average_floors(inside)
    if np.isnan(floors):
        return CheckResult(key, title, "not_checked", "the block has no residential building", numbers)
    storey = rules.storey_class(floors)
    required = rules.green_ratio[storey]
    numbers.update(average_floors=floors, storey_class=storey, required_ratio=required.value)
    text = f"绿地率 {after:.1%} after (before {before:.1%}); {storey} requires {required.value:.0%}"
    if after >= required.value:
        return CheckResult(key, title, "pass", text, numbers, required.source)
    if before - after <= 1e-9:
        return CheckResult(key, title, "pass", f"already below, and the facility takes no green: {text}",
                           numbers, required.source)
    return CheckResult(key, title, "consult", text, numbers, required.source, (CONSULT_STEP,))


# --------------------------------------------------------------------------------------------- helpers
def _near(layer: gpd.GeoDataFrame, geometry: BaseGeometry, distance_m: float) -> gpd.GeoDataFrame:
    """The features of ``layer`` within ``distance_m`` of ``geometry``."""
    return layer.iloc[np.sort(layer.sindex.query(geometry, predicate="dwithin", distance=distance_m))]


def _missing_layers(layers: Mapping[str, gpd.GeoDataFrame], roles: tuple[str, ...]) -> str:
    absent = [r for r in roles if r not in layers]
    return f"layer(s) {', '.join(absent)} absent" if absent else ""


def _code_name(names: LandUseRules, code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return names.name(code)
    except ConfigError:  # an unlisted code is shown without a name rather than failing the report
        return None


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
