"""Costs of district content from the user's unit-cost table; the tool has no default costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisplanner.errors import InputError

CONTENT_COLUMNS = ["district_id", "renovation_class", "item", "source", "unit", "quantity", "unit_cost_yuan",
                   "cost_yuan"]
#: How a cost-table unit turns into a quantity of a district (column of the districts table).
COST_UNITS = {"m2": "floor_area_m2", "household": "households", "building": "n_buildings",
              "community": "n_communities", "district": None}


def district_costs(districts: pd.DataFrame, content: pd.DataFrame, unit_costs: pd.DataFrame | None, *,
                   file: str | None = None) -> pd.DataFrame:
    """Cost of each content item from a user-supplied unit-cost table; no default costs.

    Parameters
    ----------
    districts
        Output of :func:`~gisplanner.analysis.district_tables.district_table` (the quantities).
    content
        Output of :func:`~gisplanner.analysis.district_tables.district_content`.
    unit_costs
        Columns ``item``, ``unit`` (one of ``COST_UNITS``: m2 of floor area, household,
        building, community, district) and ``unit_cost_yuan`` (yuan per unit); None leaves
        every cost NA.
    file
        Name of the cost file, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``CONTENT_COLUMNS``; an item with no row in ``unit_costs`` keeps NA unit, quantity and
        cost.
    """
    if unit_costs is None:
        unit_costs = pd.DataFrame({"item": pd.Series(dtype=str), "unit": pd.Series(dtype=str),
                                   "unit_cost_yuan": pd.Series(dtype=float)})
    missing = {"item", "unit", "unit_cost_yuan"} - set(unit_costs.columns)
    if missing:
        raise InputError(f"单价表缺少列：{'、'.join(sorted(missing))}", file=file,
                         fix="CSV 表头须为 item,unit,unit_cost_yuan")
    # Lines as the user sees them in the CSV: the header is line 1.
    bad = ~unit_costs["unit"].isin(list(COST_UNITS)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"未知的计价单位“{unit_costs['unit'].iloc[row]}”", file=file, feature=f"第 {row + 2} 行",
                         fix=f"使用其中之一：{', '.join(COST_UNITS)}")
    price = pd.to_numeric(unit_costs["unit_cost_yuan"], errors="coerce")
    wrong = (price.isna() | (price < 0)).to_numpy()
    if wrong.any():
        raise InputError("单价须为不小于 0 的数", file=file,
                         feature=f"第 {int(np.flatnonzero(wrong)[0]) + 2} 行", fix="填写每单位的单价（元）")
    if unit_costs["item"].duplicated().any():
        item = unit_costs["item"][unit_costs["item"].duplicated()].iloc[0]
        raise InputError(f"项目“{item}”计价两次", file=file, fix="每个项目只保留一行")
    costs = unit_costs.assign(unit_cost_yuan=price)[["item", "unit", "unit_cost_yuan"]]
    out = content.merge(costs, on="item", how="left")
    qty = districts.set_index("district_id")
    quantity = np.full(len(out), np.nan)
    for unit, column in COST_UNITS.items():
        sel = (out["unit"] == unit).to_numpy()
        quantity[sel] = 1.0 if column is None else qty[column].reindex(out["district_id"][sel]).to_numpy(float)
    out["quantity"] = quantity
    out["cost_yuan"] = out["quantity"] * out["unit_cost_yuan"]
    return out[CONTENT_COLUMNS]
