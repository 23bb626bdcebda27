"""District bundling by hand: create, add, remove, merge, split, rename and auto-bundle, every edit undoable.

Each edit calls an engine function of :mod:`gisplanner.analysis.district_edit`, which returns a new plan; the
undo stack keeps the plan before and after, so undo is showing the previous plan again.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QUndoCommand, QUndoStack
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gisplanner import workflow
from gisplanner.analysis import district_edit
from gisplanner.analysis.districts import PLAN_RESULTS, DistrictPlan, describe_plan
from gisplanner.catalogue import DISTRICTS
from gisplanner.errors import GisPlannerError, InputError
from gisplanner.labels import quantity_text
from gisplanner.project import RunRecord
from gisplanner.ui.layer_store import LayerStore

#: The analysis whose results the panel edits.
ANALYSIS = "districts"
#: A district plan with the run record of the bundling it comes from.
PlanState = tuple[DistrictPlan | None, RunRecord | None]
STATS = (("district_id", "编号"), ("name", "名称"), ("n_communities", "小区数"), ("population", "人口"),
         ("households", "户数"), ("extent_m", "范围"), ("violations", "问题"))


def plan_of(project) -> DistrictPlan | None:
    """The district plan stored in the project's results, or None before any bundling."""
    return None if project is None else DistrictPlan.from_results(project.results)


class PlanCommand(QUndoCommand):
    """Swap the project's district plan between ``before`` and ``after`` (None: no plan), each with the run
    record of the bundling it comes from, so an edit after an undo uses the rules of the plan it edits."""

    def __init__(self, panel: DistrictPanel, text: str, before: PlanState, after: PlanState) -> None:
        super().__init__(text)
        self.panel, self.before, self.after = panel, before, after

    def redo(self) -> None:
        self.panel.show_plan(*self.after)

    def undo(self) -> None:
        self.panel.show_plan(*self.before)


