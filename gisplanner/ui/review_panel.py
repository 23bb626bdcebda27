"""The joint-review comments (审查意见) in the app: the comments attached to districts and placement checks, a
filled review form imported, and one map marker per comment coloured by its state.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gisplanner.errors import GisPlannerError
from gisplanner.export.package import project_plan_layers
from gisplanner.export.review_form import (
    KIND_ZH,
    STATUS_ZH,
    TABLE,
    addressed,
    attach_comments,
    comment_markers,
    read_review_form,
)
from gisplanner.labels import field_label
from gisplanner.ui.layer_store import LayerStore

#: Name of the marker layer on the map (not a project result: it is drawn from the comments table).
MARKERS = "review_comments"
COLUMNS = ("轮次", "对象编号", "名称", "核查项", "审查意见", "处理意见", "状态", "处理情况", "对象类型")
STATE_COLOURS = {"已处理": "#1a7f37", "待定": "#b26b00", "未处理": "#b30000"}


class ReviewPanel(QWidget):
    """The comments table; selecting a comment zooms the map to its district or facility."""

    failed = pyqtSignal(object)
    zoom_requested = pyqtSignal(tuple)

    def __init__(self, store: LayerStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.markers = None
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._selected)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        import_button = QPushButton("导入审查意见表…")
        import_button.clicked.connect(self.import_dialog)
        row = QHBoxLayout()
        row.addWidget(import_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        store.project_replaced.connect(self.refresh)
        store.changed.connect(lambda name: self.refresh() if name == "districts" else None)
        self.refresh()

    def comments(self) -> pd.DataFrame | None:
        project = self.store.project
        return project.tables.get(TABLE) if project is not None else None

    def refresh(self) -> None:
        """Show the project's comments and put their markers on the map."""
        comments = self.comments()
        self.table.clearContents()
        if comments is None or not len(comments):
            self.table.setRowCount(0)
            self.table.setColumnCount(len(COLUMNS))
            self.table.setHorizontalHeaderLabels(list(COLUMNS))
            self.summary.setText("还没有审查意见：导出成果包后，把联合审查填好的 review_form.xlsx 导入这里")
            self._show_markers(None)
            return
        done = addressed(comments)
        states = ["已处理" if d else ("待定" if s == "pending" else "未处理") for d, s in zip(done, comments["status"])]
        rows = pd.DataFrame({"轮次": comments["round"], "对象编号": comments["target_id"], "名称": comments["name"],
                             "核查项": comments["check"].map(lambda c: field_label(c) if c else "片区划定与改造内容"),
                             "审查意见": comments["comment"], "处理意见": comments["response"],
                             "状态": comments["status"].map(STATUS_ZH), "处理情况": states,
                             "对象类型": comments["target_kind"].map(KIND_ZH)})
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows.itertuples(index=False)):
            for c, value in enumerate(values):
                item = QTableWidgetItem("" if value is None or value is pd.NA else str(value))
                if COLUMNS[c] == "处理情况":
                    item.setForeground(QColor(STATE_COLOURS[str(value)]))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.summary.setText(f"审查意见 {len(comments)} 条：已处理 {int(done.sum())} 条，"
                             f"未处理 {len(comments) - int(done.sum())} 条")
        self._show_markers(comments)

    def _show_markers(self, comments: pd.DataFrame | None) -> None:
        project = self.store.project
        if project is None or not project.has_layer("communities"):
            return
        self.markers = comment_markers(comments, project_plan_layers(project))
        if self.markers.empty and MARKERS not in self.store:
            return
        was_modified = self.store.modified
        self.store.set_frame(MARKERS, self.markers, kind="overlay")
        self.store.set_modified(was_modified)  # markers are drawn from the comments, not an edit of their own

    def import_form(self, path: str | Path) -> list:
        """Attach a filled review form's comments to the project; returns the reader's findings."""
        project = self.store.project
        result = read_review_form(path, project_plan_layers(project))
        table = attach_comments(project.tables.get(TABLE), result.comments)
        if len(table):
            project.tables[TABLE] = table
            self.store.set_modified(True)
        self.refresh()
        if result.findings:
            self.summary.setText(self.summary.text() + "\n" + "\n".join(
                f"{f.feature}：{f.message}" for f in result.findings))
        return list(result.findings)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "导入审查意见表", "", "Excel 表格 (*.xlsx)")
        if path:
            try:
                self.import_form(path)
            except GisPlannerError as exc:
                self.failed.emit(exc)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.markers is None or self.comments() is None:
            return
        comment = self.comments().iloc[rows[0].row()]
        hit = self.markers[(self.markers["target_kind"] == comment["target_kind"])
                           & (self.markers["target_id"] == comment["target_id"])]
        if len(hit):
            x, y = hit.geometry.iloc[0].x, hit.geometry.iloc[0].y
            self.zoom_requested.emit((x - 300.0, y - 300.0, x + 300.0, y + 300.0))

