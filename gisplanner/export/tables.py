"""Plan tables for joint review: the national plan table, item lists, the gap list and facility checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gisplanner.errors import InputError
from gisplanner.export.layers import PlanLayers

AREA_ROWS = {"city": "城市（建成区）", "county": "县城（城关镇）"}
TOTAL = "合计"
PERIODS = ("2000年底前", "2000年底后", TOTAL)
METRICS = ("小区数", "居民户数", "楼栋数", "住宅建筑面积（万平方米）", "预计投资额（万元）")
INVESTMENT = METRICS[-1]
#: What a unit cost is counted per: the community column it multiplies (None: once per community).
COST_BASES = {"floor_area_m2": "平方米住宅建筑面积", "households": "户", "n_buildings": "栋", "community": "个小区"}
UNIT_COST_COLUMNS = ("item", "renovation_class", "basis", "yuan_per_unit")
NO_COSTS_NOTE = "预计投资额：未提供单价表（造价指标），留空；本工具不内置任何造价。"


@dataclass(frozen=True)
class PlanTable:
    """The plan table and the notes printed under it.

    Attributes
    ----------
    table
        Rows 城市（建成区）/ 县城（城关镇）/ 合计; columns a MultiIndex (metric, period) over :data:`METRICS`
        and :data:`PERIODS`. Floor area in 万平方米, investment in 万元 (NaN without a unit-cost table).
    notes
        Sentences on what the numbers leave out.
    """

    table: pd.DataFrame
    notes: tuple[str, ...]


def validate_unit_costs(unit_costs: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a user-supplied unit-cost table and return it with clean dtypes.

    Parameters
    ----------
    unit_costs
        Columns ``item`` (str), ``renovation_class`` (基础类/完善类/提升类), ``basis`` (one of
        :data:`COST_BASES`) and ``yuan_per_unit`` (yuan per m² of floor area, per household, per building or
        per community).
    file
        Where the table came from, for error messages.

    Returns
    -------
    pandas.DataFrame
    """
    missing = [c for c in UNIT_COST_COLUMNS if c not in unit_costs.columns]
    if missing:
        raise InputError(f"unit-cost table lacks columns {missing}", file=file,
                         fix=f"give the columns {', '.join(UNIT_COST_COLUMNS)}")
    costs = unit_costs.loc[:, list(UNIT_COST_COLUMNS)].copy()
    bad_basis = ~costs["basis"].isin(list(COST_BASES))
    if bad_basis.any():
        raise InputError(f"unknown basis {costs.loc[bad_basis, 'basis'].iloc[0]!r}", file=file,
                         feature=costs.loc[bad_basis, "item"].iloc[0], fix=f"use one of {', '.join(COST_BASES)}")
    costs["yuan_per_unit"] = pd.to_numeric(costs["yuan_per_unit"], errors="coerce")
    bad_cost = costs["yuan_per_unit"].isna() | (costs["yuan_per_unit"] < 0)
    if bad_cost.any():
        raise InputError("unit cost is not a number ≥ 0", file=file, feature=costs.loc[bad_cost, "item"].iloc[0],
                         fix="write the cost in yuan per unit, e.g. 350")
    return costs


