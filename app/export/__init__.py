"""Publishing the catalog and the data in CSV, XML, JSON and RDF."""

from __future__ import annotations

import importlib

from flask import Flask

MODULES = ("app.export.routes", "app.export.data", "app.export.croissant", "app.export.sitemap",
           "app.export.feeds")


def register(app: Flask) -> None:
    for name in MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
