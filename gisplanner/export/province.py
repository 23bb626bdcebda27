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
from gisplanner.export.tables import AREA_ROWS, INVESTMENT, METRICS, PERIODS, TOTAL

CITY_SUBTOTAL = "全市小计"
PROVINCE = "全省（区、市）"
PROVINCE_TOTAL = "全省（区、市）合计"
ROW_NAMES = ("地级以上城市", "分类")
MISSING = "数据缺失"


def city_summary(project: Any, *, key: str, name: str, funding: Mapping[str, float] | None = None) -> dict[str, Any]:
    """What the roll-up needs from one city whose analyses have run (JSON-serialisable).

    Returns
    -------
    dict
        ``key``, ``name``, ``plan_table`` (rows, values in :data:`METRICS` × :data:`PERIODS` order; investment
        None where unpriced), ``plan_notes``, ``gaps`` (facility type -> community gaps), ``gaps_closed``
        (facility type -> gaps the chosen candidate sites close), ``facility_zh``, ``placements`` (verdict ->
        count), ``funding`` (source -> 万元), ``attribution``.
    """
    from gisplanner.export.package import osm_attribution, project_plan_tables

    _, plan_tables = project_plan_tables(project)
    table = plan_tables.plan.table
    values = table.to_numpy(dtype=float)
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
        "plan_table": {"rows": list(table.index), "values": [[None if np.isnan(v) else float(v) for v in row]
                                                             for row in values]},
        "plan_notes": list(plan_tables.plan.notes),
        "gaps": {str(k): int(v) for k, v in by_type.items()},  # communities with a gap of the type
        "gaps_closed": {str(k): int(v) for k, v in closed.items()},
        "facility_zh": {k: t.zh for k, t in types.items()},
        "placements": {str(k): int(v) for k, v in verdicts.items()},
        "funding": {str(k): float(v) for k, v in (funding or {}).items()},
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
            raise InputError(f"city summary {path} cannot be read ({exc})", file=str(path),
                             fix="run the batch again for this city") from exc
    return out


def _city_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    table = pd.DataFrame([[np.nan if v is None else v for v in row] for row in summary["plan_table"]["values"]],
                         index=summary["plan_table"]["rows"],
                         columns=pd.MultiIndex.from_product([METRICS, PERIODS]))
    expected = [*AREA_ROWS.values(), TOTAL]
    if list(table.index) != expected:
        raise InputError(f"the plan table of {summary['name']} has rows {list(table.index)}, not {expected}",
                         fix="run the batch again with this version of gisplanner")
    return table


