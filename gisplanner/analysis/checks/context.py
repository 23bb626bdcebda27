"""The context of one placement check: the proposal, the layers and standards, and what several checks share.

Shared pieces are computed once, on first use (``functools.cached_property``): the facility type, the land-use
decision on the parcels under the site, the green layer before and after, the sunlight scene before and
after, and the residential block the site lies in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from gisplanner.analysis import green, landuse, sunlight
from gisplanner.analysis.checks.base import is_missing
from gisplanner.analysis.renovation import province_for
from gisplanner.analysis.sun import SunPath
from gisplanner.errors import ConfigError
from gisplanner.progress import Progress
from gisplanner.standards import FacilityType, Standards, SunlightRequirement

if TYPE_CHECKING:
    from gisplanner.analysis.placement import PlacementInput


class CheckContext:
    """Everything a check reads.

    Parameters
    ----------
    placement
        The proposal (``old_area`` already decided).
    layers
        Project layers by role, in the footprint's metric CRS.
    standards
        The project's standards.
    city, crs, profile
        The project's city key (None: unknown), the footprint's CRS and the facility catalogue profile.
    progress
        Progress sink for the long steps (sunlight, service).
    """

    def __init__(self, placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame], standards: Standards,
                 *, city: str | None, crs: str | None, profile: str, progress: Progress) -> None:
        self.placement = placement
        self.layers = layers
        self.standards = standards
        self.city = city
        self.crs = crs
        self.profile = profile
        self.progress = progress

    @cached_property
    def ftype(self) -> FacilityType:
        return self.standards.facility_type(self.placement.facility_type, self.profile)

    def title(self, key: str) -> str:
        """Chinese title of a check result key (``checks.yaml``)."""
        return self.standards.checks.title(key, {k: level.zh for k, level in self.standards.levels.items()})

    @cached_property
    def land_use(self) -> landuse.LandUseDecision:
        """The §6.2 decision on the parcels under the site."""
        placement, ftype, standards = self.placement, self.ftype, self.standards
        parcels = (landuse.parcels_under(self.layers["landuse"], placement.footprint) if "landuse" in self.layers
                   else gpd.GeoDataFrame({"feature_id": [], "lu_code": [], "lu_code_planned": []}, geometry=[]))
        return landuse.decide_site(
            standards.landuse.decisions, parcels, intervention=placement.intervention,
            target_code=_target_code(ftype, parcels), facility_levels=ftype.levels, adds_far=placement.adds_far,
            new_construction_land=placement.new_construction_land,
            local_conversion_rule=self.city in standards.landuse.local_conversion_cities,
            inside_community=self.inside_community, site_kind=self.site_kind)

    @cached_property
    def inside_community(self) -> bool:
        """Whether the site lies inside a residential community (小区内): its representative point is in one."""
        if "communities" not in self.layers:
            return False
        point = shapely.point_on_surface(self.placement.footprint)
        return bool(shapely.contains(self.layers["communities"].geometry.values, point).any())

    @property
    def site_kind(self) -> str | None:
        """``idle_boiler_room`` / ``idle_building`` for a boiler room / public building out of use (闲置 or
        停用), else None (:data:`gisplanner.analysis.landuse.SITE_KINDS`)."""
        if self.placement.site_status not in landuse.OUT_OF_USE:
            return None
        return {"boiler_rooms": "idle_boiler_room", "public_buildings": "idle_building"}.get(
            self.placement.site_layer)

    @cached_property
    def consultation(self) -> landuse.PolicyBasis:
        """The 一事一议 rule (国办发〔2020〕23号 五（二） and the province's copy) for a facility that takes green
        space or sunlight: the refs a consult verdict cites and the steps it asks for."""
        return landuse.policy_basis(self.standards.landuse.policies, "case_by_case", province=self.province,
                                    document_titles=self.standards.sources)

    @property
    def province(self) -> str | None:
        """The province key of the project's city (renovation.yaml ``provinces``), None outside them."""
        found = province_for(self.standards.raw["renovation"], self.city)
        return found[0] if found else None

    @cached_property
    def greens(self) -> GreenStates | None:
        """The green layer and its parks before and after; None without a green_space layer."""
        return GreenStates.build(self.placement, self.layers, self.standards)

    @cached_property
    def sun(self) -> SunContext:
        return SunContext.build(self.placement, self.layers, self.standards, self.city, self.crs)

    @cached_property
    def block(self) -> Any | None:
        """The residential block (community row) holding most of the footprint; None when it lies in none."""
        communities = self.layers["communities"]
        footprint = self.placement.footprint
        overlap = shapely.area(shapely.intersection(communities.geometry.values, footprint))
        inside = shapely.intersects(communities.geometry.values, footprint)
        if not inside.any():
            return None
        return communities.iloc[int(np.argmax(np.where(inside, overlap + 1e-9, -1.0)))]


def _target_code(ftype: FacilityType, parcels: gpd.GeoDataFrame) -> str | None:
    """The type's 2023 code that the site already carries, else its first code."""
    if not ftype.lu2023:
        return None
    current = [str(c) for c in parcels["lu_code"] if not is_missing(c)]
    return next((code for code in ftype.lu2023 if any(c.startswith(code) for c in current)), ftype.lu2023[0])


@dataclass(frozen=True)
class SunContext:
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
              city: str | None, crs: str | None) -> SunContext:
        if city is None:
            return cls("项目未设置城市，日照标准日和位置不详")
        if "buildings" not in layers:
            return cls("缺少建筑图层")
        try:
            requirement = standards.sunlight.requirement(city)
        except ConfigError as exc:
            return cls(f"本市日照标准未确定：{exc}")
        lonlat = site_lonlat(placement.footprint, crs, standards, city)
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


def site_lonlat(footprint: BaseGeometry, crs: str | None, standards: Standards, city: str) -> tuple[float, float]:
    """Longitude and latitude of the site (the city's when the CRS is unknown), degrees."""
    if crs is None:
        where = standards.sunlight.city(city)
        return where.lon, where.lat
    point = footprint.centroid
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(point.x, point.y)
    return float(lon), float(lat)


@dataclass(frozen=True)
class GreenStates:
    """The green layer and its levelled parks before and after the footprint takes its part."""

    before: gpd.GeoDataFrame
    after: gpd.GeoDataFrame
    parks_before: gpd.GeoDataFrame
    parks_after: gpd.GeoDataFrame

    @classmethod
    def build(cls, placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame],
              standards: Standards) -> GreenStates | None:
        if "green_space" not in layers:
            return None
        before = layers["green_space"]
        parks = green.public_parks(before)
        return cls(before, green.remove_footprint(before, placement.footprint), _with_levels(parks, standards),
                   _with_levels(green.cut_parks(parks, placement.footprint), standards))


def _with_levels(parks: gpd.GeoDataFrame, standards: Standards) -> gpd.GeoDataFrame:
    public = standards.green.public
    return parks.assign(level=green.park_levels(
        parks["area_m2"], parks["width_m"], min_area_m2={k: r.park_min_hm2 * 1e4 for k, r in public.items()},
        min_width_m={k: r.park_min_width_m for k, r in public.items()}))
