"""The annual renovation plan: which ledger projects enter a year's plan, and why the others do not.

Selection, in order (建办城〔2021〕28号 三（二）、三（四）; 黑政办规〔2021〕15号 二（三）):
1. phase: only the plan phases of ledger.yaml (谋划, and 实施 projects of that year); 储备 and 完工 stay out;
2. preconditions of the province (:func:`gisplanner.ledger.check_preconditions`): any unmet one keeps the
   project out, and the reason names it;
3. priority: weighted sum of min–max scaled gaps closed (life-circle gap entries of the member communities,
   each of which the district's renovation content lists), households, and building age (plan year minus the
   household-weighted mean built year); 实施 projects already in that year come first;
4. the budget: the plan's 市县财政 share may not exceed the budget the user enters (万元), taken in priority
   order; unpriced projects cannot be checked and are reported;
5. the post-2000 cap: communities built after 2000 may hold at most the configured share of the plan's
   households (15 %, by households); the lowest-priority projects holding them leave until it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner import funding
from gisplanner.export.package import city_name
from gisplanner.export.plan_table import PlanTable, plan_table, write_plan_sheet
from gisplanner.export.spreadsheet import save_workbook, write_sheet
from gisplanner.ledger import (
    check_preconditions,
    households_by_project,
    project_communities,
    project_ledger,
)
from gisplanner.progress import Progress, ensure_progress
from gisplanner.standards import Standards


@dataclass(frozen=True)
class AnnualPlan:
    """A year's plan.

    Attributes
    ----------
    year
        The plan year.
    selection
        One row per ledger project: ``project_id``, ``name``, ``phase``, ``selected`` (bool), ``reason``
        (Chinese, why it is out or how it entered), ``priority`` (0–1, NaN when not ranked), ``gaps``,
        ``households``, ``age_years``, ``local_wan``, ``post2000_households``.
    split
        Funding by source of the selected projects (:func:`gisplanner.funding.funding_split`).
    fiscal
        The fiscal-capacity check of the selected projects.
    plan_table
        The plan table (001's shape) of the selected projects' communities.
    post2000_share
        Share of the plan's households in communities built after the cutoff year (0–1).
    post2000_cap
        The cap on that share.
    """

    year: int
    selection: pd.DataFrame
    split: pd.DataFrame
    fiscal: funding.FiscalCheck
    plan_table: PlanTable
    post2000_share: float
    post2000_cap: float

    @property
    def selected_ids(self) -> list[str]:
        return self.selection.loc[self.selection["selected"], "project_id"].tolist()


def _scaled(values: pd.Series) -> pd.Series:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else pd.Series(0.0, index=values.index)


def priority_inputs(ledger: pd.DataFrame, communities: pd.DataFrame, gaps: pd.DataFrame | None, *,
                    year: int) -> pd.DataFrame:
    """Per project (index ``project_id``): ``gaps`` (gap entries of its communities), ``households``,
    ``age_years`` (year minus household-weighted mean built year; NaN when no year is known)."""
    pairs = project_communities(ledger, communities)
    households = pd.to_numeric(pairs["households"], errors="coerce").fillna(0.0)
    built = pd.to_numeric(pairs["built_year"], errors="coerce")
    weight = households.where(built.notna(), 0.0)
    weighted = (built.fillna(0.0) * weight).groupby(pairs["project_id"]).sum()
    mean_year = weighted / weight.groupby(pairs["project_id"]).sum().replace(0.0, np.nan)
    n_gaps = pd.Series(0, index=pairs.index)
    if gaps is not None and len(gaps):
        per_community = gaps["community_id"].astype(str).value_counts()
        n_gaps = pairs["community_id"].map(per_community).fillna(0)
    ids = ledger["project_id"].astype(str)
    return pd.DataFrame({
        "gaps": n_gaps.groupby(pairs["project_id"]).sum().reindex(ids).fillna(0).astype(int),
        "households": households.groupby(pairs["project_id"]).sum().reindex(ids).fillna(0.0),
        "age_years": (year - mean_year).reindex(ids),
    }, index=ids)


def select_plan(ledger: pd.DataFrame, communities: pd.DataFrame, standards: Standards, *, city: str, year: int,
                gaps: pd.DataFrame | None = None, investment_wan: pd.Series | None = None,
                budget_wan: float | None = None, province: str | None = None, city_zh: str = "本市") -> AnnualPlan:
    """Select the projects of ``year``'s plan from the ledger (see the module docstring for the rules).

    Parameters
    ----------
    ledger
        The ledger (:func:`gisplanner.ledger.normalise`).
    communities
        The communities layer (``feature_id``, ``households``, ``built_year``, ``area_type``, ``n_buildings``,
        ``floor_area_m2``).
    standards
        The project's standards (ledger and renovation rules).
    city
        The project's city (its province's preconditions and subsidies apply).
    year
        The plan year.
    gaps
        The life-circle gaps result (``community_id``), for the priority; None counts no gaps.
    investment_wan
        Estimated investment per project, 万元 (:func:`gisplanner.funding.project_investment`); None: unpriced.
    budget_wan
        The 市县财政 the city can afford this year, 万元; None: no budget cap.
    province
        Province key to use instead of the city's.
    city_zh
        The 地级以上城市 the plan table names (哈尔滨市).
    """
    rules = standards.ledger
    province = province or rules.province(city)
    check = check_preconditions(ledger, communities, standards, city=city, province=province)
    inputs = priority_inputs(ledger, communities, gaps, year=year)
    households = households_by_project(ledger, communities)
    split_all = funding.funding_split(ledger, households, investment_wan, standards, province=province)
    ids = ledger["project_id"].astype(str).to_numpy()
    phases = rules.phases
    selection = pd.DataFrame({"project_id": ids, "name": ledger["name"].to_numpy(),
                              "phase": ledger["phase"].map(lambda p: phases.get(p, p)).to_numpy(),
                              "selected": False, "reason": "", "priority": np.nan,
                              "gaps": inputs["gaps"].to_numpy(), "households": inputs["households"].to_numpy(),
                              "age_years": inputs["age_years"].to_numpy(),
                              "local_wan": split_all["local"].to_numpy()})
    cutoff = standards.renovation.eligibility.built_before_end_of
    pairs = project_communities(ledger, communities)
    late = pd.to_numeric(pairs["built_year"], errors="coerce") > cutoff
    late_households = pd.to_numeric(pairs["households"], errors="coerce").fillna(0.0).where(late, 0.0)
    selection["post2000_households"] = late_households.groupby(pairs["project_id"]).sum().reindex(ids).fillna(
        0.0).to_numpy()

    plan_year = ledger["plan_year"]
    phase = ledger["phase"].to_numpy()
    candidate = np.zeros(len(ledger), dtype=bool)
    for i in range(len(ledger)):
        p, y = phase[i], plan_year.iloc[i]
        if p not in rules.plan_phases:
            hint = "，需先转入谋划" if p == "reserve" else ""
            selection.loc[i, "reason"] = f"项目阶段为{phases.get(p, p)}{hint}"
        elif y is not pd.NA and int(y) != year:
            selection.loc[i, "reason"] = f"计划年度为{int(y)}年"
        elif check.table["unmet"].iloc[i]:
            selection.loc[i, "reason"] = "前提条件未满足：" + check.table["unmet"].iloc[i]
        else:
            candidate[i] = True

    weights = rules.priority_weights
    scores = (weights["gaps"] * _scaled(selection["gaps"].astype(float))
              + weights["households"] * _scaled(selection["households"])
              + weights["age"] * _scaled(selection["age_years"].fillna(selection["age_years"].min())))
    total_weight = sum(weights.values()) or 1.0
    selection.loc[candidate, "priority"] = (scores / total_weight)[candidate].round(4)
    committed = (phase == "implementing") & candidate
    order = sorted(np.flatnonzero(candidate), key=lambda i: (not committed[i], -selection["priority"].iloc[i]))

    remaining = budget_wan
    for i in order:
        local = selection["local_wan"].iloc[i]
        if remaining is not None and not np.isnan(local):
            if local > remaining + 1e-9 and not committed[i]:
                selection.loc[i, "reason"] = (f"超出财政承受能力：市县财政需 {local:.2f} 万元，"
                                              f"额度余 {remaining:.2f} 万元")
                continue
            remaining -= local
        selection.loc[i, "selected"] = True
        selection.loc[i, "reason"] = "已在本年度实施" if committed[i] else "纳入年度计划"
        if remaining is not None and np.isnan(local):
            selection.loc[i, "reason"] += "（无预计投资额，未计入财政额度）"

    cap = standards.renovation.eligibility.extension_max_share_of_households

    def late_share() -> float:
        chosen = selection[selection["selected"]]
        total = chosen["households"].sum()
        return float(chosen["post2000_households"].sum() / total) if total > 0 else 0.0

    for i in reversed(order):
        if late_share() <= cap + 1e-9:
            break
        if selection["selected"].iloc[i] and selection["post2000_households"].iloc[i] > 0 and not committed[i]:
            selection.loc[i, "selected"] = False
            selection.loc[i, "reason"] = f"{cutoff}年底后建成小区户数占比将超过{cap:.0%}（按居民户数计）"

    chosen = selection["selected"].to_numpy()
    split = split_all[chosen].reset_index(drop=True)
    members = pairs[pairs["project_id"].isin(selection.loc[chosen, "project_id"])]
    in_plan = communities[communities["feature_id"].astype(str).isin(members["community_id"])]
    investment = None
    if investment_wan is not None and len(split) and not split["total_wan"].isna().any():
        # the plan table prices communities; a project's investment is spread over its members by households
        share = pd.to_numeric(members["households"], errors="coerce").fillna(0.0)
        share = share / share.groupby(members["project_id"]).transform("sum").replace(0.0, np.nan)
        by_project = split.set_index("project_id")["total_wan"]
        per_community = (members["project_id"].map(by_project) * share * 1e4).groupby(
            members["community_id"]).sum()
        investment = in_plan["feature_id"].astype(str).map(per_community).round(2)  # yuan to the fen
    in_plan = pd.DataFrame(in_plan.drop(columns="geometry", errors="ignore")).assign(plan_year=year)
    if investment is not None:
        in_plan["investment_yuan"] = investment.to_numpy()
    table = plan_table({city_zh: in_plan}, plan_year=year, cutoff_year=cutoff, max_after_share=cap)
    return AnnualPlan(year, selection, split, funding.fiscal_check(split, standards, budget_wan=budget_wan),
                      table, late_share(), cap)


def project_annual_plan(project: Any, *, year: int, budget_wan: float | None = None,
                        unit_costs: pd.DataFrame | None = None, unit_costs_file: str | None = None) -> AnnualPlan:
    """:func:`select_plan` on a project's ledger, communities, gaps and unit costs."""
    ledger = project_ledger(project)
    investment = funding.project_investment(project, ledger, unit_costs, file=unit_costs_file)
    return select_plan(ledger, project.layer("communities"), project.standards(), city=project.city, year=year,
                       gaps=project.results.get("gaps"), investment_wan=investment, budget_wan=budget_wan,
                       province=project.settings.get("province"), city_zh=project_city_zh(project))


