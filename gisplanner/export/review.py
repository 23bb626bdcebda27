"""Review summary of the plan (HTML or Markdown): proposed facilities, their verdicts, open consultation items."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gisplanner import __version__
from gisplanner.analysis.lifecircle import DATA_CAVEAT, DATA_MISSING
from gisplanner.errors import InputError
from gisplanner.export.layers import OVERALL_ZH, VERDICT_ZH, PlanLayers, display_value
from gisplanner.export.plan_table import (
    BUILDINGS,
    COMMUNITIES,
    FLOOR_AREA,
    HOUSEHOLDS,
    INVESTMENT,
    PROVINCE,
    PROVINCE_TOTAL,
    TOTAL,
)
from gisplanner.export.tables import PlanTables
from gisplanner.labels import site_label, violations_text

NO_FACILITY = "尚无拟建设施。"
NO_CONSULTATION = "无需征询居民意见的事项。"


@dataclass(frozen=True)
class Section:
    """One section of the summary: plain-text paragraphs and an optional table, escaped when rendered."""

    title: str
    paragraphs: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def review_sections(layers: PlanLayers, tables: PlanTables) -> list[Section]:
    """The content of the review summary.

    Parameters
    ----------
    layers
        The plan (whole or one district).
    tables
        Its tables (:func:`gisplanner.export.tables.plan_tables`).

    Returns
    -------
    list of Section
        概况, 拟建设施及核查结论, 需征询居民意见的事项, 生活圈服务缺口, 说明.
    """
    plan = tables.plan.table
    invest = plan.loc[(PROVINCE, PROVINCE_TOTAL), (INVESTMENT, TOTAL)]

    def total(metric: str) -> str:
        return display_value(plan.loc[(PROVINCE, PROVINCE_TOTAL), (metric, TOTAL)])

    d = layers.districts
    overview = Section("概况", (
        f"片区 {len(d)} 个，小区 {total(COMMUNITIES)} 个，居民 {total(HOUSEHOLDS)} 户，楼栋 {total(BUILDINGS)} 栋，"
        f"住宅建筑面积 {total(FLOOR_AREA)} 万平方米（{tables.plan.title}）。",
        f"预计投资额：{display_value(invest)} 万元。" if pd.notna(invest) else "预计投资额：留空（见说明）。"),
        ("片区编号", "片区名称", "小区数", "约束检查"),
        tuple((str(i), str(n), str(int((layers.communities["district_id"] == i).sum())), violations_text(v))
              for i, n, v in zip(d["district_id"], d["name"], d.get("violations", pd.Series("", index=d.index)))))

    p = layers.proposed
    checks = layers.check_columns
    zh = layers.facility_zh
    facility_rows = []
    for _, r in p.iterrows():
        verdicts = "\n".join(f"{layers.check_label(c)}：{VERDICT_ZH.get(r[c], r[c])}" for c in checks
                             if pd.notna(r[c]))  # one verdict per line
        site, site_name = (r.get(c) for c in ("site", "site_name"))
        facility_rows.append((str(r["facility_id"]), str(r["name"]),
                              str(zh.get(r["facility_type"], r["facility_type"])),
                              site_label(site if isinstance(site, str) else None,
                                         site_name if isinstance(site_name, str) else None),
                              OVERALL_ZH.get(r["overall"], r["overall"]), verdicts))
    facilities = Section("拟建设施及核查结论", () if facility_rows else (NO_FACILITY,),
                         ("编号", "名称", "类型", "选址", "总体结论", "各项核查") if facility_rows else (),
                         tuple(facility_rows))

    open_rows = []
    for _, r in p[p["needs_consultation"].astype(bool)].iterrows() if len(p) else []:
        items = [c.removeprefix("check_") for c in checks if r[c] == "consult"]
        open_rows.append((str(r["facility_id"]), str(r["name"]), "、".join(items) or "总体结论需征询",
                          "召开居民议事会（一事一议），或调整、缩小设施用地后重新核查"))
    consultation = Section("需征询居民意见的事项", () if open_rows else (NO_CONSULTATION,),
                           ("编号", "名称", "需征询的核查项", "下一步") if open_rows else (), tuple(open_rows))

    basis_rows = []
    for _, r in p.iterrows():
        details = json.loads(r["basis"]) if isinstance(r.get("basis"), str) and r["basis"] else {}
        for c in checks:
            if pd.isna(r[c]):
                continue
            key = c.removeprefix("check_")
            detail = details.get(key, {})
            refs = "；".join(source_text(ref, layers.sources) for ref in detail.get("basis", [])) or "—"
            basis_rows.append((str(r["facility_id"]), layers.check_label(c), VERDICT_ZH.get(r[c], r[c]),
                               str(detail.get("message") or "—"), refs,
                               "；".join(detail.get("next_steps", [])) or "—"))
    bases = Section("核查结论及依据", () if basis_rows else (NO_FACILITY,),
                    ("编号", "核查项", "结论", "说明（含所引条文）", "依据（文件及条款）", "下一步") if basis_rows else (),
                    tuple(basis_rows))

    missing = tables.gaps[tables.gaps["缺口类型"] == DATA_MISSING]
    g = tables.gaps[tables.gaps["缺口类型"] != DATA_MISSING]
    missing_note = ((f"另有 {len(missing)} 项为数据缺失（{'、'.join(dict.fromkeys(missing['设施类型']))}），"
                     f"不计为服务缺口。{DATA_CAVEAT}",) if len(missing) else ())
    if len(g):
        gap_rows = []
        for district_id, rows in g.groupby("片区编号", dropna=False, sort=True):
            top = rows.groupby("设施类型")["小区编号"].nunique().sort_values(ascending=False, kind="stable")
            gap_rows.append((display_value(district_id), str(rows["设施类型"].nunique()),
                             str(rows["小区编号"].nunique()),
                             "、".join(f"{t}（{n}）" for t, n in top.head(5).items())))
        gaps = Section("生活圈服务缺口",
                       (f"共 {len(g)} 项服务缺口（小区 × 设施类型 × 生活圈），明细见计划表“服务缺口”。",
                        *missing_note),
                       ("片区", "缺口设施类型数", "有缺口的小区数", "缺口最多的设施（小区数）"), tuple(gap_rows))
    else:
        gaps = Section("生活圈服务缺口", ("无生活圈服务缺口。", *missing_note))

    notes = [*tables.plan.notes,
             "标准数值多数来自二手资料（见软件“设置 → 城市与标准”中各条的状态与来源），正式审查前请按原文核对。"]
    if layers.attribution:
        notes.append(f"数据来源：{layers.attribution}")
    return [overview, facilities, bases, consultation, gaps, Section("说明", tuple(notes))]


def source_text(ref: str, titles: Mapping[str, str]) -> str:
    """A basis ref ``ID [article]`` with the id replaced by its title from sources.yaml (the id where unknown).

    >>> source_text("D002 五（三）", {"D002": "国办发〔2020〕23号"})
    '国办发〔2020〕23号 五（三）'
    """
    source, _, article = str(ref).partition(" ")
    title = titles.get(source, source)
    return f"{title} {article}".strip()


#: Words that mark a failed check or a refused facility: their cells are highlighted.
FAIL_WORDS = (f"：{VERDICT_ZH['fail']}", OVERALL_ZH["refused"])
#: Words that mark an open item (conditions, consultation): highlighted more softly.
OPEN_WORDS = (f"：{VERDICT_ZH['consult']}", f"：{VERDICT_ZH['warn']}", OVERALL_ZH["consultation"],
              OVERALL_ZH["conditions"])
REVIEW_CSS = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0 auto;padding:1em 1.2em;"
    "max-width:1100px;line-height:1.6;color:#222}"
    "h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;margin:1.2em 0 .4em;border-bottom:1px solid #ccc}"
    ".wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:collapse;margin:.5em 0;min-width:100%}"
    "th,td{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top;min-width:3.5em}"
    "th{background:#eee}td.fail{background:#fde0dc}td.open{background:#fff3e0}"
    "td.fail:not(:has(.line)){color:#a50f15;font-weight:bold}"
    ".line{display:block}.line.fail{color:#a50f15;font-weight:bold}"
    "@media (max-width:700px){body{padding:.6em}th,td{padding:3px 5px;font-size:14px}}")


def _cell_html(text: str) -> str:
    """A table cell: each line of the text on its own line, failed or open lines marked."""
    e = html.escape
    lines = text.split("\n")
    state = "fail" if any(w in text for w in FAIL_WORDS) else "open" if any(w in text for w in OPEN_WORDS) else ""
    attr = f" class='{state}'" if state else ""
    if len(lines) == 1:
        return f"<td{attr}>{e(text)}</td>"
    spans = "".join(f"<span class='line{' fail' if any(w in line for w in FAIL_WORDS) else ''}'>{e(line)}</span>"
                    for line in lines)
    return f"<td{attr}>{spans}</td>"


def render_html(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """A standalone HTML page that reads on a phone; every text is escaped, so data can never become markup."""
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{e(title)}</title><style>{REVIEW_CSS}</style></head><body>",
             f"<h1>{e(title)}</h1><p>{e(subtitle)}</p>"]
    for s in sections:
        parts.append(f"<h2>{e(s.title)}</h2>")
        parts += [f"<p>{e(p)}</p>" for p in s.paragraphs]
        if s.header:
            parts.append("<div class='wrap'><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in s.header) + "</tr>")
            parts += ["<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in s.rows]
            parts.append("</table></div>")
    parts.append("</body></html>\n")
    return "".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def markdown_text(text: str) -> str:
    """Escape text for Markdown: HTML characters as entities (raw HTML would run), punctuation with ``\\``.

    >>> markdown_text("<b>a|b</b>")
    '&lt;b&gt;a\\\\|b&lt;/b&gt;'
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def render_markdown(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The same page in Markdown, every text escaped."""
    m = markdown_text
    lines = [f"# {m(title)}", "", m(subtitle), ""]
    for s in sections:
        lines += [f"## {m(s.title)}", ""]
        for p in s.paragraphs:
            lines += [m(p), ""]
        if s.header:
            lines.append("| " + " | ".join(m(h) for h in s.header) + " |")
            lines.append("|" + "---|" * len(s.header))
            lines += ["| " + " | ".join(m(c) for c in row) + " |" for row in s.rows]
            lines.append("")
    return "\n".join(lines)


def write_review(layers: PlanLayers, tables: PlanTables, path: Path, *, when: dt.date | None = None) -> Path:
    """Write the review summary; ``.html`` or ``.md`` by the file suffix.

    Parameters
    ----------
    layers, tables
        The plan and its tables.
    path
        The file to write.
    when
        Date printed under the title; today by default.

    Returns
    -------
    pathlib.Path
    """
    title = f"{layers.title} · 联合审查摘要"
    subtitle = f"{layers.district_label} · {(when or dt.date.today()).isoformat()} · gisplanner {__version__}"
    sections = review_sections(layers, tables)
    if path.suffix == ".html":
        text = render_html(title, subtitle, sections)
    elif path.suffix == ".md":
        text = render_markdown(title, subtitle, sections)
    else:
        raise InputError(f"不认识的审查摘要格式 {path.suffix!r}", file=str(path), fix="文件名以 .html 或 .md 结尾")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
