"""Fixtures of the export tests: the small plan of plan_data.py."""

import pandas as pd
import pytest
from plan_data import build_plan, items

from gisplanner.export.layers import PlanLayers


@pytest.fixture
def plan() -> PlanLayers:
    return build_plan()


@pytest.fixture
def unit_costs() -> pd.DataFrame:
    """Unit costs of the items of plan_data (by Chinese name or key); 供水 is left unpriced."""
    return pd.DataFrame({"item": ["屋面维修", "elevator"], "unit": ["roof_m2", "elevator"],
                         "unit_cost_yuan": [150.0, 400_000.0]})


@pytest.fixture
def priced(unit_costs) -> pd.DataFrame:
    """plan_data's items priced with ``unit_costs``."""
    return items(unit_costs)


@pytest.fixture
def unpriced() -> pd.DataFrame:
    return items()
