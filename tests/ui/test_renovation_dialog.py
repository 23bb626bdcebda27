"""The renovation-items dialog: one community's items by class with the rule's verdict, ticks stored."""

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QUndoStack

from gisplanner.catalogue import renovation_choices, renovation_items
from gisplanner.demo import build_demo_project
from gisplanner.ui.renovation_dialog import RenovationDialog
from gisplanner.workflow import set_renovation_choices


def _leaf(dialog, text):
    for i in range(dialog.tree.topLevelItemCount()):
        group = dialog.tree.topLevelItem(i)
        for j in range(group.childCount()):
            if group.child(j).text(0) == text:
                return group.child(j)
    raise AssertionError(text)


def test_dialog_shows_the_communitys_items_and_stores_the_planners_ticks(qtbot, tmp_path):
    project = build_demo_project()
    first = str(project.layer("communities")["feature_id"].iloc[0])
    dialog = RenovationDialog(project, community_id=first)
    qtbot.addWidget(dialog)
    groups = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert groups == ["基础类", "完善类", "提升类"]
    expected = renovation_items(project, community_ids=[first])
    window = _leaf(dialog, "楼梯间窗更换")
    row = expected[expected["item"] == "stairwell_windows"].iloc[0]
    assert (window.text(1), window.text(2)) == (row["needed_zh"], row["reason"])
    assert (window.checkState(0) == Qt.CheckState.Checked) == bool(row["selected"])
    window.setCheckState(0, Qt.CheckState.Checked if window.checkState(0) != Qt.CheckState.Checked
                         else Qt.CheckState.Unchecked)
    dialog.show()
    dialog.grab().save(str(tmp_path / "renovation_dialog.png"))
    dialog.accept()
    assert renovation_choices(project) == {(first, "stairwell_windows"): not bool(row["selected"])}


def test_ticks_go_on_the_undo_stack_and_undo_restores_the_ticks_before(qtbot):
    project = build_demo_project()
    first = str(project.layer("communities")["feature_id"].iloc[0])
    stack = QUndoStack()
    earlier = {(first, "roof"): False}
    dialog = RenovationDialog(project, community_id=first, undo_stack=stack)
    qtbot.addWidget(dialog)
    set_renovation_choices(project, earlier)  # a tick from an earlier session, not part of this edit
    window = _leaf(dialog, "楼梯间窗更换")
    ticked = window.checkState(0) != Qt.CheckState.Checked
    window.setCheckState(0, Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
    dialog.accept()
    after = {**earlier, (first, "stairwell_windows"): ticked}
    assert stack.count() == 1 and renovation_choices(project) == after
    stack.undo()
    assert renovation_choices(project) == earlier
    stack.redo()
    assert renovation_choices(project) == after


def test_an_ok_without_a_change_pushes_nothing(qtbot):
    project = build_demo_project()
    stack = QUndoStack()
    dialog = RenovationDialog(project, undo_stack=stack)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert stack.count() == 0 and renovation_choices(project) == {}
