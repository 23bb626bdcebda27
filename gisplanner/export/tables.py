"""Plan tables for joint review: the national plan table, item lists, the gap list and facility checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gisplanner.analysis.costs import district_costs
from gisplanner.analysis.district_tables import district_content, district_gaps
from gisplanner.export.layers import PlanLayers
from gisplanner.export.plan_table import INVESTMENT, PlanTable, plan_table, write_cell, write_plan_sheet
from gisplanner.io import spreadsheets
from gisplanner.labels import code_label

SOURCE_ZH = {"standard": "改造清单", "gap": "生活圈缺口", "proposed": "拟建设施"}


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


def plan_tables(layers: PlanLayers, *, unit_costs: pd.DataFrame | None = None, cutoff_year: int = 2000,
                plan_year: int | None = None, area_per_household_m2: float = 80.0,
                max_after_share: float = 0.15, file: str | None = None) -> PlanTables:
    """Compute every table of the plan package from its layers (see each table's function).

    The plan table (:func:`gisplanner.export.plan_table.plan_table`) has one city block, named
    ``layers.city_zh``, made for ``plan_year`` (None: every community of the plan, and the table says so).
    """
    communities = pd.DataFrame(layers.communities.drop(columns="geometry"))
    if unit_costs is not None:
        by_id = community_investment(layers, unit_costs, file=file)
        communities["investment_yuan"] = communities["feature_id"].astype(str).map(by_id).to_numpy()
    plan = plan_table({layers.city_zh: communities}, plan_year=plan_year, cutoff_year=cutoff_year,
                      area_per_household_m2=area_per_household_m2, max_after_share=max_after_share)
    return PlanTables(plan=plan, items=district_items(layers, unit_costs=unit_costs, file=file),
                      gaps=gap_list(layers), checks=facility_checks(layers))


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
