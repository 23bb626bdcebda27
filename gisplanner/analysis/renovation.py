"""Renovation content per province and per community (一区一策): which items of the province's catalogue each
community needs, why, and how much of each.

The catalogues (resources/standards/renovation.yaml ``catalogues``) list each document's items by class in its
own words: the national list of 国办发〔2020〕23号, Heilongjiang's, Zhejiang's and Qinghai's; the project's city
chooses one through ``provinces``. Each item has one rule (``item_rules``): a condition field of the community
(true: needed, false: not needed, empty: 待核实), the elevator rule (a residential building of ≥ 4 floors without
an elevator), or a life-circle gap of a facility type. Quantities come from the community's residential
buildings: roof area (footprints), façade area (perimeter × height), stairwells (单元), elevator units, households,
buildings. Costs are priced only from a user's unit-cost table; without one they stay blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.errors import ConfigError, InputError
from gisplanner.labels import codes

CLASS_ZH = {"basic": "基础类", "improve": "完善类", "upgrade": "提升类"}
#: What an item's quantity counts, with its Chinese name (labels.yaml ``cost_unit``, where exports read it too).
UNIT_ZH = dict(codes("cost_unit"))
NEEDED_ZH = {True: "需改造", False: "不需改造", None: "待核实"}
ITEM_COLUMNS = ["community_id", "catalogue", "renovation_class", "class_zh", "item", "item_zh", "needed",
                "needed_zh", "reason", "unit", "unit_zh", "quantity", "quantity_estimated", "basis", "quote"]


@dataclass(frozen=True)
class Item:
    """One renovation item of a catalogue.

    ``condition`` (a community field), ``elevator_min_floors`` or ``gap_types`` says when it is needed;
    ``quotes`` are (document, section, quote) of the sentences listing it.
    """

    key: str
    zh: str
    renovation_class: str
    unit: str
    condition: str | None = None
    elevator_min_floors: int | None = None
    gap_types: tuple[str, ...] = ()
    quotes: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """The items of one document, with the province that uses it (None for the national list)."""

    key: str
    zh: str
    province_zh: str | None
    items: tuple[Item, ...]
    status: str
    source: tuple[str, ...]
    condition_zh: Mapping[str, str]
    unit_length_m: float


def province_for(renovation: Mapping[str, Any], city: str | None) -> tuple[str, Mapping[str, Any]] | None:
    """The ``provinces`` entry (key, entry) whose cities include ``city``, or None."""
    for key, entry in (renovation.get("provinces") or {}).items():
        if city is not None and city in entry.get("cities", []):
            return key, entry
    return None


def load_catalogue(renovation: Mapping[str, Any], quotes: Mapping[str, Any], city: str | None) -> Catalogue:
    """The catalogue of ``city``'s province, else the national one.

    Parameters
    ----------
    renovation
        The raw renovation config (``Standards.raw["renovation"]``).
    quotes
        The quotes of sources.yaml (``Standards.raw["sources"]["quotes"]``).
    city
        The project's city key.

    Raises
    ------
    ConfigError
        An item without a rule, a rule without a known unit, or a quote key not in sources.yaml.
    """
    found = province_for(renovation, city)
    key = found[1].get("catalogue", "national") if found else "national"
    entry = (renovation.get("catalogues") or {}).get(key)
    if entry is None:
        raise ConfigError("no such renovation catalogue", file="renovation.yaml", key="catalogues", value=key)
    rules = (renovation.get("item_rules") or {}).get("rules") or {}
    items = []
    for class_key, block in entry["classes"].items():
        cited = []
        for quote_key in block.get("quotes", []):
            if quote_key not in quotes:
                raise ConfigError("quote not in sources.yaml quotes", file="renovation.yaml",
                                  key=f"catalogues.{key}.classes.{class_key}.quotes", value=quote_key)
            q = quotes[quote_key]
            cited.append((str(q["source"]), str(q["section"]), str(q["quote"])))
        for item_key, zh in block["items"].items():
            rule = rules.get(item_key)
            if rule is None or rule.get("unit") not in UNIT_ZH:
                raise ConfigError("item has no rule with a known unit", file="renovation.yaml",
                                  key=f"item_rules.rules.{item_key}", value=rule)
            items.append(Item(key=str(item_key), zh=str(zh), renovation_class=str(class_key), unit=rule["unit"],
                              condition=rule.get("condition"), elevator_min_floors=rule.get("elevator"),
                              gap_types=tuple(rule.get("gap", ())), quotes=tuple(cited)))
    sizes = renovation.get("quantities") or {}
    return Catalogue(key=key, zh=str(entry["zh"]), province_zh=str(found[1]["zh"]) if found else None,
                     items=tuple(items), status=str(entry["status"]), source=tuple(entry["source"]),
                     condition_zh=dict((renovation.get("conditions") or {}).get("names") or {}),
                     unit_length_m=float(sizes.get("unit_length_m", 13.0)))


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as floats, NaN where missing or unreadable (all NaN without the column)."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy()


def _long_sides(geoms: np.ndarray) -> np.ndarray:
    """The long side of each footprint's minimum rotated rectangle (the longer of its first two edges), m."""
    coords, owner = shapely.get_coordinates(shapely.get_exterior_ring(shapely.oriented_envelope(geoms)),
                                            return_index=True)
    counts = np.bincount(owner, minlength=len(geoms))
    first = np.searchsorted(owner, np.arange(len(geoms)))
    ok = counts >= 3
    long_side = np.zeros(len(geoms))
    if ok.any():
        a, b, c = (coords[first[ok] + k] for k in range(3))
        long_side[ok] = np.maximum(np.hypot(*(b - a).T), np.hypot(*(c - b).T))
    return long_side


