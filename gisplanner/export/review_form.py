"""The joint-review round trip: the review form (.xlsx) goes out with the plan package, comes back filled.

The form has one row per district and one per placement check, with the columns 审查意见, 处理意见 and 状态
(采纳 / 不采纳 / 待定). :func:`read_review_form` reads a filled form and :func:`attach_comments` stores every
comment with its district or check in the project (``Project.tables["review_comments"]``); the next export
pre-fills the form with the latest comments and lists, in 意见处理情况, which were addressed (状态 采纳 or 不采纳
with a 处理意见) and which are still open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gisplanner.errors import InputError
from gisplanner.export.layers import VERDICT_ZH, PlanLayers
from gisplanner.export.spreadsheet import open_workbook, save_workbook, write_sheet
from gisplanner.export.tables import facility_checks
from gisplanner.io.findings import Finding

TABLE = "review_comments"
STATUS_ZH = {"adopted": "采纳", "rejected": "不采纳", "pending": "待定"}
KIND_ZH = {"district": "片区", "check": "设施核查"}
#: Columns of the form; 对象类型, 对象编号 and 核查项代码 identify the row and must not be edited.
FORM_COLUMNS = ("对象类型", "对象编号", "名称", "核查项", "核查项代码", "结论", "审查意见", "处理意见", "状态")
COMMENT_COLUMNS = ("target_kind", "target_id", "check", "name", "comment", "response", "status", "round",
                   "imported", "source_file")


def empty_comments() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COMMENT_COLUMNS})


def form_rows(layers: PlanLayers) -> pd.DataFrame:
    """The rows of the review form without comments: one per district, one per placement check.

    Returns
    -------
    pandas.DataFrame
        Columns ``target_kind`` (district, check), ``target_id`` (district_id or facility_id), ``check``
        (``check_<key>`` or empty), ``name``, ``item`` (Chinese), ``verdict`` (Chinese summary).
    """
    rows = []
    for _, d in layers.districts.iterrows():
        summary = (f"{d.get('n_communities', 0):.0f} 个小区，{d.get('households', 0):,.0f} 户"
                   if pd.notna(d.get("households")) else "")
        rows.append(("district", str(d["district_id"]), "", str(d["name"]), "片区划定与改造内容", summary))
    by_label = {layers.check_label(c): c for c in layers.check_columns}
    for _, c in facility_checks(layers).iterrows():
        rows.append(("check", str(c["设施编号"]), by_label.get(str(c["核查项"]), ""), str(c["设施名称"]),
                     str(c["核查项"]), VERDICT_ZH.get(str(c["结论"]), str(c["结论"]))))
    return pd.DataFrame(rows, columns=["target_kind", "target_id", "check", "name", "item", "verdict"])


def latest(comments: pd.DataFrame | None) -> pd.DataFrame:
    """The latest comment of each district or check (the highest round; the last imported within a round)."""
    if comments is None or not len(comments):
        return empty_comments()
    ordered = comments.assign(round=pd.to_numeric(comments["round"], errors="coerce").fillna(0))
    return ordered.sort_values(["round", "imported"]).drop_duplicates(["target_kind", "target_id", "check"],
                                                                     keep="last")


def addressed(comments: pd.DataFrame) -> pd.Series:
    """Whether each comment was addressed: 采纳 or 不采纳 with a 处理意见 written."""
    response = comments["response"].map(lambda v: isinstance(v, str) and bool(v.strip()))
    return comments["status"].isin(["adopted", "rejected"]) & response


def write_review_form(layers: PlanLayers, comments: pd.DataFrame | None, path: str | Path) -> Path:
    """Write the review form: sheet 审查意见表 (pre-filled with the latest comments) and 意见处理情况.

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = form_rows(layers)
    last = latest(comments)
    keys = ["target_kind", "target_id", "check"]
    merged = rows.merge(last[[*keys, "comment", "response", "status"]].astype(object), on=keys, how="left")
    form = pd.DataFrame({
        "对象类型": merged["target_kind"].map(KIND_ZH), "对象编号": merged["target_id"], "名称": merged["name"],
        "核查项": merged["item"], "核查项代码": merged["check"], "结论": merged["verdict"],
        "审查意见": merged["comment"], "处理意见": merged["response"],
        "状态": merged["status"].map(lambda s: STATUS_ZH.get(s) if isinstance(s, str) else None),
    })
    book = Workbook()
    book.remove(book.active)
    sheet = write_sheet(book, "审查意见表", form, widths={"审查意见": 40, "处理意见": 40, "结论": 24})
    choice = DataValidation(type="list", formula1=f'"{",".join(STATUS_ZH.values())}"', allow_blank=True)
    sheet.add_data_validation(choice)
    choice.add(f"I2:I{max(len(form) + 1, 2)}")
    history = comments if comments is not None else empty_comments()
    status = pd.DataFrame({
        "轮次": history["round"], "对象类型": history["target_kind"].map(KIND_ZH), "对象编号": history["target_id"],
        "名称": history["name"], "核查项代码": history["check"], "审查意见": history["comment"],
        "处理意见": history["response"], "状态": history["status"].map(STATUS_ZH),
        "处理情况": addressed(history).map({True: "已处理", False: "未处理"}) if len(history) else [],
    })
    write_sheet(book, "意见处理情况", status, widths={"审查意见": 40, "处理意见": 40})
    return save_workbook(book, path)


