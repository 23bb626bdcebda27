"""Exports of the district plan for joint review: GeoPackage, map sheets, web map, tables, summary."""