class DistrictPanel(QWidget):
    """District list with statistics, edit buttons and auto-bundle parameters.

    Signals
    -------
    failed(exception)
        an edit was refused (shown by the main window's error dialog).
    auto_bundle_requested(dict)
        parameter changes of the districts analysis; the main window runs it in a worker and calls
        :meth:`record` with the result.
    """

    failed = pyqtSignal(object)
    auto_bundle_requested = pyqtSignal(dict)

    def __init__(self, store: LayerStore, undo_stack: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.undo_stack = undo_stack
        self.table = QTableWidget(0, len(STATS))
        self.table.setHorizontalHeaderLabels([zh for _, zh in STATS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b30000")
        grid = QGridLayout()
        self.buttons = {}
        for i, (key, text, tip) in enumerate((
                ("create", "新建片区", "用选中的小区新建片区"), ("add", "加入", "把选中的小区加入当前片区"),
                ("remove", "移出", "把选中的小区移出当前片区"), ("merge", "合并", "合并表中选中的片区"),
                ("split", "拆分", "把选中的小区从当前片区拆分出来"), ("rename", "重命名", "重命名当前片区"))):
            button = QPushButton(text)
            button.setToolTip(tip)
            grid.addWidget(button, i // 3, i % 3)
            self.buttons[key] = button
        self.min_population = QDoubleSpinBox()
        self.max_population = QDoubleSpinBox()
        for box in (self.min_population, self.max_population):
            box.setRange(0, 1e7)
            box.setDecimals(0)
            box.setSingleStep(1000)
            box.setSuffix(" 人")
        self.max_extent = QDoubleSpinBox()
        self.max_extent.setRange(0, 1e5)
        self.max_extent.setDecimals(0)
        self.max_extent.setSuffix(" m")
        self.seed = QSpinBox()
        self.seed.setRange(0, 10_000)
        self.auto = QPushButton("自动划分片区")
        form = QFormLayout()
        form.addRow("人口下限", self.min_population)
        form.addRow("人口上限", self.max_population)
        form.addRow("最大范围", self.max_extent)
        form.addRow("随机种子", self.seed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(grid)
        layout.addWidget(self.warnings)
        layout.addLayout(form)
        layout.addWidget(self.auto)
        actions = {
            "create": lambda: self.create(self._communities()),
            "add": lambda: self.add(self._current(), self._communities()),
            "remove": lambda: self.remove(self._current(), self._communities()),
            "merge": lambda: self.merge(self._selected_districts()),
            "split": lambda: self.split(self._current(), self._communities()),
        }
        for key, action in actions.items():
            self.buttons[key].clicked.connect(lambda checked=False, action=action: self._guard(action))
        self.buttons["rename"].clicked.connect(self._rename_clicked)
        self.auto.clicked.connect(lambda: self.auto_bundle_requested.emit(self.auto_parameters()))
        self.table.itemSelectionChanged.connect(self._table_selection_changed)
        store.project_replaced.connect(self._project_replaced)
        self._project_replaced()

    # --- state ---------------------------------------------------------------------------------------------
    def _project_replaced(self) -> None:
        self.undo_stack.clear()
        project = self.store.project
        if project is not None:
            # The rules of the plan on the project when there is one, else the standards'.
            params = workflow.recorded_params(project, "districts") or workflow.params(project, "districts")
            self.min_population.setValue(params.min_population)
            self.max_population.setValue(params.max_population)
            self.max_extent.setValue(params.max_extent_m)
            self.seed.setValue(params.seed)
        self._fill_table(plan_of(project))

    def inputs(self):
        """The district engine's inputs, with the parameters of the run that made the plan: an edit keeps the
        rules the planner bundled with (the project caches them until a layer or the standards change)."""
        return workflow.district_inputs_of_plan(self.store.project)

    def plan(self) -> DistrictPlan:
        """The current plan; an empty one (no community in a district) before any bundling."""
        plan = plan_of(self.store.project)
        if plan is not None:
            return plan
        inputs = self.inputs()
        return describe_plan(inputs, pd.Series(pd.NA, index=inputs.communities.index, dtype="string"))

    def auto_parameters(self) -> dict:
        return {"min_population": self.min_population.value(), "max_population": self.max_population.value(),
                "max_extent_m": self.max_extent.value(), "seed": self.seed.value()}

    def state(self) -> PlanState:
        """The plan on the project with the run record of its bundling (None, None before any)."""
        project = self.store.project
        return plan_of(project), project.runs.get(ANALYSIS)

    def show_plan(self, plan: DistrictPlan | None, run: RunRecord | None) -> None:
        """Put ``plan`` into the project and on the map (None removes the plan), with its run record."""
        project = self.store.project
        project.restore_run(ANALYSIS, run)
        project.store_results(plan.results() if plan is not None else dict.fromkeys(PLAN_RESULTS.values()))
        for field, name in PLAN_RESULTS.items():
            if plan is None:
                if name in self.store:
                    self.store.remove(name)
            elif isinstance(getattr(plan, field), gpd.GeoDataFrame):
                self.store.set_frame(name, getattr(plan, field))
        self.store.set_modified(True)
        self._fill_table(plan)

    def record(self, text: str, before: PlanState, after: PlanState, warnings=()) -> None:
        """Push an edit on the undo stack (which shows ``after``) and list the rules it broke."""
        self.undo_stack.push(PlanCommand(self, text, before, after))
        self.warnings.setText("\n".join(warnings))

    def _fill_table(self, plan: DistrictPlan | None) -> None:
        self.table.blockSignals(True)
        frame = plan.districts if plan is not None else pd.DataFrame()
        self.table.setRowCount(len(frame))
        for r, (_, row) in enumerate(frame.iterrows()):
            for c, (column, _) in enumerate(STATS):
                self.table.setItem(r, c, QTableWidgetItem(quantity_text(column, row.get(column))))
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)

    # --- edits ---------------------------------------------------------------------------------------------
    def _edit(self, text: str, fn, *args, **kwargs) -> None:
        before = self.state()
        after, change = fn(self.plan(), *args, **kwargs)
        # An edit keeps the run record of the bundling it edits: its parameters still describe the plan.
        self.record(text, before, (after, before[1]), change.warnings)

    def create(self, community_ids, name: str | None = None) -> None:
        self._edit("新建片区", district_edit.create_district, community_ids, inputs=self.inputs(), name=name)

    def add(self, district_id: str, community_ids) -> None:
        self._edit(f"加入片区 {district_id}", district_edit.add_communities, district_id, community_ids,
                   inputs=self.inputs())

    def remove(self, district_id: str, community_ids) -> None:
        self._edit(f"移出片区 {district_id}", district_edit.remove_communities, district_id, community_ids,
                   inputs=self.inputs())

    def merge(self, district_ids, name: str | None = None) -> None:
        self._edit("合并片区", district_edit.merge_districts, district_ids, inputs=self.inputs(), name=name)

    def split(self, district_id: str, community_ids, name: str | None = None) -> None:
        self._edit(f"拆分片区 {district_id}", district_edit.split_district, district_id, community_ids,
                   inputs=self.inputs(), name=name)

    def rename(self, district_id: str, name: str) -> None:
        self._edit(f"重命名片区 {district_id}", district_edit.rename_district, district_id, name)

    # --- gathering the selection ---------------------------------------------------------------------------
    def _guard(self, action) -> None:
        try:
            action()
        except GisPlannerError as exc:
            self.failed.emit(exc)

    def _communities(self) -> list[str]:
        if "communities" not in self.store:
            return []
        frame = self.store.layer("communities").frame
        return frame["feature_id"].iloc[self.store.selected("communities")].astype(str).tolist()

    def _selected_districts(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).text() for r in rows]

    def _current(self) -> str:
        selected = self._selected_districts()
        if not selected:
            raise InputError("没有选中片区", fix="先在片区列表中点选一个片区")
        return selected[0]

    def _rename_clicked(self) -> None:
        try:
            district = self._current()
        except InputError as exc:
            self.failed.emit(exc)
            return
        name, ok = QInputDialog.getText(self, "重命名片区", f"片区 {district} 的新名称：")
        if ok:
            self._guard(lambda: self.rename(district, name))

    def _table_selection_changed(self) -> None:
        if DISTRICTS in self.store:
            ids = set(self._selected_districts())
            frame = self.store.layer(DISTRICTS).frame
            self.store.select(DISTRICTS, [i for i, d in enumerate(frame["district_id"].astype(str)) if d in ids])
