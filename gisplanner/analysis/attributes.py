"""Community and feature attributes read tolerantly: a missing column reads as NA, never as a KeyError.

Shared by the district modules (eligibility, bundling, tables), which all read the same canonical columns.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.errors import InputError


def column(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    """A column of ``frame``, or ``default`` on every row when the layer lacks it."""
    return frame[name] if name in frame else pd.Series(default, index=frame.index)


def numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as floats; NaN where missing, not a number, or when the layer lacks the column."""
    return pd.to_numeric(column(frame, name, np.nan), errors="coerce").astype(float)


def built_years(frame: pd.DataFrame) -> pd.Series:
    """``built_year`` as nullable integers (Int64); NA where unknown."""
    return pd.Series(pd.array(column(frame, "built_year", pd.NA), dtype="Int64"), index=frame.index)


def population(frame: pd.DataFrame) -> np.ndarray:
    """Population (people) of each row, NA as 0; the communities must carry the column."""
    if "population" not in frame:
        raise InputError("小区图层没有人口字段", layer="communities",
                         fix="导入带人口（或户数，用于估算人口）的小区数据")
    return pd.to_numeric(frame["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def centroid_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) coordinates of the geometries' centroids, in the layer's CRS."""
    return shapely.get_coordinates(shapely.centroid(np.asarray(frame.geometry.values)))
