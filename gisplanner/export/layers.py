"""The layers of a district plan, joined and filtered once for every export format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisplanner.analysis.checks import VERDICTS
from gisplanner.analysis.lifecircle import SERVICE_GAP
from gisplanner.errors import InputError
from gisplanner.labels import codes
from gisplanner.standards import ChecksTable

OSM_ATTRIBUTION = "© OpenStreetMap contributors"

#: Chinese words (from the label table) and map colours of the placement verdicts
#: (gisplanner.analysis.checks.VERDICTS).
VERDICT_ZH = codes("verdict")
VERDICT_COLOURS = {"pass": "#1a9850", "not_applicable": "#bdbdbd", "not_checked": "#9e9e9e", "warn": "#f39c12",
                   "consult": "#e67e22", "fail": "#d73027"}
OVERALL_ZH = codes("overall")

#: Classes of sill samples and their colours: a before/after run's ``status``
#: (gisplanner.analysis.sunlight.STATUSES), else whether the sill ``passes`` the standard.
SUN_STATUS = {"newly_failing": "窗台新增不满足日照", "reduced": "窗台日照减少",
              "exempt": "窗台日照减少（加装电梯豁免）", "unaffected": "窗台日照不受影响"}
SILL_COLOURS = {"窗台新增不满足日照": "#d73027", "窗台日照减少": "#fdae61", "窗台日照减少（加装电梯豁免）": "#9e9e9e",
                "窗台日照不受影响": "#4575b4", "窗台不满足日照": "#d73027", "窗台满足日照": "#4575b4",
                "日照采样点": "#fd8d3c"}


def sill_labels(sills: pd.DataFrame) -> pd.Series:
    """The class of each sill sample, one of :data:`SILL_COLOURS`, aligned to ``sills``."""
    if "status" in sills.columns:
        return sills["status"].astype(str).map(SUN_STATUS).fillna("日照采样点")
    if "passes" in sills.columns:
        passes = sills["passes"].fillna(False).astype(bool)
        return pd.Series(np.where(passes, "窗台满足日照", "窗台不满足日照"), index=sills.index)
    return pd.Series("日照采样点", index=sills.index)


#: Sill classes that need a reviewer's eye; the others (unaffected, passing) stay off the web map.
SILLS_OF_CONCERN = ("窗台新增不满足日照", "窗台日照减少", "窗台日照减少（加装电梯豁免）", "窗台不满足日照")


def sills_by_building(sills: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sill samples summed up per building, as a map at sheet or city scale shows them.

    Parameters
    ----------
    sills
        Sill points (``building_id``, ``hours``, and ``status`` or ``passes``).
    buildings
        Building footprints (``feature_id``); a building missing here is drawn at the mean of its sills.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per building: ``building_id``, ``label`` (the worst sill class, :data:`SILL_COLOURS` order),
        ``n_sills``, ``n_worst`` (sills of that class), ``min_hours`` (h), and the footprint (or a point).
    """
    if sills.empty:
        return gpd.GeoDataFrame({"building_id": pd.Series(dtype=str), "label": pd.Series(dtype=str),
                                 "n_sills": pd.Series(dtype=int), "n_worst": pd.Series(dtype=int),
                                 "min_hours": pd.Series(dtype=float)}, geometry=gpd.GeoSeries([], crs=sills.crs),
                                crs=sills.crs)
    severity = {label: i for i, label in enumerate(SILL_COLOURS)}
    ids = sills["building_id"].astype(str) if "building_id" in sills.columns else pd.Series(
        sills.index.astype(str), index=sills.index)
    frame = pd.DataFrame({"building_id": ids.to_numpy(), "rank": sill_labels(sills).map(severity).to_numpy(),
                          "hours": pd.to_numeric(sills.get("hours", np.nan), errors="coerce"),
                          "x": sills.geometry.x.to_numpy(), "y": sills.geometry.y.to_numpy()})
    grouped = frame.groupby("building_id", sort=True)
    worst = grouped["rank"].min()
    n_worst = frame[frame["rank"].to_numpy() == worst.reindex(frame["building_id"]).to_numpy()].groupby(
        "building_id").size()
    labels = np.array(list(SILL_COLOURS))[worst.to_numpy()]
    geometry = gpd.GeoSeries.from_xy(grouped["x"].mean(), grouped["y"].mean(), crs=sills.crs).to_numpy()
    if len(buildings) and "feature_id" in buildings.columns:
        footprints = buildings.set_index(buildings["feature_id"].astype(str)).geometry
        footprints = footprints[~footprints.index.duplicated()]
        found = footprints.reindex(worst.index)
        geometry = np.where(found.notna().to_numpy(), found.to_numpy(), geometry)
    return gpd.GeoDataFrame({"building_id": worst.index.to_numpy(), "label": labels,
                             "n_sills": grouped.size().to_numpy(), "n_worst": n_worst.reindex(worst.index).to_numpy(),
                             "min_hours": grouped["hours"].min().to_numpy()},
                            geometry=list(geometry), crs=sills.crs)


