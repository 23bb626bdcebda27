"""Readers for GeoPackage, Shapefile (with GBK/GB18030 detection), GeoJSON and OSM PBF files."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.errors
import shapely.errors

from gisplanner.errors import InputError
from gisplanner.io import osm
from gisplanner.io.findings import Finding

_READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
                pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, shapely.errors.GEOSException,
                OSError, UnicodeDecodeError, ValueError)
_FIX_UNREADABLE = ("check that the file is complete (copy it again, or re-export it from the GIS it came from) "
                   "and that it is a GeoPackage, Shapefile, GeoJSON or OSM PBF file.")


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
        raise InputError("file not found.", file=str(path), fix="check the path and the file name.")


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
        raise InputError(f"cannot open the file ({exc}).", file=str(path), fix=_FIX_UNREADABLE) from exc
    return [str(name) for name, geometry_type in layers if geometry_type is not None]


def dbf_text_bytes(dbf: Path) -> bytes:
    """The raw bytes of every character field of a .dbf file, concatenated (for encoding detection)."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise InputError("the .dbf file is truncated.", file=str(dbf), fix=_FIX_UNREADABLE)
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields = []  # (offset in record, length) of character fields
    offset = 1  # each record starts with a deletion flag
    pos = 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
        kind, length = chr(data[pos + 11]), data[pos + 16]
        if kind == "C":
            fields.append((offset, length))
        offset += length
        pos += 32
    chunks = []
    for i in range(n_records):
        start = header_len + i * record_len
        record = data[start:start + record_len]
        chunks.extend(record[o:o + n].rstrip(b" \x00") for o, n in fields)
    return b"\n".join(chunks)


def guess_encoding(raw: bytes) -> str | None:
    """Encoding of Chinese text bytes: None if plain ASCII, ``UTF-8`` if they decode as such, else ``GB18030``.

    UTF-8 is tried first because GBK/GB18030 byte pairs almost never form valid UTF-8, while UTF-8 bytes often
    decode (wrongly) as GB18030. GB18030 is a superset of GBK and GB2312, so it reads all three.

    Examples
    --------
    >>> guess_encoding("宣西小区".encode("gbk"))
    'GB18030'
    >>> guess_encoding("宣西小区".encode("utf-8"))
    'UTF-8'
    """
    if raw.isascii():
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def _read_shapefile(path: Path) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    findings: list[Finding] = []
    kwargs = {}
    if not path.with_suffix(".cpg").exists() and not path.with_suffix(".CPG").exists():
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        encoding = guess_encoding(dbf_text_bytes(dbf)) if dbf is not None else None
        if encoding is not None:
            kwargs["encoding"] = encoding
            findings.append(Finding("encoding_guessed", path.stem, None,
                                    f"no .cpg file; text fields decoded as {encoding}. Add a .cpg file "
                                    "naming the encoding if names look wrong."))
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
    available = list_layers(path)
    wanted = available if layers is None else layers
    for name in wanted:
        if name not in available:
            raise InputError(f"no layer {name!r}; the file has {', '.join(available) or 'no layers'}.",
                             file=str(path), fix="name one of the layers the file has.")
    try:
        if _is_osm(path):
            frames = osm.read_osm(path)
            return [SourceLayer(str(path), name, frames[name]) for name in wanted]
        if path.suffix.lower() == ".shp":
            frame, findings = _read_shapefile(path)
            return [SourceLayer(str(path), available[0], frame, findings)]
        return [SourceLayer(str(path), name, pyogrio.read_dataframe(path, layer=name)) for name in wanted]
    except _READ_ERRORS as exc:
        raise InputError(f"cannot read the file ({exc}).", file=str(path), fix=_FIX_UNREADABLE) from exc
