"""Web pages. Each module is a blueprint; `register` wires them into the app."""

from __future__ import annotations

import importlib

from flask import Flask

MODULES = ("app.web.health", "app.web.datasets", "app.web.publishers", "app.web.themes", "app.web.dashboard",
           "app.web.weekly", "app.web.harvest", "app.web.account", "app.web.credentials",
           "app.web.members", "app.web.licences",
           "app.web.audit", "app.web.publish", "app.web.uploads", "app.web.versions", "app.web.follows",
           "app.web.site", "app.web.unavailable")


def register(app: Flask) -> None:
    for name in MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
