"""APIs: the CKAN-compatible Action API, the native REST API and its OpenAPI description."""

from __future__ import annotations

import importlib

from flask import Flask

MODULES = ("app.api.ckan_action", "app.api.datastore", "app.api.rest")


def register(app: Flask) -> None:
    for name in MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
