"""Dialogs: errors that say what to do, identify, import wizard, city and standards settings, export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QFont
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from gisplanner.errors import ConfigError, GisPlannerError, InputError, error_line, error_places, explain
from gisplanner.labels import (
    format_value,
    header_label,
    source_text,
    standard_entry,
    standard_value_parse,
    standard_value_text,
    status_label,
)
from gisplanner.ui.styles import LAYER_ZH, display_name


def error_text(exc: BaseException) -> tuple[str, str]:
    """The headline and the details of an error, in words for a planner (where, what, what to do)."""
    exc = explain(exc) or exc  # file-system, GDAL, GEOS and numeric failures get their file and fix
    if isinstance(exc, InputError):
        details = "\n".join([f"{kind}：{value}" for kind, value in error_places(exc, layer_id=False)]
                            + [f"问题：{exc.message}", f"怎么办：{exc.fix or '检查输入数据后重试。'}"])
        return "输入数据有问题", details
    if isinstance(exc, ConfigError):
        return "标准配置有问题", f"{error_line(exc)}\n怎么办：在“设置 → 城市与标准”中检查该值，或恢复 gisplanner/resources/standards 中的文件。"
    if isinstance(exc, GisPlannerError):
        return "无法完成操作", str(exc)
    return "程序出错", (f"{type(exc).__name__}: {exc}\n怎么办：项目未受影响，可以保存后重试；"
                       "若反复出现，请把此信息发给开发者。")


class ErrorDialog(QMessageBox):
    """A non-blocking message box for an error; ``details`` holds the full text (also for tests)."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title, details = error_text(exc)
        self.details = details
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setText(title)
        self.setInformativeText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


class IdentifyDialog(QDialog):
    """The attributes of the features under a click, grouped by layer."""

    def __init__(self, hits: dict[str, pd.DataFrame], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("查询结果")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["字段", "值"])
        for name, frame in hits.items():
            layer_item = QTreeWidgetItem([display_name(name), f"{len(frame)} 个要素"])
            for _, row in frame.head(20).iterrows():
                feature = QTreeWidgetItem([str(row.get("feature_id", row.get("district_id", ""))), ""])
                for column, value in row.items():
                    if column != frame.geometry.name:
                        feature.addChild(QTreeWidgetItem([header_label(str(column)), format_value(str(column), value)]))
                layer_item.addChild(feature)
            self.tree.addTopLevelItem(layer_item)
            layer_item.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        self.resize(420, 480)


# --------------------------------------------------------------------------------------------- import

