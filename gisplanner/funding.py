"""Funding of renovation projects by source, and the fiscal-capacity check of a year's plan.

Sources (ledger.yaml ``funding_sources``): 中央补助, 省级, 市县财政, 专项债, 专业经营单位, 居民出资, 社会资本.
The province's subsidies are applied first (青海: 房屋本体每户不低于1.5万元, 加装电梯每部不低于15万元,
青政办〔2021〕13号); 专项债, 专业经营单位, 居民出资 and 社会资本 are the amounts the ledger records; 市县财政
pays the rest of the estimated investment. Without a unit-cost table the investment is unknown, so 市县财政 and
the total stay blank (NaN) rather than a guess. Money is in 万元 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner.analysis.renovation import community_costs
from gisplanner.catalogue import plan_unit_costs, renovation_items
from gisplanner.ledger import project_communities
from gisplanner.standards import Standards

#: Ledger column of each source the ledger records directly (万元).
RECORDED = {"special_bonds": "fund_special_bonds_wan", "utilities": "fund_utilities_wan",
            "residents": "fund_residents_wan", "social": "fund_social_wan"}
TOTAL = "预计投资额（万元）"
NO_PRICES = "未提供单价表：预计投资额和市县财政出资留空"
UNPRICED_PROJECT = "项目有小区没有已选改造内容，或其已选改造内容无单价：预计投资额和市县财政出资留空"


def funding_split(ledger: pd.DataFrame, households: pd.Series, investment_wan: pd.Series | None,
                  standards: Standards, *, province: str) -> pd.DataFrame:
    """Each project's estimated investment split by funding source.

    Parameters
    ----------
    ledger
        The ledger (``project_id``, ``name``, ``elevators``, ``central_subsidy_before``, the ``fund_*_wan``
        columns).
    households
        Households per project, indexed by ``project_id``.
    investment_wan
        Estimated investment per project, 万元, indexed by ``project_id``; None or NaN where no unit-cost table
        priced it.
    standards
        ``standards.ledger`` gives the sources and the province's subsidies.
    province
        Province key of the subsidies to apply (none configured: no subsidy).

    Returns
    -------
    pandas.DataFrame
        One row per project: ``project_id``, ``name``, one column per source key (万元), ``total_wan``,
        ``note`` (Chinese: which subsidy applied, what is missing).
    """
    rules = standards.ledger
    ids = ledger["project_id"].astype(str)
    out = pd.DataFrame({"project_id": ids.to_numpy(), "name": ledger["name"].to_numpy()})
    for key in rules.funding_sources:
        out[key] = 0.0
    notes: list[list[str]] = [[] for _ in range(len(out))]
    prior = ledger["central_subsidy_before"].fillna(False).astype(bool).to_numpy()
    quantity = {"household": households.reindex(ids).fillna(0.0).to_numpy(dtype=float),
                "elevator": ledger["elevators"].fillna(0).to_numpy(dtype=float)}
    for rule in rules.subsidies.get(province, ()):
        amount = quantity[rule.per] * rule.amount_yuan / 1e4
        if rule.needs_central:
            for i in np.flatnonzero(prior & (amount > 0)):
                notes[i].append(f"已纳入过中央补助，不计{rule.zh}")
            amount = np.where(prior, 0.0, amount)
        out[rule.to] += amount
        unit = "户" if rule.per == "household" else "部"
        for i in np.flatnonzero(amount > 0):
            notes[i].append(f"{rule.zh}：{quantity[rule.per][i]:.0f}{unit} × {rule.amount_yuan / 1e4:g}万元")
    for key, column in RECORDED.items():
        out[key] += ledger[column].fillna(0.0).to_numpy(dtype=float)
    total = (investment_wan.reindex(ids).to_numpy(dtype=float) if investment_wan is not None
             else np.full(len(out), np.nan))
    others = out[[k for k in rules.funding_sources if k != "local"]].sum(axis=1).to_numpy()
    local = total - others
    for i in np.flatnonzero(local < 0):
        notes[i].append(f"其他来源合计超出预计投资额 {-local[i]:.2f} 万元，市县财政计 0")
    out["local"] = np.where(np.isnan(total), np.nan, np.maximum(local, 0.0))
    out["total_wan"] = total
    for i in np.flatnonzero(np.isnan(total)):
        notes[i].append(NO_PRICES if investment_wan is None else UNPRICED_PROJECT)
    out["note"] = ["；".join(n) for n in notes]
    return out


def split_display(split: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """The split with Chinese headers: 项目编号, 项目名称, 预计投资额, one column per source, 说明."""
    names = standards.ledger.funding_sources
    table = pd.DataFrame({"项目编号": split["project_id"], "项目名称": split["name"],
                          TOTAL: split["total_wan"].round(2)})
    for key, zh in names.items():
        table[f"{zh}（万元）"] = split[key].round(2)
    table["说明"] = split["note"]
    return table


@dataclass(frozen=True)
class FiscalCheck:
    """The year's plan against the city's budget.

    Attributes
    ----------
    by_source
        One row per funding source: ``source`` (Chinese), ``amount_wan``; the last row is 合计.
    local_wan
        The plan's 市县财政 share, 万元 (NaN when any project is unpriced).
    budget_wan
        The budget the user entered for 市县财政, 万元, or None.
    verdict
        Chinese sentence: within capacity, over by how much, or what is missing.
    within
        True/False, or None when it cannot be decided.
    """

    by_source: pd.DataFrame
    local_wan: float
    budget_wan: float | None
    verdict: str
    within: bool | None


def fiscal_check(split: pd.DataFrame, standards: Standards, *, budget_wan: float | None) -> FiscalCheck:
    """Sum the plan's funding by source and compare 市县财政 with the budget (建办城〔2021〕28号 三（二）:
    「确保改造计划任务控制在财政承受范围以内」)."""
    names = standards.ledger.funding_sources
    sums = {key: float(split[key].sum(min_count=1)) if len(split) else 0.0 for key in names}
    unpriced = bool(split["total_wan"].isna().any()) if len(split) else False
    local = np.nan if unpriced else sums["local"]
    total = np.nan if unpriced else float(split["total_wan"].sum())
    by_source = pd.DataFrame({"source": [*names.values(), "合计"],
                              "amount_wan": [*(np.nan if k == "local" and unpriced else sums[k] for k in names),
                                             total]})
    if budget_wan is None:
        verdict, within = "未输入市县财政承受额度，未作财政承受能力核算", None
    elif unpriced:
        n = int(split["total_wan"].isna().sum())
        verdict, within = f"数据缺失：{n} 个项目无预计投资额（原因见资金筹措表“说明”），无法核算财政承受能力", None
    elif local <= budget_wan + 1e-9:
        verdict, within = (f"市县财政出资 {local:.2f} 万元，在承受额度 {budget_wan:.2f} 万元以内"
                           f"（余 {budget_wan - local:.2f} 万元）"), True
    else:
        verdict, within = (f"市县财政出资 {local:.2f} 万元，超出承受额度 {budget_wan:.2f} 万元 "
                           f"{local - budget_wan:.2f} 万元"), False
    return FiscalCheck(by_source, float(local), budget_wan, verdict, within)


def fiscal_chart(check: FiscalCheck, path: str | Path, *, title: str) -> Path:
    """A bar chart of the plan's funding by source (万元), the budget drawn on the 市县财政 bar; PNG."""
    from matplotlib.figure import Figure

    from gisplanner.export.sheets import find_cjk_font

    font = find_cjk_font()
    rows = check.by_source.iloc[:-1]
    fig = Figure(figsize=(8, 4.5), dpi=150)
    ax = fig.add_subplot()
    values = rows["amount_wan"].fillna(0.0).to_numpy()
    bars = ax.bar(range(len(rows)), values, color="#4a78a8")
    for bar, value in zip(bars, rows["amount_wan"]):
        label = "数据缺失" if pd.isna(value) else f"{value:.1f}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=8, family=font)
    names = rows["source"].tolist()
    if check.budget_wan is not None and "市县财政" in names:
        i = names.index("市县财政")
        ax.hlines(check.budget_wan, i - 0.45, i + 0.45, colors="#c0392b", linewidth=2,
                  label=f"市县财政承受额度 {check.budget_wan:.1f} 万元")
        ax.legend(prop={"family": font, "size": 8}, loc="upper right")
    ax.set_xticks(range(len(rows)), names, family=font, fontsize=9)
    ax.set_ylabel("万元", family=font)
    ax.set_title(title, family=font, fontsize=11)
    fig.text(0.01, 0.01, check.verdict, family=font, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def project_investment(project: Any, ledger: pd.DataFrame, unit_costs: pd.DataFrame | None, *,
                       file: str | None = None) -> pd.Series | None:
    """Estimated investment of each ledger project, 万元, from the user's unit-cost table (by default the one
    the district plan was priced with).

    Each member community costs its selected renovation items (一区一策, :func:`gisplanner.catalogue.renovation_items`,
    :func:`gisplanner.analysis.renovation.community_costs`); a project sums its members. None without a table;
    NaN for a project with a member whose cost is blank.
    """
    if unit_costs is None:
        unit_costs = plan_unit_costs(project)
    if unit_costs is None:
        return None
    by_community = community_costs(renovation_items(project, unit_costs=unit_costs, unit_costs_file=file))["cost_yuan"]
    pairs = project_communities(ledger, project.layer("communities"))
    cost = pairs["community_id"].map(by_community)
    total = cost.groupby(pairs["project_id"]).sum(min_count=1)
    # a project is priced only when every member community is
    complete = cost.notna().groupby(pairs["project_id"]).all()
    return (total.where(complete) / 1e4).reindex(ledger["project_id"].astype(str))
