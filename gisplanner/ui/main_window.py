"""The main window: map in the middle, layers left, attribute table below, districts/coverage/placement/ledger/
review right."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
from pyproj import Transformer
from PyQt6.QtCore import QObject, QSettings, Qt, QThreadPool, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PyQt6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QToolBar,
)

from gisplanner import catalogue, workflow
from gisplanner.basemap import open_basemap
from gisplanner.errors import GisPlannerError
from gisplanner.project import Project, recovery_path
from gisplanner.ui.attribute_table import AttributeTable
from gisplanner.ui.canvas import MapCanvas
from gisplanner.ui.coverage_chart import CoverageChart
from gisplanner.ui.dialogs import ErrorDialog, ExportDialog, IdentifyDialog, ImportWizard, StandardsDialog
from gisplanner.ui.district_panel import DistrictPanel, plan_of
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.layers_panel import LayersPanel
from gisplanner.ui.ledger_panel import LedgerPanel
from gisplanner.ui.placement_panel import PlacementPanel
from gisplanner.ui.renovation_dialog import RenovationDialog
from gisplanner.ui.review_panel import ReviewPanel
from gisplanner.ui.tools import TOOLS
from gisplanner.ui.workers import Worker

log = logging.getLogger(__name__)
AUTOSAVE_MS = 5 * 60 * 1000
MAX_RECENT = 8

#: Analyses the 分析 menu runs, from the catalogue.
ANALYSES = {key: a for key, a in catalogue.ANALYSES.items() if a.menu}


class ProjectEvents(QObject):
    """The project's change events as a Qt signal: the project may change in a worker thread, and a queued
    signal brings the event to the window's thread."""

    changed = pyqtSignal(str, dict)

    def __call__(self, event: str, details) -> None:
        self.changed.emit(event, dict(details))


