"""Plan tables for joint review: the national plan table, item lists, the gap list and facility checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gisplanner.analysis.costs import district_costs
from gisplanner.analysis.district_tables import district_content, district_gaps
from gisplanner.errors import InputError
from gisplanner.export.layers import PlanLayers

AREA_ROWS = {"city": "城市（建成区）", "county": "县城（城关镇）"}
TOTAL = "合计"
PERIODS = ("2000年底前", "2000年底后", TOTAL)
METRICS = ("小区数", "居民户数", "楼栋数", "住宅建筑面积（万平方米）", "预计投资额（万元）")
INVESTMENT = METRICS[-1]
NO_COSTS_NOTE = "预计投资额：未提供单价表（造价指标），留空；本工具不内置任何造价。"
SOURCE_ZH = {"standard": "改造清单", "gap": "生活圈缺口", "proposed": "拟建设施"}


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


def _quantities(communities: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """Cost quantities (the columns of ``gisplanner.analysis.costs.COST_UNITS``) summed by ``key``, as ``district_id`` rows."""
    frame = pd.DataFrame({
        "district_id": key.astype(str).to_numpy(),
        "floor_area_m2": pd.to_numeric(communities["floor_area_m2"], errors="coerce").fillna(0.0).to_numpy(),
        "households": pd.to_numeric(communities["households"], errors="coerce").fillna(0.0).to_numpy(),
        "n_buildings": pd.to_numeric(communities["n_buildings"], errors="coerce").fillna(0.0).to_numpy(),
        "n_communities": 1.0})
    return frame.groupby("district_id", as_index=False).sum()


def renovation_content(layers: PlanLayers) -> pd.DataFrame:
    """Renovation items of each district by class: the configured class items, one per gap facility type,
    one per proposed facility inside the district.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``renovation_class``, ``item``, ``source`` (standard, gap, proposed).
    """
    members = layers.communities.loc[layers.communities["district_id"].notna(), ["district_id", "feature_id"]]
    members = members.rename(columns={"feature_id": "community_id"}).astype(str)
    gaps = district_gaps(members, pd.DataFrame(layers.gaps.drop(columns=["geometry", "district_id"])))
    content = district_content(layers.districts, gaps, classes=layers.renovation_items,
                                         facility_classes=layers.renovation_class,
                                         facility_names=layers.facility_zh)
    proposed = []
    for district_id, outline in zip(layers.districts["district_id"], layers.districts.geometry):
        for _, facility in layers.proposed[layers.proposed.intersects(outline)].iterrows():
            ftype = str(facility["facility_type"])
            proposed.append((district_id, layers.renovation_class.get(ftype, "未分类"),
                             f"{ftype}:{facility['facility_id']}", "proposed"))
    extra = pd.DataFrame(proposed, columns=content.columns)
    return pd.concat([content, extra], ignore_index=True) if proposed else content


def community_investment(layers: PlanLayers, unit_costs: pd.DataFrame, *, file: str | None = None) -> pd.Series:
    """Estimated investment of each member community, yuan, from a user-supplied unit-cost table.

    Each community carries its district's content priced with its own quantities; an item priced per
    district is shared equally among the district's communities.

    Parameters
    ----------
    layers
        The plan.
    unit_costs
        ``item``, ``unit``, ``unit_cost_yuan`` as for :func:`gisplanner.analysis.costs.district_costs`.
    file
        Name of the cost file, for error messages.

    Returns
    -------
    pandas.Series
        Yuan, indexed by community ``feature_id``.
    """
    members = layers.communities[layers.communities["district_id"].notna()]
    ids = members["feature_id"].astype(str)
    content = renovation_content(layers)
    by_member = pd.DataFrame({"community_id": ids.to_numpy(),
                              "district_id": members["district_id"].astype(str).to_numpy()})
    per_member = by_member.merge(content.assign(district_id=content["district_id"].astype(str)),
                                 on="district_id").drop(columns="district_id")
    # district_costs prices rows by their district_id's quantities: keyed by community id, each community is
    # priced with its own floor area, households and buildings
    priced = district_costs(_quantities(members, ids),
                                      per_member.rename(columns={"community_id": "district_id"}), unit_costs,
                                      file=file)
    share = 1.0 / by_member.groupby("district_id")["community_id"].transform("size")
    share = pd.Series(share.to_numpy(), index=by_member["community_id"])
    cost = priced["cost_yuan"].to_numpy(dtype=float, copy=True)
    per_district = (priced["unit"] == "district").to_numpy()
    cost[per_district] *= share.reindex(priced.loc[per_district, "district_id"]).to_numpy()
    total = pd.Series(cost, index=priced["district_id"]).groupby(level=0).sum(min_count=1)
    return total.reindex(ids.to_numpy())


def plan_table(communities: pd.DataFrame, *, investment: pd.Series | None = None,
               cutoff_year: int = 2000) -> PlanTable:
    """The plan table in the shape of the 2022 national renovation plan table.

    Parameters
    ----------
    communities
        The communities in the plan: ``area_type`` (city/county), ``built_year`` (NA allowed), ``households``,
        ``n_buildings``, ``floor_area_m2`` (m²).
    investment
        Estimated investment of each community, yuan, aligned to ``communities.index``
        (:func:`community_investment`); None leaves the column blank.
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
        INVESTMENT: (pd.to_numeric(investment, errors="coerce").fillna(0.0) / 1e4 if investment is not None
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
    if investment is None:
        table.loc[:, INVESTMENT] = np.nan
        notes.append(NO_COSTS_NOTE)
    else:
        notes.append("预计投资额 = Σ 单价 × 工程量（建筑面积、户数、楼栋数、小区数或片区数），据用户提供的单价表；"
                     "按片区计价的项目由片区内各小区平均分摊。未列单价的项目不计。")
    n_unknown = int(year.isna().sum())
    if n_unknown:
        notes.append(f"{n_unknown} 个小区建成年代不详，只计入“合计”列。")
    return PlanTable(table=table, notes=tuple(notes))


def district_items(layers: PlanLayers, *, unit_costs: pd.DataFrame | None = None,
                   file: str | None = None) -> pd.DataFrame:
    """Renovation items of each district by class (:func:`renovation_content`), priced when costs are given.

    Parameters
    ----------
    layers
        The plan.
    unit_costs
        Optional ``item``, ``unit``, ``unit_cost_yuan`` table; items without a price keep blank cost.
    file
        Name of the cost file, for error messages.

    Returns
    -------
    pandas.DataFrame
        Columns 片区编号, 片区名称, 改造类别, 改造内容, 来源, 单位, 工程量, 单价（元）, 预计投资额（万元）.
    """
    members = layers.communities[layers.communities["district_id"].notna()]
    content = renovation_content(layers)
    content = district_costs(_quantities(members, members["district_id"]),
                                       content.assign(district_id=content["district_id"].astype(str)),
                                       unit_costs, file=file)
    names = dict(zip(layers.districts["district_id"].astype(str), layers.districts["name"].astype(str)))
    proposed_names = dict(zip(layers.proposed["facility_id"].astype(str), layers.proposed["name"].astype(str)))

    def label(item: str, source: str) -> str:
        if source == "gap":
            return f"补齐{item}（生活圈缺口）"
        if source == "proposed":
            ftype, _, fid = item.partition(":")
            return f"新建{layers.facility_zh.get(ftype, ftype)} {fid} {proposed_names.get(fid, '')}".rstrip()
        return item

    return pd.DataFrame({
        "片区编号": content["district_id"].astype(str).to_numpy(),
        "片区名称": content["district_id"].astype(str).map(names).to_numpy(),
        "改造类别": content["renovation_class"].to_numpy(),
        "改造内容": [label(str(i), str(s)) for i, s in zip(content["item"], content["source"])],
        "来源": content["source"].map(SOURCE_ZH).to_numpy(),
        "单位": content["unit"].to_numpy(),
        "工程量": content["quantity"].to_numpy(dtype=float),
        "单价（元）": content["unit_cost_yuan"].to_numpy(dtype=float),
        INVESTMENT: content["cost_yuan"].to_numpy(dtype=float) / 1e4,
    })


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
                             layers.check_label(column), facility[column],
                             "是" if facility["needs_consultation"] else "否"])
    return pd.DataFrame(rows, columns=["设施编号", "设施名称", "设施类型", "核查项", "结论", "需征询居民意见"])


