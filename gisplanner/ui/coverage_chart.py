"""Coverage chart: the share of population served per facility type, for one life-circle level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gisplanner import catalogue
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.styles import ramp_colors

LEVEL_ZH = {"lc5": "5分钟生活圈", "lc10": "10分钟生活圈", "lc15": "15分钟生活圈", "block": "居住街坊"}


def _level_rank(level: str) -> int:
    return list(LEVEL_ZH).index(level) if level in LEVEL_ZH else len(LEVEL_ZH)


def coverage_rows(coverage: pd.DataFrame, level: str, district: str = "all") -> pd.DataFrame:
    """The rows of one level and district, worst served first (the order of the bars, bottom up)."""
    rows = coverage[(coverage["level"] == level) & (coverage["district"].astype(str) == district)]
    return rows.sort_values(["share_served", "facility_type"], ascending=[False, True]).reset_index(drop=True)


class CoverageChart(QWidget):
    """Horizontal bars of ``share_served`` from the project's ``coverage`` result, one bar per facility type."""

    def __init__(self, store: LayerStore, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.level = QComboBox()
        self.district = QComboBox()
        self.plot = pg.PlotWidget(background="#ffffff")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.setLabel("bottom", "服务人口比例")
        self.plot.getAxis("left").setStyle(tickFont=QFont("Noto Sans CJK SC", 8))
        self.bars: pg.BarGraphItem | None = None
        top = QHBoxLayout()
        top.addWidget(QLabel("层级"))
        top.addWidget(self.level)
        top.addWidget(QLabel("范围"))
        top.addWidget(self.district, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.plot)
        self.level.currentIndexChanged.connect(self.redraw)
        self.district.currentIndexChanged.connect(self.redraw)
        store.project_replaced.connect(self.refresh)

    def coverage(self) -> pd.DataFrame | None:
        project = self.store.project
        return None if project is None else project.results.get(catalogue.COVERAGE)

    def refresh(self) -> None:
        """Re-read the coverage result (after the life-circle analysis)."""
        coverage = self.coverage()
        levels = [] if coverage is None else sorted(coverage["level"].unique(), key=_level_rank)
        districts = [] if coverage is None else sorted(coverage["district"].astype(str).unique(),
                                                        key=lambda d: (d != "all", d))
        for combo, values, labels in ((self.level, levels, LEVEL_ZH), (self.district, districts, {"all": "全部小区"})):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for value in values:
                combo.addItem(labels.get(value, value), value)
            combo.setCurrentIndex(max(combo.findData(current), 0))
            combo.blockSignals(False)
        self.redraw()

    def redraw(self) -> None:
        if self.bars is not None:
            self.plot.removeItem(self.bars)
            self.bars = None
        coverage = self.coverage()
        if coverage is None or self.level.currentData() is None:
            return
        rows = coverage_rows(coverage, self.level.currentData(), self.district.currentData() or "all")
        zh = {}
        if self.store.project is not None:
            zh = {k: t.zh for k, t in self.store.project.standards().facility_types().items()}
        share = rows["share_served"].to_numpy(dtype=float)
        palette = ramp_colors("shortfall", 5)[::-1]  # well served light, badly served dark red
        brushes = [pg.mkBrush("#4daf4a" if s >= 0.999 else palette[min(int(s * 5), 4)]) for s in share]
        self.bars = pg.BarGraphItem(x0=np.zeros(len(rows)), y=np.arange(len(rows)), height=0.7, width=share,
                                    brushes=brushes, pen=pg.mkPen("#555555"))
        self.plot.addItem(self.bars)
        ticks = [(i, f"{zh.get(t, t)} {s:.0%}") for i, (t, s) in enumerate(zip(rows["facility_type"], share))]
        self.plot.getAxis("left").setTicks([ticks])
        self.plot.setYRange(-0.6, max(len(rows) - 0.4, 0.4), padding=0)
