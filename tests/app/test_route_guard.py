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

import io
import json
from itertools import product

from flask import Blueprint
from werkzeug.routing import AnyConverter

from app.request_context import db_session
from app.routing import POSTED_READS, READS, ROUTE_KINDS, SERVES, WRITES
from app.services import accounts, datasets, distributions
from app.services.base import in_service, service
from app.services.context import Actor, Runtime
from catalog_schema.models import Dataset, User
from catalog_schema.record import new_record
from catalog_schema.store import save_record
from tests.support.accounts import make_user
from tests.support.personal import CLEAN_CSV

CLEAN_GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"district": "东湖区", "stops": 12},
     "geometry": {"type": "Point", "coordinates": [119.2, 34.6]}}]}, ensure_ascii=False).encode("utf-8")


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
            assert methods == ({"GET", "POST"} if rule.endpoint in POSTED_READS else {"GET"}), rule
        if methods & {"POST", "PUT", "PATCH", "DELETE"} and rule.endpoint not in POSTED_READS:
            assert kind == WRITES, f"{rule} changes state but is declared {kind}"
    assert POSTED_READS <= {e for e, k in ROUTE_KINDS.items() if k == SERVES}


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


def _urls_of(rule, values: dict[str, str]) -> list[str]:
    """Every URL of `rule` for the given argument values (each choice of an any(...) converter)."""
    choices = []
    for arg in sorted(rule.arguments):
        conv = rule._converters[arg]
        choices.append([(arg, v) for v in sorted(conv.items)] if isinstance(conv, AnyConverter)
                       else [(arg, values[arg])])
    adapter = rule.map.bind("localhost")
    return [adapter.build(rule.endpoint, dict(combo)) for combo in product(*choices)]


def test_every_serving_route_answers_through_the_gate(app, client):
    """A clean CSV uploaded to a published dataset: every serving route, for each of its formats, answers
    through the serving gate (it marks its answers with X-Data-Gate), for the public and for the publisher's
    editor, and so does a request for a file that is not there."""
    make_user(app, "editor@a.example", editor_of="agency-a")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    with factory() as s:
        user = s.query(User).filter_by(email="editor@a.example").one()
        actor = Actor(s, user, "test", runtime=runtime, lang="en")
        ds = datasets.create(actor, "agency-a", {"title": "Districts", "license": "CC-BY-4.0"}, slug="districts")
        dist = distributions.add_upload(actor, ds, io.BytesIO(CLEAN_CSV), "districts.csv")
        geo = distributions.add_upload(actor, ds, io.BytesIO(CLEAN_GEOJSON), "districts.geojson")
        datasets.publish(actor, ds)
        values = {"slug": ds.slug, "dist_id": dist.id, "name": "districts.csv", "sha256": dist.archive_hash}
        geo_id = geo.id
    runtime.close()
    serving = [rule for rule in app.url_map.iter_rules() if ROUTE_KINDS[rule.endpoint] == SERVES]
    assert {rule.endpoint for rule in serving} == {"data.data", "data.csv_metadata", "data.geojson",
                                                   "uploads.uploaded_file",
                                                   "versions.version", "api_datastore.search", "api_datastore.info",
                                                   "api_datastore.search_sql", "api_datastore.dump", "api_rest.rows",
                                                   "api_rest.rows_openapi"}
    app.config["OPENDATA"]["DATASTORE_SQL_ENABLED"] = True
    with factory() as s:
        token = accounts.create_token(s, s.query(User).filter_by(email="editor@a.example").one())
        s.commit()
    checked = 0
    for rule in serving:
        # a GeoJSON distribution's own route: asked of the GeoJSON file (the CSV is refused with a 404 of its own)
        dist_id = geo_id if rule.endpoint == "data.geojson" else dist.id
        for url in _urls_of(rule, {**values, "dist_id": dist_id}):
            if rule.endpoint == "api_datastore.search_sql":  # the resource is a table of the query
                url += f'?sql=SELECT count(*) FROM "{dist.id}"'
            elif "{" not in rule.rule:  # the CKAN datastore actions name the resource in a parameter
                url += f"?resource_id={dist.id}"
            for headers in ({}, {"Authorization": token}):
                resp = client.get(url, headers=headers)
                assert resp.status_code == 200 and resp.headers.get("X-Data-Gate") == "serve", (url, resp.status)
                checked += 1
            missing = client.get(url.replace(dist_id, "0" * 36))
            assert missing.status_code == 404 and missing.headers.get("X-Data-Gate") == "withhold", url
    assert checked == 2 * (4 + 1 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 2)
