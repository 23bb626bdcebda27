"""Fixtures of the export tests: the small plan of plan_data.py."""

import pandas as pd
import pytest
from plan_data import build_plan

from gisplanner.export.layers import PlanLayers


@pytest.fixture
def plan() -> PlanLayers:
    return build_plan()


@pytest.fixture
def unit_costs() -> pd.DataFrame:
    """Unit costs in the format of gisplanner.analysis.costs.district_costs; 供水 is left unpriced."""
    return pd.DataFrame({"item": ["屋面、外墙、楼梯维修", "加装电梯", "幼儿园"],
                         "unit": ["m2", "building", "district"],
                         "unit_cost_yuan": [120.0, 500_000.0, 3_000_000.0]})
