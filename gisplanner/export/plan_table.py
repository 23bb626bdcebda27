"""The annual renovation plan table in the exact shape of 建办城〔2021〕28号's 《2022年城镇老旧小区改造计划表》.

The table has one block of rows per 地级以上城市 (全市小计 / 1. 城市(建成区) / 2. 县城(城关镇)) and a closing
全省(区、市) block (合计 / 城市 / 县城); its columns are 小区数, 居民户数, 楼栋数, 住宅建筑面积, 预计投资额, each split
2000年底前 / 2000年底后 / 合计. :func:`plan_table` builds it from one community table per city, so the same call
makes a city's table (one entry) or a province's roll-up (many entries); :func:`write_plan_sheet` writes it into
a workbook with 001's header rows and merged cells.

Counts are integers: each community's household count is rounded before summing, so every subtotal is the sum
of the cells above it. A community without building data gets its floor area from its households
(``households × area_per_household_m2``) and is marked estimated, never 0. Every estimated figure is counted
in the row's 备注 and listed per community in :attr:`PlanTable.communities`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner.errors import InputError
from gisplanner.io import spreadsheets

CITY_COLUMN = "地级以上城市"
CLASS_COLUMN = "分类"
REMARK_COLUMN = "备注"
BEFORE, AFTER, TOTAL = PERIODS = ("2000年底前", "2000年底后", "合计")
METRICS = ("小区数(个)", "居民户数(户)", "楼栋数(栋)", "住宅建筑面积(万平方米)", "预计投资额(万元)")
COMMUNITIES, HOUSEHOLDS, BUILDINGS, FLOOR_AREA, INVESTMENT = METRICS
#: Integer columns; floor area and investment are decimals.
COUNTS = (COMMUNITIES, HOUSEHOLDS, BUILDINGS)
#: area_type -> its name, and the row labels of 001's table (half-width brackets and colons as printed there).
AREA_ZH = {"city": "城市(建成区)", "county": "县城(城关镇)"}
AREA_ROWS = {key: f"{n}. {name}" for n, (key, name) in enumerate(AREA_ZH.items(), start=1)}
CITY_SUBTOTAL = "全市小计:"
PROVINCE = "全省(区、市)"
PROVINCE_TOTAL = "全省(区、市)合计:"
NO_COSTS_NOTE = "预计投资额：未提供单价表（造价指标），留空；本工具不内置任何造价。"
#: 建办城〔2021〕28号 三（四）: the latest build year of a post-2000 community and its share of the plan.
LATEST_YEAR = 2005
MAX_AFTER_SHARE = 0.15


@dataclass(frozen=True)
class PlanTable:
    """The plan table, its remarks and notes, and the communities it counts.

    Attributes
    ----------
    table
        Rows a MultiIndex (:data:`CITY_COLUMN`, :data:`CLASS_COLUMN`) in 001's order; columns a MultiIndex
        (metric, period) over :data:`METRICS` × :data:`PERIODS`. Counts are ints, floor area in 万平方米,
        investment in 万元 (NaN when no unit costs were given).
    remarks
        The 备注 of each row (estimated figures, unknown years), aligned to ``table``; "" when none.
    notes
        Sentences printed under the table: plan year, cut-off, the 15 % share, what was left out.
    communities
        One row per counted community: ``city``, ``feature_id``, ``name``, ``area_type``, ``built_year``,
        ``period``, ``households`` (int), ``households_estimated``, ``n_buildings``, ``floor_area_m2``,
        ``floor_area_estimated``, ``investment_yuan``, ``plan_year``, ``eligibility_basis``.
    plan_year
        The year the table was made for, or None when it covers every eligible community.
    """

    table: pd.DataFrame
    remarks: pd.Series
    notes: tuple[str, ...]
    communities: pd.DataFrame
    plan_year: int | None

    @property
    def title(self) -> str:
        """001's heading with the plan year, or saying that no year was chosen."""
        if self.plan_year is None:
            return "城镇老旧小区改造计划表（未设定计划年度：全部符合条件的小区）"
        return f"{self.plan_year}年城镇老旧小区改造计划表"


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].astype("boolean").fillna(False).astype(bool)


