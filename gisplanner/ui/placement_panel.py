"""Placement tool: pick a site or draw a footprint, choose type and floors, read the check report."""

from __future__ import annotations

import html

import geopandas as gpd
import shapely
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gisplanner.catalogue import PLACEMENT_IMPACT, PLACEMENT_SHADOW, PlacementRun, geometry_wkt
from gisplanner.errors import InputError
from gisplanner.labels import code_label, codes, site_label
from gisplanner.ui.layer_store import LayerStore

SITE_LAYERS = ("boiler_rooms", "public_buildings", "idle_land", "buildings")
VERDICT_ZH = {**codes("verdict"), **codes("overall")}
VERDICT_COLOR = {"pass": "#1a7f37", "warn": "#b26b00", "consult": "#b26b00", "fail": "#b30000",
                 "conditions": "#b26b00", "consultation": "#b26b00", "refused": "#b30000"}


def report_html(report) -> str:
    """The check report as HTML: overall verdict, then each check with its message and next steps."""
    def verdict(v: str) -> str:
        return f'<b style="color:{VERDICT_COLOR.get(v, "#333")}">{VERDICT_ZH.get(v, v)}</b>'

    parts = [f"<h3>{html.escape(report.facility_zh)} {html.escape(report.name)}：{verdict(report.overall)}</h3>",
             f"<p>建设方式：{html.escape(code_label(report.intervention, 'intervention'))}；"
             f"场地：{html.escape(site_label(report.site, report.site_name))}</p>"]
    if report.footprint_used:
        parts.append(f"<p><b>建筑占地</b>：{html.escape(str(report.footprint_used['text']))}</p>")
    for check in report.checks:
        parts.append(f"<p>{verdict(check.verdict)} <b>{html.escape(check.title)}</b><br>"
                     f"{html.escape(check.message)}</p>")
        if check.next_steps:
            parts.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in check.next_steps) + "</ul>")
    return "".join(parts)


class PlacementPanel(QWidget):
    """Site, facility type, floors and floor area; the main window runs the placement analysis in a worker.

    Signals
    -------
    draw_requested()
        switch the map to the draw tool.
    check_requested(dict)
        parameters of the placement analysis (:class:`gisplanner.catalogue.PlacementParams`).
    failed(exception)
        the chosen site cannot be used.
    """

    draw_requested = pyqtSignal()
    check_requested = pyqtSignal(dict)
    failed = pyqtSignal(object)

    def __init__(self, store: LayerStore, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.site: str | None = None
        self.footprint = None
        self.facility = QComboBox()
        self.floors = QDoubleSpinBox()
        self.floors.setRange(1, 30)
        self.floors.setDecimals(0)
        self.floors.setValue(3)
        # On a parcel the footprint is GFA ÷ floors; 0 leaves the GFA to the catalogue's lower bound.
        self.gfa = QDoubleSpinBox()
        self.gfa.setRange(0, 1_000_000)
        self.gfa.setDecimals(0)
        self.gfa.setSingleStep(100)
        self.gfa.setSuffix(" m²")
        self.gfa.setSpecialValueText("按设施目录下限")
        self.gfa.setToolTip("在空闲地上新建时，建筑占地＝建筑面积÷层数，布置在地块内对周边住宅日照遮挡最少处")
        self.site_label = QLabel("未选择站点")
        self.site_label.setWordWrap(True)
        pick = QPushButton("用选中要素作站点")
        pick.setToolTip("在地图上选中锅炉房、公有房屋、空闲地或建筑后点击")
        draw = QPushButton("绘制轮廓")
        self.check = QPushButton("检查")
        self.report = QTextBrowser()
        form = QFormLayout()
        form.addRow("设施类型", self.facility)
        form.addRow("层数", self.floors)
        form.addRow("建筑面积", self.gfa)
        form.addRow("站点", self.site_label)
        buttons = QHBoxLayout()
        for b in (pick, draw, self.check):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.report, 1)
        pick.clicked.connect(self.use_selection)
        draw.clicked.connect(self.draw_requested.emit)
        self.check.clicked.connect(self._check_clicked)
        store.project_replaced.connect(self._fill_types)
        self._fill_types()

    def _fill_types(self) -> None:
        self.facility.clear()
        if self.store.project is None:
            return
        for key, ftype in self.store.project.standards().facility_types().items():
            self.facility.addItem(ftype.zh, key)
        self.facility.setCurrentIndex(max(self.facility.findData("elderly_daycare"), 0))

    def use_selection(self) -> None:
        """Take the first selected feature of the active layer as the site (``LAYER:ID``)."""
        name = self.store.active
        if name not in SITE_LAYERS or not len(self.store.selected(name)):
            self.failed.emit(InputError("未选择站点", layer=name or None,
                                        fix="在图层面板中选中锅炉房、公有房屋、空闲地或建筑图层，"
                                            "在地图上选中一个要素，再点击本按钮"))
            return
        row = self.store.layer(name).frame.iloc[int(self.store.selected(name)[0])]
        self.set_site(f"{name}:{row['feature_id']}", row.get("name"))

    def set_site(self, site: str, name: object = None) -> None:
        """Check ``site`` (``LAYER:ID``); ``name`` is the feature's name, shown beside its ID when it has one."""
        self.site, self.footprint = site, None
        self.site_label.setText(site_label(site, name if isinstance(name, str) else None))

    def set_footprint(self, polygon) -> None:
        self.site, self.footprint = None, polygon
        self.site_label.setText(f"绘制的轮廓（{polygon.area:,.0f} m²）")

    def request(self) -> dict:
        """The keyword arguments of the check the panel describes now."""
        if self.site is None and self.footprint is None:
            raise InputError("尚未指定设施站点", fix="选中要素后点击“用选中要素作站点”，或在地图上绘制轮廓")
        return {"facility": self.facility.currentData(), "site": self.site,
                "footprint_wkt": geometry_wkt(self.footprint), "floors": self.floors.value(),
                "gfa_m2": self.gfa.value() or None}

    def _check_clicked(self) -> None:
        try:
            self.check_requested.emit(self.request())
        except InputError as exc:
            self.failed.emit(exc)

    def show_result(self, run: PlacementRun) -> None:
        """Show the report and put the footprint on the map; its shadow and the window sills it changes are
        the placement's own results (``placement_shadow``, ``placement_impact``), drawn with the others."""
        report = run.report
        self.report.setHtml(report_html(report))
        crs = self.store.project.crs if self.store.project is not None else None
        footprint = gpd.GeoDataFrame({"name": [report.name or report.facility_zh], "overall": [report.overall]},
                                     geometry=[shapely.from_wkt(report.footprint_wkt)], crs=crs)
        if run.shadow is not None:
            # Under the footprint and see-through, so the buildings and windows it shades stay readable.
            self.store.set_frame(PLACEMENT_SHADOW, run.shadow)
            self.store.set_opacity(PLACEMENT_SHADOW, 0.35)
        self.store.set_frame("placement", footprint)
        if run.impact is not None:
            self.store.set_frame(PLACEMENT_IMPACT, run.impact)
        self.store.set_modified(True)