def provincial_plan_table(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The plan table of 001 (2022年城镇老旧小区改造计划表): per city 全市小计, 城市（建成区）, 县城（城关镇）, then
    the 全省（区、市）合计 rows, which are the sums of the cities' rows.

    Returns
    -------
    pandas.DataFrame
        Rows a MultiIndex (:data:`ROW_NAMES`), columns (metric, period) as the city plan table. Investment
        stays NaN in the province's rows when any city's is unpriced (a sum of the priced ones would read as
        the whole).
    """
    if not summaries:
        raise InputError("no finished city to roll up", fix="run the batch until at least one city finishes")
    blocks, area_sum = [], []
    for summary in summaries:
        city = _city_table(summary)
        rows = [city.loc[TOTAL], *(city.loc[label] for label in AREA_ROWS.values())]
        blocks.append(pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(
            [(summary["name"], CITY_SUBTOTAL), *((summary["name"], label) for label in AREA_ROWS.values())],
            names=ROW_NAMES)))
        area_sum.append(city)
    stacked = pd.concat(area_sum)
    province = stacked.groupby(level=0, sort=False).sum(min_count=len(summaries))
    province = province.reindex([TOTAL, *AREA_ROWS.values()])
    province.index = pd.MultiIndex.from_tuples([(PROVINCE, PROVINCE_TOTAL),
                                                *((PROVINCE, label) for label in AREA_ROWS.values())],
                                               names=ROW_NAMES)
    return pd.concat([*blocks, province])


def provincial_summary(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per city and a 全省合计 row: communities and households in the plan, cost, funding by source
    and the placement verdicts.

    Unknown figures are NaN (shown as 数据缺失): a city without unit costs has no cost, a city without a
    funding table no funding, and the province's total of a column with any unknown city is unknown.
    """
    sources = sorted({src for s in summaries for src in s.get("funding", {})})
    rows = []
    for s in summaries:
        total = _city_table(s).loc[TOTAL]
        row = {"城市": s["name"], "小区数": total[(METRICS[0], TOTAL)], "居民户数": total[(METRICS[1], TOTAL)],
               "预计投资额（万元）": total[(INVESTMENT, TOTAL)]}
        funding = s.get("funding", {})
        for src in sources:
            row[f"资金来源：{src}（万元）"] = funding.get(src, np.nan) if funding else np.nan
        row["资金合计（万元）"] = sum(funding.values()) if funding else np.nan
        for verdict, zh in OVERALL_ZH.items():
            row[f"拟建设施核查：{zh}"] = s.get("placements", {}).get(verdict, 0)
        rows.append(row)
    table = pd.DataFrame(rows)
    numeric = table.columns.drop("城市")
    total_row = {"城市": PROVINCE_TOTAL}
    for column in numeric:
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


def overview_map(summaries: Sequence[Mapping[str, Any]], city_dirs: Sequence[Path], out_stem: Path, *,
                 title: str = "全省城镇老旧小区改造片区总览", formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """A map of every city's districts with its name, households and cost, as PNG and/or PDF (A3 landscape).

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties

    from gisplanner.export.sheets import find_cjk_font

    family = [find_cjk_font(), "DejaVu Sans"]
    font = lambda size: FontProperties(family=family, size=size)  # noqa: E731
    fig, ax = plt.subplots(figsize=(16.54, 11.69))
    lats = []
    for summary, folder in zip(summaries, city_dirs):
        outlines = _district_outlines(Path(folder))
        if not len(outlines):
            continue
        outlines.plot(ax=ax, facecolor="#fdae61", edgecolor="#a50026", linewidth=0.4)
        minx, miny, maxx, maxy = outlines.total_bounds
        lats.append((miny + maxy) / 2)
        total = _city_table(summary).loc[TOTAL]
        cost = total[(INVESTMENT, TOTAL)]
        text = (f"{summary['name']}\n{int(round(total[(METRICS[0], TOTAL)]))} 个小区 · "
                f"{int(round(total[(METRICS[1], TOTAL)]))} 户\n"
                + (f"投资 {cost:,.0f} 万元" if np.isfinite(cost) else f"投资 {MISSING}"))
        ax.annotate(text, ((minx + maxx) / 2, maxy), xytext=(0, 6), textcoords="offset points", ha="center",
                    va="bottom", fontproperties=font(10), color="#222222")
    if lats:
        ax.set_aspect(1.0 / np.cos(np.radians(np.mean(lats))))
    ax.set_xlabel("经度（°）", fontproperties=font(10))
    ax.set_ylabel("纬度（°）", fontproperties=font(10))
    ax.margins(0.08)
    ax.grid(color="#dddddd", linewidth=0.5)
    ax.set_title(title, fontproperties=font(20), loc="left")
    households = sum(_city_table(s).loc[TOTAL, (METRICS[1], TOTAL)] for s in summaries)
    notes = [f"城市 {len(summaries)} 个，纳入片区的居民 {households:,.0f} 户（含估算，见各市计划表注）。",
             "片区轮廓来自各市分析结果；经纬度为 WGS84。"]
    attributions = sorted({s["attribution"] for s in summaries if s.get("attribution")})
    fig.text(0.02, 0.02, "\n".join(notes + attributions), fontproperties=font(9), va="bottom")
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


def _formulas_as_text(sheet: Any) -> None:
    """Cells whose text starts with = + - @ (a city or source name) stay text, never a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                cell.data_type = "s"


def write_rollup(summaries: Sequence[Mapping[str, Any]], city_dirs: Sequence[Path], out_dir: Path, *,
                 failed: Sequence[str] = ()) -> dict[str, Path]:
    """Write the provincial plan table (CSV, XLSX), the summary (CSV) and the overview map (PNG, PDF).

    ``failed`` names the cities left out because they failed; the tables' notes say so.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = provincial_plan_table(summaries)
    summary = provincial_summary(summaries)
    gaps = provincial_gaps(summaries)
    notes = [f"全省合计为以下 {len(summaries)} 个城市之和：{'、'.join(s['name'] for s in summaries)}。"]
    if failed:
        notes.append(f"未计入（计算失败）：{'、'.join(failed)}。")
    if plan[(INVESTMENT, TOTAL)].isna().any():
        notes.append("预计投资额：有城市未提供单价表，其行留空，全省合计也留空（只加已定价城市会被误读为全省）。")
    if not any(s.get("funding") for s in summaries):
        notes.append("资金来源：各市未提供资金来源表，数据缺失。")
    notes.append("缺口小区数：缺少该类设施（任一生活圈层级）的小区数；候选用地可补：各市按缺口选出的候选用地"
                 "（每类每层级前 k 处）建成后新覆盖的其中小区数，未经逐一核查。")
    paths = {"plan_csv": out_dir / "province_plan_table.csv", "summary_csv": out_dir / "province_summary.csv",
             "gaps_csv": out_dir / "province_gaps.csv",
             "notes": out_dir / "province_notes.txt", "xlsx": out_dir / "province_plan.xlsx"}
    plan.round(4).to_csv(paths["plan_csv"], encoding="utf-8-sig")
    _as_text(summary).to_csv(paths["summary_csv"], index=False, encoding="utf-8-sig")
    gaps.to_csv(paths["gaps_csv"], encoding="utf-8-sig")
    paths["notes"].write_text("\n".join(notes) + "\n", encoding="utf-8")
    with pd.ExcelWriter(paths["xlsx"], engine="openpyxl") as writer:
        plan.round(4).to_excel(writer, sheet_name="省级计划表")
        _as_text(summary).to_excel(writer, sheet_name="省级汇总", index=False)
        gaps.to_excel(writer, sheet_name="生活圈缺口")
        pd.DataFrame({"说明": notes}).to_excel(writer, sheet_name="说明", index=False)
        for sheet in writer.book.worksheets:
            _formulas_as_text(sheet)
    for path in overview_map(summaries, city_dirs, out_dir / "province_overview"):
        paths[f"map_{path.suffix[1:]}"] = path
    return paths
