"""Web pages. Each module is a blueprint; `register` wires them into the app."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.web import datasets, health, publishers, themes

    app.register_blueprint(health.bp)
    app.register_blueprint(datasets.bp)
    app.register_blueprint(publishers.bp)
    app.register_blueprint(themes.bp)

    from app.web import dashboard, harvest

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(harvest.bp)

    from app.web import account, audit

    app.register_blueprint(account.bp)
    app.register_blueprint(audit.bp)

    from app.web import publish, uploads

    app.register_blueprint(publish.bp)
    app.register_blueprint(uploads.bp)
