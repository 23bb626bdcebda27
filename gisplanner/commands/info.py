"""``gisplanner info``: what a project file holds (roles, counts, CRS, city, fields, ids, results)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gisplanner.labels import code_label
from gisplanner.project import Project
from gisplanner.standards import load_standards

FIRST_IDS = 5


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="列出项目文件的内容",
                                   description="列出项目文件的内容：各图层角色、要素数、坐标系、城市、字段、编号和分析结果。")
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.set_defaults(run=run)


def describe(project: Project) -> dict[str, Any]:
    """JSON-ready description of ``project``."""
    layers = {}
    for role in sorted(project.layers):
        frame = project.layers[role]
        layers[role] = {
            "features": len(frame),
            "fields": [str(c) for c in frame.columns if c != frame.geometry.name],
            "first_ids": [str(i) for i in frame["feature_id"].head(FIRST_IDS)] if "feature_id" in frame else [],
            "source": project.layer_sources.get(role, {}),
        }
    return {
        "path": str(project.path) if project.path else None,
        "city": project.city,
        "crs": project.crs.to_string() if project.crs is not None else None,
        "crs_name": project.crs.name if project.crs is not None else None,
        "layers": layers,
        "results": {name: len(frame) for name, frame in sorted(project.results.items())},
    }


def run(args: argparse.Namespace) -> int:
    info = describe(Project.load(args.project))
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
        return 0
    city = load_standards().sunlight.cities.get(info["city"])
    print(f"{info['path']}\n  城市 {city.zh if city else info['city'] or '未设置'}，坐标系 {info['crs']}（{info['crs_name']}）")
    for role, layer in info["layers"].items():
        source = layer["source"]
        origin = ""
        if source:
            where = ":".join(str(part) for part in (Path(source.get("file", "?")).name, source.get("layer")) if part)
            origin = f"，来自 {where}" + (f"（{source['source_crs']}）" if source.get("source_crs") else "")
        print(f"  {code_label(role, 'layer')}（{role}）：{layer['features']} 个要素{origin}")
        print(f"    字段：{', '.join(layer['fields'])}")
        print(f"    前几个编号：{', '.join(layer['first_ids'])}")
    print("  分析结果：" + ("，".join(f"{code_label(n, 'layer')} {k} 行" for n, k in info["results"].items())
                          or "无"))
    return 0
