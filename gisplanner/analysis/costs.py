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
        raise InputError(f"unit-cost table lacks columns {sorted(missing)}", file=file,
                         fix="give the CSV the header item,unit,unit_cost_yuan")
    # Lines as the user sees them in the CSV: the header is line 1.
    bad = ~unit_costs["unit"].isin(list(COST_UNITS)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"unknown unit {unit_costs['unit'].iloc[row]!r}", file=file, feature=f"line {row + 2}",
                         fix=f"use one of {', '.join(COST_UNITS)}")
    price = pd.to_numeric(unit_costs["unit_cost_yuan"], errors="coerce")
    wrong = (price.isna() | (price < 0)).to_numpy()
    if wrong.any():
        raise InputError("unit_cost_yuan must be a number >= 0", file=file,
                         feature=f"line {int(np.flatnonzero(wrong)[0]) + 2}", fix="fill in the cost in yuan per unit")
    if unit_costs["item"].duplicated().any():
        item = unit_costs["item"][unit_costs["item"].duplicated()].iloc[0]
        raise InputError(f"item {item!r} is priced twice", file=file, fix="keep one row per item")
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
