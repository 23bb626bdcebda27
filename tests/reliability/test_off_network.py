"""A community far from the walking network is a finding (off_network), never "no facility"."""

import geopandas as gpd
import pandas as pd
import shapely

from gisplanner import workflow
from gisplanner.io.importer import import_layers
from gisplanner.project import Project
from tests.reliability.conftest import lonlat


def test_a_community_26_km_from_the_network_is_off_network(project_file, tmp_path):
    project = Project.load(project_file)
    shops = tmp_path / "pois.geojson"
    gpd.GeoDataFrame({"category": ["kindergarten"]}, geometry=[lonlat(shapely.Point(180, 100))],
                     crs=4326).to_file(shops)
    import_layers(project, [shops], roles={"pois": "facilities"})
    communities = project.layer("communities")
    far = communities.iloc[[0]].assign(feature_id="far", geometry=communities.geometry.iloc[[0]].translate(26_000))
    project.set_layer("communities", pd.concat([communities, far], ignore_index=True))
    gaps = workflow.run(project, "lifecircle", levels=["lc15"])["gaps"]
    reasons = gaps.loc[gaps["community_id"] == "far", "reason"]
    assert len(reasons) and set(reasons) == {"off_network"}
    assert "off_network" not in set(gaps.loc[gaps["community_id"] != "far", "reason"])
