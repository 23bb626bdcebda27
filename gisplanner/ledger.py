"""The renovation ledger (台账): one row per renovation project, its phase, plan year and preconditions.

A project is a district (片区) or a single community. The ledger lives in the project GeoPackage as the
attribute table ``table__ledger`` (:attr:`gisplanner.project.Project.tables`). A 住建局 keeps it as a
spreadsheet with Chinese headers; :func:`read_ledger_xlsx` and :func:`write_ledger_xlsx` read and write that
shape. :func:`check_preconditions` says, project by project, which precondition of the province keeps it out of
a year's plan (建办城〔2021〕28号, 黑政办规〔2021〕15号; see resources/standards/ledger.yaml).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner.errors import InputError
from gisplanner.export.spreadsheet import open_workbook, save_workbook, write_sheet
from gisplanner.io.findings import Finding
from gisplanner.io.values import ESTIMATED, EXACT, parse_number
from gisplanner.standards import LedgerRules, Standards

TABLE = "ledger"
#: Ledger columns: identifier -> Chinese spreadsheet header. Money in 万元, the consent share as a fraction
#: (the spreadsheet shows per cent), dates as ISO text.
COLUMNS: Mapping[str, str] = {
    "project_id": "项目编号",
    "name": "项目名称",
    "kind": "项目类型",
    "members": "包含小区编号",
    "street": "所在街道",
    "phase": "项目阶段",
    "plan_year": "计划年度",
    "consent_share": "居民改造意愿（同意户数占比%）",
    "consent_date": "意愿征询日期",
    "resident_funding_agreed": "居民出资已落实",
    "owners_committee_formed": "业委会（物管会）已组建",
    "management_model": "后续管理模式",
    "central_subsidy_before": "已纳入中央补助",
    "elevators": "加装电梯（部）",
    "fund_residents_wan": "居民出资（万元）",
    "fund_utilities_wan": "专业经营单位出资（万元）",
    "fund_social_wan": "社会资本（万元）",
    "fund_special_bonds_wan": "专项债（万元）",
    "start_date": "开工日期",
    "completion_date": "完工日期",
    "contact": "联系人及电话",
    "notes": "备注",
}
KINDS = {"district": "片区", "community": "小区"}
_BOOL = ("resident_funding_agreed", "owners_committee_formed", "central_subsidy_before")
_INT = ("plan_year", "elevators")
_FLOAT = ("consent_share", "fund_residents_wan", "fund_utilities_wan", "fund_social_wan", "fund_special_bonds_wan")
_DATE = ("consent_date", "start_date", "completion_date")
_TEXT = tuple(c for c in COLUMNS if c not in (*_BOOL, *_INT, *_FLOAT))
_YES = {"是", "已", "有", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "未", "无", "n", "no", "false", "0", "×"}
#: Chinese wording of each precondition as the plan's reason column prints it.
PRECONDITION_ZH = {
    "consent": "居民改造意愿未达到{share}（或未填征询日期）",
    "resident_funding": "居民出资未落实",
    "owners_committee": "业委会（物管会）未组建",
    "management_model": "后续管理模式未确定",
    "no_prior_central": "已纳入过中央补助，不得重复申报",
    "built_year_limit": "含2005年底后建成的小区",
}


def empty_ledger() -> pd.DataFrame:
    """A ledger with no rows and every column in its dtype."""
    return normalise(pd.DataFrame({c: [] for c in COLUMNS}))


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """The ledger's columns in order and dtype (text as object, flags as boolean, counts as Int64)."""
    out = pd.DataFrame(index=frame.index)
    for column in COLUMNS:
        values = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index, dtype=object)
        if column in _BOOL:
            out[column] = values.astype("boolean")
        elif column in _INT:
            out[column] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif column in _FLOAT:
            out[column] = pd.to_numeric(values, errors="coerce").astype(float)
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    return out.reset_index(drop=True)


def seed_from_districts(districts: pd.DataFrame | None, members: pd.DataFrame | None) -> pd.DataFrame:
    """One 储备 (reserve) project per district of the district analysis, named and with its member ids."""
    if districts is None or members is None or not len(districts):
        return empty_ledger()
    ids = members.groupby(members["district_id"].astype(str))["community_id"].agg(
        lambda s: ";".join(sorted(map(str, s))))
    return normalise(pd.DataFrame({
        "project_id": districts["district_id"].astype(str).to_numpy(),
        "name": districts["name"].astype(str).to_numpy(),
        "kind": "district",
        "members": districts["district_id"].astype(str).map(ids).to_numpy(),
        "phase": "reserve",
    }))