@dataclass(frozen=True)
class PlanTables:
    """All tables of a plan package, ready to write."""

    plan: PlanTable
    items: pd.DataFrame
    gaps: pd.DataFrame
    checks: pd.DataFrame


def plan_tables(layers: PlanLayers, *, unit_costs: pd.DataFrame | None = None, cutoff_year: int = 2000,
                file: str | None = None) -> PlanTables:
    """Compute every table of the plan package from its layers (see each table's function)."""
    investment = None
    if unit_costs is not None:
        by_id = community_investment(layers, unit_costs, file=file)
        investment = pd.Series(layers.communities["feature_id"].astype(str).map(by_id).to_numpy(),
                               index=layers.communities.index)
    return PlanTables(plan=plan_table(layers.communities, investment=investment, cutoff_year=cutoff_year),
                      items=district_items(layers, unit_costs=unit_costs, file=file),
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
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"  # the header stays in view while a reviewer scrolls
        for values in frame.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in values])
        if frame.empty:
            ws.append([_EMPTY_NOTES[name]])
        for c, column in enumerate(frame.columns, start=1):
            longest = frame[column].astype(str).str.len().max() if len(frame) else 0
            ws.column_dimensions[get_column_letter(c)].width = min(max(len(str(column)) * 2, longest * 1.6, 8), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


_EMPTY_NOTES: Mapping[str, str] = {"改造内容": "（无改造内容）", "服务缺口": "（无生活圈服务缺口）",
                                    "设施核查": "（无拟建设施）"}
