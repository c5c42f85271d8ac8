"""The guard against the next side door: every route is declared as reading metadata, serving bytes
(through the serving function) or writing (through the services), and the declarations are kept.

- every endpoint of the URL map is in app.routing.ROUTE_KINDS, and every declared endpoint exists;
- a write guard (app.services.base.guard_writes, installed for the whole suite in tests/conftest.py)
  fails any request that changes a catalog row outside a service: shown here to trip on a route that
  writes behind the services' back, and to stay quiet when the same change goes through a service;
- every serving route answers through the serving gate (it sets `X-Data-Gate`), for an upload, an
  archived table and its conversions.
"""

from __future__ import annotations

from flask import Blueprint

from app import db_session
from app.routing import READS, ROUTE_KINDS, SERVES, WRITES
from app.services.base import in_service, service
from catalog_schema.models import Dataset
from catalog_schema.record import new_record
from catalog_schema.store import save_record


def _endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_route_is_declared(app):
    endpoints = _endpoints(app)
    undeclared = sorted(endpoints - set(ROUTE_KINDS))
    assert not undeclared, f"declare these routes in app/routing.py (reads, serves or writes): {undeclared}"
    stale = sorted(set(ROUTE_KINDS) - endpoints)
    assert not stale, f"app/routing.py declares routes that do not exist: {stale}"
    assert set(ROUTE_KINDS.values()) <= {READS, SERVES, WRITES}


def test_writes_are_posts_and_serving_routes_are_gets(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        kind = ROUTE_KINDS[rule.endpoint]
        if kind == SERVES:
            assert methods == {"GET"}, rule
        if methods & {"POST", "PUT", "PATCH", "DELETE"}:
            assert kind == WRITES, f"{rule} changes state but is declared {kind}"


def _rename_outside(slug: str) -> str:
    ds = db_session().query(Dataset).filter_by(slug=slug).one()
    ds.title = {"en": "changed behind the services' back"}
    db_session().commit()
    return "changed"


@service
def _rename_inside(slug: str) -> str:
    assert in_service()
    return _rename_outside(slug)


def test_the_write_guard_trips_outside_the_services_only(app_config, caplog):
    from app import create_app

    app = create_app(app_config)
    side = Blueprint("side_door", __name__)
    # GET, so that the forms' CSRF protection does not answer first: the guard is what refuses here
    side.add_url_rule("/side-door/<slug>", "outside", _rename_outside)
    side.add_url_rule("/through-the-gate/<slug>", "inside", lambda slug: _rename_inside(slug))
    app.register_blueprint(side)
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        save_record(s, new_record(slug="guarded", title={"en": "Guarded"}, publisher={"slug": "p"}))
        s.commit()  # outside a request: the harvest and the tests' own set-up are not doors
    client = app.test_client()
    refused = client.get("/side-door/guarded")
    assert refused.status_code == 500
    assert "GET /side-door/guarded (side_door.outside) changed Dataset guarded outside app/services" in caplog.text
    with factory() as s:
        assert s.query(Dataset).filter_by(slug="guarded").one().title == {"en": "Guarded"}
    passed = client.get("/through-the-gate/guarded")
    assert passed.status_code == 200 and passed.get_data(as_text=True) == "changed"
    with factory() as s:
        assert s.query(Dataset).filter_by(slug="guarded").one().title == {"en": "changed behind the services' back"}
    app.extensions["opendata"]["engine"].dispose()