def project_ledger(project: Any) -> pd.DataFrame:
    """The project's ledger; a project without one starts from its districts, each a 储备 project."""
    if TABLE in project.tables:
        return normalise(project.tables[TABLE])
    return seed_from_districts(project.results.get("districts"), project.results.get("district_members"))


def member_ids(ledger: pd.DataFrame) -> pd.Series:
    """The member community ids of each project as a list (a single-community project lists itself)."""
    def split(row: pd.Series) -> list[str]:
        text = row["members"] if isinstance(row["members"], str) and row["members"].strip() else None
        if text is None:
            return [str(row["project_id"])] if row["kind"] == "community" else []
        return [m.strip() for m in re.split(r"[;；,，、\s]+", text) if m.strip()]
    return ledger.apply(split, axis=1) if len(ledger) else pd.Series([], dtype=object)


def project_communities(ledger: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """One row per project and member community: ``project_id`` plus the community's columns."""
    pairs = pd.DataFrame({"project_id": ledger["project_id"].astype(str), "community_id": member_ids(ledger)})
    pairs = pairs.explode("community_id").dropna(subset=["community_id"])
    table = pd.DataFrame(communities.drop(columns="geometry", errors="ignore"))
    table = table.assign(community_id=table["feature_id"].astype(str))
    return pairs.merge(table, on="community_id", how="inner")


# ----------------------------------------------------------------------------------------- preconditions
@dataclass(frozen=True)
class PreconditionCheck:
    """Per project: one boolean column per precondition of the province, ``unmet`` (Chinese reasons)."""

    province: str
    items: tuple[str, ...]
    table: pd.DataFrame


def check_preconditions(ledger: pd.DataFrame, communities: pd.DataFrame, standards: Standards, *,
                        city: str, province: str | None = None) -> PreconditionCheck:
    """Which preconditions of the province each project meets.

    Parameters
    ----------
    ledger
        The ledger (:func:`normalise`).
    communities
        The communities layer (``feature_id``, ``built_year``), for the 2005 limit.
    standards
        Standards; ``standards.ledger`` names the province's preconditions and the consent share.
    city
        The project's city; its province's rules apply (``national`` when none lists the city).
    province
        A province key to use instead of the city's.

    Returns
    -------
    PreconditionCheck
        ``table`` indexed like ``ledger``: ``project_id``, a boolean per precondition, ``unmet`` (text, empty
        when every precondition is met).
    """
    rules: LedgerRules = standards.ledger
    province = province or rules.province(city)
    if province not in rules.preconditions:
        raise InputError(f"未知的省份规则 {province!r}", fix=f"可选：{'、'.join(rules.preconditions)}")
    items = rules.preconditions[province]
    limit = standards.renovation.eligibility.extension_built_before_end_of
    share = rules.consent_min_share
    met = pd.DataFrame({"project_id": ledger["project_id"].astype(str)}, index=ledger.index)
    checks = {
        "consent": (ledger["consent_share"].fillna(-1.0) >= share - 1e-9) & ledger["consent_date"].notna(),
        "resident_funding": ledger["resident_funding_agreed"].fillna(False).astype(bool),
        "owners_committee": ledger["owners_committee_formed"].fillna(False).astype(bool),
        "management_model": ledger["management_model"].map(lambda v: isinstance(v, str) and bool(v.strip())),
        "no_prior_central": ~ledger["central_subsidy_before"].fillna(False).astype(bool),
    }
    if "built_year_limit" in items:
        pairs = project_communities(ledger, communities)
        late = pd.to_numeric(pairs["built_year"], errors="coerce") > limit
        late_projects = set(pairs.loc[late, "project_id"])
        checks["built_year_limit"] = ~met["project_id"].isin(late_projects)
    for item in items:
        met[item] = np.asarray(checks[item], dtype=bool)
    texts = {k: v.format(share=f"{share:.0%}") for k, v in PRECONDITION_ZH.items()}
    met["unmet"] = ["；".join(texts[i] for i in items if not row[i]) for _, row in met.iterrows()]
    return PreconditionCheck(province, items, met)


# ----------------------------------------------------------------------------------------- spreadsheet
def _cell_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _parse(column: str, value: Any, phases: Mapping[str, str]) -> Any:
    """One spreadsheet cell as the ledger stores it; ValueError with a Chinese reason when it cannot be read."""
    if isinstance(value, dt.datetime | dt.date) and column in _DATE:
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    text = _cell_text(value)
    if text is None:
        return None
    if column == "phase":
        by_zh = {zh: key for key, zh in phases.items()}
        if text in phases or text in by_zh:
            return by_zh.get(text, text)
        raise ValueError(f"项目阶段应为{'、'.join(phases.values())}之一")
    if column == "kind":
        by_zh = {zh: key for key, zh in KINDS.items()}
        if text in KINDS or text in by_zh:
            return by_zh.get(text, text)
        raise ValueError("项目类型应为“片区”或“小区”")
    if column in _BOOL:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValueError("应填“是”或“否”")
    if column in _DATE:
        match = re.fullmatch(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(\s.*)?", text)
        if not match:
            raise ValueError("日期应写作 2025-03-15 或 2025年3月15日")
        return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    if column in (*_INT, *_FLOAT):
        # money columns are in 万元 already: a trailing 万元 is the unit, not a multiplier of 10 000
        read = parse_number(re.sub(r"万元$", "", text))
        if read.flag not in (EXACT, ESTIMATED) or read.value is None:
            raise ValueError(read.note or "应为数字")
        if read.flag == ESTIMATED:
            raise ValueError(f"{read.note}，台账应填确切数")
        parsed = float(read.value)
        if parsed < 0:
            raise ValueError("不能为负数")
        if column == "consent_share":
            # the sheet shows per cent; a share typed as a fraction (0.8) is taken as 80 %
            parsed = parsed / 100.0 if parsed > 1 or "%" in text or "％" in text else parsed
            if parsed > 1:
                raise ValueError("同意户数占比不能超过100%")
        if column == "plan_year" and not 1990 <= parsed <= 2100:
            raise ValueError("计划年度应为四位年份")
        return parsed
    return text


@dataclass(frozen=True)
class LedgerImport:
    """The ledger read from a spreadsheet and what the reader noticed, row by row."""

    ledger: pd.DataFrame
    findings: tuple[Finding, ...]


def read_ledger_xlsx(path: str | Path, standards: Standards, *,
                     community_ids: Iterable[str] = ()) -> LedgerImport:
    """Read a ledger spreadsheet with Chinese headers (the first sheet, headers in the first row).

    A cell that cannot be read is left blank and reported; a row without 项目编号 and a repeated 项目编号
    are skipped and reported. Member ids not among ``community_ids`` are reported (when ids are given).

    Raises
    ------
    InputError
        When the file cannot be opened or the 项目编号 column is missing.
    """
    path = Path(path)
    book = open_workbook(path, "台账表格")
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    if not rows:
        raise InputError("台账表格是空的", file=str(path), layer=sheet.title, fix="第一行写表头，每行一个项目")
    by_header = {zh: key for key, zh in COLUMNS.items()}
    header = [by_header.get(_cell_text(h) or "", _cell_text(h)) for h in rows[0]]
    if "project_id" not in header:
        raise InputError("台账表格缺少“项目编号”列", file=str(path), layer=sheet.title,
                         fix=f"第一行表头用：{'、'.join(COLUMNS.values())}")
    layer = f"{path.name}:{sheet.title}"
    known = set(map(str, community_ids))
    phases = standards.ledger.phases
    findings: list[Finding] = []
    records, seen = [], set()
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: value for key, value in zip(header, row) if key in COLUMNS}
        if all(_cell_text(v) is None for v in cells.values()):
            continue
        pid = _cell_text(cells.get("project_id"))
        if pid is None:
            findings.append(Finding("missing_field", layer, f"第{number}行", "缺少项目编号，该行未导入"))
            continue
        if pid in seen:
            findings.append(Finding("duplicate_id", layer, pid, f"第{number}行项目编号重复，该行未导入"))
            continue
        seen.add(pid)
        record: dict[str, Any] = {}
        for key, value in cells.items():
            try:
                record[key] = _parse(key, value, phases)
            except ValueError as exc:
                findings.append(Finding("bad_value", layer, pid,
                                        f"第{number}行“{COLUMNS[key]}”的值 {value!r} 无法识别：{exc}；已留空"))
                record[key] = None
        record["project_id"] = pid
        if record.get("phase") is None:
            findings.append(Finding("bad_value", layer, pid, f"第{number}行未填项目阶段，按“储备”记"))
            record["phase"] = "reserve"
        if record.get("kind") is None:
            record["kind"] = "district" if record.get("members") else "community"
        records.append(record)
    ledger = normalise(pd.DataFrame(records)) if records else empty_ledger()
    if known:
        for pid, ids in zip(ledger["project_id"], member_ids(ledger)):
            missing = [i for i in ids if i not in known]
            if missing:
                findings.append(Finding("bad_value", layer, pid,
                                        f"包含的小区 {'、'.join(missing)} 不在项目的小区图层中"))
    return LedgerImport(ledger, tuple(findings))


def ledger_display(ledger: pd.DataFrame, standards: Standards, *, households: pd.Series | None = None,
                   check: PreconditionCheck | None = None) -> pd.DataFrame:
    """The ledger as a 住建局 reads it: Chinese headers and values (阶段、是/否、百分比), optionally with the
    households of each project and the unmet preconditions."""
    phases = standards.ledger.phases
    out = pd.DataFrame(index=ledger.index)
    for key, zh in COLUMNS.items():
        values = ledger[key]
        if key == "phase":
            values = values.map(lambda v: phases.get(v, v))
        elif key == "kind":
            values = values.map(lambda v: KINDS.get(v, v))
        elif key in _BOOL:
            values = values.map(lambda v: None if v is pd.NA or v is None else ("是" if v else "否"))
        elif key == "consent_share":
            values = (values * 100).round(1)
        out[zh] = values.astype(object).where(values.notna(), None)
    if households is not None:
        out.insert(4, "居民户数", households.reindex(ledger["project_id"].astype(str)).to_numpy())
    if check is not None:
        out["未满足的前提条件"] = check.table["unmet"].to_numpy()
    return out


def write_ledger_xlsx(ledger: pd.DataFrame, path: str | Path, standards: Standards, *,
                      households: pd.Series | None = None, check: PreconditionCheck | None = None) -> Path:
    """Write the ledger as a spreadsheet with Chinese headers that :func:`read_ledger_xlsx` reads back.

    居民户数 and 未满足的前提条件 are derived columns: written for the reader, ignored on import.
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    write_sheet(book, "改造项目台账", ledger_display(ledger, standards, households=households, check=check))
    return save_workbook(book, path)


def households_by_project(ledger: pd.DataFrame, communities: pd.DataFrame) -> pd.Series:
    """Households of each project (sum over its member communities), indexed by ``project_id``."""
    pairs = project_communities(ledger, communities)
    totals = pd.to_numeric(pairs["households"], errors="coerce").groupby(pairs["project_id"]).sum()
    return totals.reindex(ledger["project_id"].astype(str)).fillna(0.0)


def edit_cell(ledger: pd.DataFrame, row: int, column: str, text: Any, standards: Standards) -> pd.DataFrame:
    """A copy of the ledger with one cell set from what the user typed, read as the importer reads it.

    Raises
    ------
    InputError
        Naming the project, the column and why the text cannot be read; the ledger is unchanged.
    """
    if column not in COLUMNS:
        raise InputError(f"台账没有“{column}”列", fix=f"可编辑的列：{'、'.join(COLUMNS.values())}")
    pid = str(ledger.at[row, "project_id"])
    try:
        value = _parse(column, text, standards.ledger.phases)
    except ValueError as exc:
        raise InputError(f"“{COLUMNS[column]}”的值 {text!r} 无法识别：{exc}", layer="ledger", feature=pid,
                         fix="按表头的格式重新填写") from None
    if column == "project_id":
        if value is None:
            raise InputError("项目编号不能为空", layer="ledger", feature=pid, fix="填写一个项目编号")
        if value != pid and value in set(ledger["project_id"].astype(str)):
            raise InputError(f"项目编号 {value} 已存在", layer="ledger", feature=pid, fix="换一个编号")
    edited = ledger.copy()
    edited[column] = edited[column].astype(object)
    edited.at[row, column] = value
    return normalise(edited)
