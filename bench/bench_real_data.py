"""What a planner is told on central Harbin: resources, data coverage, sites and districts (docs/real_data.md).

Prints one JSON object of figures. To compare with an older version, run it with PYTHONPATH set to that
checkout (the script only uses columns both have, and skips the newer ones). Built years are the synthetic
底数 of tests/acceptance/test_districts_harbin.py.
"""
import json
import time

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from _common import HARBIN

from gisplanner import workflow
from gisplanner.analysis.districts import plan_districts
from gisplanner.catalogue import district_inputs, life_circle_results
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

out = {}
t = time.perf_counter()
p = Project(city="harbin")
import_layers(p, [HARBIN])
out["import_s"] = round(time.perf_counter() - t, 1)
out["layers"] = {k: len(v) for k, v in p.layers.items()}
for role in ("boiler_rooms", "public_buildings", "idle_land"):
    if p.has_layer(role) and "status" in p.layer(role):
        out[role + "_status"] = p.layer(role)["status"].value_counts().to_dict()
# synthetic built years as in tests/acceptance/test_districts_harbin.py
comm = p.layer("communities").copy()
xy = shapely.get_coordinates(shapely.centroid(comm.geometry.values))
cx, cy = pyproj.Transformer.from_crs(4326, comm.crs, always_xy=True).transform(126.6213, 45.7682)
km = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) / 1000
spread = np.random.default_rng(2024).normal(0, 6, len(comm))
comm["built_year"] = pd.array(np.clip(np.round(1972 + 4 * km + spread), 1950, 2023).astype(int), dtype="Int64")
p.set_layer("communities", comm)
t = time.perf_counter()
r = life_circle_results(p, workflow.params(p, "lifecircle"))
out["lifecircle_s"] = round(time.perf_counter() - t, 1)
g, acc = r["gaps"], r["community_access"]
out["gaps"] = len(g)
out["type_levels"] = int(acc[["facility_type", "level"]].drop_duplicates().shape[0])
out["gaps_no_facility_share"] = round(float((g["reason"] == "no_facility").mean()), 3)
everyone = acc["community_id"].unique()
out["median_gap_type_levels_per_community"] = float(g.groupby("community_id").size().reindex(everyone, fill_value=0)
                                                    .median())
if "gap_kind" in g:
    out["gap_kind"] = g["gap_kind"].value_counts().to_dict()
    sg = g[g["gap_kind"] == "服务缺口"]
    out["median_service_gaps_per_community"] = float(sg.groupby("community_id").size().reindex(everyone, fill_value=0)
                                                      .median())
    out["types_data_missing"] = int(r["data_coverage"].query("gap_kind == '数据缺失'")["facility_type"].nunique())
fa = r["facility_access"]
types = fa["facility_types"]
out["facilities_counted_primary_and_middle"] = int((types.str.contains("primary_school")
                                                    & types.str.contains("middle_school")).sum())
out["facilities_as_health_center"] = int(fa["facility_types"].str.contains("health_center").sum())
out["facilities_as_wet_market"] = int(fa["facility_types"].str.contains("wet_market").sum())
cs = r["candidate_sites"]
chosen = cs[cs["rank"].notna()]
out["candidate_sites_chosen"] = len(chosen)
# in use per OSM tags: the site's source feature is a facility polygon with amenity/shop/... (public_buildings before)
pb = p.layers.get("public_buildings")
if pb is not None and len(chosen):
    src = pyogrio.read_dataframe(HARBIN, layer="facility_areas", read_geometry=False)
    in_use = src[src[["amenity", "shop", "healthcare", "office", "leisure"]].notna().any(axis=1)]
    ids = set(in_use["osm_ref"].astype(str))
    public = chosen.loc[chosen["site_layer"] == "public_buildings", "site_id"]
    out["chosen_sites_in_use"] = int(public.str.lstrip("wr").isin(ids).sum())
    top = chosen[chosen["rank"] == 1]
    out["first_ranked_examples"] = top.loc[top["site_layer"] == "public_buildings", ["facility_type", "name"]].head(6) \
        .values.tolist()
else:
    out["chosen_sites_in_use"] = 0
out["chosen_sites_by_layer"] = chosen["site_layer"].value_counts().to_dict()
if "note" in cs:
    out["sites_to_verify"] = int((cs["note"] == "需核实现状").sum())
t = time.perf_counter()
inp = district_inputs(p, workflow.params(p, "districts"))
plan = plan_districts(inp, seed=1)
out["districts_s"] = round(time.perf_counter() - t, 1)
size = plan.members.groupby("district_id").size()
elig = int(inp.eligibility["eligible"].sum())
out["eligible"] = elig
out["districts"] = len(plan.districts)
out["single_community_districts"] = int((size == 1).sum())
out["eligible_in_single_share"] = round(float((size == 1).sum() / elig), 3)
d = plan.districts
out["below_floor"] = int((d["population"] < inp.rules.min_population).sum())
res = plan.resources
out["resource_rows"] = len(res)
out["resources_unique"] = int(res[["layer", "resource_id"]].drop_duplicates().shape[0])
out["resources_in_2plus_districts_rows"] = int((res["n_districts"] > 1).sum())
adj = inp.adjacency
out["adjacent_pairs"] = int(adj["adjacent"].sum())
out["blocked_pairs"] = int((~adj["adjacent"]).sum())
if "shortfall_reason" in d:
    rs = d.loc[d["population"] < inp.rules.min_population, "shortfall_reason"]
    out["reasons"] = {kind: int(rs.str.startswith(prefix).sum()) for kind, prefix in (
        ("cut off", "与相邻"), ("none near", "周边"), ("small neighbourhood", "与其相连"), ("neighbours full", "相邻片区"))}
print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
