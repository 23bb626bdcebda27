"""The planner ticks the renovation items of one community (一区一策); the ticks are stored in the project as
one undoable edit."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QUndoCommand, QUndoStack
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gisplanner.catalogue import renovation_catalogue, renovation_choices, renovation_items
from gisplanner.project import Project
from gisplanner.workflow import replace_renovation_choices

COLUMNS = ("改造内容", "判定", "理由", "工程量", "单位")


class TicksCommand(QUndoCommand):
    """Swap the project's renovation ticks between the set before an OK of the dialog and the set after."""

    def __init__(self, project: Project, before: dict[tuple[str, str], bool],
                 after: dict[tuple[str, str], bool]) -> None:
        super().__init__(f"勾选改造内容（{len(set(after.items()) - set(before.items()))} 项）")
        self.project, self.before, self.after = project, before, after

    def redo(self) -> None:
        replace_renovation_choices(self.project, self.after)

    def undo(self) -> None:
        replace_renovation_choices(self.project, self.before)


class RenovationDialog(QDialog):
    """One community's items by class, each with a check box (ticked: in the plan), the rule's verdict and
    reason, and the quantity. OK stores the ticks that differ from the rule, or that were ticked before, as one
    command on ``undo_stack`` (the main window's, like every other edit), or at once without a stack."""

    def __init__(self, project: Project, parent: QWidget | None = None, *, community_id: str | None = None,
                 undo_stack: QUndoStack | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.undo_stack = undo_stack
        catalogue = renovation_catalogue(project)
        self.setWindowTitle("小区改造内容")
        self.resize(900, 620)
        layout = QVBoxLayout(self)
        where = catalogue.province_zh or "全国"
        layout.addWidget(QLabel(f"改造内容清单：{catalogue.zh}（{where}）。勾选即纳入该小区改造内容；"
                                "默认按小区现状条件判定，“待核实”的项目请现场核实后勾选。"))
        self.community = QComboBox()
        communities = project.layer("communities")
        for cid, name in zip(communities["feature_id"].astype(str), communities["name"].fillna("")):
            self.community.addItem(f"{name}（{cid}）" if name else cid, cid)
        if community_id is not None:
            self.community.setCurrentIndex(max(0, self.community.findData(str(community_id))))
        layout.addWidget(self.community)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setColumnWidth(0, 260)
        self.tree.setColumnWidth(2, 330)
        layout.addWidget(self.tree)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ticks: dict[tuple[str, str], bool] = {}
        self.community.currentIndexChanged.connect(self._show)
        self._show()

    def _remember(self) -> None:
        """Keep the ticks of the community on show that differ from its rule or were chosen before."""
        for item in self._leaves():
            key, needed, chosen = item.data(0, Qt.ItemDataRole.UserRole)
            ticked = item.checkState(0) == Qt.CheckState.Checked
            if chosen or ticked != (needed is True):
                self.ticks[key] = ticked

    def _leaves(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i).child(j) for i in range(self.tree.topLevelItemCount())
                for j in range(self.tree.topLevelItem(i).childCount())]

    def _show(self) -> None:
        if self.tree.topLevelItemCount():
            self._remember()
        self.tree.clear()
        cid = self.community.currentData()
        if cid is None:
            return
        items = renovation_items(self.project, community_ids=[cid])
        for class_zh, rows in items.groupby("class_zh", sort=False):
            group = QTreeWidgetItem([class_zh])
            self.tree.addTopLevelItem(group)
            for _, r in rows.iterrows():
                key = (str(r["community_id"]), str(r["item"]))
                selected = self.ticks.get(key, bool(r["selected"]))
                quantity = f"{r['quantity']:,.0f}" + ("（估算）" if r["quantity_estimated"] else "")
                leaf = QTreeWidgetItem([str(r["item_zh"]), str(r["needed_zh"]), str(r["reason"]), quantity,
                                        str(r["unit_zh"])])
                leaf.setFlags(leaf.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                leaf.setCheckState(0, Qt.CheckState.Checked if selected else Qt.CheckState.Unchecked)
                leaf.setToolTip(0, f"{r['basis']}：{r['quote']}")
                needed = None if r["needed"] is None else bool(r["needed"])
                leaf.setData(0, Qt.ItemDataRole.UserRole, (key, needed, bool(r["chosen_by_planner"])))
                group.addChild(leaf)
            group.setExpanded(True)

    def accept(self) -> None:
        self._remember()
        before = renovation_choices(self.project)
        after = {**before, **self.ticks}
        if after != before:
            command = TicksCommand(self.project, before, after)
            if self.undo_stack is not None:
                self.undo_stack.push(command)  # push runs redo: the ticks are stored now
            else:
                command.redo()
        super().accept()
