"""Readers for GeoPackage, Shapefile (with GBK/GB18030 detection), GeoJSON and OSM PBF files."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.errors
import shapely.errors

from gisplanner.errors import InputError
from gisplanner.io import osm
from gisplanner.io.findings import Finding

_READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
                pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, shapely.errors.GEOSException,
                OSError, UnicodeDecodeError, ValueError)
_FIX_UNREADABLE = ("检查文件是否完整（重新复制，或从原 GIS 软件重新导出），"
                   "并确认是 GeoPackage、Shapefile、GeoJSON 或 OSM PBF 文件")


@dataclass
class SourceLayer:
    """One layer read from a file, as the file declares it (CRS untouched).

    Attributes
    ----------
    file, name
        The source file and the layer name within it.
    frame
        The features with all their fields.
    findings
        What the reader noticed (e.g. ``encoding_guessed``).
    """

    file: str
    name: str
    frame: gpd.GeoDataFrame
    findings: list[Finding] = field(default_factory=list)


def _is_osm(path: Path) -> bool:
    return path.name.lower().endswith((".osm.pbf", ".pbf", ".osm"))


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputError("文件不存在", file=str(path), fix="检查路径和文件名")


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers with geometries in a file (OSM files: the planning layers of gisplanner.io.osm).

    Raises
    ------
    InputError
        When the file is missing or cannot be opened.
    """
    path = Path(path)
    _check_exists(path)
    if _is_osm(path):
        return list(osm.LAYERS)
    try:
        layers = pyogrio.list_layers(path)
    except _READ_ERRORS as exc:
        raise InputError(f"无法打开文件（{exc}）", file=str(path), fix=_FIX_UNREADABLE) from exc
    return [str(name) for name, geometry_type in layers if geometry_type is not None]


def dbf_text_values(dbf: Path) -> list[bytes]:
    """The raw bytes of the field names and of the distinct non-ASCII character values of a .dbf file."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise InputError(".dbf 文件不完整", file=str(dbf), fix=_FIX_UNREADABLE)
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    names, fields = [], []  # field names; (offset in record, length) of character fields
    offset = 1  # each record starts with a deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        names.append(data[pos:pos + 11].split(b"\x00")[0])
        kind, length = chr(data[pos + 11]), data[pos + 16]
        if kind == "C":
            fields.append((offset, length))
        offset += length
        pos += 32
    if header_len + n_records * record_len > len(data):
        raise InputError(".dbf 文件不完整", file=str(dbf), fix=_FIX_UNREADABLE)
    records = np.frombuffer(data, dtype=np.uint8, count=n_records * record_len,
                            offset=header_len).reshape(n_records, record_len)
    values: set[bytes] = set()
    for start, length in fields:
        column = records[:, start:start + length]
        values.update(bytes(row).rstrip(b" \x00") for row in column[(column >= 0x80).any(axis=1)])
    return names + sorted(values)


def guess_encoding(values: list[bytes]) -> str | None:
    """Encoding of Chinese text: None if all ASCII, ``UTF-8`` if every value decodes as such, else ``GB18030``.

    UTF-8 is tried first because GBK/GB18030 byte pairs almost never form valid UTF-8, while UTF-8 bytes often
    decode (wrongly) as GB18030. A value cut inside its last character (a full .dbf field) still counts as
    UTF-8. GB18030 is a superset of GBK and GB2312, so it reads all three.

    Examples
    --------
    >>> guess_encoding(["宣西小区".encode("gbk")])
    'GB18030'
    >>> guess_encoding(["宣西小区".encode()])
    'UTF-8'
    """
    if all(v.isascii() for v in values):
        return None
    for value in values:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason != "unexpected end of data":
                return "GB18030"
    return "UTF-8"


def _read_shapefile(path: Path) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    findings: list[Finding] = []
    kwargs = {}
    if not any(path.with_suffix(ext).exists() for ext in (".dbf", ".DBF")):
        raise InputError("Shapefile 缺少 .dbf 属性文件：名称、户数、年代等全部属性都会丢失", file=str(path),
                         fix=f"把同名的 {path.stem}.dbf 放到 .shp 旁边后重新导入")
    if not path.with_suffix(".cpg").exists() and not path.with_suffix(".CPG").exists():
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        encoding = guess_encoding(dbf_text_values(dbf)) if dbf is not None else None
        if encoding is not None:
            kwargs["encoding"] = encoding
            findings.append(Finding("encoding_guessed", path.stem, None,
                                    f"没有 .cpg 文件，文字字段按 {encoding} 编码读取；若名称显示为乱码，"
                                    "请加一个写明编码的 .cpg 文件后重新导入。"))
    return pyogrio.read_dataframe(path, **kwargs), findings


def read_layers(path: str | Path, layers: list[str] | None = None) -> list[SourceLayer]:
    """Read the layers of a GeoPackage, Shapefile, GeoJSON or OSM PBF file.

    Parameters
    ----------
    path
        The file.
    layers
        Layer names to read; all layers with geometries when None.

    Returns
    -------
    list of SourceLayer

    Raises
    ------
    InputError
        When the file is missing, truncated or unreadable, or a named layer does not exist.
    """
    path = Path(path)
    if path.is_dir():
        # A folder of shapefiles: each is read on its own, so each gets its .cpg or its guessed encoding
        # (GDAL reading the folder as one source would decode GBK names as Latin-1).
        shapefiles = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
        if not shapefiles:
            raise InputError("文件夹中没有 Shapefile（.shp）", file=str(path),
                             fix="给出文件夹中的数据文件，或放入 .shp/.shx/.dbf（及 .prj、.cpg）")
        found = [layer for shp in shapefiles for layer in read_layers(shp)]
        missing = sorted(set(layers or []) - {layer.name for layer in found})
        if missing:
            raise InputError(f"文件夹中没有图层 {', '.join(missing)}", file=str(path),
                             fix="图层名是 .shp 文件名（不含扩展名）")
        return [layer for layer in found if layers is None or layer.name in layers]
    available = list_layers(path)
    wanted = available if layers is None else layers
    for name in wanted:
        if name not in available:
            raise InputError(f"没有图层“{name}”；文件中的图层：{', '.join(available) or '无'}",
                             file=str(path), fix="指定文件中已有的一个图层")
    try:
        if _is_osm(path):
            frames = osm.read_osm(path)
            return [SourceLayer(str(path), name, frames[name]) for name in wanted]
        if path.suffix.lower() == ".shp":
            frame, findings = _read_shapefile(path)
            return [SourceLayer(str(path), available[0], frame, findings)]
        return [SourceLayer(str(path), name, pyogrio.read_dataframe(path, layer=name)) for name in wanted]
    except _READ_ERRORS as exc:
        raise InputError(f"无法读取文件（{exc}）", file=str(path), fix=_FIX_UNREADABLE) from exc
