"""Subcommands of the ``gisplanner`` CLI: each module has ``add_parser`` and ``run``."""
