"""Compare two saved district plans (two projects, or one before and after edits): what changed and what it does.

Districts are matched by ``district_id``: same members → 未变, different members → 调整, only in B → 新增, only in
A → 取消. The plan metrics are the districts, the communities and households they cover, the life-circle gaps of
those communities (each a gap the district's renovation content lists, so one the plan closes), and the
estimated investment when the district analysis priced it (otherwise 数据缺失, never a guess).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner.errors import InputError
from gisplanner.progress import Progress, ensure_progress

STATUS_ZH = {"same": "未变", "changed": "调整", "added": "新增", "removed": "取消"}
#: Colours of the communities on the compare map by what happened to them between A and B.
CHANGE_COLOURS = {"同一片区": "#9ecae1", "换了片区": "#fd8d3c", "新纳入": "#31a354", "移出": "#de2d26",
                  "不在片区": "#f0f0f0"}


@dataclass(frozen=True)
class PlanSummary:
    """One plan's districts, members and metrics."""

    label: str
    members: pd.DataFrame
    districts: Any
    communities: Any
    metrics: dict[str, float]


@dataclass(frozen=True)
class Comparison:
    """Two plans side by side.

    Attributes
    ----------
    metrics
        Rows 片区数, 覆盖小区数, 覆盖居民户数, 补齐缺口数, 预计投资额（万元）; columns 方案A, 方案B, 变化.
    districts
        One row per district id in either plan: 片区编号, 状态, 小区数 A/B, 户数 A/B, 增加的小区, 移出的小区.
    communities
        One row per community whose district changed: 小区编号, 小区名称, 方案A片区, 方案B片区, 变化.
    a, b
        The two plans.
    """

    metrics: pd.DataFrame
    districts: pd.DataFrame
    communities: pd.DataFrame
    a: PlanSummary
    b: PlanSummary


def plan_summary(project: Any, label: str) -> PlanSummary:
    """The districts, members and metrics of a project's district plan."""
    if "districts" not in project.results or "district_members" not in project.results:
        raise InputError("项目没有片区方案", file=str(project.path) if project.path else None,
                         fix="先运行片区划定（gisplanner districts 或应用中的“自动划片”）并保存")
    members = project.results["district_members"][["district_id", "community_id"]].astype(str)
    communities = project.layer("communities")
    covered = communities[communities["feature_id"].astype(str).isin(members["community_id"])]
    gaps = project.results.get("gaps")
    n_gaps = int(gaps["community_id"].astype(str).isin(members["community_id"]).sum()) if gaps is not None else 0
    districts = project.results["districts"]
    cost = pd.to_numeric(districts["cost_yuan"], errors="coerce") if "cost_yuan" in districts else None
    priced = cost is not None and len(cost) and cost.notna().all()
    metrics = {"片区数": float(len(districts)), "覆盖小区数": float(len(covered)),
               "覆盖居民户数": float(pd.to_numeric(covered["households"], errors="coerce").sum()),
               "补齐缺口数": float(n_gaps),
               "预计投资额（万元）": float(cost.sum() / 1e4) if priced else np.nan}
    return PlanSummary(label, members, districts, communities, metrics)


def compare_plans(a: PlanSummary, b: PlanSummary) -> Comparison:
    """Compare plan ``b`` with plan ``a`` (see the module docstring)."""
    metrics = pd.DataFrame({"方案A": a.metrics, "方案B": b.metrics})
    metrics["变化"] = metrics["方案B"] - metrics["方案A"]
    metrics = metrics.rename_axis("指标").reset_index()

    sets_a = a.members.groupby("district_id")["community_id"].agg(set)
    sets_b = b.members.groupby("district_id")["community_id"].agg(set)
    households = pd.concat([a.communities, b.communities]).drop_duplicates("feature_id").set_index(
        a.communities["feature_id"].name)["households"]
    households.index = households.index.astype(str)
    rows = []
    for district in sorted(set(sets_a.index) | set(sets_b.index)):
        in_a, in_b = sets_a.get(district, set()), sets_b.get(district, set())
        status = ("added" if not in_a else "removed" if not in_b else "same" if in_a == in_b else "changed")
        rows.append({"片区编号": district, "状态": STATUS_ZH[status], "方案A小区数": len(in_a),
                     "方案B小区数": len(in_b),
                     "方案A户数": float(households.reindex(sorted(in_a)).sum()),
                     "方案B户数": float(households.reindex(sorted(in_b)).sum()),
                     "增加的小区": "、".join(sorted(in_b - in_a)) if in_a else "",
                     "移出的小区": "、".join(sorted(in_a - in_b)) if in_b else ""})
    districts = pd.DataFrame(rows, columns=["片区编号", "状态", "方案A小区数", "方案B小区数", "方案A户数", "方案B户数",
                                            "增加的小区", "移出的小区"])

    of_a = a.members.set_index("community_id")["district_id"]
    of_b = b.members.set_index("community_id")["district_id"]
    names = pd.concat([a.communities, b.communities]).drop_duplicates("feature_id")
    names = dict(zip(names["feature_id"].astype(str), names["name"].astype(str)))
    changed = []
    for community in sorted(set(of_a.index) | set(of_b.index)):
        da, db = of_a.get(community), of_b.get(community)
        if da == db:
            continue
        change = "新纳入" if da is None else "移出" if db is None else "换了片区"
        changed.append({"小区编号": community, "小区名称": names.get(community, ""), "方案A片区": da or "",
                        "方案B片区": db or "", "变化": change})
    communities = pd.DataFrame(changed, columns=["小区编号", "小区名称", "方案A片区", "方案B片区", "变化"])
    return Comparison(metrics, districts, communities, a, b)


