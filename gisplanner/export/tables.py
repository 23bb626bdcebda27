"""Plan tables for joint review: the national plan table, item lists, the gap list and facility checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gisplanner.analysis.district_tables import district_content
from gisplanner.analysis.renovation import UNIT_ZH, community_costs
from gisplanner.export.layers import PlanLayers
from gisplanner.export.plan_table import INVESTMENT, PlanTable, plan_table, write_cell, write_plan_sheet
from gisplanner.io import spreadsheets
from gisplanner.labels import code_label

SOURCE_ZH = {"item": "小区改造内容（一区一策）", "proposed": "拟建设施"}


def district_items(layers: PlanLayers, items: pd.DataFrame) -> pd.DataFrame:
    """Renovation content of each district: its communities' selected items summed by item
    (:func:`gisplanner.analysis.district_tables.district_content`), then each proposed facility inside it.

    Parameters
    ----------
    layers
        The plan.
    items
        The communities' priced items with the planner's ticks (:func:`gisplanner.catalogue.renovation_items`).

    Returns
    -------
    pandas.DataFrame
        Columns 片区编号, 片区名称, 改造类别, 改造内容, 来源, 单位, 工程量, 工程量含估算, 涉及小区数, 单价（元）,
        预计投资额（万元） (blank without a unit cost; a proposed facility has no quantity of its own).
    """
    members = layers.communities.loc[layers.communities["district_id"].notna(), ["district_id", "feature_id"]]
    members = members.rename(columns={"feature_id": "community_id"}).astype(str)
    content = district_content(members, items)
    names = dict(zip(layers.districts["district_id"].astype(str), layers.districts["name"].astype(str)))
    rows = pd.DataFrame({
        "片区编号": content["district_id"].astype(str).to_numpy(),
        "改造类别": content["renovation_class"].to_numpy(),
        "改造内容": content["item_zh"].to_numpy(),
        "来源": SOURCE_ZH["item"],
        "单位": content["unit"].map(UNIT_ZH).to_numpy(),
        "工程量": content["quantity"].to_numpy(dtype=float),
        "工程量含估算": content["quantity_estimated"].map({True: "是", False: "否"}).to_numpy(),
        "涉及小区数": content["n_communities"].to_numpy(),
        "单价（元）": content["unit_cost_yuan"].to_numpy(dtype=float),
        INVESTMENT: content["cost_yuan"].to_numpy(dtype=float) / 1e4,
    })
    proposed = []
    for district_id, outline in zip(layers.districts["district_id"].astype(str), layers.districts.geometry):
        for _, facility in layers.proposed[layers.proposed.intersects(outline)].iterrows():
            ftype = str(facility["facility_type"])
            proposed.append({"片区编号": district_id, "改造类别": layers.renovation_class.get(ftype, "未分类"),
                             "改造内容": f"新建{layers.facility_zh.get(ftype, ftype)} {facility['facility_id']} "
                                         f"{facility['name']}".rstrip(), "来源": SOURCE_ZH["proposed"]})
    out = pd.concat([rows, pd.DataFrame(proposed, columns=rows.columns)], ignore_index=True) if proposed else rows
    out.insert(1, "片区名称", out["片区编号"].map(names).to_numpy())
    return out.sort_values("片区编号", kind="stable").reset_index(drop=True)


def community_investment(layers: PlanLayers, items: pd.DataFrame, *,
                         cost_source: str = "单价表") -> tuple[pd.Series, list[str]]:
    """Each community's estimated investment (yuan, by ``feature_id``; blank without unit costs) and the plan
    table's notes on where the figures come from: the unit costs (the user's; the tool has none of its own),
    the selected items left unpriced, and the quantities that rest on tool-default estimates. ``cost_source``
    names the unit-cost table (its file, or the district run's prices)."""
    ids = set(layers.communities["feature_id"].astype(str))
    mine = items[items["community_id"].astype(str).isin(ids)]
    costs = community_costs(mine)
    chosen = mine[mine["selected"].astype(bool)]
    if not mine["unit_cost_yuan"].notna().any():
        return costs["cost_yuan"], []
    priced = chosen[chosen["unit_cost_yuan"].notna()]
    notes = ["预计投资额 = Σ 各小区已选改造内容（一区一策）的工程量 × 单价，逐小区计算后汇总；"
             f"单价来自用户提供的单价表（{cost_source}，"
             f"{priced['item'].nunique()} 项有单价），本工具不内置任何单价，表中没有工具默认单价。"]
    unpriced = chosen[chosen["unit_cost_yuan"].isna()]
    if len(unpriced):
        names = list(dict.fromkeys(unpriced["item_zh"].astype(str)))
        notes.append(f"已选改造内容中 {len(names)} 项没有单价，未计入投资额：{'、'.join(names)}。")
    blank = int(costs["cost_yuan"].isna().sum())
    if blank:
        notes.append(f"{blank} 个小区没有已选改造内容或其已选改造内容均无单价，投资额留空（不按 0 计）。")
    estimated = priced[priced["quantity_estimated"].astype(bool)]
    if len(estimated):
        units = "、".join(dict.fromkeys(estimated["unit"].map(UNIT_ZH)))
        notes.append(f"{estimated['community_id'].nunique()} 个小区的计价工程量（{units}）为估算："
                     "楼梯间按楼长每单元长度（工具默认值，见 renovation.yaml quantities）、户数按小区估算户数。")
    return costs["cost_yuan"], notes


def gap_list(layers: PlanLayers) -> pd.DataFrame:
    """The life-circle gap list, one row per community, level and facility type, worst shortfall first.

    Returns
    -------
    pandas.DataFrame
        Columns 片区编号, 小区编号, 小区名称, 生活圈, 设施类型, 步行距离（米）, 超出（米）, 人口, 人口为估算,
        缺口类型 (服务缺口, or 数据缺失 where the data do not show the type; see analysis.lifecircle.data_coverage).
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
        "缺口类型": gaps["gap_kind"].to_numpy(),
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
                             layers.check_label(column), code_label(facility[column], "verdict"),
                             "是" if facility["needs_consultation"] else "否"])
    return pd.DataFrame(rows, columns=["设施编号", "设施名称", "设施类型", "核查项", "结论", "需征询居民意见"])


@dataclass(frozen=True)
class PlanTables:
    """All tables of a plan package, ready to write."""

    plan: PlanTable
    items: pd.DataFrame
    gaps: pd.DataFrame
    checks: pd.DataFrame


def plan_tables(layers: PlanLayers, items: pd.DataFrame, *, cost_source: str = "单价表", cutoff_year: int = 2000,
                plan_year: int | None = None, area_per_household_m2: float = 80.0,
                max_after_share: float = 0.15) -> PlanTables:
    """Compute every table of the plan package from its layers and the communities' renovation items (see each
    table's function); the items, as ticked and priced per community, are the one source of every cost.

    The plan table (:func:`gisplanner.export.plan_table.plan_table`) has one city block, named
    ``layers.city_zh``, made for ``plan_year`` (None: every community of the plan, and the table says so).
    """
    communities = pd.DataFrame(layers.communities.drop(columns="geometry"))
    by_id, cost_notes = community_investment(layers, items, cost_source=cost_source)
    communities["investment_yuan"] = communities["feature_id"].astype(str).map(by_id).to_numpy(dtype=float)
    plan = plan_table({layers.city_zh: communities}, plan_year=plan_year, cutoff_year=cutoff_year,
                      area_per_household_m2=area_per_household_m2, max_after_share=max_after_share,
                      cost_notes=cost_notes)
    return PlanTables(plan=plan, items=district_items(layers, items), gaps=gap_list(layers),
                      checks=facility_checks(layers))


_CSV_NAMES = {"plan": "plan_table.csv", "items": "district_items.csv", "gaps": "gaps.csv",
              "checks": "facility_checks.csv"}


def write_csv(tables: PlanTables, out_dir: Path) -> dict[str, Path]:
    """Write the tables as UTF-8 CSV with a byte-order mark, which Excel needs to read Chinese headers.

    The plan table has two header rows (metric, period), the row keys 地级以上城市 and 分类 and a 备注 column;
    its notes go to a separate ``plan_table_notes.txt``.

    Returns
    -------
    dict
        Table name -> path written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / file for name, file in _CSV_NAMES.items()}
    plan = tables.plan.table.copy()
    plan[(tables.plan.remarks.name, "")] = tables.plan.remarks
    spreadsheets.write_csv(plan, paths["plan"], index=True)
    for name in ("items", "gaps", "checks"):
        spreadsheets.write_csv(getattr(tables, name), paths[name])
    paths["plan_notes"] = out_dir / "plan_table_notes.txt"
    paths["plan_notes"].write_text("\n".join(tables.plan.notes) + "\n", encoding="utf-8")
    return paths