def building_quantities(buildings: gpd.GeoDataFrame, *, floor_height_m: float = 3.0,
                        unit_length_m: float = 13.0) -> pd.DataFrame:
    """Roof and façade area and stairwells (单元) of each building.

    Parameters
    ----------
    buildings
        Footprints in a metric CRS with ``floors`` (filled); optional ``height_m``, ``units`` (单元数),
        ``has_elevator`` (bool, NA unknown).
    floor_height_m
        Storey height where ``height_m`` is missing, m.
    unit_length_m
        Building length per stairwell where ``units`` is missing, m (the long side of the footprint's minimum
        rotated rectangle ÷ this, at least 1).

    Returns
    -------
    pandas.DataFrame
        Aligned to ``buildings``: ``roof_m2`` (footprint), ``facade_m2`` (perimeter × height), ``units``,
        ``units_estimated``, ``floors``, ``has_elevator`` (NA unknown).
    """
    geoms = buildings.geometry.values
    floors = _column(buildings, "floors")
    height = _column(buildings, "height_m")
    height = np.where(np.isfinite(height) & (height > 0), height, floors * floor_height_m)
    given_units = _column(buildings, "units")
    units_missing = ~(np.isfinite(given_units) & (given_units > 0))
    units = np.where(units_missing, np.maximum(1, np.round(_long_sides(geoms) / unit_length_m)), given_units)
    elevator = (buildings["has_elevator"].astype("boolean") if "has_elevator" in buildings
                else pd.Series(pd.NA, index=buildings.index, dtype="boolean"))
    return pd.DataFrame({
        "roof_m2": shapely.area(geoms), "facade_m2": shapely.length(shapely.get_exterior_ring(geoms)) * height,
        "units": units, "units_estimated": units_missing, "floors": floors, "has_elevator": elevator.to_numpy()},
        index=buildings.index)