class ImportWizard(QWizard):
    """Files → roles → field mapping. The import itself is the engine's ``import_layers``.

    The wizard collects ``sources``, ``role_map`` and ``field_maps``; the main window runs the import in a
    worker and shows its validation report (the importer's findings) when it is done.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("导入图层")
        self.files = QListWidget()
        self.roles = QTableWidget(0, 2)
        self.roles.setHorizontalHeaderLabels(["源图层", "角色"])
        self.fields = QTableWidget(0, 4)
        self.fields.setHorizontalHeaderLabels(["源图层", "角色", "标准字段", "源字段"])
        self.crs = QLineEdit()
        self.crs.setPlaceholderText("无坐标系的图层所用坐标系，如 EPSG:4326 或 GCJ-02（可选）")
        self._guesses: dict[str, str] = {}
        self._paths: dict[str, str] = {}
        self._detected: dict[tuple[str, str], str | None] = {}

        files_page = QWizardPage()
        files_page.setTitle("1. 选择文件（GeoPackage、Shapefile、GeoJSON、OSM PBF）")
        add = QPushButton("添加文件…")
        add.clicked.connect(self._add_files)
        layout = QVBoxLayout(files_page)
        layout.addWidget(self.files)
        layout.addWidget(add)
        layout.addWidget(self.crs)

        roles_page = QWizardPage()
        roles_page.setTitle("2. 为每个图层指定角色")
        QVBoxLayout(roles_page).addWidget(self.roles)

        fields_page = QWizardPage()
        fields_page.setTitle("3. 字段映射（已自动识别中英文字段名，只需更正识别错的）")
        QVBoxLayout(fields_page).addWidget(self.fields)
        for page in (files_page, roles_page, fields_page):
            self.addPage(page)
        self.currentIdChanged.connect(self._page_changed)

    def add_files(self, paths: list[str]) -> None:
        for path in paths:
            self.files.addItem(str(path))

    def _add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "选择要导入的文件", "",
                                                "地理数据 (*.gpkg *.shp *.geojson *.json *.pbf);;所有文件 (*)")
        self.add_files(paths)

    def _page_changed(self, page_id: int) -> None:
        if page_id == 1:
            self._fill_roles()
        elif page_id == 2:
            self._fill_fields()

    def _fill_roles(self) -> None:
        import pyogrio

        from gisplanner.io.importer import roles_of_layer
        from gisplanner.project import ROLES

        self.roles.setRowCount(0)
        self._guesses, self._paths = {}, {}
        for path in self.sources:
            try:
                layers = [name for name, _ in pyogrio.list_layers(path)]
            except Exception:  # unreadable files are reported by the import itself
                layers = [Path(path).stem]
            for name in layers:
                try:
                    guessed = roles_of_layer(name)
                    guess = guessed[0][0] if guessed else "skip"
                except InputError:
                    guess = "skip"
                self._guesses[name] = guess
                self._paths[name] = path
                row = self.roles.rowCount()
                self.roles.insertRow(row)
                self.roles.setItem(row, 0, QTableWidgetItem(name))
                combo = QComboBox()
                for role in ("skip", *ROLES):
                    combo.addItem("跳过" if role == "skip" else LAYER_ZH.get(role, role), role)
                combo.setCurrentIndex(max(combo.findData(guess), 0))
                self.roles.setCellWidget(row, 1, combo)

    @property
    def sources(self) -> list[str]:
        return [self.files.item(i).text() for i in range(self.files.count())]

    @property
    def role_map(self) -> dict[str, str]:
        """The roles the user changed, and every skipped layer: a layer left at its guess keeps the importer's
        own rule (a POI layer, for one, feeds several roles)."""
        chosen = {self.roles.item(r, 0).text(): self.roles.cellWidget(r, 1).currentData()
                  for r in range(self.roles.rowCount())}
        return {name: role for name, role in chosen.items() if role != self._guesses.get(name) or role == "skip"}

    def _fill_fields(self) -> None:
        """One row per canonical column of each chosen role, preset to the field the importer detects."""
        import pyogrio

        from gisplanner.io.fields import CANDIDATES, detect_fields

        self.fields.setRowCount(0)
        self._detected = {}
        for r in range(self.roles.rowCount()):
            layer, role = self.roles.item(r, 0).text(), self.roles.cellWidget(r, 1).currentData()
            if role not in CANDIDATES:
                continue
            try:
                columns = list(pyogrio.read_info(self._paths[layer], layer=layer)["fields"])
            except Exception:  # a layer that cannot be read is reported by the import itself
                continue
            detected = detect_fields(columns, role)
            for canonical in CANDIDATES[role]:
                row = self.fields.rowCount()
                self.fields.insertRow(row)
                for c, text in enumerate((layer, role, canonical)):
                    self.fields.setItem(row, c, QTableWidgetItem(text))
                combo = QComboBox()
                combo.addItem("（未找到：估算或留空）", None)
                for column in columns:
                    combo.addItem(column, column)
                combo.setCurrentIndex(max(combo.findData(detected.get(canonical)), 0))
                self.fields.setCellWidget(row, 3, combo)
                self._detected[(role, canonical)] = detected.get(canonical)

    @property
    def field_maps(self) -> dict[str, dict[str, str]]:
        """role -> {canonical column -> source field} for the fields the user changed from the detected ones."""
        maps: dict[str, dict[str, str]] = {}
        for r in range(self.fields.rowCount()):
            role, canonical = self.fields.item(r, 1).text(), self.fields.item(r, 2).text()
            chosen = self.fields.cellWidget(r, 3).currentData()
            if chosen is not None and chosen != self._detected.get((role, canonical)):
                maps.setdefault(role, {})[canonical] = chosen
        return maps


# --------------------------------------------------------------------------------------------- settings

class StandardsDialog(QDialog):
    """City and standards: every standard value by table, with its Chinese name, its status in words and its
    source as a document and article; editing a value asks for a reason.

    Accepted edits are in :attr:`overrides` as ``(path, value, why)``; the main window records them on the
    project (``Project.add_override``), which keeps who, when and the old value. :attr:`_rows` holds the
    standards entry of each table row (None for a table's heading row).
    """

    COLUMNS = ("条目", "取值", "状态", "来源", "说明")

    def __init__(self, project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("城市与标准设置")
        self.project = project
        self.overrides: list[tuple[str, object, str]] = []
        self.standards = standards = project.standards()
        self.city = QComboBox()
        for key, city in standards.sunlight.cities.items():
            self.city.addItem(city.zh, key)
        self.city.setCurrentIndex(max(self.city.findData(project.city), 0))
        self.search = QLineEdit()
        self.search.setPlaceholderText("筛选：输入条目、取值、来源或说明中的文字")
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().hide()
        self._rows: list = []
        self._names: dict[str, str] = {}
        self._loading = True
        bold = QFont()
        bold.setBold(True)
        group_of = {}
        for row in standards.rows():
            group, name = standard_entry(row.path, standards)
            group_of.setdefault(group, []).append((name, row))
        for group, entries in group_of.items():
            r = self.table.rowCount()
            self.table.insertRow(r)
            heading = QTableWidgetItem(f"{group}（{len(entries)} 项）")
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            heading.setFont(bold)
            heading.setBackground(QColor("#e8eef5"))
            self.table.setItem(r, 0, heading)
            self.table.setSpan(r, 0, 1, len(self.COLUMNS))
            self._rows.append(None)
            for name, row in entries:
                r = self.table.rowCount()
                self.table.insertRow(r)
                self._names[row.path] = f"{group} · {name}"
                sources = "；".join(source_text(source, standards) for source in row.source)
                for c, text in enumerate((name, self._value_text(row.value), status_label(row.status), sources,
                                          row.note)):
                    item = QTableWidgetItem(text)
                    if c != 1:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    if c in (0, 3, 4) and text:
                        item.setToolTip(text)
                    self.table.setItem(r, c, item)
                self._rows.append(row)
        self._loading = False
        for column, width in enumerate((300, 150, 150, 320)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._edited)
        self.search.textChanged.connect(self._filter)
        form = QFormLayout()
        form.addRow("城市（日照标准、气候区）", self.city)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(QLabel("修改取值需填写理由；修改记录（人、时间、理由、原值）保存在项目中。"
                                "状态说明条文是否已核对；来源为文件及条款。"))
        layout.addWidget(buttons)
        self.resize(1100, 650)

    def _value_text(self, value) -> str:
        return standard_value_text(value, self.standards)

    def ask_reason(self, path: str) -> str | None:
        """The reason for overriding ``path``, or None when the user cancels (tests replace this)."""
        text, ok = QInputDialog.getText(self, "修改标准值", f"修改“{self._names.get(path, path)}”的理由：")
        return text.strip() if ok and text.strip() else None

    def _edited(self, item: QTableWidgetItem) -> None:
        row = self._rows[item.row()]
        if self._loading or item.column() != 1 or row is None:
            return
        try:
            value = standard_value_parse(item.text(), row.value, self.standards)
        except ValueError:
            value = row.value  # text that does not fit the entry's type: shown as it was
        reason = self.ask_reason(row.path) if value != row.value else None
        self._loading = True
        if reason is None:
            item.setText(self._value_text(row.value))
        else:
            self.overrides = [o for o in self.overrides if o[0] != row.path] + [(row.path, value, reason)]
            self.table.item(item.row(), 2).setText(status_label("override"))
        self._loading = False

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        shown_in_group = False
        for r in range(len(self._rows) - 1, -1, -1):  # bottom up: a heading shows when any of its rows shows
            if self._rows[r] is None:
                self.table.setRowHidden(r, bool(needle) and not shown_in_group)
                shown_in_group = False
                continue
            words = " ".join(self.table.item(r, c).text() for c in range(len(self.COLUMNS))).lower()
            hide = bool(needle) and needle not in words and needle not in self._names[self._rows[r].path].lower()
            self.table.setRowHidden(r, hide)
            shown_in_group |= not hide


# --------------------------------------------------------------------------------------------- export

class ExportDialog(QDialog):
    """Where and what to export: folder, district, formats, paper size (``export_plan_package`` options)."""

    def __init__(self, districts: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from gisplanner.export.package import FORMATS

        self.setWindowTitle("导出规划成果包")
        self.folder = QLineEdit(str(Path.cwd() / "plan_export"))
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        self.district = QComboBox()
        self.district.addItem("全部片区", None)
        for d in districts:
            self.district.addItem(d, d)
        self.paper = QComboBox()
        self.paper.addItems(["A3", "A4", "A1"])
        self.format_boxes = {}
        formats = QHBoxLayout()
        for key in FORMATS:
            box = QCheckBox(key)
            box.setChecked(True)
            self.format_boxes[key] = box
            formats.addWidget(box)
        folder = QHBoxLayout()
        folder.addWidget(self.folder, 1)
        folder.addWidget(browse)
        form = QFormLayout()
        form.addRow("输出文件夹", folder)
        form.addRow("片区", self.district)
        form.addRow("图纸尺寸", self.paper)
        form.addRow("格式", formats)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "输出文件夹", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def options(self) -> dict:
        """Keyword arguments for ``export_plan_package`` (besides the project)."""
        return {"out_dir": self.folder.text(), "district": self.district.currentData(),
                "formats": [k for k, box in self.format_boxes.items() if box.isChecked()],
                "paper": self.paper.currentText()}
