"""gisplanner: GIS planning of old residential community renovation (城镇老旧小区改造)."""

__version__ = "0.1.0"