def community_quantities(communities: pd.DataFrame, buildings: gpd.GeoDataFrame | None, catalogue: Catalogue, *,
                         floor_height_m: float = 3.0, elevator_min_floors: int = 4) -> pd.DataFrame:
    """The quantities of each community, indexed by ``feature_id``: one column per unit of :data:`UNIT_ZH`
    (``building``: its residential buildings, or its ``n_buildings`` without a buildings layer),
    ``units_estimated`` (a building's stairwells estimated from its length), ``households_estimated``,
    ``elevator_known`` (every building of ≥
    ``elevator_min_floors`` floors has ``has_elevator`` recorded) and ``tall_buildings``.

    Only residential buildings count (``use`` residential, or every building when there is no ``use``).
    """
    ids = communities["feature_id"].astype(str)
    out = pd.DataFrame(0.0, index=pd.Index(ids, name="community_id"),
                       columns=["roof_m2", "facade_m2", "stairwell", "elevator", "tall_buildings"])
    # Without a buildings layer the community's own count stands; with one, its residential buildings.
    out["building"] = (pd.to_numeric(communities["n_buildings"], errors="coerce").fillna(0.0).to_numpy()
                       if "n_buildings" in communities else 0.0)
    out["units_estimated"] = False
    out["households_estimated"] = False
    out["elevator_known"] = True
    if buildings is not None and len(buildings) and "community_id" in buildings:
        homes = buildings[buildings["use"] == "residential"] if "use" in buildings else buildings
        homes = homes[homes["community_id"].notna()]
        q = building_quantities(homes, floor_height_m=floor_height_m, unit_length_m=catalogue.unit_length_m)
        q["community_id"] = homes["community_id"].astype(str).to_numpy()
        tall = q["floors"] >= elevator_min_floors
        q["tall"] = tall.astype(float)
        q["no_lift_units"] = np.where(tall & (q["has_elevator"] != True), q["units"], 0.0)  # noqa: E712 (NA-safe)
        q["lift_unknown"] = tall & q["has_elevator"].isna()
        g = q.groupby("community_id")
        out["roof_m2"] = g["roof_m2"].sum().reindex(out.index).fillna(0.0)
        out["facade_m2"] = g["facade_m2"].sum().reindex(out.index).fillna(0.0)
        out["stairwell"] = g["units"].sum().reindex(out.index).fillna(0.0)
        out["elevator"] = g["no_lift_units"].sum().reindex(out.index).fillna(0.0)
        out["tall_buildings"] = g["tall"].sum().reindex(out.index).fillna(0.0)
        out["building"] = g.size().reindex(out.index).fillna(0).astype(float)
        out["units_estimated"] = g["units_estimated"].any().reindex(out.index).fillna(False).astype(bool)
        out["elevator_known"] = ~g["lift_unknown"].any().reindex(out.index).fillna(False).astype(bool)
    households = pd.to_numeric(communities["households"], errors="coerce").fillna(0.0).to_numpy()
    out["household"] = np.where(households > 0, np.maximum(1, np.floor(households + 0.5)), 0)
    out["community"] = 1.0
    if "households_estimated" in communities:
        out["households_estimated"] = communities["households_estimated"].astype("boolean").fillna(False).to_numpy(
            dtype=bool)
    return out


def _flag(values: pd.Series) -> list[bool | None]:
    """A condition column as True/False/None (None: unknown)."""
    result: list[bool | None] = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            result.append(None)
        elif isinstance(v, str):
            text = v.strip().casefold()
            result.append(True if text in ("1", "true", "yes", "是", "有", "差") else
                          False if text in ("0", "false", "no", "否", "无", "好") else None)
        else:
            result.append(bool(v))
    return result