@dataclass(frozen=True)
class ReviewImport:
    """The comments read from a filled form and what the reader noticed."""

    comments: pd.DataFrame
    findings: tuple[Finding, ...]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_review_form(path: str | Path, layers: PlanLayers) -> ReviewImport:
    """Read a filled review form; every row with a 审查意见, 处理意见 or 状态 becomes a comment.

    A row whose district or check is not in the plan, or whose 状态 is not 采纳/不采纳/待定, is reported; a row
    without a known target is not attached, a bad 状态 is taken as 待定.

    Raises
    ------
    InputError
        When the file cannot be read or is not a review form.
    """
    path = Path(path)
    book = open_workbook(path, "审查意见表")
    if "审查意见表" not in book.sheetnames:
        book.close()
        raise InputError("不是审查意见表（没有“审查意见表”工作表）", file=str(path),
                         fix="导入由 gisplanner export 生成并填写后的 review_form.xlsx")
    rows = list(book["审查意见表"].iter_rows(values_only=True))
    book.close()
    header = [_text(h) for h in rows[0]] if rows else []
    missing = [c for c in ("对象类型", "对象编号", "核查项代码", "审查意见", "处理意见", "状态") if c not in header]
    if missing:
        raise InputError(f"审查意见表缺少列：{'、'.join(missing)}", file=str(path), layer="审查意见表",
                         fix="不要删改表头；重新导出审查意见表后填写")
    col = {name: header.index(name) for name in header if name}
    known = form_rows(layers)
    known_keys = set(zip(known["target_kind"], known["target_id"], known["check"]))
    names = dict(zip(zip(known["target_kind"], known["target_id"], known["check"]), known["name"]))
    kind_of = {zh: key for key, zh in KIND_ZH.items()}
    status_of = {zh: key for key, zh in STATUS_ZH.items()}
    layer = f"{path.name}:审查意见表"
    findings, records = [], []
    for number, row in enumerate(rows[1:], start=2):
        def cell(name: str, row: tuple = row) -> str | None:
            return _text(row[col[name]]) if col[name] < len(row) else None
        comment, response, status_zh = cell("审查意见"), cell("处理意见"), cell("状态")
        if not (comment or response or status_zh):
            continue
        key = (kind_of.get(cell("对象类型") or "", ""), cell("对象编号") or "", cell("核查项代码") or "")
        if key not in known_keys:
            findings.append(Finding("bad_value", layer, f"第{number}行",
                                    f"对象“{cell('对象类型')} {key[1]} {key[2]}”不在当前方案中，意见未挂接"))
            continue
        status = status_of.get(status_zh or "待定")
        if status is None:
            findings.append(Finding("bad_value", layer, f"第{number}行",
                                    f"状态“{status_zh}”应为采纳、不采纳或待定，按待定记"))
            status = "pending"
        records.append({"target_kind": key[0], "target_id": key[1], "check": key[2], "name": names[key],
                        "comment": comment, "response": response, "status": status, "source_file": path.name})
    frame = pd.DataFrame(records, columns=[c for c in COMMENT_COLUMNS if c not in ("round", "imported")])
    return ReviewImport(frame, tuple(findings))


def attach_comments(existing: pd.DataFrame | None, incoming: pd.DataFrame, *,
                    when: dt.datetime | None = None) -> pd.DataFrame:
    """Add a form's comments to the project's as a new review round.

    A comment identical (target and text) to the latest one of its target updates that comment's response and
    status in place; any other is added in the new round. Returns the whole comment table.
    """
    when = when or dt.datetime.now()
    table = existing.copy() if existing is not None and len(existing) else empty_comments()
    new_round = int(pd.to_numeric(table["round"], errors="coerce").max()) + 1 if len(table) else 1
    last = latest(table)
    added = []
    for _, c in incoming.iterrows():
        same = last[(last["target_kind"] == c["target_kind"]) & (last["target_id"] == c["target_id"])
                    & (last["check"] == c["check"]) & (last["comment"] == c["comment"])]
        if len(same):
            index = same.index[0]
            table.loc[index, ["response", "status", "imported", "source_file"]] = [
                c["response"], c["status"], when.isoformat(timespec="seconds"), c["source_file"]]
        else:
            added.append({**c.to_dict(), "round": new_round, "imported": when.isoformat(timespec="seconds")})
    if added:
        table = pd.concat([table, pd.DataFrame(added, columns=list(COMMENT_COLUMNS))], ignore_index=True)
    table = table[list(COMMENT_COLUMNS)].reset_index(drop=True)
    table["round"] = pd.to_numeric(table["round"]).astype("Int64")
    text = [c for c in COMMENT_COLUMNS if c != "round"]
    table[text] = table[text].astype(object).where(table[text].notna(), None)
    return table


def comment_markers(comments: pd.DataFrame | None, layers: PlanLayers) -> Any:
    """One point per comment for the map: at the district's inside point or the facility's footprint.

    Returns
    -------
    geopandas.GeoDataFrame
        ``target_kind``, ``target_id``, ``check``, ``name``, ``comment``, ``response``, ``status``, ``round``,
        ``addressed`` (bool), in the plan's CRS; comments whose target is no longer in the plan are left out.
    """
    import geopandas as gpd

    where = dict(zip((("district", str(d)) for d in layers.districts["district_id"]),
                     layers.districts.geometry.representative_point()))
    where.update(zip((("check", str(f)) for f in layers.proposed["facility_id"]),
                     layers.proposed.geometry.representative_point()))
    table = comments if comments is not None and len(comments) else empty_comments()
    keys = list(zip(table["target_kind"], table["target_id"].astype(str)))
    keep = [k in where for k in keys]
    kept = table[keep].reset_index(drop=True)
    return gpd.GeoDataFrame(kept.assign(addressed=addressed(kept).to_numpy(dtype=bool) if len(kept) else []),
                            geometry=[where[k] for k, ok in zip(keys, keep) if ok], crs=layers.crs)
