"""Checks of the parameters a user gives an analysis, the same for the CLI, the app and scripts.

The workflow functions (:mod:`gisplanner.workflow`) call these before any work, so a value nobody could mean
(``--year 0``, ``--step-min nan``, a sweep angle of 200°) is refused with its name, the allowed range and the
fix, instead of being silently replaced by a default or overwriting stored results with an empty run.
"""

from __future__ import annotations

import math
from numbers import Real

from gisplanner.errors import InputError

#: Years a sun path may be computed for (the standard days of the sunlight rules recur every year).
YEARS = (1900, 2100)


def check_number(name: str, value: object, low: float | None = None, high: float | None = None, *,
                 unit: str = "", low_open: bool = False, integer: bool = False) -> float | None:
    """``value`` as a number within [low, high] (``low_open``: strictly above low); None passes through.

    Raises
    ------
    InputError
        Naming the parameter, the value, the allowed range and the fix.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InputError(f"{name} 的值 {value!r} 不是有限的数",
                         fix=f"给 {name} 一个数{_range(low, high, unit, low_open)}")
    number = float(value)
    below = low is not None and (number <= low if low_open else number < low)
    kind = "整数" if integer else "数"
    if below or (high is not None and number > high):
        raise InputError(f"{name} 的值 {value:g}{unit} 超出允许范围{_range(low, high, unit, low_open)}",
                         fix=f"给 {name} 一个{kind}{_range(low, high, unit, low_open)}")
    if integer and number != int(number):
        raise InputError(f"{name} 的值 {value:g} 不是整数", fix=f"给 {name} 一个整数{_range(low, high, unit, low_open)}")
    return number


def _range(low: float | None, high: float | None, unit: str, low_open: bool = False) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'大于' if low_open else '不小于'} {low:g}{unit}")
    if high is not None:
        parts.append(f"不超过 {high:g}{unit}")
    return f"（{'，'.join(parts)}）" if parts else ""


def check_sunlight(*, year: int | None = None, step_min: float | None = None, sweep_deg: float | None = None,
                   add_height_m: float | None = None) -> None:
    """The parameters of a sunlight run: year, time step, smallest sweep angle, height of a proposed building."""
    check_number("年份 --year", year, *YEARS, integer=True)
    check_number("时间步长 --step-min", step_min, 0, 60, unit=" 分钟", low_open=True)
    check_number("最小扫略角 --sweep-deg", sweep_deg, 0, 89, unit="°")
    check_number("新建筑高度 --add-height", add_height_m, 0, 300, unit=" m", low_open=True)


def check_placement(*, floors: float | None = None, height_m: float | None = None, gfa_m2: float | None = None,
                    investment_wan_yuan: float | None = None) -> None:
    """The size of a proposed facility: floors, height, gross floor area, investment."""
    check_number("层数 --floors", floors, 0, 100, low_open=True, integer=True)
    check_number("高度 --height", height_m, 0, 300, unit=" m", low_open=True)
    check_number("建筑面积 --gfa", gfa_m2, 0, 1_000_000, unit=" m²", low_open=True)
    check_number("投资 --investment", investment_wan_yuan, 0, None, unit=" 万元")


def check_districts(*, min_population: float | None = None, max_population: float | None = None,
                    max_extent_m: float | None = None) -> None:
    """The bounds of a district: population range and extent."""
    low = check_number("最小人口 --min-population", min_population, 0, None)
    high = check_number("最大人口 --max-population", max_population, 0, None, low_open=True)
    check_number("最大范围 --max-extent", max_extent_m, 0, 100_000, unit=" m", low_open=True)
    if low is not None and high is not None and low > high:
        raise InputError(f"最小人口 {low:g} 大于最大人口 {high:g}", fix="让 --min-population 不大于 --max-population")