def project_city_zh(project: Any) -> str:
    """The project's city as the plan table names it (哈尔滨市)."""
    city = project.standards().sunlight.cities.get(project.city)
    return city_name(city.zh if city is not None else project.city)


def selection_display(plan: AnnualPlan) -> pd.DataFrame:
    """The selection with Chinese headers, selected projects first in priority order."""
    s = plan.selection.sort_values(["selected", "priority"], ascending=[False, False], na_position="last")
    return pd.DataFrame({
        "项目编号": s["project_id"], "项目名称": s["name"], "项目阶段": s["phase"],
        "纳入计划": s["selected"].map({True: "是", False: "否"}), "说明": s["reason"],
        "优先度": s["priority"].round(3), "补齐缺口数": s["gaps"], "居民户数": s["households"].round(0),
        "平均房龄（年）": s["age_years"].round(1), "2000年底后建成户数": s["post2000_households"].round(0),
        "市县财政出资（万元）": s["local_wan"].round(2),
    })


def write_plan(plan: AnnualPlan, out_dir: str | Path, standards: Standards, *, title: str,
               province: str = "") -> dict[str, Path]:
    """Write ``年度计划_<year>.xlsx`` (计划表 and 计划表小区明细 in 001's shape, 项目遴选, 资金筹措, 财政承受能力) and
    the chart ``资金来源_<year>.png``; returns name -> path."""
    from openpyxl import Workbook

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workbook = out / f"年度计划_{plan.year}.xlsx"
    book = Workbook()
    default = book.active
    write_plan_sheet(book, plan.plan_table, province=province)
    book.remove(default)
    write_sheet(book, "项目遴选", selection_display(plan))
    write_sheet(book, "资金筹措", funding.split_display(plan.split, standards))
    fiscal = plan.fiscal.by_source.rename(columns={"source": "资金来源", "amount_wan": "金额（万元）"})
    sheet = write_sheet(book, "财政承受能力", fiscal.round(2))
    sheet.append([])
    sheet.append([plan.fiscal.verdict])
    save_workbook(book, workbook)
    chart = funding.fiscal_chart(plan.fiscal, out / f"资金来源_{plan.year}.png",
                                 title=f"{title}{plan.year}年改造计划资金来源")
    return {"xlsx": workbook, "chart": chart}


def plan_title(project: Any) -> str:
    """The heading prefix of a project's plan outputs: its name, else its city's Chinese name."""
    city = project.standards().sunlight.cities.get(project.city)
    return project.name or (city.zh if city is not None else "")


def run_annual_plan(project: Any, *, year: int, out_dir: str | Path, budget_wan: float | None = None,
                    unit_costs: pd.DataFrame | None = None, unit_costs_file: str | None = None,
                    progress: Progress | None = None) -> tuple[AnnualPlan, dict[str, Path]]:
    """Select ``year``'s plan from the project's ledger and write it to ``out_dir`` (see :func:`write_plan`)."""
    progress = ensure_progress(progress)
    progress.update(0, 2, "遴选年度计划")
    plan = project_annual_plan(project, year=year, budget_wan=budget_wan, unit_costs=unit_costs,
                               unit_costs_file=unit_costs_file)
    progress.update(1, 2, "写出计划表和资金图")
    standards = project.standards()
    province = standards.ledger.province_zh.get(project.settings.get("province") or
                                                standards.ledger.province(project.city), "")
    written = write_plan(plan, out_dir, standards, title=plan_title(project),
                         province="" if province == "全国" else province)
    progress.update(2, 2, "完成")
    return plan, written