class MainWindow(QMainWindow):
    """The planner's desktop window around one :class:`~gisplanner.project.Project`."""

    def __init__(self, project: Project | None = None, *, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("gisplanner", "gisplanner")
        self.store = LayerStore(parent=self)
        self.undo_stack = QUndoStack(self)
        self.worker: Worker | None = None
        self.last_error: ErrorDialog | None = None
        self.import_report: QMessageBox | None = None
        self._to_lonlat: Transformer | None = None
        self.events = ProjectEvents(self)
        self.events.changed.connect(self._project_changed)

        self.canvas = MapCanvas(self.store)
        self.setCentralWidget(self.canvas)
        self.layers_panel = LayersPanel(self.store)
        self.table = AttributeTable(self.store)
        self.districts = DistrictPanel(self.store, self.undo_stack)
        self.coverage = CoverageChart(self.store)
        self.placement = PlacementPanel(self.store)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.districts, "片区")
        self.tabs.addTab(self.coverage, "覆盖率")
        self.tabs.addTab(self.placement, "设施选址")
        self.ledger = LedgerPanel(self.store)
        self.review = ReviewPanel(self.store)
        self.tabs.addTab(self.ledger, "台账")
        self.tabs.addTab(self.review, "审查意见")
        areas = Qt.DockWidgetArea
        docks = []
        for title, widget, area in (("图层", self.layers_panel, areas.LeftDockWidgetArea),
                                    ("属性表", self.table, areas.BottomDockWidgetArea),
                                    ("片区与分析", self.tabs, areas.RightDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(title)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            docks.append(dock)
        self.resizeDocks(docks[:1] + docks[2:], [260, 400], Qt.Orientation.Horizontal)
        self.resizeDocks(docks[1:2], [200], Qt.Orientation.Vertical)

        self.coords = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setFormat("%p%")
        self.cancel_button = QPushButton("取消")
        self.progress_bar.hide()
        self.cancel_button.hide()
        status = self.statusBar()
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        status.addPermanentWidget(self.coords)

        self._build_actions()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

        self.canvas.cursor_moved.connect(self._show_cursor)
        self.canvas.identify_requested.connect(self.identify)
        self.canvas.footprint_drawn.connect(self._footprint_drawn)
        self.layers_panel.zoom_requested.connect(self.canvas.zoom_to_layer)
        self.cancel_button.clicked.connect(self.cancel)
        self.districts.failed.connect(self.show_error)
        self.districts.auto_bundle_requested.connect(self.auto_bundle)
        self.placement.failed.connect(self.show_error)
        self.placement.draw_requested.connect(lambda: self.set_tool("draw"))
        self.placement.check_requested.connect(self.check_placement)
        self.ledger.failed.connect(self.show_error)
        self.ledger.plan_requested.connect(self.annual_plan)
        self.ledger.notice_requested.connect(self.notice)
        self.ledger.compare_requested.connect(self.compare)
        self.review.failed.connect(self.show_error)
        self.review.zoom_requested.connect(self.canvas.zoom_to)
        self.store.modified_changed.connect(lambda _: self._update_title())
        self.resize(1400, 900)
        if project is not None:
            self.set_project(project)
        else:
            self._update_title()

    # --- actions -------------------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("文件(&F)")
        self.actions: dict[str, QAction] = {}

        def add(menu_, key, text, slot, shortcut=None):
            action = QAction(text, self)
            if shortcut:
                action.setShortcut(shortcut)
            action.triggered.connect(lambda checked=False: slot())
            menu_.addAction(action)
            self.actions[key] = action
            return action

        add(file_menu, "open", "打开项目…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("最近打开")
        add(file_menu, "save", "保存", self.save, QKeySequence.StandardKey.Save)
        add(file_menu, "save_as", "另存为…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        add(file_menu, "import", "导入图层…", self.import_dialog)
        add(file_menu, "export", "导出规划成果包…", self.export_dialog)
        file_menu.addSeparator()
        add(file_menu, "basemap", "添加底图（本地影像或离线瓦片包）…", self.basemap_dialog)
        add(file_menu, "basemap_off", "移除底图", lambda: self.set_basemap(None))
        file_menu.addSeparator()
        add(file_menu, "quit", "退出", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = menu.addMenu("编辑(&E)")
        undo = self.undo_stack.createUndoAction(self, "撤销")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "重做")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addActions([undo, redo])
        self.actions["undo"], self.actions["redo"] = undo, redo

        analysis_menu = menu.addMenu("分析(&A)")
        for key, spec in ANALYSES.items():
            add(analysis_menu, key, spec.zh, lambda key=key: self.run_analysis(key))
        analysis_menu.addSeparator()
        add(analysis_menu, "renovation", "小区改造内容…", self.renovation_dialog)
        analysis_menu.addSeparator()
        add(analysis_menu, "cancel", "取消正在运行的分析", self.cancel)

        settings_menu = menu.addMenu("设置(&S)")
        add(settings_menu, "standards", "城市与标准…", self.standards_dialog)

        toolbar = QToolBar("工具")
        toolbar.setObjectName("tools")
        self.addToolBar(toolbar)
        group = QActionGroup(self)
        for name, cls in TOOLS.items():
            action = QAction(cls.zh, self, checkable=True)
            action.triggered.connect(lambda checked=False, name=name: self.set_tool(name))
            group.addAction(action)
            toolbar.addAction(action)
            self.actions[f"tool_{name}"] = action
        self.actions["tool_pan"].setChecked(True)
        toolbar.addSeparator()
        zoom_all = QAction("全图", self)
        zoom_all.triggered.connect(self.canvas.zoom_to_all)
        toolbar.addAction(zoom_all)
        self.search = QLineEdit()
        self.search.setPlaceholderText("按名称查找（当前图层）")
        self.search.setMaximumWidth(240)
        self.search.returnPressed.connect(lambda: self.select_by_name(self.search.text()))
        toolbar.addWidget(self.search)
        self._fill_recent()

    def set_tool(self, name: str) -> None:
        self.canvas.set_tool(TOOLS[name]())
        self.actions[f"tool_{name}"].setChecked(True)

    # --- project -------------------------------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        if self.store.project is not None:
            self.store.project.unsubscribe(self.events)
        project.subscribe(self.events)
        self.store.set_project(project)
        self._to_lonlat = (Transformer.from_crs(project.crs, 4326, always_xy=True)
                           if project.crs is not None else None)
        self.canvas.set_basemap(None)
        if project.settings.get("basemap"):
            try:
                self.canvas.set_basemap(open_basemap(project.settings["basemap"]))
            except GisPlannerError as exc:  # the project opens without it; the message says what to do
                self.show_error(exc)
        self.coverage.refresh()
        self._update_title()

    def open_path(self, path: str | Path) -> bool:
        """Open a project file, offering its autosave when that is newer; False when it could not be read."""
        path = Path(path)
        recovery = recovery_path(path)
        try:
            if recovery.exists() and (not path.exists() or recovery.stat().st_mtime > path.stat().st_mtime):
                if self.ask("恢复自动保存", f"发现比 {path.name} 更新的自动保存文件（程序可能曾意外退出）。\n"
                                           "是否打开自动保存的版本？"):
                    project = Project.load(recovery)
                    project.path = path.resolve()
                    self.set_project(project)
                    self.store.set_modified(True)
                    self._remember(path)
                    return True
            self.set_project(Project.load(path))
        except Exception as exc:  # any file may be handed to the app: say what is wrong, keep the window
            self.show_error(exc)
            return False
        self._remember(path)
        return True

    def ask(self, title: str, text: str) -> bool:
        """A yes/no question (tests replace this to answer without a modal dialog)."""
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def save(self, path: str | Path | None = None) -> bool:
        project = self.store.project
        if project is None:
            return False
        if path is None and project.path is None:
            return self.save_as_dialog()
        try:
            saved = project.save(path)
        except Exception as exc:  # a failed save must leave the app and the project in memory
            self.show_error(exc)
            return False
        self.store.set_modified(False)
        self._remember(saved)
        self.statusBar().showMessage(f"已保存 {saved}", 5000)
        return True

    def autosave(self) -> Path | None:
        """Write the recovery copy when there are unsaved edits; never interrupts the user."""
        project = self.store.project
        if project is None or not self.store.modified or self.worker is not None:
            return None
        try:
            return project.autosave()
        except (GisPlannerError, OSError) as exc:
            log.warning("autosave failed: %s", exc)
            return None

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "打开项目", "", "gisplanner 项目 (*.gpkg)")
        if path and self._may_discard():
            self.open_path(path)

    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "项目另存为", "", "gisplanner 项目 (*.gpkg)")
        return self.save(path) if path else False

    def _may_discard(self) -> bool:
        return not self.store.modified or self.ask("未保存的修改", "当前项目有未保存的修改，确定放弃吗？")

    def _remember(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        recent = [p for p in (self.settings.value("recent", []) or []) if p != path]
        self.settings.setValue("recent", [path, *recent][:MAX_RECENT])
        self._fill_recent()

    def recent_files(self) -> list[str]:
        return list(self.settings.value("recent", []) or [])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self._may_discard() and self.open_path(p))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    def _update_title(self) -> None:
        project = self.store.project
        name = (project.path.name if project is not None and project.path else "未命名") if project else "无项目"
        self.setWindowTitle(f"{'*' if self.store.modified else ''}{name} — 老旧小区改造规划 gisplanner")

    def closeEvent(self, event) -> None:
        if not self._may_discard():
            event.ignore()
            return
        self.cancel()
        QThreadPool.globalInstance().waitForDone()
        event.accept()

    # --- errors and status ---------------------------------------------------------------------------------
    def show_error(self, exc: BaseException) -> None:
        """Show what went wrong and what to do, without blocking; the project stays as it was."""
        self.last_error = ErrorDialog(exc, self)
        self.last_error.open()

    def _show_cursor(self, x: float, y: float) -> None:
        text = f"X {x:,.1f} m  Y {y:,.1f} m"
        if self._to_lonlat is not None:
            lon, lat = self._to_lonlat.transform(x, y)
            text += f"   经度 {lon:.6f}°  纬度 {lat:.6f}°"
        self.coords.setText(text)

    # --- selection and identify ----------------------------------------------------------------------------
    def select_by_name(self, text: str) -> None:
        name = self.store.active
        if not name:
            return
        rows = self.store.rows_named(name, text.strip())
        self.store.select(name, rows)
        if len(rows):
            self.canvas.zoom_to(tuple(self.store.layer(name).frame.iloc[rows].total_bounds), margin=0.3)
        self.statusBar().showMessage(f"找到 {len(rows)} 个要素", 5000)

    def identify(self, geometry) -> IdentifyDialog:
        hits = {}
        for name in reversed(self.store.names):
            layer = self.store.layer(name)
            if layer.visible:
                rows = self.store.rows_in(name, geometry)
                if len(rows):
                    hits[name] = layer.frame.iloc[rows]
        dialog = IdentifyDialog(hits, self)
        dialog.show()
        return dialog

    def _footprint_drawn(self, polygon) -> None:
        self.placement.set_footprint(polygon)
        self.tabs.setCurrentWidget(self.placement)
        self.set_tool("pan")

    # --- workers -------------------------------------------------------------------------------------------
    def start_worker(self, worker: Worker, on_finished) -> Worker | None:
        """Run ``worker`` with the progress bar and cancel button; one analysis at a time."""
        if self.worker is not None:
            self.statusBar().showMessage("已有分析在运行，请等待完成或取消", 5000)
            return None
        self.worker = worker
        worker.signals.progressed.connect(self._progressed)
        worker.signals.finished.connect(lambda result: self._done(on_finished, result))
        worker.signals.failed.connect(lambda exc: self._done(self.show_error, exc))
        worker.signals.cancelled.connect(lambda: self._done(None, None))
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"{worker.title}…")
        self._set_editing(False)
        return worker.start()

    def _set_editing(self, enabled: bool) -> None:
        # While a worker changes the project, edits of the same results would race with it.
        for key in ANALYSES:
            self.actions[key].setEnabled(enabled)
        self.districts.setEnabled(enabled)
        self.placement.setEnabled(enabled)
        self.ledger.setEnabled(enabled)
        self.review.setEnabled(enabled)

    def _progressed(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        if message and self.worker is not None:
            self.statusBar().showMessage(f"{self.worker.title}：{message}")

    def _done(self, then, value) -> None:
        title = self.worker.title if self.worker else ""
        self.worker = None
        self.progress_bar.hide()
        self.cancel_button.hide()
        self._set_editing(True)
        if then is None:
            self.statusBar().showMessage(f"{title}已取消", 5000)
            return
        self.statusBar().showMessage(f"{title}完成" if then is not self.show_error else f"{title}失败", 5000)
        try:
            then(value)
        except Exception as exc:  # applying a result must never take the app down
            self.show_error(exc)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def run_analysis(self, key: str, **changes) -> Worker | None:
        """Run one analysis of the catalogue on the project in a worker (``workflow.run``); its results come
        back as project events and appear as layers."""
        text = ANALYSES[key].zh
        project = self.store.project
        if project is None:
            return None
        before = self.districts.state() if key == "districts" else None

        def finished(result) -> None:
            if key == "districts":
                self.districts.record(text, before, self.districts.state())
            if key == "lifecircle":
                self.tabs.setCurrentWidget(self.coverage)

        return self.start_worker(Worker(workflow.run, project, key, title=text, **changes), finished)

    def _project_changed(self, event: str, details: dict) -> None:
        """Follow the project: new results go on the map, the coverage chart follows its table."""
        if event == "results":
            self.show_results()
            if catalogue.COVERAGE in details.get("names", ()):
                self.coverage.refresh()
        elif event == "standards":
            self.store.set_modified(True)

    def auto_bundle(self, parameters: dict) -> Worker | None:
        return self.run_analysis("districts", **parameters)

    def show_results(self) -> None:
        """Put every spatial result of the project on the map (new ones on top)."""
        for name, frame in self.store.project.results.items():
            if isinstance(frame, gpd.GeoDataFrame) and (
                    name not in self.store or self.store.layer(name).frame is not frame):
                self.store.set_frame(name, frame)
        self.store.set_modified(True)

    def check_placement(self, request: dict) -> Worker | None:
        return self.start_worker(Worker(workflow.run, self.store.project, "placement", title="设施选址检查",
                                        **request), self.placement.show_result)

    # --- dialogs -------------------------------------------------------------------------------------------
    def import_dialog(self) -> None:
        wizard = ImportWizard(self)
        if wizard.exec() == ImportWizard.DialogCode.Accepted and wizard.sources:
            self.import_files(wizard)

    def import_files(self, wizard: ImportWizard) -> Worker | None:
        """Import what the wizard collected into the project, in a worker; the report shows when done."""
        from gisplanner.io.importer import import_layers

        project = self.store.project or Project()
        return self.start_worker(Worker(import_layers, project, wizard.sources, roles=wizard.role_map,
                                        field_maps=wizard.field_maps, source_crs=wizard.crs.text().strip() or None,
                                        title="导入图层"),
                                 lambda report: self._imported(project, report))

    def _imported(self, project: Project, report) -> None:
        self.set_project(project)
        self.store.set_modified(True)
        lines = [f"[{f.code}] {f.layer or ''}: {f.message}" for f in report.findings]
        self.import_report = QMessageBox(QMessageBox.Icon.Information, "导入检查报告",
                                         f"导入完成：{len(project.layers)} 个图层，{len(lines)} 条检查记录。", parent=self)
        self.import_report.setDetailedText("\n".join(lines) or "没有发现问题。")
        self.import_report.open()

    def basemap_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "添加底图", "", "底图 (*.tif *.tiff *.mbtiles)")
        if path:
            self.set_basemap(path)

    def set_basemap(self, path: str | Path | None) -> None:
        """Draw a local GeoTIFF or MBTiles file under the layers and keep it in the project (sheets use it too)."""
        project = self.store.project
        try:
            basemap = open_basemap(path) if path else None
        except GisPlannerError as exc:
            self.show_error(exc)
            return
        self.canvas.set_basemap(basemap)
        if project is not None:
            if basemap is None:
                project.settings.pop("basemap", None)
            else:
                project.settings["basemap"] = str(basemap.path)
            self.store.set_modified(True)

    def standards_dialog(self) -> None:
        project = self.store.project
        if project is None:
            return
        dialog = StandardsDialog(project, self)
        if dialog.exec() == StandardsDialog.DialogCode.Accepted:
            self.apply_standards(dialog.city.currentData(), dialog.overrides)

    def renovation_dialog(self, community_id: str | None = None) -> RenovationDialog | None:
        """Tick the renovation items of a community; the ticks are stored in the project."""
        project = self.store.project
        if project is None or not project.has_layer("communities"):
            return None
        try:
            dialog = RenovationDialog(project, self, community_id=community_id, undo_stack=self.undo_stack)
        except GisPlannerError as exc:
            self.show_error(exc)
            return None
        if dialog.exec() == RenovationDialog.DialogCode.Accepted and dialog.ticks:
            self.store.set_modified(True)
        return dialog

    def apply_standards(self, city: str, overrides: list[tuple[str, object, str]]) -> None:
        """Set the city and record each override (path, value, reason) on the project."""
        from getpass import getuser

        from gisplanner.standards import Override

        project = self.store.project
        project.set_city(city)
        for path, value, why in overrides:
            try:
                project.add_override(Override(path=path, value=value, who=getuser(), why=why))
            except GisPlannerError as exc:
                self.show_error(exc)
        self.store.set_modified(True)

    def export_dialog(self) -> None:
        project = self.store.project
        if project is None:
            return
        plan = plan_of(project)
        dialog = ExportDialog([] if plan is None else plan.districts["district_id"].astype(str).tolist(), self)
        if dialog.exec() == ExportDialog.DialogCode.Accepted:
            self.export(**dialog.options())

    def export(self, **options) -> Worker | None:
        from gisplanner.export.package import export_plan_package

        return self.start_worker(Worker(export_plan_package, self.store.project, title="导出规划成果包", **options),
                                 self._exported)

    def annual_plan(self, request: dict) -> Worker | None:
        from gisplanner.annual_plan import run_annual_plan

        return self.start_worker(Worker(run_annual_plan, self.store.project, title="遴选年度计划", **request),
                                 lambda result: self.ledger.show_plan(*result))

    def notice(self, request: dict) -> Worker | None:
        from gisplanner.export.notice import write_project_notice

        return self.start_worker(Worker(write_project_notice, self.store.project, request["project_id"],
                                        request["path"], title="生成公示牌"),
                                 lambda path: self.statusBar().showMessage(f"已生成公示牌 {path}", 10000))

    def compare(self, request: dict) -> Worker | None:
        from gisplanner.compare import compare_projects

        return self.start_worker(Worker(compare_projects, self.store.project, request["other"],
                                        request["out_dir"], title="方案比较"),
                                 lambda result: self.ledger.show_comparison(*result))

    def _exported(self, written: dict) -> None:
        n = sum(len(paths) for paths in written.values())
        self.statusBar().showMessage(f"已导出 {n} 个文件", 10000)
