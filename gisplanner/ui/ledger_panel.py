"""The renovation ledger (台账) in the app: one row per project, filters by phase, year and street, cells edited
in place, the unmet preconditions of the province beside each project, and the year's plan, notices, import,
export and the plan compare as requests the main window runs in workers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gisplanner.errors import GisPlannerError, InputError
from gisplanner.ledger import (
    COLUMNS,
    TABLE,
    check_preconditions,
    edit_cell,
    households_by_project,
    ledger_display,
    normalise,
    project_ledger,
    read_ledger_xlsx,
    seed_from_districts,
    write_ledger_xlsx,
)
from gisplanner.ui.layer_store import LayerStore

ALL = "全部"
#: Derived columns shown after the ledger's own, read-only.
HOUSEHOLDS, UNMET = "居民户数", "未满足的前提条件"
#: Widest a column is drawn at first, so one long member list does not push the reasons out of view.
MAX_COLUMN_PX = 220


class LedgerPanel(QWidget):
    """The ledger table with its filters and actions; edits go straight into ``project.tables["ledger"]``."""

    failed = pyqtSignal(object)
    plan_requested = pyqtSignal(dict)
    notice_requested = pyqtSignal(dict)
    compare_requested = pyqtSignal(dict)

    def __init__(self, store: LayerStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ledger = normalise(pd.DataFrame())
        self._filling = False

        self.phase_box, self.year_box, self.street_box = QComboBox(), QComboBox(), QComboBox()
        filters = QHBoxLayout()
        for label, box in (("阶段", self.phase_box), ("年度", self.year_box), ("街道", self.street_box)):
            filters.addWidget(QLabel(label))
            filters.addWidget(box, 1)
            box.currentTextChanged.connect(lambda _: self.apply_filters())

        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemChanged.connect(self._edited)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(2025)
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.0, 1e9)
        self.budget.setDecimals(1)
        self.budget.setSuffix(" 万元")
        self.budget.setSpecialValueText("不设额度")
        self.budget.setToolTip("本年度市县财政可承受的改造出资额度；0 表示不设额度")
        buttons = QGridLayout()
        actions = (("从片区补充项目", self.add_districts), ("选中小区建项目", self.add_selected_communities),
                   ("删除选中项目", self.remove_selected), ("导入台账…", self.import_dialog),
                   ("导出台账…", self.export_dialog), ("生成公示牌…", self.notice_dialog),
                   ("方案比较…", self.compare_dialog))
        for i, (text, slot) in enumerate(actions):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button, i // 3, i % 3)
        plan_row = QHBoxLayout()
        plan_row.addWidget(QLabel("计划年度"))
        plan_row.addWidget(self.year)
        plan_row.addWidget(QLabel("财政额度"))
        plan_row.addWidget(self.budget, 1)
        plan_button = QPushButton("遴选年度计划…")
        plan_button.clicked.connect(self.plan_dialog)
        plan_row.addWidget(plan_button)
        self.plan_view = QTextBrowser()
        self.plan_view.setMaximumHeight(160)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addLayout(plan_row)
        layout.addWidget(self.plan_view)
        store.project_replaced.connect(self.refresh)
        # a project without a stored ledger shows its districts: follow the district plan as it changes
        store.changed.connect(lambda name: self.refresh() if name == "districts" and self._seeded() else None)
        self.refresh()

    def _seeded(self) -> bool:
        return self.project is not None and TABLE not in self.project.tables

    # --- data ---------------------------------------------------------------------------------------------
    @property
    def project(self):
        return self.store.project

    def refresh(self) -> None:
        """Show the project's ledger (its districts as 储备 projects when it has none yet)."""
        project = self.project
        self.ledger = project_ledger(project) if project is not None and project.has_layer("communities") \
            else normalise(pd.DataFrame())
        self._fill()

    def _commit(self, ledger: pd.DataFrame) -> None:
        self.ledger = ledger
        self.project.tables[TABLE] = ledger
        self.store.set_modified(True)
        self._fill()

    def _fill(self) -> None:
        project = self.project
        standards = project.standards() if project is not None else None
        self._filling = True
        self.table.clear()
        if standards is None or not project.has_layer("communities"):
            self.table.setRowCount(0)
            self.summary.setText("项目还没有小区图层")
            self._filling = False
            return
        communities = project.layer("communities")
        check = check_preconditions(self.ledger, communities, standards, city=project.city,
                                    province=project.settings.get("province"))
        shown = ledger_display(self.ledger, standards, households=households_by_project(self.ledger, communities),
                               check=check)
        first = [COLUMNS["project_id"], COLUMNS["name"], COLUMNS["phase"], COLUMNS["plan_year"], UNMET, HOUSEHOLDS,
                 COLUMNS["street"]]
        shown = shown[[*first, *(c for c in shown.columns if c not in first)]]
        self.table.setColumnCount(len(shown.columns))
        self.table.setHorizontalHeaderLabels(list(shown.columns))
        self.table.setRowCount(len(shown))
        readonly = {HOUSEHOLDS, UNMET}
        for r, row in enumerate(shown.itertuples(index=False)):
            for c, (column, value) in enumerate(zip(shown.columns, row)):
                item = QTableWidgetItem("" if value is None or (isinstance(value, float) and pd.isna(value))
                                        else f"{value:g}" if isinstance(value, float) else str(value))
                if column in readonly:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if column == UNMET and value:
                    item.setForeground(QColor("#b30000"))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), MAX_COLUMN_PX))
        blocked = int((check.table["unmet"] != "").sum())
        self.summary.setText(f"{len(self.ledger)} 个项目；{blocked} 个有未满足的前提条件"
                             f"（{standards.ledger.province_zh[check.province]}规则）")
        self._fill_filters()
        self._filling = False
        self.apply_filters()

    def _fill_filters(self) -> None:
        phases = self.project.standards().ledger.phases
        years = sorted({int(y) for y in self.ledger["plan_year"].dropna()})
        streets = sorted({s for s in self.ledger["street"] if isinstance(s, str) and s})
        for box, values in ((self.phase_box, list(phases.values())), (self.year_box, [str(y) for y in years]),
                            (self.street_box, streets)):
            current = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems([ALL, *values])
            box.setCurrentText(current if current in values else ALL)
            box.blockSignals(False)

    def apply_filters(self) -> None:
        """Hide the rows outside the chosen phase, year and street."""
        if not len(self.ledger) or self.project is None:
            return
        phases = self.project.standards().ledger.phases
        phase, year, street = self.phase_box.currentText(), self.year_box.currentText(), self.street_box.currentText()
        for r in range(len(self.ledger)):
            row = self.ledger.iloc[r]
            hidden = ((phase not in ("", ALL) and phases.get(row["phase"]) != phase)
                      or (year not in ("", ALL) and (pd.isna(row["plan_year"]) or str(int(row["plan_year"])) != year))
                      or (street not in ("", ALL) and row["street"] != street))
            self.table.setRowHidden(r, hidden)

    def visible_ids(self) -> list[str]:
        return [str(self.ledger.iloc[r]["project_id"]) for r in range(len(self.ledger)) if not self.table.isRowHidden(r)]

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        header = self.table.horizontalHeaderItem(item.column()).text()
        by_header = {zh: key for key, zh in COLUMNS.items()}
        try:
            self._commit(edit_cell(self.ledger, item.row(), by_header[header], item.text(),
                                   self.project.standards()))
        except GisPlannerError as exc:
            self._fill()  # put the stored value back
            self.failed.emit(exc)

    # --- actions ------------------------------------------------------------------------------------------
    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(self.ledger.iloc[rows[0].row()]["project_id"]) if rows else None

    def add_districts(self) -> None:
        """Add every district of the plan that the ledger does not list yet, as a 储备 project."""
        project = self.project
        seeded = seed_from_districts(project.results.get("districts"), project.results.get("district_members"))
        new = seeded[~seeded["project_id"].isin(self.ledger["project_id"])]
        if not len(new):
            self.summary.setText("台账已包含全部片区")
            return
        self._commit(normalise(pd.concat([self.ledger, new], ignore_index=True)))

    def add_selected_communities(self) -> None:
        """Add one 储备 project per community selected on the map (a single-community project, 单个小区)."""
        if "communities" not in self.store:
            return
        rows = self.store.selected("communities")
        if not len(rows):
            self.summary.setText("先在地图上选中小区（点选、框选或套索），再建项目")
            return
        chosen = self.store.layer("communities").frame.iloc[rows]
        ids = chosen["feature_id"].astype(str)
        new = normalise(pd.DataFrame({"project_id": ids.to_numpy(), "name": chosen["name"].astype(str).to_numpy(),
                                      "kind": "community", "members": ids.to_numpy(), "phase": "reserve"}))
        new = new[~new["project_id"].isin(self.ledger["project_id"])]
        if len(new):
            self._commit(normalise(pd.concat([self.ledger, new], ignore_index=True)))
        self.summary.setText(f"新增 {len(new)} 个小区项目（已在台账中的 {len(ids) - len(new)} 个未重复添加）")

    def remove_selected(self) -> None:
        """Remove the project selected in the table from the ledger."""
        pid = self.selected_id()
        if pid is None:
            self.summary.setText("先在表中选中要删除的项目")
            return
        self._commit(self.ledger[self.ledger["project_id"].astype(str) != pid].reset_index(drop=True))

    def import_ledger(self, path: str | Path) -> list:
        """Replace the ledger with a spreadsheet's; returns the reader's findings (also shown below the table)."""
        result = read_ledger_xlsx(path, self.project.standards(),
                                  community_ids=self.project.layer("communities")["feature_id"].astype(str))
        if not len(result.ledger):
            raise InputError("表格中没有可导入的项目行", file=str(path), fix="每行一个项目，至少填写“项目编号”")
        self._commit(result.ledger)
        self.plan_view.setPlainText("\n".join([f"已导入 {len(result.ledger)} 个项目，{len(result.findings)} 条提示",
                                               *(f"{f.feature}：{f.message}" for f in result.findings)]))
        return list(result.findings)

    def export_ledger(self, path: str | Path) -> Path:
        project = self.project
        communities = project.layer("communities")
        check = check_preconditions(self.ledger, communities, project.standards(), city=project.city,
                                    province=project.settings.get("province"))
        return write_ledger_xlsx(self.ledger, path, project.standards(),
                                 households=households_by_project(self.ledger, communities), check=check)

    def _guard(self, action) -> None:
        try:
            action()
        except GisPlannerError as exc:
            self.failed.emit(exc)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "导入台账", "", "Excel 表格 (*.xlsx)")
        if path:
            self._guard(lambda: self.import_ledger(path))

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "导出台账", "改造项目台账.xlsx", "Excel 表格 (*.xlsx)")
        if path:
            self._guard(lambda: self.export_ledger(path))

    def plan_dialog(self) -> None:
        out = QFileDialog.getExistingDirectory(self, "年度计划输出文件夹")
        if out:
            self.request_plan(out)

    def request_plan(self, out_dir: str | Path) -> None:
        self.plan_requested.emit({"year": self.year.value(), "budget_wan": self.budget.value() or None,
                                  "out_dir": Path(out_dir)})

    def show_plan(self, plan, written: dict) -> None:
        """Show a finished plan: who is in, who is out and why, the post-2000 share and the fiscal verdict."""
        chosen = plan.selection[plan.selection["selected"]]
        lines = [f"{plan.year}年计划：纳入 {len(chosen)} 个项目、{chosen['households'].sum():,.0f} 户",
                 *(f"✔ {r.project_id} {r.name}：{r.reason}" for r in chosen.itertuples()),
                 *(f"✘ {r.project_id} {r.name}：{r.reason}" for r in plan.selection[~plan.selection["selected"]]
                   .itertuples()),
                 f"2000年底后建成小区户数占比 {plan.post2000_share:.1%}（上限 {plan.post2000_cap:.0%}）",
                 plan.fiscal.verdict, *(f"已写出 {p}" for p in written.values())]
        self.plan_view.setPlainText("\n".join(lines))

    def show_comparison(self, comparison, written: dict) -> None:
        """Show the metrics of a finished plan compare and the files written."""
        lines = [f"{r['指标']}：A {r['方案A']:,.2f} → B {r['方案B']:,.2f}" if pd.notna(r["方案A"]) and pd.notna(r["方案B"])
                 else f"{r['指标']}：数据缺失（未提供单价表）" for _, r in comparison.metrics.iterrows()]
        status = comparison.districts["状态"].value_counts()
        lines.append("片区：" + "，".join(f"{k} {v} 个" for k, v in status.items()))
        self.plan_view.setPlainText("\n".join([*lines, *(f"已写出 {p}" for p in written.values())]))

    def notice_dialog(self) -> None:
        pid = self.selected_id()
        if pid is None:
            self.summary.setText("先在表中选中一个项目，再生成公示牌")
            return
        path, _ = QFileDialog.getSaveFileName(self, "保存公示牌", f"公示牌_{pid}.pdf", "PDF (*.pdf);;PNG (*.png)")
        if path:
            self.notice_requested.emit({"project_id": pid, "path": Path(path)})

    def compare_dialog(self) -> None:
        other, _ = QFileDialog.getOpenFileName(self, "选择要比较的方案（方案B）", "", "gisplanner 项目 (*.gpkg)")
        if not other:
            return
        out = QFileDialog.getExistingDirectory(self, "比较结果输出文件夹")
        if out:
            self.compare_requested.emit({"other": Path(other), "out_dir": Path(out)})
