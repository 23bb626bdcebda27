"""The error hierarchy shared by the engine, the CLI and the desktop app, and the translation of every other
failure (file system, GDAL, GEOS, numeric) into an :class:`InputError` a planner can act on."""

from __future__ import annotations

import errno


class GisPlannerError(Exception):
    """Base of every error the tool raises on purpose."""


class InputError(GisPlannerError):
    """Bad input data: names the file, layer, feature and the fix in its message."""

    def __init__(self, message: str, *, file: str | None = None, layer: str | None = None,
                 feature: object | None = None, fix: str | None = None) -> None:
        self.message = message
        self.file = file
        self.layer = layer
        self.feature = feature
        self.fix = fix
        # the text of str(exc), which a message built around this error may quote: the place in Chinese too
        where = "，".join(f"{kind} {value}" for kind, value in error_places(self))
        text = f"{message}（{where}）" if where else message
        super().__init__(f"{text}；怎么办：{fix}" if fix else text)


class ConfigError(GisPlannerError):
    """A broken standards or settings file: names the file, key and value."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 value: object = None) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.value = value
        where = "，".join(part for part in (
            f"文件 {file}" if file else "", f"键 {key}" if key else "",
            f"值 {value!r}" if value is not None else "") if part)
        super().__init__(f"{message}（{where}）" if where else message)


class CancelledError(GisPlannerError):
    """The user cancelled a long-running operation."""


# errno -> (what went wrong, what to do); the file comes from the OSError itself.
_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("文件或文件夹不存在", "检查路径是否写对；输出文件夹的上级文件夹须已存在"),
    errno.EACCES: ("没有读写权限", "换一个有写权限的位置，或请管理员放开权限"),
    errno.EPERM: ("操作不被允许", "换一个有写权限的位置，或请管理员放开权限"),
    errno.EROFS: ("所在的磁盘或文件夹是只读的", "写到一个可写的位置"),
    errno.ENOSPC: ("磁盘已满", "腾出磁盘空间，或写到另一块磁盘；项目文件未被改动"),
    errno.EDQUOT: ("磁盘配额已用完", "腾出空间，或写到另一块磁盘；项目文件未被改动"),
    errno.EISDIR: ("这里是一个文件夹，不是文件", "给出文件名，例如 输出/结果.gpkg"),
    errno.ENOTDIR: ("路径中有一个文件挡住了文件夹", "换一个路径，或移走这个同名文件"),
    errno.EEXIST: ("已经存在同名文件", "换一个名字，或先移走它"),
    errno.ENAMETOOLONG: ("路径太长", "换一个更短的路径"),
}


def explain(exc: BaseException) -> GisPlannerError | None:
    """The error a planner should read for ``exc``: itself when it is ours, else an :class:`InputError`.

    File-system errors (by errno), GDAL/pyogrio, sqlite, GEOS and numeric failures are named with the file where
    one is known and a fix; None for anything else (a programming error, reported as such by the caller).
    """
    if isinstance(exc, GisPlannerError):
        return exc
    if isinstance(exc, MemoryError):
        return InputError("内存不足，无法完成计算", fix="关闭其他程序，或缩小范围（例如只导出一个片区）后重试；"
                                                    "项目文件未被改动")
    if isinstance(exc, OSError):
        what, fix = _OS_ERRORS.get(exc.errno or -1, (f"读写失败（{exc.strerror or exc}）",
                                                      "检查文件是否被其他程序占用、磁盘是否正常"))
        file = exc.filename if exc.filename is not None else None
        return InputError(what, file=str(file) if file is not None else None, fix=fix)
    module = type(exc).__module__ or ""
    if module.startswith("pyogrio") or module.startswith("fiona") or module == "sqlite3":
        return InputError(f"无法读写地理数据文件：{exc}",
                          fix="确认文件完整、格式受支持（GeoPackage、Shapefile 含 .shp/.shx/.dbf、GeoJSON），"
                              "必要时用原软件重新导出")
    if module.startswith("shapely"):
        return InputError(f"几何运算失败：{exc}",
                          fix="检查几何是否自相交、坐标是否有误（可用 gisplanner import 的检查报告定位）")
    if isinstance(exc, (FloatingPointError, OverflowError, ZeroDivisionError)):
        return InputError(f"数值计算失败（{exc}）",
                          fix="检查输入中的坐标和数值是否合理（无穷大、空值、超出范围）")
    if module.startswith("pyproj"):
        return InputError(f"坐标转换失败：{exc}", fix="检查坐标系（--source-crs）与坐标是否一致")
    return None


def error_places(exc: InputError, *, layer_id: bool = True) -> list[tuple[str, str]]:
    """Where an input error is: (文件/图层/要素, value) pairs, the layer by its Chinese name and, with
    ``layer_id``, its own name (what a terminal user types in ``--role`` and finds in the file)."""
    from gisplanner.labels import code_label  # labels reads its YAML through this module's errors

    places = []
    if exc.file:
        places.append(("文件", str(exc.file)))
    if exc.layer:
        label = code_label(exc.layer, "layer")
        places.append(("图层", f"{label}（{exc.layer}）" if layer_id and label != exc.layer else label))
    if exc.feature is not None:
        places.append(("要素", str(exc.feature)))
    return places


def error_line(exc: GisPlannerError) -> str:
    """One line for a terminal: 问题 (with file, layer, feature, or file, key, value) and 怎么办."""
    return f"问题：{exc}"