def feature_names(features: pd.DataFrame, id_column: str = "feature_id", unnamed: str = "未命名小区") -> pd.Series:
    """The name a reader sees for each feature: its ``name``, else ``unnamed``（its id）, or the id alone when
    ``unnamed`` is empty.

    An unnamed feature (common in OSM: the name is missing, empty or NA) is still one a reviewer must find, so
    it is named by its id.
    """
    ids = features[id_column].astype(str)
    names = features["name"].astype("string").str.strip().replace("", pd.NA) if "name" in features \
        else pd.Series(pd.NA, index=features.index, dtype="string")
    return names.fillna(f"{unnamed}（" + ids + "）" if unnamed else ids).astype(object)


#: Columns of the proposed-facility layer besides the ``check_<name>`` verdict columns.
PROPOSED_COLUMNS = ("facility_id", "facility_type", "name", "intervention", "site", "site_name", "footprint_used",
                    "overall", "needs_consultation", "basis", "shadow")


def _empty(columns: Sequence[str], crs: CRS | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=gpd.GeoSeries([], crs=crs),
                            crs=crs)


@dataclass(frozen=True)
class PlanLayers:
    """Everything an export writes, in the project's metric CRS; absent results are empty frames.

    Attributes
    ----------
    crs
        The project's metric CRS (metres).
    title
        Plan title shown on sheets, the web map and the summary.
    districts
        District outlines: ``district_id``, ``name``, statistics columns.
    communities
        Member communities (all communities when there are no districts) with the canonical columns plus
        ``district_id`` and ``district_name`` (NA outside every district).
    gaps
        One row per community and missing facility type at a level, with the community geometry and
        ``community_name``, ``district_id``.
    service_areas, resources, candidate_sites, sunlight
        Result layers as the engines wrote them (``sunlight``: sill points with their hours).
    sunlight_buildings
        ``sunlight`` summed up per building (:func:`sills_by_building`), made from it when not given; what the
        sheets and the web map draw.
    proposed
        Placed facilities: ``facility_id``, ``facility_type``, ``name``, ``needs_consultation`` and one
        ``check_<name>`` column per verdict.
    facilities, green_space
        Existing facilities and green space, drawn for context.
    roads, buildings, admin
        Context under the plan: the walking network (``highway``, ``name``), building footprints and the
        街道/社区 boundaries (``name``, ``admin_level``). Never cut to a district: a sheet shows what its frame
        shows.
    outside
        Communities in no district (not eligible or not bundled), drawn for context.
    facility_zh, level_zh, renovation_class
        Chinese names of facility types and levels, and the renovation class (基础类/完善类/提升类) of each
        facility type, from the project's standards.
    attribution
        Data attribution to print, e.g. "© OpenStreetMap contributors"; None when no source needs one.
    district
        The selected district id, or None for the whole plan.
    checks
        The placement checks of the standards (``checks.yaml``), which name the verdict columns.
    city_zh
        The plan's 地级以上城市, as the plan table names it (e.g. 哈尔滨市).
    sources
        Source id -> title (sources.yaml), to name the documents a verdict rests on.
    title_block
        The sheets' title block from the project settings: ``project_name`` (项目名称), ``organisation``
        (编制单位), ``reviewer`` (审核), ``checker`` (校对); absent entries print as blanks to fill in by hand.
    """

    crs: CRS
    title: str
    districts: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    resources: gpd.GeoDataFrame
    candidate_sites: gpd.GeoDataFrame
    proposed: gpd.GeoDataFrame
    sunlight: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    green_space: gpd.GeoDataFrame
    outside: gpd.GeoDataFrame
    facility_zh: Mapping[str, str] = field(default_factory=dict)
    level_zh: Mapping[str, str] = field(default_factory=dict)
    renovation_class: Mapping[str, str] = field(default_factory=dict)
    attribution: str | None = None
    district: str | None = None
    checks: ChecksTable | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    city_zh: str = "本市"
    roads: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["highway", "name"], None))
    buildings: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["feature_id"], None))
    admin: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["name", "admin_level"], None))
    title_block: Mapping[str, str] = field(default_factory=dict)
    sunlight_buildings: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        # made once for every sheet and the web map: a city has millions of sills, and each map draws buildings
        if self.sunlight_buildings is None:
            object.__setattr__(self, "sunlight_buildings", sills_by_building(self.sunlight, self.buildings))

    def check_label(self, column: str) -> str:
        """Chinese name of a ``check_<key>`` column of :attr:`proposed`."""
        key = column.removeprefix("check_")
        return self.checks.title(key, self.level_zh) if self.checks is not None else key

    @property
    def check_columns(self) -> list[str]:
        """The verdict columns of ``proposed``, in placement order."""
        return [c for c in self.proposed.columns if c.startswith("check_")]

    @property
    def chosen_sites(self) -> gpd.GeoDataFrame:
        """Candidate sites the site search picked (``rank`` set); all of them when there is no rank."""
        cs = self.candidate_sites
        return cs[cs["rank"].notna()] if "rank" in cs.columns else cs

    @property
    def district_label(self) -> str:
        """Name of the selected district, or 全部片区 for the whole plan."""
        if self.district is None:
            return "全部片区"
        names = self.districts["name"].astype(str).tolist()
        return names[0] if names else str(self.district)