def _select(city: str, frame: pd.DataFrame, plan_year: int | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The communities of ``city`` in the plan, and how many were left out and why."""
    dropped: dict[str, int] = {}
    keep = pd.Series(True, index=frame.index)
    if plan_year is not None:
        if "plan_year" not in frame.columns:
            raise InputError(f"{city} 的小区表没有 plan_year 字段，无法按 {plan_year} 年编制计划表",
                             layer="communities",
                             fix="在小区图层加入 plan_year（计划改造年度）字段，或不指定计划年度")
        keep &= _numeric(frame, "plan_year") == plan_year
    if "eligible" in frame.columns:
        ineligible = keep & ~_flag(frame, "eligible")
        dropped["不符合改造条件"] = int(ineligible.sum())
        keep &= ~ineligible
    year = _numeric(frame, "built_year")
    too_late = keep & (year > LATEST_YEAR)
    dropped[f"建成晚于{LATEST_YEAR}年底"] = int(too_late.sum())
    keep &= ~too_late
    chosen = frame.loc[keep]
    bad = ~chosen["area_type"].isin(list(AREA_ROWS)) if "area_type" in chosen else pd.Series(True, chosen.index)
    if bad.any():
        feature = chosen.loc[bad, "feature_id"].iloc[0] if "feature_id" in chosen else None
        value = chosen.loc[bad, "area_type"].iloc[0] if "area_type" in chosen else None
        raise InputError(f"{city} 小区的 area_type 为 {value!r}，既不是 city（城市建成区）也不是 county（县城）",
                         layer="communities", feature=feature,
                         fix="在字段映射中把 area_type 设为 city 或 county")
    return chosen, {k: v for k, v in dropped.items() if v}


def _community_rows(city: str, frame: pd.DataFrame, *, cutoff_year: int,
                    area_per_household_m2: float) -> pd.DataFrame:
    households = _numeric(frame, "households").fillna(0.0)
    # A community with any households counts at least one: rounding must not make it vanish from the count.
    counted = np.where(households > 0, np.maximum(1, np.floor(households + 0.5)), 0).astype(np.int64)
    floor = _numeric(frame, "floor_area_m2")
    no_floor = floor.isna() | (floor <= 0)
    floor_m2 = np.where(no_floor, counted * area_per_household_m2, floor)
    year = _numeric(frame, "built_year")
    period = np.where(year.isna(), None, np.where(year <= cutoff_year, BEFORE, AFTER))
    n = len(frame)
    return pd.DataFrame({
        "city": city,
        "feature_id": frame["feature_id"].astype(str).to_numpy() if "feature_id" in frame else [""] * n,
        "name": frame["name"].astype(str).to_numpy() if "name" in frame else [""] * n,
        "area_type": frame["area_type"].to_numpy(),
        "built_year": year.astype("Int64").to_numpy(),
        "period": period,
        "households": counted,
        "households_estimated": _flag(frame, "households_estimated").to_numpy(),
        "n_buildings": _numeric(frame, "n_buildings").fillna(0).astype(np.int64).to_numpy(),
        "floor_area_m2": np.round(floor_m2.astype(float), 0),
        "floor_area_estimated": no_floor.to_numpy() | _flag(frame, "floor_area_estimated").to_numpy(),
        "investment_yuan": _numeric(frame, "investment_yuan").to_numpy(),
        "plan_year": _numeric(frame, "plan_year").astype("Int64").to_numpy(),
        "eligibility_basis": (frame["eligibility_basis"].astype("string").to_numpy() if "eligibility_basis" in frame
                              else pd.array([pd.NA] * n, dtype="string")),
    })


def _block(rows: pd.DataFrame, priced: bool) -> list[float]:
    """One table row: metrics × periods summed over ``rows`` (unknown-year communities in 合计 only)."""
    values = []
    for metric, column in zip(METRICS, ("_one", "households", "n_buildings", "floor_area_m2", "investment_yuan")):
        for period in PERIODS:
            part = rows if period == TOTAL else rows[rows["period"] == period]
            if metric == INVESTMENT and not priced:
                values.append(np.nan)
            elif metric == FLOOR_AREA:
                values.append(round(float(part[column].sum()) / 1e4, 4))
            elif metric == INVESTMENT:
                # a cell with no priced community stays blank: 0 would claim the works cost nothing
                values.append(round(float(part[column].sum(min_count=1)) / 1e4, 4))
            else:
                values.append(int(len(part)) if column == "_one" else int(part[column].sum()))
    return values


def _remark(rows: pd.DataFrame, area_per_household_m2: float) -> str:
    parts = []
    n_hh = int(rows["households_estimated"].sum())
    if n_hh:
        parts.append(f"居民户数含估算（{n_hh}个小区）")
    n_fa = int(rows["floor_area_estimated"].sum())
    if n_fa:
        parts.append(f"住宅建筑面积含估算（{n_fa}个小区无建筑数据，按{area_per_household_m2:g}平方米/户）")
    n_year = int(rows["period"].isna().sum())
    if n_year:
        parts.append(f"建成年代不详{n_year}个小区，只计入合计")
    return "；".join(parts)


def plan_table(cities: Mapping[str, pd.DataFrame], *, plan_year: int | None = None, cutoff_year: int = 2000,
               area_per_household_m2: float = 80.0, max_after_share: float = MAX_AFTER_SHARE,
               cost_notes: Sequence[str] = ()) -> PlanTable:
    """The plan table of one or more 地级以上城市, with the 全省(区、市) rows.

    Parameters
    ----------
    cities
        City name (e.g. ``"哈尔滨市"``) -> its communities: ``feature_id``, ``name``, ``area_type``
        (``city``/``county``), ``built_year`` (NA allowed), ``households`` (may be fractional estimates),
        ``households_estimated``, ``n_buildings``, ``floor_area_m2`` (m², 0/NaN without building data);
        optional ``plan_year`` (int), ``eligible`` (bool; False rows are left out), ``floor_area_estimated``,
        ``investment_yuan`` (yuan; leave it out, or all NaN, when no unit costs are known) and
        ``eligibility_basis`` (why the community may be renovated, shown in the detail sheet).
        Cities come out in the order given.
    plan_year
        Keep the communities whose ``plan_year`` equals it; None keeps every eligible community and the
        title and notes say the table is not one year's plan.
    cutoff_year
        Built in or before it counts as 2000年底前 (国办发〔2020〕23号: 2000年底前建成).
    area_per_household_m2
        Floor area per household for communities without building data, m².
    max_after_share
        Largest share of the plan's households in 2000年底后 communities (建办城〔2021〕28号 三（四）: 15 %);
        the notes give the share and say when it is exceeded.
    cost_notes
        Where the investment figures come from (unit costs, unpriced items, estimated quantities), printed in
        place of the general note when any community is priced.

    Returns
    -------
    PlanTable

    Raises
    ------
    InputError
        ``plan_year`` given but a city's table has no ``plan_year`` column; ``area_type`` neither city nor
        county.
    """
    frames, dropped = [], {}
    for city, frame in cities.items():
        chosen, left_out = _select(city, frame, plan_year)
        for reason, count in left_out.items():
            dropped[reason] = dropped.get(reason, 0) + count
        frames.append(_community_rows(city, chosen, cutoff_year=cutoff_year,
                                      area_per_household_m2=area_per_household_m2))
    counted = pd.concat(frames, ignore_index=True) if frames else _community_rows(
        "", pd.DataFrame(columns=["area_type"]), cutoff_year=cutoff_year,
        area_per_household_m2=area_per_household_m2)
    counted["_one"] = 1
    priced = bool(counted["investment_yuan"].notna().any())

    index, values, remarks = [], [], []

    def add(label: tuple[str, str], rows: pd.DataFrame) -> None:
        index.append(label)
        values.append(_block(rows, priced))
        remarks.append(_remark(rows, area_per_household_m2))

    for city in cities:
        rows = counted[counted["city"] == city]
        add((city, CITY_SUBTOTAL), rows)
        for key, label in AREA_ROWS.items():
            add((city, label), rows[rows["area_type"] == key])
    add((PROVINCE, PROVINCE_TOTAL), counted)
    for key, label in AREA_ROWS.items():
        add((PROVINCE, label), counted[counted["area_type"] == key])

    table = pd.DataFrame(values, index=pd.MultiIndex.from_tuples(index, names=[CITY_COLUMN, CLASS_COLUMN]),
                         columns=pd.MultiIndex.from_product([METRICS, PERIODS]))
    for metric in COUNTS:
        table[metric] = table[metric].astype(np.int64)

    notes = []
    if plan_year is None:
        notes.append("未设定计划年度：本表为全部符合改造条件的小区（改造存量），不是某一年度的计划任务。")
    else:
        notes.append(f"计划年度：{plan_year}年（小区 plan_year 字段）。")
    notes.append(f"2000年底前：建成年代不晚于{cutoff_year}年；2000年底后：建成于{cutoff_year + 1}—{LATEST_YEAR}年"
                 "（建办城〔2021〕28号 三（四）：“建成年限不得晚于2005年底”）。")
    total_hh = int(counted["households"].sum())
    after_hh = int(counted.loc[counted["period"] == AFTER, "households"].sum())
    if total_hh:
        share = after_hh / total_hh
        verdict = "超过上限，须调减2000年底后小区" if share > max_after_share + 1e-12 else "未超过上限"
        notes.append(f"2000年底后建成小区居民户数占比 {share:.1%}（上限 {max_after_share:.0%}，按居民户数计，"
                     f"建办城〔2021〕28号 三（四）），{verdict}。")
    for reason, count in dropped.items():
        notes.append(f"{count} 个小区{reason}，未计入本表。")
    if not priced:
        notes.append(NO_COSTS_NOTE)
    else:
        unpriced = int(counted["investment_yuan"].isna().sum())
        notes.extend(cost_notes or ["预计投资额 = Σ 单价 × 工程量，据用户提供的单价表。"
                                    + (f"{unpriced} 个小区无造价，未计入（留空，不按 0 计）。" if unpriced else "")])
    if counted["households_estimated"].any() or counted["floor_area_estimated"].any():
        notes.append("带估算的行见“备注”列，逐个小区的估算见“计划表小区明细”。")
    if counted["period"].isna().any():
        notes.append("建成年代不详的小区只计入“合计”列，故该行“合计”大于前两列之和。")
    return PlanTable(table=table, remarks=pd.Series(remarks, index=table.index, name=REMARK_COLUMN),
                     notes=tuple(notes), communities=counted.drop(columns="_one"), plan_year=plan_year)


#: Column headings of the per-community detail sheet.
DETAIL_COLUMNS = {"city": CITY_COLUMN, "feature_id": "小区编号", "name": "小区名称", "area_type": CLASS_COLUMN,
                  "built_year": "建成年代", "period": "计入", "households": "居民户数(户)",
                  "households_estimated": "户数为估算", "n_buildings": "楼栋数(栋)",
                  "floor_area_m2": "住宅建筑面积(平方米)", "floor_area_estimated": "面积为估算",
                  "investment_yuan": "预计投资额(元)", "plan_year": "计划年度", "eligibility_basis": "纳入依据"}


def community_detail(plan: PlanTable) -> pd.DataFrame:
    """The counted communities with Chinese headings and values (是/否, 城市(建成区)/县城(城关镇))."""
    frame = plan.communities[list(DETAIL_COLUMNS)].copy()
    frame["area_type"] = frame["area_type"].map(lambda v: AREA_ZH.get(v, v))
    frame["period"] = frame["period"].fillna("建成年代不详（只计入合计）")
    for column in ("households_estimated", "floor_area_estimated"):
        frame[column] = frame[column].map({True: "是", False: "否"})
    return frame.rename(columns=DETAIL_COLUMNS)


def _plain(value: Any) -> Any:
    """A value openpyxl writes as data: NaN/NA as blank, numpy scalars as Python numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` into a cell; text is always stored as text, so ``=…``, ``+…``, ``-…``, ``@…`` from data
    never become formulas."""
    return spreadsheets.text_cell(sheet.cell(row, column, _plain(value)))


def write_plan_sheet(book: Any, plan: PlanTable, *, province: str = "", contact: str = "") -> Any:
    """Write the plan table as 001 prints it into a new first sheet 计划表 of an openpyxl workbook.

    Rows 1–3: title, 省(区、市)：, 联系人及电话：; rows 4–5 the header (地级以上城市 and 分类 merged over both rows,
    each metric merged over its three periods, 备注 last); then one row per table row with the city name merged
    over its block; the notes and 001's three seal lines below. A second sheet 计划表小区明细 lists each
    counted community and which figures are estimated.

    Returns
    -------
    The sheet written.
    """
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet("计划表", 0)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    n_cols = 2 + len(METRICS) * len(PERIODS) + 1
    sheet.cell(1, 1, plan.title).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = center
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n_cols)
    write_cell(sheet, 2, 1, f"省(区、市)：{province}")
    write_cell(sheet, 3, 1, f"联系人及电话：{contact}")
    for column, text in ((1, CITY_COLUMN), (2, CLASS_COLUMN), (n_cols, REMARK_COLUMN)):
        sheet.cell(4, column, text)
        sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    for m, metric in enumerate(METRICS):
        first = 3 + m * len(PERIODS)
        sheet.cell(4, first, metric)
        sheet.merge_cells(start_row=4, start_column=first, end_row=4, end_column=first + len(PERIODS) - 1)
        for p, period in enumerate(PERIODS):
            sheet.cell(5, first + p, period)
    first_row = 6
    for r, ((city, label), row) in enumerate(plan.table.iterrows(), start=first_row):
        sheet.cell(r, 2, label).font = Font(bold=label in (CITY_SUBTOTAL, PROVINCE_TOTAL))
        for c, (metric, _) in enumerate(plan.table.columns, start=3):
            cell = write_cell(sheet, r, c, row.iloc[c - 3])
            cell.number_format = "0" if metric in COUNTS else "0.00"
        write_cell(sheet, r, n_cols, plan.remarks.loc[(city, label)] or None)
    blocks = plan.table.index.get_level_values(0)
    start = 0
    for end in range(1, len(blocks) + 1):
        if end == len(blocks) or blocks[end] != blocks[start]:
            write_cell(sheet, first_row + start, 1, blocks[start])
            sheet.merge_cells(start_row=first_row + start, start_column=1, end_row=first_row + end - 1,
                              end_column=1)
            start = end
    last = first_row + len(plan.table) - 1
    for row in sheet.iter_rows(min_row=4, max_row=last, max_col=n_cols):
        for cell in row:
            cell.border = box
            if cell.row <= 5 or cell.column <= 2:
                cell.alignment = center
    line = last + 2
    for note in ("说明：", *plan.notes):
        write_cell(sheet, line, 1, note)
        line += 1
    line += 1
    for seal in ("省级住房和城乡建设部门盖章", "省级发展改革部门盖章", "省级财政部门盖章"):
        sheet.cell(line, 1, seal)
        line += 1
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 18
    for c in range(3, n_cols):
        sheet.column_dimensions[get_column_letter(c)].width = 11
    sheet.column_dimensions[get_column_letter(n_cols)].width = 40
    sheet.freeze_panes = "C6"

    detail = community_detail(plan)
    ws = book.create_sheet("计划表小区明细", 1)
    ws.append(list(detail.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for r, values in enumerate(detail.itertuples(index=False), start=2):
        for c, value in enumerate(values, start=1):
            write_cell(ws, r, c, value)
    if detail.empty:
        ws.append(["（计划表未计入任何小区）"])
    return sheet


def write_plan_xlsx(plan: PlanTable, path: Path, *, province: str = "", contact: str = "") -> Path:
    """Write the plan table alone (sheets 计划表 and 计划表小区明细) to ``path``; see :func:`write_plan_sheet`."""
    from openpyxl import Workbook

    book = Workbook()
    default = book.active
    write_plan_sheet(book, plan, province=province, contact=contact)
    book.remove(default)
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheets.text_cells(book).save(path)
    return path