def community_items(communities: pd.DataFrame, catalogue: Catalogue, *, buildings: gpd.GeoDataFrame | None = None,
                    gaps: pd.DataFrame | None = None, floor_height_m: float = 3.0) -> pd.DataFrame:
    """Every item of the catalogue for every community: needed or not, why, and its quantity.

    Parameters
    ----------
    communities
        ``feature_id``, ``households``, ``n_buildings`` and any condition fields of the catalogue's rules
        (true/false/empty; 是/否 also read).
    catalogue
        :func:`load_catalogue`.
    buildings
        Buildings with ``community_id``, ``floors``, optional ``use``, ``height_m``, ``units``, ``households``,
        ``has_elevator``; None leaves the area quantities 0 and the elevator item 待核实.
    gaps
        The ``gaps`` result (``community_id``, ``facility_type``); None leaves gap items 待核实.
    floor_height_m
        Storey height for façade area where a building has no height, m.

    Returns
    -------
    pandas.DataFrame
        :data:`ITEM_COLUMNS`: ``needed`` True/False/None (None: 待核实), ``reason`` in Chinese, ``quantity`` in
        ``unit``, ``basis`` (document and section) and ``quote``.
    """
    ids = communities["feature_id"].astype(str).to_numpy()
    quantities = community_quantities(communities, buildings, catalogue, floor_height_m=floor_height_m)
    gap_sets: dict[str, set[str]] | None = None
    if gaps is not None:
        gap_sets = {}
        for cid, ftype in zip(gaps["community_id"].astype(str), gaps["facility_type"].astype(str)):
            gap_sets.setdefault(cid, set()).add(ftype)
    none = np.zeros(len(ids), dtype=bool)
    estimated = {unit: none for unit in UNIT_ZH}
    estimated["stairwell"] = estimated["elevator"] = quantities["units_estimated"].to_numpy(dtype=bool)
    estimated["household"] = quantities["households_estimated"].to_numpy(dtype=bool)
    chunks = []
    for item in catalogue.items:
        if item.condition is not None:
            name = catalogue.condition_zh.get(item.condition, item.condition)
            if item.condition in communities:
                flags = _flag(communities[item.condition])
            else:
                flags = [None] * len(ids)
            reasons = [f"{name}：{'是' if f else '否'}" if f is not None else
                       f"无“{name}”（{item.condition}）数据，待核实" for f in flags]
        elif item.elevator_min_floors is not None:
            flags, reasons = [], []
            floors = item.elevator_min_floors
            for tall, lifts, known in zip(quantities["tall_buildings"].to_numpy(), quantities["elevator"].to_numpy(),
                                          quantities["elevator_known"].to_numpy()):
                if tall == 0:
                    flags.append(False if buildings is not None else None)
                    reasons.append(f"无{floors}层及以上住宅楼" if buildings is not None else "无建筑数据，待核实")
                elif lifts > 0 and known:
                    flags.append(True)
                    reasons.append(f"{int(tall)}栋{floors}层及以上住宅无电梯")
                elif lifts > 0:
                    flags.append(None)
                    reasons.append(f"{int(tall)}栋{floors}层及以上住宅，未记录是否有电梯，待核实")
                else:
                    flags.append(False)
                    reasons.append(f"{floors}层及以上住宅均已有电梯")
        else:
            if gap_sets is None:
                flags = [None] * len(ids)
                reasons = ["未做生活圈分析，待核实"] * len(ids)
            else:
                hits = [sorted(gap_sets.get(cid, set()) & set(item.gap_types)) for cid in ids]
                flags = [bool(h) for h in hits]
                reasons = [f"生活圈缺口：{'、'.join(h)}" if h else "生活圈无此类缺口" for h in hits]
        # one block of rows per item, columns as arrays: a city has thousands of communities
        chunks.append(pd.DataFrame({
            "community_id": ids, "catalogue": catalogue.key, "renovation_class": item.renovation_class,
            "class_zh": CLASS_ZH[item.renovation_class], "item": item.key, "item_zh": item.zh,
            "needed": pd.Series(flags, dtype=object).to_numpy(), "needed_zh": [NEEDED_ZH[f] for f in flags],
            "reason": reasons, "unit": item.unit, "unit_zh": UNIT_ZH[item.unit],
            "quantity": quantities[item.unit].to_numpy(dtype=float), "quantity_estimated": estimated[item.unit],
            "basis": "；".join(f"{doc} {section}" for doc, section, _ in item.quotes),
            "quote": "；".join(f"“{q}”" for _, _, q in item.quotes)}))
    if not chunks:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    return pd.concat(chunks, ignore_index=True)[ITEM_COLUMNS]