def display_value(value: object) -> str:
    """A value as plain text for a reviewer: thousands separators, at most two decimals, 是/否, — for missing.

    >>> display_value(1350.5), display_value(4.0), display_value(True), display_value(None), display_value("a")
    ('1,350.50', '4', '是', '—', 'a')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if not np.isfinite(value):
            return "∞"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def worst_verdict(verdicts: Iterable[object]) -> str:
    """The worst of some placement verdicts, in the order of ``placement.VERDICTS``; ``pass`` when none.

    >>> worst_verdict(["pass", "consult", "warn"])
    'consult'
    """
    known = [str(v) for v in verdicts if str(v) in VERDICTS]
    return max(known, key=VERDICTS.index) if known else "pass"


#: The message of a stored verdict that came without its basis (a placement made before verdicts carried one).
RECHECK = ("需重新检查：该设施放置时结论未随附依据说明；下列依据为该核查项规则的来源（checks.yaml），"
           "请重新核查以得出说明和下一步")
RECHECK_STEP = "在设施面板中重新核查该设施"


def stored_basis(record: Mapping[str, Any], checks: ChecksTable | None) -> dict[str, dict[str, Any]]:
    """Each verdict's basis as stored with a placed facility; a verdict stored without one (placements from
    before verdicts carried their basis) gets :data:`RECHECK` with the sources of its check's rule in
    ``checks.yaml``, so no export shows a verdict with an empty basis."""
    basis = {str(k): dict(v) for k, v in dict(record.get("basis") or {}).items()}
    entries = checks.entries if checks is not None else {}
    for key in dict(record.get("verdicts") or {}):
        if basis.get(key, {}).get("message") or basis.get(key, {}).get("basis"):
            continue
        # a per-level result (green_public_lc10) cites the check it belongs to (green_public)
        entry = entries.get(key) or next((e for k, e in entries.items() if key.startswith(f"{k}_")), None)
        basis[key] = {"message": RECHECK, "basis": list(entry.source) if entry is not None else [],
                      "next_steps": [RECHECK_STEP]}
    return basis


def _feature_name(layers: Mapping[str, gpd.GeoDataFrame], site: object) -> str:
    """The ``name`` of the feature a ``LAYER:ID`` site reference points to, or ""."""
    layer, _, feature = str(site or "").partition(":")
    frame = layers.get(layer)
    if frame is None or "name" not in frame.columns or "feature_id" not in frame.columns:
        return ""
    names = frame.loc[frame["feature_id"].astype(str) == feature, "name"].dropna()
    return str(names.iloc[0]).strip() if len(names) else ""


def proposed_frame(placed: Sequence[Mapping[str, Any]], crs: CRS,
                   layers: Mapping[str, gpd.GeoDataFrame] | None = None,
                   checks: ChecksTable | None = None) -> gpd.GeoDataFrame:
    """Turn the project's placed facilities into a layer with one verdict column per check.

    Parameters
    ----------
    placed
        Records of ``PlacementReport.placed_facility()``: ``facility_id``, ``facility_type``, ``name``,
        ``intervention``, ``site``, ``footprint`` (WKT, metric CRS), ``overall``, ``needs_consultation`` and
        ``verdicts`` (check key -> verdict), ``basis`` (check key -> message, source refs, next steps) and
        ``shadow`` (WKT of the area it shades over the standard day, or None).
    crs
        The project's metric CRS.
    layers
        The project's layers by role, to name each ``LAYER:ID`` site (``site_name``: the feature's ``name``,
        empty when the layer, the feature or its name is missing).
    checks
        The placement checks of the standards: the rule sources a verdict stored without its basis cites
        (:func:`stored_basis`).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`PROPOSED_COLUMNS` and ``check_<key>``.
    """
    rows = []
    for i, item in enumerate(placed, start=1):
        facility_id = str(item.get("facility_id") or f"P{i}")
        try:
            geom = shapely.from_wkt(item["footprint"])
        except (KeyError, TypeError, shapely.errors.GEOSException) as exc:
            raise InputError(f"拟建设施的轮廓无法读取（{exc}）", layer="placed_facilities", feature=facility_id,
                             fix="重新放置该设施，或从项目中删除它") from exc
        row = {"facility_id": facility_id, "facility_type": str(item.get("facility_type", "")),
               "name": str(item.get("name") or ""), "intervention": str(item.get("intervention") or ""),
               "site": str(item.get("site") or ""), "site_name": _feature_name(layers or {}, item.get("site")),
               # how the building placed on a parcel was sized and where (empty for a site's own outline)
               "footprint_used": str(item.get("footprint_used") or ""),
               "overall": str(item.get("overall") or ""),
               "needs_consultation": bool(item.get("needs_consultation", False)),
               # JSON text, so every export format can carry it: check key -> message, basis, next steps
               "basis": json.dumps(stored_basis(item, checks), ensure_ascii=False),
               "shadow": str(item.get("shadow") or ""), "geometry": geom}
        row.update({f"check_{k}": str(v) for k, v in dict(item.get("verdicts") or {}).items()})
        rows.append(row)
    if not rows:
        return _empty(PROPOSED_COLUMNS, crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def plan_layers(*, crs: CRS | str, communities: gpd.GeoDataFrame, title: str = "老旧小区改造片区规划",
                districts: gpd.GeoDataFrame | None = None, members: pd.DataFrame | None = None,
                gaps: pd.DataFrame | None = None, service_areas: gpd.GeoDataFrame | None = None,
                resources: pd.DataFrame | None = None,
                resource_layers: Mapping[str, gpd.GeoDataFrame] | None = None, candidate_sites: gpd.GeoDataFrame | None = None,
                placed: Sequence[Mapping[str, Any]] = (), sunlight: gpd.GeoDataFrame | None = None,
                facilities: gpd.GeoDataFrame | None = None, green_space: gpd.GeoDataFrame | None = None,
                facility_zh: Mapping[str, str] | None = None, level_zh: Mapping[str, str] | None = None,
                renovation_class: Mapping[str, str] | None = None,
                attribution: str | None = None, checks: ChecksTable | None = None,
                city_zh: str = "本市", roads: gpd.GeoDataFrame | None = None,
                buildings: gpd.GeoDataFrame | None = None, admin_boundaries: gpd.GeoDataFrame | None = None,
                title_block: Mapping[str, str] | None = None) -> PlanLayers:
    """Join the project's layers and results into a :class:`PlanLayers`.

    Parameters
    ----------
    crs
        The project's metric CRS; every frame must be in it.
    communities
        The communities layer (canonical columns, ``feature_id``).
    districts, members
        The ``districts`` and ``district_members`` results; without them every community is in the plan.
    gaps
        The ``gaps`` result (``community_id``, ``facility_type``, ``level``, ``distance_m``, ``shortfall_m``,
        ``population``, ``population_estimated``).
    service_areas, candidate_sites, sunlight
        The ``service_areas``, ``candidate_sites`` and ``sill_points`` results.
    resources, resource_layers
        The ``district_resources`` table (``district_id``, ``layer``, ``resource_id``, ...) and the layers it
        refers to by role, which give each resource its geometry.
    placed
        The project's placed facilities, see :func:`proposed_frame`.
    facilities, green_space
        Context layers.
    facility_zh, level_zh, renovation_class
        Names and classes from the standards.
    attribution
        Attribution of the data sources shown, or None.
    checks
        The placement checks of the standards, for the Chinese names of the verdict columns.
    city_zh
        The 地级以上城市 the plan table names.
    roads, buildings, admin_boundaries
        The ``walk_network``, ``buildings`` and ``admin_boundaries`` layers, drawn under the plan.
    title_block
        See :attr:`PlanLayers.title_block`.

    Returns
    -------
    PlanLayers
    """
    crs = CRS.from_user_input(crs)

    def frame(gdf: gpd.GeoDataFrame | None, columns: Sequence[str], name: str) -> gpd.GeoDataFrame:
        if gdf is None or len(gdf) == 0:
            return _empty(columns if gdf is None else [c for c in gdf.columns if c != "geometry"], crs)
        if gdf.crs is None or not CRS.from_user_input(gdf.crs).equals(crs):
            raise InputError(f"图层 {name} 的坐标系是 {gdf.crs}，不是项目的坐标系 {crs.name}", layer=name,
                             fix="通过 gisplanner import 把该图层导入项目，导入时会自动转换坐标")
        return gdf

    communities = frame(communities, ["feature_id", "name"], "communities").copy()
    districts = frame(districts, ["district_id", "name"], "districts")
    if members is not None and len(members) and len(districts):
        member_of = members.drop_duplicates("community_id").set_index("community_id")["district_id"].astype(str)
        names = districts.set_index(districts["district_id"].astype(str))["name"].astype(str)
        communities["district_id"] = communities["feature_id"].astype(str).map(member_of)
        outside = communities[communities["district_id"].isna()].drop(columns="district_id")
        communities = communities[communities["district_id"].notna()].copy()
        communities["district_name"] = communities["district_id"].map(names)
    else:
        outside = communities.iloc[:0]
        communities["district_id"] = pd.Series(pd.NA, index=communities.index, dtype=object)
        communities["district_name"] = pd.Series(pd.NA, index=communities.index, dtype=object)

    gap_columns = ["community_id", "community_name", "district_id", "facility_type", "level", "distance_m",
                   "shortfall_m", "population", "population_estimated", "gap_kind"]
    if gaps is None or len(gaps) == 0:
        gap_frame = _empty(gap_columns, crs)
    else:
        keyed = communities.set_index(communities["feature_id"].astype(str))
        gap_rows = pd.DataFrame(gaps.drop(columns=["geometry"], errors="ignore"))
        gap_rows = gap_rows[gap_rows["community_id"].astype(str).isin(keyed.index)]
        ids = gap_rows["community_id"].astype(str)
        gap_rows = gap_rows.assign(community_name=ids.map(feature_names(keyed)).to_numpy(),
                                   district_id=ids.map(keyed["district_id"]).to_numpy(),
                                   gap_kind=gap_rows.get("gap_kind", SERVICE_GAP))
        gap_frame = gpd.GeoDataFrame(gap_rows, geometry=ids.map(keyed.geometry).to_numpy(), crs=crs)

    return PlanLayers(
        crs=crs, title=title, districts=districts, communities=communities, gaps=gap_frame,
        service_areas=frame(service_areas, ["facility_id", "facility_type", "level"], "service_areas"),
        resources=_resource_frame(resources, resource_layers or {}, crs),
        candidate_sites=frame(candidate_sites, ["name"], "candidate_sites"),
        proposed=proposed_frame(placed, crs, resource_layers, checks),
        sunlight=frame(sunlight, ["hours"], "sill_points"),
        facilities=frame(facilities, ["category", "name"], "facilities"),
        green_space=frame(green_space, ["green_type", "name"], "green_space"), outside=outside,
        facility_zh=dict(facility_zh or {}), level_zh=dict(level_zh or {}),
        renovation_class=dict(renovation_class or {}),
        attribution=attribution,
        checks=checks, city_zh=city_zh,
        roads=frame(roads, ["highway", "name"], "walk_network"),
        buildings=frame(buildings, ["feature_id"], "buildings"),
        admin=frame(admin_boundaries, ["name", "admin_level"], "admin_boundaries"),
        title_block={str(k): str(v) for k, v in (title_block or {}).items()})


def _resource_frame(resources: pd.DataFrame | None, layers: Mapping[str, gpd.GeoDataFrame],
                    crs: CRS) -> gpd.GeoDataFrame:
    """The district resources table with each resource's geometry from its layer."""
    if resources is None or len(resources) == 0:
        return _empty(["district_id", "layer", "resource_id", "name", "area_m2", "status", "distance_m"], crs)
    parts = []
    for role, rows in resources.groupby("layer", sort=True):
        if role not in layers:
            raise InputError(f"片区资源引用了图层 {role!r}，但项目中没有这个图层",
                             layer=str(role), fix="重新导入该图层，或重新运行片区划定")
        geometry = layers[role].set_index(layers[role]["feature_id"].astype(str)).geometry
        parts.append(rows.assign(geometry=rows["resource_id"].astype(str).map(geometry).to_numpy()))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


