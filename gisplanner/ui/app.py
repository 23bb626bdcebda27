"""Start the desktop app: ``python run.py [PROJECT.gpkg]`` (no argument opens the bundled demo)."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from PyQt6.QtCore import QLibraryInfo, QLocale, QTranslator
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QApplication

from gisplanner.ui.main_window import MainWindow


def demo_path() -> Path:
    """The bundled demo project, built by ``gisplanner.demo`` when it is missing."""
    from gisplanner.demo import build_demo_project, default_demo_path

    path = default_demo_path()
    if not path.exists():
        build_demo_project().save(path)
    return path


def set_up_chinese(app: QApplication) -> QTranslator | None:
    """Chinese font and Qt's own zh_CN translations (确定/取消/上一步/下一步 on standard buttons and dialogs).

    The translations ship with the PyQt6 wheel (``qtbase_zh_CN.qm`` in Qt's translations path); the translator
    is kept on the application so it lives as long as the app. Returns None when the file is missing.
    """
    app.setFont(QFont("Noto Sans CJK SC", 10))
    translator = QTranslator(app)
    if not translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_",
                           QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        logging.getLogger("gisplanner").warning("Qt's zh_CN translations not found; standard buttons stay English")
        return None
    app.installTranslator(translator)
    return translator


def start(argv: list[str], *, settings=None) -> MainWindow:
    """The main window, shown, with the project of ``argv`` (or the demo) opened.

    Nothing at start-up ends the app: a project that cannot be read, a demo that cannot be built, an error in a
    slot later on, each shows a message and the window stays (the user can open another project).
    """
    window = MainWindow(settings=settings)

    def excepthook(kind, exc, tb) -> None:
        # An unexpected error in a slot must not abort the app or lose the project: report it and go on.
        logging.getLogger("gisplanner").error("".join(traceback.format_exception(kind, exc, tb)))
        if issubclass(kind, KeyboardInterrupt):
            QApplication.instance().quit()
            return
        window.show_error(exc)

    sys.excepthook = excepthook
    window.show()
    try:
        path = argv[0] if argv else demo_path()
    except Exception as exc:  # the demo could not be built (e.g. a read-only install folder)
        window.show_error(exc)
        return window
    window.open_path(path)
    return window


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(["gisplanner", *argv])
    set_up_chinese(app)
    _window = start(argv)  # referenced until the app ends, or Qt would close it
    return app.exec()