def _basis_quantity(communities: pd.DataFrame, basis: str) -> np.ndarray:
    if basis == "community":
        return np.ones(len(communities))
    return pd.to_numeric(communities[basis], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def community_investment(communities: pd.DataFrame, unit_costs: pd.DataFrame) -> pd.Series:
    """Estimated investment of each community, 万元: Σ over cost items of unit cost × the community's basis.

    Parameters
    ----------
    communities
        Canonical community columns (``floor_area_m2``, ``households``, ``n_buildings``).
    unit_costs
        A table accepted by :func:`validate_unit_costs`.

    Returns
    -------
    pandas.Series
        Aligned to ``communities.index``.
    """
    costs = validate_unit_costs(unit_costs)
    total = np.zeros(len(communities))
    for basis, yuan in costs.groupby("basis")["yuan_per_unit"].sum().items():
        total += _basis_quantity(communities, str(basis)) * yuan
    return pd.Series(total / 1e4, index=communities.index)


def plan_table(communities: pd.DataFrame, *, unit_costs: pd.DataFrame | None = None,
               cutoff_year: int = 2000) -> PlanTable:
    """The plan table in the shape of the 2022 national renovation plan table.

    Parameters
    ----------
    communities
        The communities in the plan: ``area_type`` (city/county), ``built_year`` (NA allowed), ``households``,
        ``n_buildings``, ``floor_area_m2`` (m²).
    unit_costs
        Optional unit-cost table (:func:`validate_unit_costs`); without it investment stays blank.
    cutoff_year
        Communities built in or before this year count as 2000年底前.

    Returns
    -------
    PlanTable
        Communities of unknown year count in the 合计 columns only, and a note says how many.
    """
    bad = ~communities["area_type"].isin(list(AREA_ROWS))
    if bad.any():
        feature = communities.loc[bad, "feature_id"].iloc[0] if "feature_id" in communities else None
        raise InputError(f"area_type {communities.loc[bad, 'area_type'].iloc[0]!r} is neither city nor county",
                         layer="communities", feature=feature,
                         fix="set area_type to city (城市建成区) or county (县城) in the field mapping")
    year = pd.to_numeric(communities["built_year"], errors="coerce").astype(float)
    period = pd.Series(np.where(year <= cutoff_year, PERIODS[0], PERIODS[1]), index=communities.index)
    period[year.isna()] = None
    values = pd.DataFrame({
        METRICS[0]: 1.0,
        METRICS[1]: pd.to_numeric(communities["households"], errors="coerce").fillna(0.0),
        METRICS[2]: pd.to_numeric(communities["n_buildings"], errors="coerce").fillna(0.0),
        METRICS[3]: pd.to_numeric(communities["floor_area_m2"], errors="coerce").fillna(0.0) / 1e4,
        INVESTMENT: (community_investment(communities, unit_costs) if unit_costs is not None
                     else pd.Series(np.nan, index=communities.index)),
    }, index=communities.index)

    table = pd.DataFrame(0.0, index=[*AREA_ROWS.values(), TOTAL],
                         columns=pd.MultiIndex.from_product([METRICS, PERIODS]))
    for area_key, row in AREA_ROWS.items():
        in_area = communities["area_type"] == area_key
        for name in PERIODS[:2]:
            table.loc[row, (slice(None), name)] = values[in_area & (period == name)].sum().to_numpy()
        table.loc[row, (slice(None), TOTAL)] = values[in_area].sum().to_numpy()
    table.loc[TOTAL] = table.loc[list(AREA_ROWS.values())].sum()

    notes = [f"2000年底前：建成年代不晚于{cutoff_year}年。"]
    if unit_costs is None:
        table.loc[:, INVESTMENT] = np.nan
        notes.append(NO_COSTS_NOTE)
    else:
        notes.append("预计投资额 = Σ 单价 × 小区工程量（建筑面积、户数、楼栋数或小区数），据用户提供的单价表。")
    n_unknown = int(year.isna().sum())
    if n_unknown:
        notes.append(f"{n_unknown} 个小区建成年代不详，只计入“合计”列。")
    return PlanTable(table=table, notes=tuple(notes))


def district_items(layers: PlanLayers, *, unit_costs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Renovation items of each district by class: filled gaps, proposed facilities and costed works.

    Parameters
    ----------
    layers
        The plan.
    unit_costs
        Optional unit-cost table; each of its items applies to every member community.

    Returns
    -------
    pandas.DataFrame
        Columns 片区编号, 片区名称, 改造类别, 改造内容, 来源, 涉及小区, 工程量, 单位, 预计投资额（万元）.
    """
    columns = ["片区编号", "片区名称", "改造类别", "改造内容", "来源", "涉及小区", "工程量", "单位", INVESTMENT]
    rows: list[list[object]] = []
    names = dict(zip(layers.districts["district_id"].astype(str), layers.districts["name"].astype(str)))
    communities = layers.communities
    for district_id in layers.districts["district_id"].astype(str):
        members = communities[communities["district_id"].astype(str) == district_id]
        gaps = layers.gaps[layers.gaps["district_id"].astype(str) == district_id]
        for ftype, group in gaps.groupby("facility_type", sort=True):
            rows.append([district_id, names[district_id], layers.renovation_class.get(str(ftype), "未分类"),
                         f"补齐{layers.facility_zh.get(str(ftype), ftype)}服务缺口", "生活圈缺口",
                         "、".join(sorted(group["community_name"].astype(str).unique())),
                         float(group["community_id"].nunique()), "个小区", np.nan])
        outline = layers.districts[layers.districts["district_id"].astype(str) == district_id].union_all()
        for _, facility in layers.proposed[layers.proposed.intersects(outline)].iterrows():
            ftype = str(facility["facility_type"])
            rows.append([district_id, names[district_id], layers.renovation_class.get(ftype, "未分类"),
                         f"新建{layers.facility_zh.get(ftype, ftype)}（{facility['facility_id']}）", "拟建设施",
                         "", 1.0, "处", np.nan])
        if unit_costs is not None and len(members):
            for cost in validate_unit_costs(unit_costs).itertuples():
                quantity = _basis_quantity(members, str(cost.basis)).sum()
                rows.append([district_id, names[district_id], cost.renovation_class, cost.item, "单价表",
                             "、".join(members["name"].astype(str)), quantity, COST_BASES[str(cost.basis)],
                             quantity * cost.yuan_per_unit / 1e4])
    return pd.DataFrame(rows, columns=columns)


def gap_list(layers: PlanLayers) -> pd.DataFrame:
    """The life-circle gap list, one row per community, level and facility type, worst shortfall first.

    Returns
    -------
    pandas.DataFrame
        Columns 片区编号, 小区编号, 小区名称, 生活圈, 设施类型, 步行距离（米）, 超出（米）, 人口, 人口为估算.
        Distances are network distances in metres; an infinite distance (unreachable) is left blank.
    """
    gaps = layers.gaps.sort_values(["shortfall_m", "community_id"], ascending=[False, True])
    distance = pd.to_numeric(gaps["distance_m"], errors="coerce").replace([np.inf, -np.inf], np.nan)
    return pd.DataFrame({
        "片区编号": gaps["district_id"].to_numpy(),
        "小区编号": gaps["community_id"].astype(str).to_numpy(),
        "小区名称": gaps["community_name"].to_numpy(),
        "生活圈": [layers.level_zh.get(str(v), v) for v in gaps["level"]],
        "设施类型": [layers.facility_zh.get(str(v), v) for v in gaps["facility_type"]],
        "步行距离（米）": distance.round(0).to_numpy(),
        "超出（米）": pd.to_numeric(gaps["shortfall_m"], errors="coerce").round(0).to_numpy(),
        "人口": pd.to_numeric(gaps["population"], errors="coerce").round(0).to_numpy(),
        "人口为估算": gaps["population_estimated"].map({True: "是", False: "否"}).to_numpy(),
    })


def facility_checks(layers: PlanLayers) -> pd.DataFrame:
    """One row per proposed facility and check with its verdict.

    Returns
    -------
    pandas.DataFrame
        Columns 设施编号, 设施名称, 设施类型, 核查项, 结论, 需征询居民意见.
    """
    rows = []
    for _, facility in layers.proposed.iterrows():
        ftype = str(facility["facility_type"])
        for column in layers.check_columns:
            if pd.notna(facility[column]):
                rows.append([facility["facility_id"], facility["name"], layers.facility_zh.get(ftype, ftype),
                             column.removeprefix("check_"), facility[column],
                             "是" if facility["needs_consultation"] else "否"])
    return pd.DataFrame(rows, columns=["设施编号", "设施名称", "设施类型", "核查项", "结论", "需征询居民意见"])


@dataclass(frozen=True)
class PlanTables:
    """All tables of a plan package, ready to write."""

    plan: PlanTable
    items: pd.DataFrame
    gaps: pd.DataFrame
    checks: pd.DataFrame


def plan_tables(layers: PlanLayers, *, unit_costs: pd.DataFrame | None = None) -> PlanTables:
    """Compute every table of the plan package from its layers."""
    return PlanTables(plan=plan_table(layers.communities, unit_costs=unit_costs),
                      items=district_items(layers, unit_costs=unit_costs),
                      gaps=gap_list(layers), checks=facility_checks(layers))


_CSV_NAMES = {"plan": "plan_table.csv", "items": "district_items.csv", "gaps": "gaps.csv",
              "checks": "facility_checks.csv"}


def write_csv(tables: PlanTables, out_dir: Path) -> dict[str, Path]:
    """Write the tables as UTF-8 CSV with a byte-order mark, which Excel needs to read Chinese headers.

    The plan table has two header rows (metric, period) and its notes in a separate ``plan_table_notes.txt``.

    Returns
    -------
    dict
        Table name -> path written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / file for name, file in _CSV_NAMES.items()}
    tables.plan.table.round(4).to_csv(paths["plan"], encoding="utf-8-sig")
    for name in ("items", "gaps", "checks"):
        getattr(tables, name).to_csv(paths[name], index=False, encoding="utf-8-sig")
    paths["plan_notes"] = out_dir / "plan_table_notes.txt"
    paths["plan_notes"].write_text("\n".join(tables.plan.notes) + "\n", encoding="utf-8")
    return paths


def write_xlsx(tables: PlanTables, path: Path, *, title: str) -> Path:
    """Write every table to one workbook: 计划表 (merged two-row header, notes), 改造内容, 服务缺口, 设施核查.

    Parameters
    ----------
    tables
        The tables.
    path
        The ``.xlsx`` file to write.
    title
        Heading of the plan table sheet.

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "计划表"
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    n_cols = 1 + len(METRICS) * len(PERIODS)
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n_cols)
    sheet.cell(2, 1, "地区").alignment = center
    sheet.merge_cells(start_row=2, start_column=1, end_row=3, end_column=1)
    for m, metric in enumerate(METRICS):
        first = 2 + m * len(PERIODS)
        sheet.cell(2, first, metric).alignment = center
        sheet.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + len(PERIODS) - 1)
        for p, period in enumerate(PERIODS):
            sheet.cell(3, first + p, period).alignment = center
    table = tables.plan.table
    for r, (row_name, row) in enumerate(table.iterrows(), start=4):
        sheet.cell(r, 1, row_name).font = Font(bold=row_name == TOTAL)
        for c, (metric, period) in enumerate(table.columns, start=2):
            value = row[(metric, period)]
            if pd.notna(value):
                sheet.cell(r, c, round(float(value), 4))
    for n, note in enumerate(tables.plan.notes, start=4 + len(table) + 1):
        sheet.cell(n, 1, note)
    sheet.column_dimensions["A"].width = 16
    for c in range(2, n_cols + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 11

    for name, frame in (("改造内容", tables.items), ("服务缺口", tables.gaps), ("设施核查", tables.checks)):
        ws = book.create_sheet(name)
        ws.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in values])
        if frame.empty:
            ws.append([_EMPTY_NOTES[name]])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


_EMPTY_NOTES: Mapping[str, str] = {"改造内容": "（无改造内容）", "服务缺口": "（无生活圈服务缺口）",
                                    "设施核查": "（无拟建设施）"}
