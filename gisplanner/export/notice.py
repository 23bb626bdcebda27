"""The public notice sheet (公示牌) of one renovation project, portrait A4 or A3 PDF/PNG, with its QR code.

黑政办规〔2021〕15号 四（四）4: 「对改造信息进行现场公示，实行 1 个项目 1 个二维码，接受社会各界监督」; 浙江
（seeds/003 四（三））: the scheme is posted with 规划设计、工程预算、资金筹措、后续管理模式. The sheet carries the plan
map, the renovation content, the budget and its funding by source, the management model, the schedule, the
contact and a QR code (segno) holding the project's code and summary, or the URL the project configures
(``settings["notice_url"]`` with ``{project_id}`` in it).
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplanner import __version__
from gisplanner.errors import InputError
from gisplanner.export.sheets import find_cjk_font, map_scale, nice_length, true_north_deg
from gisplanner.progress import Progress, ensure_progress

#: Portrait paper sizes, millimetres.
PAPERS_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
INK = "#222222"
ACCENT = "#b2182b"
#: Items printed per renovation class on the notice.
MAX_ITEMS = 8


@dataclass(frozen=True)
class NoticeContent:
    """What one notice shows; every text already in Chinese.

    Attributes
    ----------
    project_id, name
        The project's code and name.
    facts
        (label, value) lines of 项目概况.
    content
        Renovation items by class (class name -> items).
    funding
        (source, 万元 or None) rows, the total first.
    management, schedule, contact
        Lines of 后续管理, 实施安排, 联系方式.
    qr_payload
        The text the QR code holds: the URL, or the code on the first line followed by the summary.
    attribution
        Map data attribution, or None.
    """

    project_id: str
    name: str
    facts: tuple[tuple[str, str], ...]
    content: dict[str, list[str]]
    funding: tuple[tuple[str, float | None], ...]
    management: tuple[str, ...]
    schedule: tuple[str, ...]
    contact: tuple[str, ...]
    qr_payload: str
    attribution: str | None = None


def qr_payload(project_id: str, summary: list[str], *, url: str | None = None) -> str:
    """The QR text: ``url`` with ``{project_id}`` filled in, else the code on the first line and the summary."""
    if url:
        return url.replace("{project_id}", project_id)
    return "\n".join([project_id, *summary])


def qr_matrix(payload: str) -> np.ndarray:
    """The QR code of ``payload`` (error correction M) as a boolean matrix with its 4-module quiet zone."""
    import segno

    code = segno.make(payload, error="m", micro=False)
    return np.array([list(row) for row in code.matrix_iter(scale=1, border=4)], dtype=bool)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent="  ") or [""]


def notice_figure(content: NoticeContent, communities: Any, outline: Any, context: Any, *, paper: str = "A4",
                  when: dt.date | None = None, title: str = "城镇老旧小区改造项目公示") -> Any:
    """Draw the notice.

    Parameters
    ----------
    content
        The texts and the QR payload.
    communities
        GeoDataFrame of the project's communities (``name``), metric CRS.
    outline
        GeoDataFrame of the project's outline (a district), or None.
    context
        GeoDataFrame of the other communities nearby, drawn grey, or None.
    paper
        A4 or A3, portrait.
    when
        Date of the notice; today by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.patheffects as pe
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Rectangle

    if paper not in PAPERS_MM:
        raise InputError(f"未知的纸张 {paper!r}", fix=f"可选：{'、'.join(PAPERS_MM)}")
    when = when or dt.date.today()
    w_mm, h_mm = PAPERS_MM[paper]
    k = w_mm / 210.0
    family = [find_cjk_font(), "DejaVu Sans"]

    def font(size: float) -> FontProperties:
        return FontProperties(family=family, size=size * k)

    fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
    FigureCanvasAgg(fig)
    fig.add_artist(Rectangle((0.015, 0.01), 0.97, 0.98, transform=fig.transFigure, fill=False, edgecolor=ACCENT,
                             linewidth=2.0 * k))
    fig.text(0.5, 0.965, title, ha="center", va="top", fontproperties=font(20), weight="bold", color=ACCENT)
    fig.text(0.5, 0.925, f"{content.name}（项目编号 {content.project_id}）", ha="center", va="top",
             fontproperties=font(13), parse_math=False)

    # the plan map, top half
    ax = fig.add_axes((0.05, 0.50, 0.90, 0.40))
    ax.set_xticks([])
    ax.set_yticks([])
    if context is not None and len(context):
        context.plot(ax=ax, facecolor="#eeeeee", edgecolor="#aaaaaa", linewidth=0.4 * k, aspect=None)
    communities.plot(ax=ax, facecolor="#fdd49e", edgecolor=INK, linewidth=0.7 * k, aspect=None)
    if outline is not None and len(outline):
        outline.boundary.plot(ax=ax, color=ACCENT, linewidth=1.8 * k, aspect=None)
    halo = [pe.withStroke(linewidth=2.2 * k, foreground="white")]
    for text, point in zip(communities["name"].astype(str), communities.geometry.representative_point()):
        ax.text(point.x, point.y, text, ha="center", va="center", fontproperties=font(8), path_effects=halo,
                parse_math=False, clip_on=True)
    x0, y0, x1, y1 = communities.total_bounds
    pos = ax.get_position()
    box = (pos.width * w_mm / 25.4, pos.height * h_mm / 25.4)
    pad = 0.15 * max(x1 - x0, y1 - y0, 100.0)
    scale = map_scale((x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), box)
    half_w, half_h = box[0] * 0.0254 * scale / 2, box[1] * 0.0254 * scale / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("")  # geopandas names the axes after the CRS; the map note says the scale instead
    ax.set_ylabel("")
    length = nice_length(half_w / 2)
    bx, by = cx - half_w * 0.94, cy - half_h * 0.92
    ax.add_patch(Rectangle((bx, by), length, half_h * 0.015, facecolor=INK, edgecolor=INK, zorder=10))
    ax.text(bx + length / 2, by + half_h * 0.03, f"{length:g} 米", ha="center", va="bottom", fontproperties=font(8))
    angle = math.radians(true_north_deg(communities.crs, cx, cy))
    tip = (0.95, 0.88)
    ax.annotate("", xy=tip, xycoords="axes fraction", xytext=(-28 * k * math.sin(angle), -28 * k * math.cos(angle)),
                textcoords="offset points",
                arrowprops={"arrowstyle": "-|>,head_length=0.7,head_width=0.4", "color": INK, "linewidth": 1.4 * k})
    ax.annotate("北", xy=tip, xycoords="axes fraction", ha="center", va="bottom", fontproperties=font(11),
                weight="bold", xytext=(6 * k * math.sin(angle), 6 * k * math.cos(angle) + 2), textcoords="offset points")
    map_note = f"比例尺 1:{scale:,}（{paper} 竖向）"
    if content.attribution:
        map_note += f" · {content.attribution}"
    ax.text(0.99, 0.01, map_note, transform=ax.transAxes, ha="right", va="bottom", fontproperties=font(7),
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8}, parse_math=False)

    # the text blocks, bottom half: left column and right column
    def block(x: float, y: float, heading: str, lines: list[str], width: int) -> float:
        fig.text(x, y, heading, fontproperties=font(11.5), weight="bold", va="top", color=ACCENT)
        y -= 0.024
        for line in lines:
            for part in _wrap(line, width):
                fig.text(x, y, part, fontproperties=font(8.5), va="top", parse_math=False)
                y -= 0.0165
        return y - 0.012

    facts = [f"{label}：{value}" for label, value in content.facts]
    y = block(0.05, 0.485, "项目概况", facts, 30)
    # a class lists its first items only: the full list is in the plan tables, the notice must stay legible
    items = [f"{cls}（{len(names)} 项）：{'、'.join(names[:MAX_ITEMS])}" + ("等" if len(names) > MAX_ITEMS else "")
             for cls, names in content.content.items()] or ["（改造内容待定）"]
    y = block(0.05, y, "改造内容", items, 30)
    block(0.05, y, "联系方式与监督", list(content.contact), 30)

    money = [f"{name}：{'—（未提供单价表）' if value is None or pd.isna(value) else f'{value:,.2f} 万元'}"
             for name, value in content.funding]
    y2 = block(0.53, 0.485, "工程预算与资金筹措", money, 26)
    y2 = block(0.53, y2, "实施安排", list(content.schedule), 26)
    block(0.53, y2, "后续管理", list(content.management), 26)

    # the QR code, bottom right, one module per image pixel
    matrix = qr_matrix(content.qr_payload)
    size = 0.17
    qr_ax = fig.add_axes((0.95 - size, 0.035, size, size * w_mm / h_mm))
    qr_ax.imshow(~matrix, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
    qr_ax.set_axis_off()
    fig.text(0.95 - size / 2, 0.03, "扫码查看项目信息 · 接受社会监督", ha="center", va="top", fontproperties=font(7.5))
    fig.text(0.05, 0.02, f"公示日期：{when.isoformat()} · gisplanner {__version__}", fontproperties=font(7),
             va="bottom", color="#555555")
    return fig


def write_notice(figure: Any, path: str | Path, *, dpi: float = 200.0) -> Path:
    """Save the notice as PDF (or PNG by the file's suffix), atomically."""
    path = Path(path)
    if path.suffix.lower() not in (".pdf", ".png"):
        raise InputError("公示牌只能写成 .pdf 或 .png", file=str(path), fix="把输出文件名改为 .pdf 或 .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.writing{path.suffix}")
    figure.savefig(tmp, dpi=dpi, metadata={"Creator": f"gisplanner {__version__}"} if path.suffix == ".pdf" else None)
    tmp.replace(path)
    return path


def project_notice(project: Any, project_id: str, *, unit_costs: pd.DataFrame | None = None,
                   unit_costs_file: str | None = None) -> tuple[NoticeContent, Any, Any, Any]:
    """The notice content of one ledger project, with its communities, outline and context for the map.

    Raises
    ------
    InputError
        When the ledger has no such project or none of its communities is in the communities layer.
    """
    from gisplanner import funding
    from gisplanner.catalogue import renovation_items
    from gisplanner.export.package import osm_attribution
    from gisplanner.ledger import check_preconditions, households_by_project, member_ids, project_ledger

    ledger = project_ledger(project)
    rows = ledger.index[ledger["project_id"].astype(str) == str(project_id)]
    if not len(rows):
        raise InputError(f"台账中没有项目 {project_id}", file=str(project.path) if project.path else None,
                         layer="ledger", fix=f"可选项目编号：{'、'.join(ledger['project_id'].astype(str)[:20])}")
    one = ledger.loc[rows].reset_index(drop=True)
    row = one.iloc[0]
    standards = project.standards()
    all_communities = project.layer("communities")
    ids = member_ids(one).iloc[0]
    communities = all_communities[all_communities["feature_id"].astype(str).isin(ids)]
    if not len(communities):
        raise InputError(f"项目 {project_id} 包含的小区不在小区图层中", layer="ledger", feature=project_id,
                         fix="在台账“包含小区编号”中填写小区图层的编号")
    districts = project.results.get("districts")
    outline = None
    if districts is not None and row["kind"] == "district":
        outline = districts[districts["district_id"].astype(str) == str(project_id)]
    reach = communities.total_bounds
    pad = 0.3 * max(reach[2] - reach[0], reach[3] - reach[1], 200.0)
    context = all_communities.cx[reach[0] - pad:reach[2] + pad, reach[1] - pad:reach[3] + pad]
    context = context[~context.index.isin(communities.index)]

    # The project's own communities' selected items (一区一策), the same ones its budget prices.
    content: dict[str, list[str]] = {}
    items = renovation_items(project, community_ids=ids)
    for cls, group in items[items["selected"].astype(bool)].groupby("class_zh", sort=False):
        content[str(cls)] = list(dict.fromkeys(group["item_zh"].astype(str)))

    households = households_by_project(one, all_communities)
    investment = funding.project_investment(project, one, unit_costs, file=unit_costs_file)
    province = project.settings.get("province") or standards.ledger.province(project.city)
    split = funding.funding_split(one, households, investment, standards, province=province).iloc[0]
    sources = standards.ledger.funding_sources
    money: list[tuple[str, float | None]] = [("预计总投资", None if pd.isna(split["total_wan"]) else split["total_wan"])]
    money += [(zh, None if pd.isna(split[key]) else float(split[key])) for key, zh in sources.items()
              if key == "local" or split[key] > 0]

    built = pd.to_numeric(communities["built_year"], errors="coerce").dropna()
    phases = standards.ledger.phases
    facts = [("所在街道", row["street"] or "—"), ("包含小区", "、".join(communities["name"].astype("string").fillna("未命名小区"))),
             ("居民户数", f"{households.iloc[0]:,.0f} 户"),
             ("楼栋数", f"{pd.to_numeric(communities['n_buildings'], errors='coerce').sum():,.0f} 栋"),
             ("建成年代", f"{int(built.min())}—{int(built.max())} 年" if len(built) else "—"),
             ("项目阶段", phases.get(row["phase"], str(row["phase"])))]
    if pd.notna(row["consent_share"]):
        facts.append(("居民改造意愿", f"同意户数占 {row['consent_share']:.0%}"
                      + (f"（{row['consent_date']} 征询）" if row["consent_date"] else "")))
    check = check_preconditions(one, all_communities, standards, city=project.city, province=province)
    def flag(value: Any) -> bool:
        return value is not pd.NA and value is not None and bool(value)

    management = [row["management_model"] or "后续管理模式待确定",
                  "业委会（物管会）：" + ("已组建" if flag(row["owners_committee_formed"]) else "未组建"),
                  "居民出资：" + ("已落实" if flag(row["resident_funding_agreed"]) else "未落实")]
    if check.table["unmet"].iloc[0]:
        management.append("尚未满足：" + check.table["unmet"].iloc[0])
    year = row["plan_year"]
    schedule = [f"计划年度：{int(year)} 年" if year is not pd.NA else "计划年度：待定",
                f"开工日期：{row['start_date'] or '待定'}", f"完工日期：{row['completion_date'] or '待定'}"]
    contact = [row["contact"] or "联系人待定", "对改造内容、资金使用有意见的，可向所在街道、社区反映或扫码查看"]
    if row["notes"]:
        contact.append(f"备注：{row['notes']}")
    summary = [str(row["name"]), f"{households.iloc[0]:.0f}户",
               "预计投资：" + ("未定" if pd.isna(split["total_wan"]) else f"{split['total_wan']:.2f}万元"),
               f"计划年度：{int(year)}" if year is not pd.NA else "计划年度：待定"]
    payload = qr_payload(str(project_id), summary, url=project.settings.get("notice_url"))
    notice = NoticeContent(str(project_id), str(row["name"]), tuple(facts), content, tuple(money),
                           tuple(management), tuple(schedule), tuple(contact), payload, osm_attribution(project))
    return notice, communities, outline, context


def write_project_notice(project: Any, project_id: str, path: str | Path, *, paper: str = "A4",
                         unit_costs: pd.DataFrame | None = None, unit_costs_file: str | None = None,
                         when: dt.date | None = None, progress: Progress | None = None) -> Path:
    """Draw and write the notice of one ledger project (:func:`project_notice`, :func:`notice_figure`)."""
    progress = ensure_progress(progress)
    progress.update(0, 1, f"公示牌 {project_id}")
    content, communities, outline, context = project_notice(project, project_id, unit_costs=unit_costs,
                                                            unit_costs_file=unit_costs_file)
    written = write_notice(notice_figure(content, communities, outline, context, paper=paper, when=when), path)
    progress.update(1, 1, "完成")
    return written
