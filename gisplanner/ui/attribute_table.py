"""Attribute table of the active layer: sortable, filterable, its selection linked both ways with the map."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PyQt6.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel, QModelIndex, Qt
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gisplanner.labels import format_value, header_label
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.styles import display_name


class FrameModel(QAbstractTableModel):
    """A read-only view of a frame's attribute columns (geometry left out).

    Sorting and filtering are done on the frame with pandas and kept as ``rows``, the positional frame rows in
    display order, so a 16k-row layer sorts without calling ``data`` for every cell.
    """

    def __init__(self, frame: pd.DataFrame | None = None, parent=None) -> None:
        super().__init__(parent)
        #: names facility types, levels and land-use codes in the cells (the project's standards)
        self.standards = None
        self.frame = pd.DataFrame()
        self.columns: list[str] = []
        self.rows = np.empty(0, dtype=np.int64)
        self._filter = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None
        if frame is not None:
            self.set_frame(frame)

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        geometry = frame.geometry.name if hasattr(frame, "geometry") and "geometry" in frame else None
        self.frame = frame
        self.columns = [c for c in frame.columns if c != geometry]
        self._sort = None
        self._apply()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Keep the rows where any column contains ``text`` (case-insensitive)."""
        self.beginResetModel()
        self._filter = text.strip()
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        rows = np.arange(len(self.frame), dtype=np.int64)
        if self._filter and self.columns:
            hit = np.zeros(len(self.frame), dtype=bool)
            needle = self._filter.lower()
            for column in self.columns:
                text = self.frame[column].astype("string").str.lower()
                hit |= text.str.contains(needle, regex=False).fillna(False).to_numpy(dtype=bool)
            rows = rows[hit]
        if self._sort is not None and self._sort[0] < len(self.columns):
            column, order = self._sort
            values = self.frame[self.columns[column]].iloc[rows]
            ordered = values.reset_index(drop=True).sort_values(
                ascending=order == Qt.SortOrder.AscendingOrder, kind="stable", na_position="last")
            rows = rows[ordered.index.to_numpy()]
        self.rows = rows

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            column = self.columns[index.column()]
            return format_value(str(column), self.frame.iat[int(self.rows[index.row()]),
                                                            self.frame.columns.get_loc(column)],
                                standards=self.standards)
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return header_label(str(self.columns[section]))
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._apply()
        self.layoutChanged.emit()

    def display_rows(self, frame_rows: np.ndarray) -> np.ndarray:
        """Display rows of the given positional frame rows (those filtered out are dropped)."""
        lookup = np.full(len(self.frame), -1, dtype=np.int64)
        lookup[self.rows] = np.arange(len(self.rows))
        found = lookup[np.asarray(frame_rows, dtype=np.int64)]
        return found[found >= 0]


class AttributeTable(QWidget):
    """The table of the store's active layer with a filter box; selecting rows selects features."""

    def __init__(self, store: LayerStore, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.model = FrameModel(parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("筛选：输入任意字段中的文字")
        self.filter.setClearButtonEnabled(True)
        self.title = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self._syncing = False
        self.filter.textChanged.connect(self._filter_changed)
        self.view.selectionModel().selectionChanged.connect(self._table_selection_changed)
        self.model.layoutChanged.connect(self._show_store_selection)
        self.model.modelReset.connect(self._show_store_selection)
        store.active_changed.connect(self._reload)
        store.changed.connect(self._layer_changed)
        store.removed.connect(self._layer_changed)
        store.selection_changed.connect(self._store_selection_changed)
        self._reload()

    def _reload(self, *args) -> None:
        name = self.store.active
        frame = self.store.layer(name).frame if name in self.store else pd.DataFrame()
        self.title.setText(f"{display_name(name)}（{len(frame)} 条）" if name else "未选择图层")
        self.model.standards = self.store.project.standards() if self.store.project is not None else None
        self.model.set_frame(frame)

    def _layer_changed(self, name: str) -> None:
        if name == self.store.active or name not in self.store:
            if name not in self.store or self.model.frame is not self.store.layer(name).frame:
                self._reload()

    def _filter_changed(self, text: str) -> None:
        self.model.set_filter(text)

    def _table_selection_changed(self, *args) -> None:
        if self._syncing or not self.store.active:
            return
        display = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        rows = self.model.rows[np.asarray(display, dtype=np.int64)] if display else []
        self._syncing = True
        try:
            self.store.select(self.store.active, rows)
        finally:
            self._syncing = False

    def _store_selection_changed(self, name: str) -> None:
        if name == self.store.active and not self._syncing:
            self._show_store_selection()

    def _show_store_selection(self) -> None:
        name = self.store.active
        selection_model = self.view.selectionModel()
        if name not in self.store or selection_model is None or selection_model.model() is None:
            return
        display = self.model.display_rows(self.store.selected(name))
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        # One range per run of consecutive rows: selecting thousands of rows stays one cheap call.
        display = np.sort(display)
        breaks = np.flatnonzero(np.diff(display) != 1) + 1
        for run in np.split(display, breaks) if len(display) else []:
            selection.select(self.model.index(int(run[0]), 0), self.model.index(int(run[-1]), last))
        self._syncing = True
        try:
            self.view.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            if len(display):
                self.view.scrollTo(self.model.index(int(display[0]), 0))
        finally:
            self._syncing = False
