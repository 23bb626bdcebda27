"""Layers panel: visibility, draw order, opacity, colour, zoom to layer, and each layer's legend."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QIcon, QPixmap
from PyQt6.QtWidgets import (
    QColorDialog,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.styles import classify, display_name, with_fill

NAME_ROLE = Qt.ItemDataRole.UserRole


def swatch(fill: str | None, edge: str, size: int = 14) -> QIcon:
    """A small legend square: fill colour with its outline (outline only when there is no fill)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(fill) if fill else QColor(0, 0, 0, 0))
    from PyQt6.QtGui import QPainter, QPen

    painter = QPainter(pixmap)
    painter.setPen(QPen(QColor(edge), 2))
    painter.drawRect(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class LayersPanel(QWidget):
    """A tree of layers (top of the list is drawn on top) whose children are the legend classes.

    Signals
    -------
    zoom_requested(name)
        the user asked to zoom to a layer.
    """

    zoom_requested = pyqtSignal(str)

    def __init__(self, store: LayerStore, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setIndentation(14)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("不透明度")
        buttons = QHBoxLayout()
        self.buttons = {}
        for key, text, tip in (("up", "▲", "上移一层"), ("down", "▼", "下移一层"), ("zoom", "⌕", "缩放到图层"),
                               ("color", "■", "修改颜色"), ("remove", "✕", "移除结果图层")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addWidget(QLabel("不透明度"))
        buttons.addWidget(self.opacity, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self._building = False
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemDoubleClicked.connect(lambda item, col: self.zoom_requested.emit(self._name_of(item)))
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.buttons["up"].clicked.connect(lambda: self._move(+1))
        self.buttons["down"].clicked.connect(lambda: self._move(-1))
        self.buttons["zoom"].clicked.connect(lambda: self.zoom_requested.emit(self.store.active))
        self.buttons["color"].clicked.connect(self._pick_color)
        self.buttons["remove"].clicked.connect(self._remove)
        for signal in (store.added, store.removed, store.changed):
            signal.connect(self._rebuild)
        store.reordered.connect(self._rebuild)
        store.project_replaced.connect(self._rebuild)
        store.active_changed.connect(self._show_active)
        self._rebuild()

    def _name_of(self, item: QTreeWidgetItem | None) -> str:
        while item is not None and item.parent() is not None:
            item = item.parent()
        return item.data(0, NAME_ROLE) if item is not None else ""

    def item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).data(0, NAME_ROLE) == name:
                return self.tree.topLevelItem(i)
        return None

    def _rebuild(self, *args) -> None:
        self._building = True
        expanded = {self._name_of(self.tree.topLevelItem(i)) for i in range(self.tree.topLevelItemCount())
                    if self.tree.topLevelItem(i).isExpanded()}
        self.tree.clear()
        for name in reversed(self.store.names):
            layer = self.store.layer(name)
            item = QTreeWidgetItem([f"{display_name(name)}  ({len(layer.frame)})"])
            item.setData(0, NAME_ROLE, name)
            item.setToolTip(0, f"{display_name(name)}：{len(layer.frame)} 个要素")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            classes = classify(layer.frame, layer.style)
            if len(classes) == 1:
                item.setIcon(0, swatch(classes[0].fill, classes[0].edge))
            else:
                for cls in classes[:12]:
                    child = QTreeWidgetItem([f"{cls.label}  ({int(cls.mask.sum())})"])
                    child.setIcon(0, swatch(cls.fill, cls.edge))
                    child.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    item.addChild(child)
                if len(classes) > 12:
                    item.addChild(QTreeWidgetItem([f"…另有 {len(classes) - 12} 类"]))
            self.tree.addTopLevelItem(item)
            item.setExpanded(name in expanded)
        self._building = False
        self._show_active(self.store.active)

    def _show_active(self, name: str) -> None:
        item = self.item(name)
        self._building = True
        if item is not None:
            self.tree.setCurrentItem(item)
            self.opacity.setValue(round(self.store.layer(name).opacity * 100))
        self.buttons["remove"].setEnabled(name in self.store and self.store.layer(name).kind == "result")
        self._building = False

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._building and item.parent() is None:
            self.store.set_visible(self._name_of(item), item.checkState(0) == Qt.CheckState.Checked)

    def _current_changed(self, current, previous) -> None:
        if not self._building and current is not None:
            self.store.set_active(self._name_of(current))

    def _opacity_changed(self, value: int) -> None:
        if not self._building and self.store.active:
            self.store.set_opacity(self.store.active, value / 100)

    def _move(self, step: int) -> None:
        name = self.store.active
        if name:
            self.store.move(name, self.store.names.index(name) + step)

    def _pick_color(self) -> None:
        name = self.store.active
        if not name:
            return
        style = self.store.layer(name).style
        color = QColorDialog.getColor(QColor(style.fill or style.edge), self, "图层颜色")
        if color.isValid():
            self.store.set_style(name, with_fill(style, color.name()))

    def _remove(self) -> None:
        if self.store.active and self.store.layer(self.store.active).kind == "result":
            self.store.remove(self.store.active)
