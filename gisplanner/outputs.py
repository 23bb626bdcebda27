"""Checks of the paths a command writes to: never the open project or an input, folders made or refused clearly.

Every writer of the CLI and the app asks here first, so an ``--out`` that is the project itself (by path,
symlink or hard link), a folder where a file should go, a file where a folder should go, a missing or read-only
parent are refused with the path and the fix before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from gisplanner.errors import InputError


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def read_only(path: Path) -> bool:
    """Whether ``path`` may not be written: no write permission, or no write bit at all (marked read-only by its
    owner; respected even where the superuser could write)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (mode & 0o222) or not os.access(path, os.W_OK)


def _writable_folder(folder: Path, *, option: str) -> None:
    """Make ``folder`` (and its missing parents), or refuse naming what stands in the way."""
    if folder.is_dir():
        if read_only(folder):
            raise InputError("输出文件夹是只读的", file=str(folder), fix=f"给 {option} 一个有写权限的位置")
        return
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError("输出路径中有一个文件挡住了文件夹", file=str(existing),
                         fix=f"给 {option} 另一个路径，或移走这个文件")
    if read_only(existing):
        raise InputError("无法在只读的文件夹中建立输出文件夹", file=str(existing),
                         fix=f"给 {option} 一个有写权限的位置")
    folder.mkdir(parents=True, exist_ok=True)


def _refuse_protected(path: Path, protected: Iterable[str | Path | None], option: str) -> None:
    for other in protected:
        if other is not None and _same(path, Path(other).resolve()):
            raise InputError("输出会覆盖打开的项目或输入文件", file=str(path),
                             fix=f"给 {option} 另一个文件名；项目只由 gisplanner 自己保存")


def output_file(path: str | Path, *, protected: Iterable[str | Path | None] = (), option: str = "--out") -> Path:
    """The resolved output file ``path``, its folder made; refused if it is one of ``protected``.

    Raises
    ------
    InputError
        The path is a protected file (the project, an input), a folder, read-only, or a file blocks its folder.
    """
    resolved = Path(path).expanduser().resolve()
    _refuse_protected(resolved, protected, option)
    if resolved.is_dir():
        raise InputError("输出路径是一个文件夹，这里需要文件名", file=str(resolved),
                         fix=f"给 {option} 一个文件名，例如 {resolved / 'result.gpkg'}")
    _writable_folder(resolved.parent, option=option)
    if resolved.exists() and read_only(resolved):
        raise InputError("输出文件是只读的", file=str(resolved), fix=f"给 {option} 另一个文件名，或放开写权限")
    return resolved


def output_folder(path: str | Path, *, protected: Iterable[str | Path | None] = (),
                  option: str = "--out") -> Path:
    """The resolved output folder ``path``, made with its parents; refused if a protected file is in the way."""
    resolved = Path(path).expanduser().resolve()
    _refuse_protected(resolved, protected, option)
    if resolved.exists() and not resolved.is_dir():
        raise InputError("输出文件夹的位置已有一个同名文件", file=str(resolved),
                         fix=f"给 {option} 一个文件夹路径，或移走这个文件")
    _writable_folder(resolved, option=option)
    return resolved
