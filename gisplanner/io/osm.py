"""OSM PBF extracts read with GDAL's OSM driver into the layers of the derived Harbin GeoPackages.

The tag filters are those of ../shared/refdata/harbin_central_osm/PROVENANCE.md, so a PBF import gets the same
layer names (``residential_areas``, ``buildings``, ``pois``, ``facility_areas``, ``green_space``, ``landuse``,
``walk_network``, ``admin_subdistricts``) and therefore the same roles as the GeoPackage.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

#: The GDAL OSM driver configuration: the tags each layer keeps as columns.
OSMCONF = """\
[general]
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,\
natural,office,place,shop,sport,tourism,power,man_made,healthcare,highway=platform,public_transport=platform
[points]
osm_id=yes
attributes=name,amenity,shop,leisure,healthcare,social_facility,office,man_made,power
[lines]
osm_id=yes
attributes=name,highway,foot,footway,sidewalk,access,motorroad,service,bridge,tunnel,layer,oneway
[multipolygons]
osm_id=yes
attributes=name,type,amenity,admin_level,boundary,building,building:levels,height,landuse,residential,\
construction,leisure,natural,man_made,power,office,healthcare,shop,social_facility
[multilinestrings]
osm_id=yes
attributes=name,type
[other_relations]
osm_id=yes
attributes=name,type
"""

LAYERS = ("residential_areas", "buildings", "pois", "facility_areas", "green_space", "landuse", "walk_network",
          "admin_subdistricts")

#: highway values nobody walks on; the rest are walkable unless foot=no, access=no|private or motorroad=yes.
NOT_WALKABLE = ("motorway", "motorway_link", "construction", "proposed", "raceway", "abandoned", "bus_guideway")
IDLE_LANDUSE = ("brownfield", "construction", "greenfield", "landfill")
GREEN_TAGS = {
    "leisure": ("park", "garden", "playground", "nature_reserve", "recreation_ground"),
    "landuse": ("grass", "forest", "meadow", "recreation_ground", "village_green", "flowerbed", "orchard",
                "cemetery"),
    "natural": ("wood", "scrub", "grassland", "heath", "wetland"),
}
_SPORTS = ("pitch", "sports_centre", "stadium", "fitness_centre", "fitness_station", "track", "swimming_pool",
           "ice_rink", "sports_hall")
_FACILITY_BUILDINGS = ("kindergarten", "school", "hospital", "public", "civic", "government", "boiler_house")


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name].astype("string") if name in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")


def poi_category(tags: pd.DataFrame) -> pd.Series:
    """Planning category of OSM features from their tags (NA when the feature is no facility).

    Categories and their order of precedence follow PROVENANCE.md: boiler_or_heating_candidate (chimneys,
    power plants), kindergarten, school, higher_education, hospital, clinic, pharmacy, elderly_care, market,
    supermarket, convenience, playground, park, sports, community_public_service, culture,
    public_service_other, shop_other, amenity_other.
    """
    amenity, shop, leisure = _col(tags, "amenity"), _col(tags, "shop"), _col(tags, "leisure")
    healthcare, office = _col(tags, "healthcare"), _col(tags, "office")
    rules = [
        ("boiler_or_heating_candidate", (_col(tags, "man_made") == "chimney") | (_col(tags, "power") == "plant")),
        ("kindergarten", amenity == "kindergarten"),
        ("school", amenity == "school"),
        ("higher_education", amenity.isin(["university", "college"])),
        ("hospital", (amenity == "hospital") | (healthcare == "hospital")),
        ("clinic", amenity.isin(["clinic", "doctors"]) | healthcare.isin(["clinic", "doctor", "centre"])),
        ("pharmacy", (amenity == "pharmacy") | (healthcare == "pharmacy")),
        ("elderly_care", amenity.isin(["nursing_home"])
         | _col(tags, "social_facility").isin(["nursing_home", "assisted_living"])),
        ("market", amenity == "marketplace"),
        ("supermarket", shop == "supermarket"),
        ("convenience", shop == "convenience"),
        ("playground", leisure == "playground"),
        ("park", leisure.isin(["park", "garden"])),
        ("sports", leisure.isin(_SPORTS)),
        ("community_public_service", amenity.isin(["community_centre", "townhall"]) | (office == "government")
         | (_col(tags, "landuse") == "governmental")),
        ("culture", amenity.isin(["library", "arts_centre", "theatre", "exhibition_centre"])),
        ("public_service_other", amenity.isin(["police", "post_office", "fire_station", "social_facility",
                                               "courthouse"])),
        ("shop_other", shop.notna()),
        ("amenity_other", amenity.notna()),
    ]
    conditions = [cond.fillna(False).to_numpy(bool) for _, cond in rules]
    category = np.select(conditions, [name for name, _ in rules], default="")
    return pd.Series(category, index=tags.index, dtype="string").replace("", pd.NA)


def _osm_ids(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """osm_type and osm_ref like the GeoPackages: multipolygons from closed ways carry osm_way_id."""
    if "osm_way_id" in df.columns:
        way = df["osm_way_id"].astype("string")
        is_way = way.notna()
        return (pd.Series(np.where(is_way, "way", "relation"), index=df.index, dtype="string"),
                way.fillna(df["osm_id"].astype("string")))
    return pd.Series("way", index=df.index, dtype="string"), df["osm_id"].astype("string")


def read_osm(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """Read an OSM PBF (or .osm XML) file into the planning layers of :data:`LAYERS`.

    Geometries GDAL cannot build (rings cut at the extract's edge) come back missing and are dropped later by
    validation, with a finding each.

    Parameters
    ----------
    path
        The .osm.pbf file.

    Returns
    -------
    dict
        layer name -> GeoDataFrame in EPSG:4326 with ``osm_type``, ``osm_ref``, ``name`` and the tag columns.
    """
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "osmconf.ini"
        conf.write_text(OSMCONF, encoding="utf-8")
        with warnings.catch_warnings():
            # GDAL warns about every unclosed ring at the extract's edge; those features are reported later
            warnings.simplefilter("ignore", RuntimeWarning)
            opts = {"CONFIG_FILE": str(conf), "on_invalid": "ignore"}
            points = pyogrio.read_dataframe(path, layer="points", **opts)
            lines = pyogrio.read_dataframe(path, layer="lines", where="highway IS NOT NULL", **opts)
            polys = pyogrio.read_dataframe(path, layer="multipolygons", **opts)
    polys = polys.rename(columns={"building_levels": "levels", "height": "height_m"})
    polys["osm_type"], polys["osm_ref"] = _osm_ids(polys)
    lines["osm_type"], lines["osm_ref"] = _osm_ids(lines)
    points["osm_type"], points["osm_ref"] = "node", points["osm_id"].astype("string")

    def pick(frame: gpd.GeoDataFrame, mask: pd.Series, columns: list[str]) -> gpd.GeoDataFrame:
        keep = ["osm_type", "osm_ref", "name"] + [c for c in columns if c in frame.columns]
        return frame.loc[mask.fillna(False).to_numpy(bool), keep + ["geometry"]].reset_index(drop=True)

    landuse = _col(polys, "landuse")
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["residential_areas"] = pick(polys, landuse == "residential", ["residential"])
    layers["buildings"] = pick(polys, _col(polys, "building").notna(),
                               ["building", "levels", "height_m", "amenity", "shop"])
    for column in ("levels", "height_m"):
        layers["buildings"][column] = pd.to_numeric(layers["buildings"][column], errors="coerce")

    poly_category = poi_category(polys)
    facility = (_col(polys, "amenity").notna() | _col(polys, "healthcare").notna() | _col(polys, "shop").notna()
                | (_col(polys, "office") == "government") | _col(polys, "leisure").isin(_SPORTS)
                | (_col(polys, "power") == "plant") | (_col(polys, "man_made") == "chimney")
                | _col(polys, "building").isin(_FACILITY_BUILDINGS))
    tag_columns = ["amenity", "healthcare", "shop", "leisure", "office", "landuse", "power", "man_made", "building",
                   "other_tags"]  # other_tags holds disused:*, abandoned, vacant: what makes a resource
    layers["facility_areas"] = pick(polys, facility, tag_columns)

    point_category = poi_category(points)
    node_pois = pick(points, point_category.notna(), tag_columns).assign(
        category=point_category.dropna().to_numpy(), src_geom="point")
    area_pois = pick(polys, poly_category.notna(), tag_columns).assign(
        category=poly_category.dropna().to_numpy(), src_geom="polygon")
    area_pois["geometry"] = shapely.point_on_surface(area_pois.geometry.values)
    layers["pois"] = gpd.GeoDataFrame(pd.concat([node_pois, area_pois], ignore_index=True),
                                      geometry="geometry", crs=polys.crs)

    green_type = pd.Series(pd.NA, index=polys.index, dtype="string")
    for key in ("natural", "landuse", "leisure"):  # leisure wins: a park on grass is a park
        values = _col(polys, key)
        green_type = values.where(values.isin(GREEN_TAGS[key]), green_type)
    layers["green_space"] = pick(polys.assign(green_type=green_type), green_type.notna(),
                                 ["green_type", "leisure", "landuse", "natural"])

    layers["landuse"] = pick(polys.assign(idle_candidate=landuse.isin(IDLE_LANDUSE).astype(int)),
                             landuse.notna(), ["landuse", "residential", "construction", "idle_candidate"])

    highway = _col(lines, "highway")
    walkable = (~highway.isin(NOT_WALKABLE) & (_col(lines, "foot") != "no").fillna(True)
                & ~_col(lines, "access").isin(["no", "private"]).fillna(False)
                & (_col(lines, "motorroad") != "yes").fillna(True))
    layers["walk_network"] = pick(lines.assign(walkable=walkable.astype(int)), highway.notna(),
                                  ["highway", "walkable", "foot", "footway", "sidewalk", "access", "motorroad",
                                   "service", "bridge", "tunnel", "layer", "oneway"])

    admin = (_col(polys, "boundary") == "administrative") & (_col(polys, "admin_level") == "8")
    layers["admin_subdistricts"] = pick(polys, admin, ["admin_level"])
    return layers