def select_district(layers: PlanLayers, district_id: str, *, margin_m: float = 200.0) -> PlanLayers:
    """Keep only what belongs to one district.

    Communities, gaps and resources are kept by ``district_id``; proposed facilities when they touch the
    outline (the same rule as the item lists) or their shadow over the standard day falls on one of the
    district's buildings (by ``community_id``, else standing in a member community): a shadow over a courtyard
    or a road inside the outline shades no dwelling; service areas when they touch the outline; candidate sites, sunlight points and context
    layers within ``margin_m`` of it, because a site just outside still serves the district and a building
    just outside is still shaded by its facilities.

    Parameters
    ----------
    layers
        The whole plan.
    district_id
        The ``district_id`` to keep.
    margin_m
        Distance from the outline within which spatial layers are kept, metres.

    Returns
    -------
    PlanLayers
    """
    district_id = str(district_id)
    ids = layers.districts["district_id"].astype(str)
    if not (ids == district_id).any():
        known = ", ".join(ids.tolist()) or "无"
        raise InputError(f"项目中没有片区 {district_id!r}（现有片区：{known}）",
                         layer="districts", feature=district_id,
                         fix="用 `gisplanner info` 列出的片区编号，或先运行片区划定")
    districts = layers.districts[ids == district_id]
    outline = shapely.union_all(districts.geometry.to_numpy())
    zone = shapely.buffer(outline, margin_m)

    def by_id(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if "district_id" not in gdf.columns:
            return near(gdf)
        return gdf[gdf["district_id"].astype(str) == district_id]

    def near(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        # the spatial index is built once per layer and serves every district (a city has millions of sills)
        return gdf.iloc[np.sort(gdf.sindex.query(zone, predicate="intersects"))] if len(gdf) else gdf

    def inside(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return gdf[shapely.intersects(gdf.geometry.to_numpy(), outline)] if len(gdf) else gdf

    members = by_id(layers.communities)

    def shading(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if not len(gdf):
            return gdf
        keep = shapely.intersects(gdf.geometry.to_numpy(), outline)
        homes = district_buildings()
        if "shadow" in gdf.columns and len(homes):
            shadows = shapely.from_wkt(np.array([w if isinstance(w, str) and w else None for w in gdf["shadow"]],
                                                dtype=object))
            keep |= shapely.intersects(shadows, shapely.union_all(homes.geometry.to_numpy()))
        return gdf[keep]

    def district_buildings() -> gpd.GeoDataFrame:
        buildings = layers.buildings
        if not len(buildings) or not len(members):
            return buildings.iloc[:0]
        if "community_id" in buildings.columns:
            return buildings[buildings["community_id"].astype(str).isin(set(members["feature_id"].astype(str)))]
        homes = shapely.union_all(members.geometry.to_numpy())
        return buildings[shapely.within(shapely.point_on_surface(buildings.geometry.to_numpy()), homes)]

    return replace(
        layers, district=district_id, districts=districts, communities=members,
        gaps=by_id(layers.gaps), resources=by_id(layers.resources), service_areas=inside(layers.service_areas),
        candidate_sites=near(layers.candidate_sites), proposed=shading(layers.proposed),
        sunlight=near(layers.sunlight), facilities=near(layers.facilities), green_space=near(layers.green_space),
        outside=near(layers.outside), sunlight_buildings=near(layers.sunlight_buildings))


#: The spatial layers of :class:`PlanLayers`.
SPATIAL_FIELDS = ("districts", "communities", "gaps", "service_areas", "resources", "candidate_sites", "proposed",
                  "sunlight", "facilities", "green_space", "outside", "roads", "buildings", "admin",
                  "sunlight_buildings")


def to_crs(layers: PlanLayers, crs: CRS | str) -> PlanLayers:
    """The same plan with every layer reprojected to ``crs`` (e.g. the CGCS2000 zone a sheet is printed in)."""
    crs = CRS.from_user_input(crs)
    if crs.equals(layers.crs):
        return layers
    moved = {name: getattr(layers, name).to_crs(crs) if len(getattr(layers, name))
             else getattr(layers, name).set_crs(crs, allow_override=True) for name in SPATIAL_FIELDS}
    return replace(layers, crs=crs, **moved)


def plan_bounds(layers: PlanLayers) -> np.ndarray:
    """Bounds ``(minx, miny, maxx, maxy)`` of the plan's districts, communities and proposed sites, metres."""
    parts = [g.geometry.to_numpy() for g in (layers.districts, layers.communities, layers.proposed) if len(g)]
    if not parts:
        raise InputError("方案中没有可制图的小区、片区或拟建设施",
                         layer="communities", fix="先导入小区图层，或运行片区划定")
    return shapely.total_bounds(np.concatenate(parts))