def apply_choices(items: pd.DataFrame, choices: Mapping[tuple[str, str], bool] | None = None) -> pd.DataFrame:
    """Add ``selected``: the planner's tick where given ((community_id, item) -> bool), else ``needed is True``."""
    choices = choices or {}
    selected = [choices.get((c, i), n is True) for c, i, n in zip(items["community_id"], items["item"],
                                                                  items["needed"])]
    return items.assign(selected=selected, chosen_by_planner=[(c, i) in choices for c, i in
                                                              zip(items["community_id"], items["item"])])


def check_unit_costs(unit_costs: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """The user's unit-cost table, checked: ``item`` (an item key or its Chinese name), ``unit`` (a key of
    :data:`UNIT_ZH`), ``unit_cost_yuan`` (yuan per unit, ≥ 0), one row per item.

    Raises
    ------
    InputError
        A missing column, an unknown unit, a price that is not a number ≥ 0, an item priced twice; the message
        names the CSV line (the header is line 1).
    """
    missing = {"item", "unit", "unit_cost_yuan"} - set(unit_costs.columns)
    if missing:
        raise InputError(f"单价表缺少列：{'、'.join(sorted(missing))}", file=file,
                         fix="CSV 表头须为 item,unit,unit_cost_yuan")
    bad = ~unit_costs["unit"].isin(list(UNIT_ZH)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"未知的计价单位“{unit_costs['unit'].iloc[row]}”", file=file, feature=f"第 {row + 2} 行",
                         fix="使用其中之一：" + "、".join(f"{k}（{v}）" for k, v in UNIT_ZH.items()))
    price = pd.to_numeric(unit_costs["unit_cost_yuan"], errors="coerce")
    wrong = (price.isna() | (price < 0)).to_numpy()
    if wrong.any():
        raise InputError("单价须为不小于 0 的数", file=file,
                         feature=f"第 {int(np.flatnonzero(wrong)[0]) + 2} 行", fix="填写每单位的单价（元）")
    if unit_costs["item"].duplicated().any():
        item = unit_costs["item"][unit_costs["item"].duplicated()].iloc[0]
        raise InputError(f"项目“{item}”计价两次", file=file, fix="每个项目只保留一行")
    return unit_costs.assign(item=unit_costs["item"].astype(str), unit_cost_yuan=price.astype(float))[
        ["item", "unit", "unit_cost_yuan"]].reset_index(drop=True)


def price_items(items: pd.DataFrame, unit_costs: pd.DataFrame | None, *, file: str | None = None) -> pd.DataFrame:
    """Add ``unit_cost_yuan`` and ``cost_yuan`` (= quantity × unit cost, yuan) from the user's table.

    ``unit_costs`` is checked by :func:`check_unit_costs`. Items without a price, and every item when
    ``unit_costs`` is None, keep both blank: the tool holds no costs of its own.

    Raises
    ------
    InputError
        A bad unit-cost table, or a priced item whose unit differs from the item's own unit.
    """
    out = items.copy()
    out["unit_cost_yuan"] = np.nan
    if unit_costs is not None and len(unit_costs):
        table = check_unit_costs(unit_costs, file=file)
        price = dict(zip(table["item"], table["unit_cost_yuan"]))
        unit = dict(zip(table["item"], table["unit"]))
        # a row names the item by its key or by its Chinese name
        named = out["item"].astype(str).where(out["item"].astype(str).isin(price.keys()), out["item_zh"].astype(str))
        priced_unit = named.map(unit)
        wrong = priced_unit.notna() & (priced_unit != out["unit"])
        if wrong.any():
            row = out[wrong].iloc[0]
            given = priced_unit[wrong].iloc[0]
            raise InputError(f"单价表中“{row['item_zh']}”的单位为 {given}，而该项按 {row['unit']}（{UNIT_ZH[row['unit']]}）计量",
                             file=file, fix=f"把该行的 unit 改为 {row['unit']}")
        out["unit_cost_yuan"] = named.map(price).astype(float)
    out["cost_yuan"] = out["quantity"] * out["unit_cost_yuan"]
    return out


def community_costs(items: pd.DataFrame) -> pd.DataFrame:
    """The cost of each community's selected items (:func:`price_items` after :func:`apply_choices`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``community_id``: ``cost_yuan`` (yuan: the sum of its selected priced items; blank, never 0,
        when none of its selected items has a price, or nothing is selected: an unknown cost must not read as
        free works), ``n_selected`` and ``n_unpriced`` (selected items without a price, left out of the sum).
    """
    chosen = items[items["selected"].astype(bool)]
    ids = pd.Index(pd.unique(items["community_id"].astype(str)), name="community_id")
    group = chosen.groupby(chosen["community_id"].astype(str))
    n_selected = group.size().reindex(ids, fill_value=0)
    n_priced = group["cost_yuan"].count().reindex(ids, fill_value=0)
    cost = group["cost_yuan"].sum(min_count=1).reindex(ids).astype(float)
    return pd.DataFrame({"cost_yuan": cost, "n_selected": n_selected.astype(np.int64),
                         "n_unpriced": (n_selected - n_priced).astype(np.int64)})


#: How a building's dwellings were counted, best first (:func:`building_dwellings`).
DWELLING_METHODS = {"households": "建筑户数字段", "units": "单元数×层数×每单元每层户数",
                    "community": "小区户数按建筑面积分摊到楼栋", "frontage": "按每户面宽估算（工具默认值）"}


def building_dwellings(buildings: gpd.GeoDataFrame, communities: pd.DataFrame | None = None, *,
                       unit_length_m: float = 13.0, households_per_unit_floor: float = 2.0) -> pd.DataFrame:
    """Dwellings (户) of each building, from the best data there is.

    In order: the building's ``households`` (户数); its ``units`` (单元数) × floors × ``households_per_unit_floor``;
    its community's ``households`` shared among the community's residential buildings by floor area
    (footprint × floors); and only where none of these exists, one dwelling per ``unit_length_m /
    households_per_unit_floor`` m of the footprint's long side on every floor (the tool default: 6.5 m).

    Parameters
    ----------
    buildings
        Footprints in a metric CRS with ``floors``; optional ``households``, ``units``, ``community_id``, ``use``.
    communities
        ``feature_id`` and ``households`` of the communities the buildings belong to; None skips that step.
    unit_length_m, households_per_unit_floor
        Building length per stairwell (m) and dwellings per stairwell and floor.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``buildings``: ``dwellings`` (float), ``per_floor`` (dwellings ÷ floors), ``long_side_m`` (m),
        ``method`` (a key of :data:`DWELLING_METHODS`).
    """
    geoms = buildings.geometry.values
    floors = np.maximum(pd.to_numeric(buildings["floors"], errors="coerce").astype(float).fillna(1.0).to_numpy(), 1)
    long_side = _long_sides(geoms)
    n = len(buildings)
    dwellings = np.full(n, np.nan)
    method = np.full(n, "frontage", dtype=object)

    def take(values: np.ndarray, name: str) -> None:
        usable = np.isnan(dwellings) & np.isfinite(values) & (values > 0)
        dwellings[usable] = values[usable]
        method[usable] = name

    take(_column(buildings, "households"), "households")
    take(_column(buildings, "units") * floors * households_per_unit_floor, "units")
    if communities is not None and "households" in communities and "community_id" in buildings:
        homes = (buildings["use"] == "residential").to_numpy() if "use" in buildings else np.ones(n, bool)
        owner = buildings["community_id"].astype("string").to_numpy()
        homes = homes & ~pd.isna(owner)
        area = np.where(homes, shapely.area(geoms) * floors, 0.0)
        total = pd.Series(area).groupby(owner, dropna=True).sum().reindex(owner).to_numpy(float)
        households = pd.Series(pd.to_numeric(communities["households"], errors="coerce").to_numpy(float),
                               index=communities["feature_id"].astype(str).to_numpy())
        share = np.divide(area, total, out=np.full(n, np.nan), where=homes & (total > 0))
        take(share * households.reindex(owner).to_numpy(float), "community")
    fallback = np.isnan(dwellings)
    dwellings[fallback] = (np.maximum(1, np.round(long_side[fallback] / unit_length_m))
                           * floors[fallback] * households_per_unit_floor)
    return pd.DataFrame({"dwellings": dwellings, "per_floor": dwellings / floors, "long_side_m": long_side,
                         "method": method}, index=buildings.index)


def affected_dwellings(sills: pd.DataFrame, buildings: gpd.GeoDataFrame, communities: pd.DataFrame | None = None,
                       *, spacing_m: float, unit_length_m: float = 13.0,
                       households_per_unit_floor: float = 2.0) -> tuple[int, tuple[str, ...]]:
    """Dwellings (户) behind some affected window sills, and how they were counted.

    The sills of one building and floor stand every ``spacing_m`` along its walls; the building's dwellings of
    one floor (:func:`building_dwellings`) share its long side, so each has ``long side ÷ dwellings per floor``
    of frontage. A floor's affected dwellings are ``ceil(affected sills × spacing_m ÷ frontage)``, at most the
    dwellings of that floor.

    Parameters
    ----------
    sills
        The affected sills: ``building_id`` (the buildings' ``feature_id``) and ``floor``.
    buildings
        The buildings the sills belong to (``feature_id``, ``floors``; optional ``units``, ``households``,
        ``community_id``, ``use``).
    communities
        ``feature_id`` and ``households`` (see :func:`building_dwellings`), or None.
    spacing_m
        Distance between sills along a wall, m (the sunlight calculation's sample spacing).

    Returns
    -------
    (int, tuple of str)
        The dwellings, and the :data:`DWELLING_METHODS` keys used for the buildings involved (only
        ``households`` means a count from recorded 户数; any other is an estimate).
    """
    if not len(sills):
        return 0, ()
    ids = buildings["feature_id"].astype(str)
    involved = set(sills["building_id"].astype(str))
    # Every building of an involved community, so its households are shared over all of them.
    if "community_id" in buildings:
        owners = set(buildings.loc[ids.isin(involved), "community_id"].dropna().astype(str))
        scope = buildings[ids.isin(involved) | buildings["community_id"].astype("string").isin(owners).fillna(False)]
    else:
        scope = buildings[ids.isin(involved)]
    q = building_dwellings(scope, communities, unit_length_m=unit_length_m,
                           households_per_unit_floor=households_per_unit_floor)
    q.index = scope["feature_id"].astype(str).to_numpy()
    q = q.loc[q.index.isin(involved)]
    counts = sills.groupby([sills["building_id"].astype(str), sills["floor"]]).size()
    per_floor = q["per_floor"].reindex(counts.index.get_level_values(0)).to_numpy()
    frontage = q["long_side_m"].reindex(counts.index.get_level_values(0)).to_numpy() / per_floor
    cap = np.maximum(np.round(per_floor), 1)
    dwellings = np.minimum(np.ceil(counts.to_numpy() * spacing_m / frontage - 1e-9), cap)
    return int(dwellings.sum()), tuple(m for m in DWELLING_METHODS if m in set(q["method"]))