def write_xlsx(tables: PlanTables, path: Path, *, province: str = "") -> Path:
    """Write every table to one workbook: 计划表 and 计划表小区明细 (:func:`write_plan_sheet`, 001's shape),
    改造内容, 服务缺口, 设施核查.

    Parameters
    ----------
    tables
        The tables.
    path
        The ``.xlsx`` file to write.
    province
        Printed after 省(区、市)： on the plan table.

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    default = book.active
    write_plan_sheet(book, tables.plan, province=province)
    book.remove(default)
    for name, frame in (("改造内容", tables.items), ("服务缺口", tables.gaps), ("设施核查", tables.checks)):
        ws = book.create_sheet(name)
        for c, column in enumerate(frame.columns, start=1):
            write_cell(ws, 1, c, column).font = Font(bold=True)
        ws.freeze_panes = "A2"  # the header stays in view while a reviewer scrolls
        for r, values in enumerate(frame.itertuples(index=False), start=2):
            for c, value in enumerate(values, start=1):
                write_cell(ws, r, c, value)
        if frame.empty:
            write_cell(ws, 2, 1, _EMPTY_NOTES[name])
        for c, column in enumerate(frame.columns, start=1):
            longest = frame[column].astype(str).str.len().max() if len(frame) else 0
            ws.column_dimensions[get_column_letter(c)].width = min(max(len(str(column)) * 2, longest * 1.6, 8), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheets.text_cells(book).save(path)
    return path


_EMPTY_NOTES: Mapping[str, str] = {"改造内容": "（无改造内容）", "服务缺口": "（无生活圈服务缺口）",
                                    "设施核查": "（无拟建设施）"}