def community_change(comparison: Comparison) -> pd.Series:
    """What happened to each community of plan B's layer (a key of :data:`CHANGE_COLOURS`), by feature_id."""
    ids = comparison.b.communities["feature_id"].astype(str)
    moved = dict(zip(comparison.communities["小区编号"], comparison.communities["变化"]))
    in_b = set(comparison.b.members["community_id"])
    return pd.Series([moved.get(i, "同一片区" if i in in_b else "不在片区") for i in ids], index=ids.to_numpy())


def write_comparison(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """Write 方案比较.xlsx (指标对比, 片区变化, 小区变化) and the map 方案比较.png (A and B side by side)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from openpyxl import Workbook

    from gisplanner.export.sheets import find_cjk_font
    from gisplanner.export.spreadsheet import save_workbook, write_sheet

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    metrics = comparison.metrics.copy()
    metrics[["方案A", "方案B", "变化"]] = metrics[["方案A", "方案B", "变化"]].round(2)
    write_sheet(book, "指标对比", metrics)
    write_sheet(book, "片区变化", comparison.districts)
    write_sheet(book, "小区变化", comparison.communities)
    sheet = book["指标对比"]
    sheet.append([])
    sheet.append([f"方案A：{comparison.a.label}"])
    sheet.append([f"方案B：{comparison.b.label}"])
    if metrics["方案A"].isna().any() or metrics["方案B"].isna().any():
        sheet.append(["预计投资额空白：该方案的片区分析未使用单价表（数据缺失）"])
    table = save_workbook(book, out / "方案比较.xlsx")

    font = find_cjk_font()
    change = community_change(comparison)
    fig = Figure(figsize=(14, 7), dpi=130)
    for i, plan in enumerate((comparison.a, comparison.b)):
        ax = fig.add_subplot(1, 2, i + 1)
        communities = plan.communities
        if i == 1:
            colours = change.reindex(communities["feature_id"].astype(str)).map(CHANGE_COLOURS).to_numpy()
        else:
            in_plan = communities["feature_id"].astype(str).isin(plan.members["community_id"])
            colours = np.where(in_plan, CHANGE_COLOURS["同一片区"], CHANGE_COLOURS["不在片区"])
        communities.plot(ax=ax, color=colours, edgecolor="#555555", linewidth=0.3)
        if len(plan.districts):
            plan.districts.boundary.plot(ax=ax, color="#08306b", linewidth=1.2)
            for name, point in zip(plan.districts["district_id"].astype(str),
                                   plan.districts.geometry.representative_point()):
                ax.text(point.x, point.y, name, ha="center", va="center", fontsize=8, family=font,
                        color="#08306b", weight="bold")
        ax.set_title(f"方案{'AB'[i]}：{plan.label}", family=font, fontsize=11)
        ax.set_axis_off()  # geopandas labels the axes with the CRS; a plan map needs none
        ax.set_aspect("equal")
    handles = [Patch(facecolor=c, edgecolor="#555555", label=k) for k, c in CHANGE_COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), prop={"family": font, "size": 9})
    lines = [f"{r['指标']}：A {r['方案A']:,.{2 if '万元' in r['指标'] else 0}f} → B {r['方案B']:,.{2 if '万元' in r['指标'] else 0}f}" if pd.notna(r["方案A"]) and pd.notna(r["方案B"])
             else f"{r['指标']}：数据缺失" for _, r in comparison.metrics.iterrows()]
    fig.text(0.01, 0.99, "　".join(lines), family=font, fontsize=9, va="top")
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    chart = out / "方案比较.png"
    fig.savefig(chart)
    return {"xlsx": table, "map": chart}


def compare_projects(project_a: Any, path_b: str | Path, out_dir: str | Path, *, label_a: str | None = None,
                     progress: Progress | None = None) -> tuple[Comparison, dict[str, Path]]:
    """Compare a project's plan (A) with the plan saved in ``path_b`` (B) and write the table and map."""
    from gisplanner.project import Project

    progress = ensure_progress(progress)
    progress.update(0, 2, "读取方案B")
    path_b = Path(path_b)
    label_a = label_a or (Path(project_a.path).stem if project_a.path else "当前方案")
    comparison = compare_plans(plan_summary(project_a, label_a), plan_summary(Project.load(path_b), path_b.stem))
    progress.update(1, 2, "写出比较表和比较图")
    written = write_comparison(comparison, out_dir)
    progress.update(2, 2, "完成")
    return comparison, written
