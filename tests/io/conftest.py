"""Small synthetic layers near Harbin, built in code, written to tmp_path by the tests that need files."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

LON0, LAT0 = 126.64, 45.74  # 南岗区, Harbin
KX, KY = 111320.0 * np.cos(np.radians(LAT0)), 110540.0


def lonlat(x_m, y_m):
    """Metres east/north of (LON0, LAT0) to lon/lat degrees."""
    return LON0 + np.asarray(x_m) / KX, LAT0 + np.asarray(y_m) / KY


def to_lonlat(geom):
    return shapely.transform(geom, lambda c: np.column_stack(lonlat(c[:, 0], c[:, 1])))


@pytest.fixture
def town():
    """An irregular street grid (2 km × 2 km) and the blocks between the streets, in EPSG:4326.

    Street spacings are random so that no shift other than zero maps the grid onto itself.
    """
    rng = np.random.default_rng(7)
    xs = np.cumsum(rng.uniform(90, 260, 12))
    ys = np.cumsum(rng.uniform(90, 260, 12))
    xs, ys = xs[xs < 2000], ys[ys < 2000]
    streets = [shapely.LineString([(x, 0), (x, 2000)]) for x in xs]
    streets += [shapely.LineString([(0, y), (2000, y)]) for y in ys]
    blocks = [shapely.box(x0 + 8, y0 + 8, x1 - 8, y1 - 8)
              for x0, x1 in zip(xs[:-1], xs[1:]) for y0, y1 in zip(ys[:-1], ys[1:])]
    roads = gpd.GeoDataFrame({"highway": ["residential"] * len(streets),
                              "name": [f"路{i}" for i in range(len(streets))]},
                             geometry=[to_lonlat(g) for g in streets], crs=4326)
    communities = gpd.GeoDataFrame({"小区名称": [f"小区{i}" for i in range(len(blocks))],
                                    "户数": np.arange(len(blocks), dtype=float) * 10 + 100},
                                   geometry=[to_lonlat(g) for g in blocks], crs=4326)
    return {"walk_network": roads, "communities": communities}


@pytest.fixture
def town_gpkg(tmp_path, town):
    """The toy town written to one GeoPackage, a layer per role."""
    path = tmp_path / "town.gpkg"
    for role, frame in town.items():
        pyogrio.write_dataframe(frame, path, layer=role)
    return path
