"""The provincial roll-up of a batch: the plan table with every city's 全市小计 and the 全省合计, a provincial
summary (households covered, gaps and the gaps the chosen sites close, by type; cost and funding by source)
and an overview map of all cities.

Each city's task writes :func:`city_summary` beside its plan package; the roll-up reads only those files and
the cities' project files, so a city skipped in a rerun counts with its earlier results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner.errors import InputError
from gisplanner.export.layers import OVERALL_ZH
from gisplanner.export.plan_table import (
    CITY_SUBTOTAL,
    COMMUNITIES,
    HOUSEHOLDS,
    INVESTMENT,
    PROVINCE,
    PROVINCE_TOTAL,
    TOTAL,
    PlanTable,
    plan_table,
    write_cell,
    write_plan_sheet,
)

MISSING = "数据缺失"
#: The last entry of a city's funding (:func:`gisplanner.funding.fiscal_check`'s by_source).
FUNDING_TOTAL = "合计"
#: Columns of the plan table's community rows that go back into plan_table for the roll-up.
PLAN_COMMUNITY_COLUMNS = ("feature_id", "name", "area_type", "built_year", "households", "households_estimated",
                          "n_buildings", "floor_area_m2", "floor_area_estimated", "investment_yuan", "plan_year")


def _known(value: float | None) -> float:
    """An amount of a city summary, NaN where unknown (None in JSON)."""
    return np.nan if value is None else float(value)


def _json_value(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def city_funding(project: Any, *, plan_year: int | None = None) -> dict[str, float | None]:
    """A city's funding by source, 万元, by the ledger's funding rules (:mod:`gisplanner.funding`): the
    province's subsidies, the amounts its ledger records, 市县财政 the rest of the estimated investment.

    The projects are those of the city's ledger (its districts as 储备 projects when it has none); with
    ``plan_year``, those of that year. Returns Chinese source name -> amount, the last entry 合计; None where
    unknown (no unit-cost table: 市县财政 and 合计).
    """
    from gisplanner import funding
    from gisplanner.ledger import households_by_project, project_ledger

    standards = project.standards()
    ledger = project_ledger(project)
    if plan_year is not None:
        ledger = ledger[ledger["plan_year"].eq(plan_year).fillna(False).to_numpy(bool)].reset_index(drop=True)
    households = households_by_project(ledger, project.layer("communities"))
    investment = funding.project_investment(project, ledger, None)
    province = project.settings.get("province") or standards.ledger.province(project.city)
    split = funding.funding_split(ledger, households, investment, standards, province=province)
    by_source = funding.fiscal_check(split, standards, budget_wan=None).by_source
    return {str(s): None if pd.isna(v) else float(v) for s, v in zip(by_source["source"], by_source["amount_wan"])}


def city_summary(project: Any, *, key: str, name: str, plan_year: int | None = None) -> dict[str, Any]:
    """What the roll-up needs from one city whose analyses have run (JSON-serialisable).

    Returns
    -------
    dict
        ``key``, ``name``, ``plan_communities`` (the communities the city's plan table counts, as records),
        ``plan_options`` (plan year and the table's parameters), ``gaps`` (facility type -> communities short
        of it), ``gaps_closed`` (facility type -> of those, the ones the chosen candidate sites would serve),
        ``facility_zh``, ``placements`` (overall verdict -> count), ``funding`` (:func:`city_funding`),
        ``attribution``.
    """
    from gisplanner.export.package import osm_attribution, plan_table_options, project_plan_tables

    _, plan_tables = project_plan_tables(project, plan_year=plan_year)
    counted = plan_tables.plan.communities
    gaps = project.results.get("gaps")
    # A community short of a type at two levels is one community short of it.
    by_type = (gaps.groupby("facility_type")["community_id"].nunique() if gaps is not None and len(gaps)
               else pd.Series(dtype=int))
    sites = project.results.get("candidate_sites")
    closed = pd.Series(dtype=int)
    if sites is not None and len(sites):
        chosen = sites[sites["rank"].notna()]
        # Each chosen site lists the communities it newly serves at its pick: their gaps close.
        ids = chosen["communities_new"].fillna("").astype(str).str.split(",")
        pairs = pd.DataFrame({"facility_type": chosen["facility_type"].to_numpy(), "community_id": ids.to_numpy()})
        pairs = pairs.explode("community_id")
        closed = pairs[pairs["community_id"] != ""].groupby("facility_type")["community_id"].nunique()
    verdicts = pd.Series([p.get("overall") for p in project.placed_facilities], dtype=object).value_counts()
    types = project.standards().facility_types()
    return {
        "key": key, "name": name,
        "plan_communities": [{c: _json_value(v) for c, v in zip(PLAN_COMMUNITY_COLUMNS, row)}
                             for row in counted[list(PLAN_COMMUNITY_COLUMNS)].itertuples(index=False)],
        "plan_options": {"plan_year": plan_year, **plan_table_options(project)},
        "gaps": {str(k): int(v) for k, v in by_type.items()},
        "gaps_closed": {str(k): int(v) for k, v in closed.items()},
        "facility_zh": {k: t.zh for k, t in types.items()},
        "placements": {str(k): int(v) for k, v in verdicts.items()},
        "funding": city_funding(project, plan_year=plan_year),
        "attribution": osm_attribution(project),
    }


def read_city_summaries(city_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    """The summaries of finished cities, in the order given; a folder without one is named in the error."""
    out = []
    for folder in city_dirs:
        path = Path(folder) / "city_summary.json"
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise InputError(f"无法读取城市汇总文件（{exc}）", file=str(path), fix="对该城市重新运行批处理") from exc
    return out


def provincial_plan_table(summaries: Sequence[Mapping[str, Any]]) -> PlanTable:
    """The plan table of 001 with a block per city and the 全省(区、市) rows, made by
    :func:`gisplanner.export.plan_table.plan_table` from every city's counted communities.

    Raises
    ------
    InputError
        No city, or cities whose plan tables were made with different parameters (plan year, cut-off...).
    """
    if not summaries:
        raise InputError("没有已完成的城市可汇总", fix="至少完成一个城市后再汇总")
    options = summaries[0]["plan_options"]
    differ = [s["name"] for s in summaries if s["plan_options"] != options]
    if differ:
        raise InputError(f"{differ[0]} 的计划表参数（计划年度、2000年底前界限等）与 {summaries[0]['name']} 不同，"
                         "不能汇总为一张全省表", fix="用同一套标准和计划年度重新运行这些城市")
    cities = {s["name"]: pd.DataFrame(s["plan_communities"], columns=list(PLAN_COMMUNITY_COLUMNS))
              for s in summaries}
    return plan_table(cities, **options)


def _subtotal(plan: PlanTable, name: str) -> pd.Series:
    return plan.table.loc[(name, CITY_SUBTOTAL)]


def provincial_summary(summaries: Sequence[Mapping[str, Any]], plan: PlanTable) -> pd.DataFrame:
    """One row per city and a 全省合计 row: communities and households in the plan (from ``plan``, the
    provincial plan table), cost, funding by source (:func:`city_funding`) and the placement verdicts.

    Unknown figures are NaN (shown as 数据缺失): a city without unit costs has no cost and no 市县财政 share,
    and the province's total of a column with any unknown city is unknown.
    """
    sources = list(dict.fromkeys(src for s in summaries for src in s.get("funding", {}) if src != FUNDING_TOTAL))
    rows = []
    for s in summaries:
        total = _subtotal(plan, s["name"])
        row = {"城市": s["name"], "小区数": total[(COMMUNITIES, TOTAL)], "居民户数": total[(HOUSEHOLDS, TOTAL)],
               "预计投资额（万元）": total[(INVESTMENT, TOTAL)]}
        funding = s.get("funding", {})
        for src in sources:
            row[f"资金来源：{src}（万元）"] = _known(funding.get(src))
        row["资金合计（万元）"] = _known(funding.get(FUNDING_TOTAL))
        for verdict, zh in OVERALL_ZH.items():
            row[f"拟建设施核查：{zh}"] = s.get("placements", {}).get(verdict, 0)
        rows.append(row)
    table = pd.DataFrame(rows)
    total_row: dict[str, Any] = {"城市": PROVINCE_TOTAL}
    for column in table.columns.drop("城市"):
        values = pd.to_numeric(table[column], errors="coerce")
        total_row[column] = values.sum() if values.notna().all() else np.nan
    return pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)


def provincial_gaps(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Per facility type, the communities short of it and those the chosen candidate sites would serve: one
    column pair per city and the province's sum.

    Returns
    -------
    pandas.DataFrame
        Rows 设施类型 (Chinese name); columns (city or 全省（区、市）合计, 缺口小区数 / 候选用地可补).
    """
    names: dict[str, str] = {}
    for s in summaries:
        names.update(s.get("facility_zh", {}))
    types = sorted({t for s in summaries for t in (*s.get("gaps", {}), *s.get("gaps_closed", {}))})
    columns = {}
    for s in summaries:
        columns[(s["name"], "缺口小区数")] = [s.get("gaps", {}).get(t, 0) for t in types]
        columns[(s["name"], "候选用地可补")] = [s.get("gaps_closed", {}).get(t, 0) for t in types]
    table = pd.DataFrame(columns, index=pd.Index([names.get(t, t) for t in types], name="设施类型"))
    for kind in ("缺口小区数", "候选用地可补"):
        table[(PROVINCE_TOTAL, kind)] = table.loc[:, (slice(None), kind)].sum(axis=1)
    return table


def _district_outlines(city_dir: Path) -> Any:
    """The city's districts (else its communities) in WGS84, from its saved project."""
    import geopandas as gpd
    import pyogrio

    path = city_dir / "project.gpkg"
    names = {name for name, _ in pyogrio.list_layers(path)}
    layer = "result__districts" if "result__districts" in names else "communities"
    frame = gpd.read_file(path, layer=layer, columns=[])
    return frame.to_crs(4326) if len(frame) else frame


def overview_map(summaries: Sequence[Mapping[str, Any]], plan: PlanTable, city_dirs: Sequence[Path],
                 out_stem: Path, *, title: str = "全省城镇老旧小区改造片区总览",
                 formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """A map of every city's districts with its name, communities, households and cost (from ``plan``, the
    provincial plan table), as PNG and/or PDF (A3 landscape).

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    from gisplanner.export.sheets import find_cjk_font

    family = [find_cjk_font(), "DejaVu Sans"]
    font = lambda size: FontProperties(family=family, size=size)  # noqa: E731
    fig, ax = plt.subplots(figsize=(16.54, 11.69))
    fig.subplots_adjust(top=0.88, bottom=0.12)
    lats = []
    for summary, folder in zip(summaries, city_dirs):
        outlines = _district_outlines(Path(folder))
        if not len(outlines):
            continue
        outlines.plot(ax=ax, facecolor="#fdae61", edgecolor="#a50026", linewidth=0.4)
        minx, miny, maxx, maxy = outlines.total_bounds
        lats.append((miny + maxy) / 2)
        total = _subtotal(plan, summary["name"])
        cost = total[(INVESTMENT, TOTAL)]
        text = (f"{summary['name']}\n{total[(COMMUNITIES, TOTAL)]} 个小区 · {total[(HOUSEHOLDS, TOTAL)]} 户\n"
                + (f"投资 {cost:,.0f} 万元" if np.isfinite(cost) else f"投资 {MISSING}"))
        ax.annotate(text, ((minx + maxx) / 2, maxy), xytext=(0, 6), textcoords="offset points", ha="center",
                    va="bottom", fontproperties=font(10), color="#222222")
    if lats:
        ax.set_aspect(1.0 / np.cos(np.radians(np.mean(lats))))
    ax.set_xlabel("经度（°）", fontproperties=font(10))
    ax.set_ylabel("纬度（°）", fontproperties=font(10))
    ax.margins(0.1)
    ax.grid(color="#dddddd", linewidth=0.5)
    ax.legend(handles=[Patch(facecolor="#fdae61", edgecolor="#a50026", label="改造片区")], prop=font(11),
              loc="lower right")
    fig.text(0.05, 0.95, title, fontproperties=font(20), va="top")
    province = plan.table.loc[(PROVINCE, PROVINCE_TOTAL)]
    notes = [f"城市 {len(summaries)} 个；全省计划 {province[(COMMUNITIES, TOTAL)]} 个小区、"
             f"{province[(HOUSEHOLDS, TOTAL)]} 户（含估算，见计划表备注）。",
             "片区轮廓来自各市分析结果；经纬度为 WGS84。"]
    attributions = sorted({s["attribution"] for s in summaries if s.get("attribution")})
    fig.text(0.05, 0.03, "\n".join(notes + attributions), fontproperties=font(9), va="bottom")
    written = []
    for fmt in formats:
        path = out_stem.with_suffix(f".{fmt}")
        fig.savefig(path, dpi=150 if fmt == "png" else None)
        written.append(path)
    plt.close(fig)
    return written


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Unknown numbers shown as 数据缺失."""
    return frame.astype(object).where(frame.notna(), MISSING)


def _write_frame(book: Any, title: str, frame: pd.DataFrame) -> None:
    """A sheet with the frame's header and rows; text stays text (write_cell)."""
    sheet = book.create_sheet(title)
    header = [" / ".join(c) if isinstance(c, tuple) else str(c) for c in frame.columns]
    for c, value in enumerate(header, start=1):
        write_cell(sheet, 1, c, value)
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            write_cell(sheet, r, c, value)
    sheet.freeze_panes = "A2"


def write_rollup(summaries: Sequence[Mapping[str, Any]], city_dirs: Sequence[Path], out_dir: Path, *,
                 failed: Sequence[str] = (), province: str = "") -> dict[str, Path]:
    """Write the provincial plan table (CSV; XLSX in 001's layout), the summary and gaps (CSV and sheets) and
    the overview map (PNG, PDF) into ``out_dir``.

    ``failed`` names the cities left out because they failed; the notes say so.
    """
    from openpyxl import Workbook

    out_dir.mkdir(parents=True, exist_ok=True)
    plan = provincial_plan_table(summaries)
    summary = provincial_summary(summaries, plan)
    gaps = provincial_gaps(summaries)
    notes = [f"全省(区、市)合计为以下 {len(summaries)} 个城市之和：{'、'.join(s['name'] for s in summaries)}。"]
    if failed:
        notes.append(f"未计入（计算失败）：{'、'.join(failed)}。")
    if summary["预计投资额（万元）"].iloc[:-1].isna().any():
        notes.append("预计投资额：有城市未提供单价表，其行留空，全省合计也留空（只加已定价城市会被误读为全省）。")
    notes.append("资金来源：按各市改造台账（无台账的城市以其片区为储备项目）和资金筹措规则计算：省级补助政策、"
                 "台账记录的专项债、专业经营单位出资、居民出资和社会资本，市县财政承担预计投资额的其余部分。")
    if summary["资金合计（万元）"].iloc[:-1].isna().any():
        notes.append("资金来源：有城市未提供单价表，其市县财政出资和资金合计留空，全省合计也留空。")
    notes.append("缺口小区数：缺少该类设施（任一生活圈层级）的小区数；候选用地可补：各市按缺口选出的候选用地"
                 "（每类每层级前 k 处）建成后新覆盖的其中小区数，未经逐一核查。")
    paths = {"plan_csv": out_dir / "province_plan_table.csv", "summary_csv": out_dir / "province_summary.csv",
             "gaps_csv": out_dir / "province_gaps.csv", "notes": out_dir / "province_notes.txt",
             "xlsx": out_dir / "province_plan.xlsx"}
    table = plan.table.copy()
    table[(plan.remarks.name, "")] = plan.remarks
    table.to_csv(paths["plan_csv"], encoding="utf-8-sig")
    _as_text(summary).to_csv(paths["summary_csv"], index=False, encoding="utf-8-sig")
    gaps.to_csv(paths["gaps_csv"], encoding="utf-8-sig")
    paths["notes"].write_text("\n".join([*plan.notes, *notes]) + "\n", encoding="utf-8")
    book = Workbook()
    default = book.active
    write_plan_sheet(book, plan, province=province)
    book.remove(default)
    _write_frame(book, "省级汇总", _as_text(summary))
    _write_frame(book, "生活圈缺口", gaps.reset_index())
    _write_frame(book, "汇总说明", pd.DataFrame({"说明": notes}))
    tmp = paths["xlsx"].with_name(f".{paths['xlsx'].name}.tmp")
    book.save(tmp)
    tmp.replace(paths["xlsx"])
    for path in overview_map(summaries, plan, city_dirs, out_dir / "province_overview"):
        paths[f"map_{path.suffix[1:]}"] = path
    return paths
