"""The one-gate matrix: a file with valid resident ID numbers put in through every entry point, read back
through every way out, anonymously and as another publisher's editor, on SQLite and PostgreSQL.

Entry points: the publish page's upload, /api/v1 upload, /api/v1 link, /api/v1 create-and-publish with a
link, CKAN package_create with a link, CKAN resource_create with an upload, CKAN resource_update replacing
the file of a published dataset, and a harvest of each source type (CKAN, DCAT, data.json, Data Package).
Ways out: the upload URL, data.csv/json/xml/ttl, the CSVW metadata, the dataset page (zh and en), its
metadata formats, /api/v1, CKAN package_show/resource_show, the catalog feeds, and every downloadURL the
dataset's DCAT names on this site. Under `withhold` no ID number, phone or e-mail reaches them; under
`redact` only masked values do; the publisher's own editor gets the real file (so the search for leaks
is shown to find them).
"""

from __future__ import annotations

import io
import json
import uuid

import pytest
import rdflib
from sqlalchemy import select

from app.jobs import assess, harvest
from app.services import accounts
from catalog_schema import ckan, datajson, datapackage, dcat
from catalog_schema.models import AuditEvent, Dataset, Publisher, User
from catalog_schema.record import new_distribution, new_record
from tests.support.accounts import make_user, sign_in
from tests.support.ckan_server import FakeCkan
from tests.support.personal import CLEAN_CSV, IDS, PII_CSV, leaked
from tests.support.publishing import form_post

SITE = "http://localhost"  # the test client's host: links the catalog writes point back at it
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
HARVEST_TYPES = ("ckan", "dcat", "datajson", "datapackage")


def _token(app, email: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        user = s.scalar(select(User).where(User.email == email))
        token = accounts.create_token(s, user, name="matrix")
        s.commit()
    return token


def _source_record(kind: str, url: str) -> dict:
    return new_record(identifier=f"hotline-{kind}", title={"en": f"Hotline complaints via {kind}"},
                      description={"en": "Complaints received by the citizen hotline."},
                      publisher={"slug": "agency-h", "name": {"en": "Agency H"}}, license="CC-BY-4.0",
                      keywords=["hotline"], modified="2026-11-01",
                      distributions=[new_distribution(download_url=url, access_url=url, format="CSV",
                                                      media_type="text/csv", title={"en": "complaints"})])


def _serve_sources(local_server) -> dict[str, str]:
    """One source of each type whose only dataset's file is the table with ID numbers."""
    base = local_server.url("")
    urls = {}
    for kind in HARVEST_TYPES:
        local_server.add_bytes(f"/{kind}/hotline.csv", PII_CSV, "text/csv")
        rec = _source_record(kind, local_server.url(f"/{kind}/hotline.csv"))
        if kind == "ckan":
            pkg = ckan.to_ckan(rec)
            pkg.update(id=str(uuid.uuid4()), name="hotline-ckan", metadata_modified="2026-11-01T00:00:00")
            FakeCkan(local_server, [pkg])
            urls[kind] = base
        elif kind == "dcat":
            info = {"uri": f"{base}/catalog", "title": {"en": "Agency H"}, "description": {"en": "Agency H data"},
                    "publisher": {"slug": "agency-h", "name": {"en": "Agency H"}}}
            body, _ = dcat.serialize(dcat.catalog_to_rdf([rec], site_url=base, catalog_info=info), "ttl")
            local_server.add_bytes("/dcat/catalog.ttl", body, "text/turtle")
            urls[kind] = local_server.url("/dcat/catalog.ttl")
        elif kind == "datajson":
            body = json.dumps(datajson.catalog_to_datajson([rec], site_url=base)).encode()
            local_server.add_bytes("/datajson/data.json", body, "application/json")
            urls[kind] = local_server.url("/datajson/data.json")
        else:
            body = json.dumps(datapackage.to_datapackage(rec)).encode()
            local_server.add_bytes("/datapackage/datapackage.json", body, "application/json")
            urls[kind] = local_server.url("/datapackage/datapackage.json")
    return urls


@pytest.fixture
def matrix(app, client, local_server, runtime, add_source):
    """Every entry point used once; returns what each produced (or refused)."""
    app.config["OPENDATA"]["SITE_URL"] = SITE
    runtime.settings["SITE_URL"] = SITE
    local_server.add_bytes("/pii.csv", PII_CSV, "text/csv")
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    make_user(app, "editor@b.example", editor_of="agency-b")
    a, b = _token(app, "editor@a.example"), _token(app, "editor@b.example")
    auth_a = {"Authorization": a}
    out: dict[str, object] = {"tokens": {"a": a, "b": b}}

    def published(name: str) -> None:
        made = client.post("/api/v1/datasets", headers=auth_a, json={
            "publisher": "agency-a", "name": name, "title": f"Published {name}", "license": "CC-BY-4.0",
            "distributions": [{"url": local_server.url("/clean.csv"), "format": "CSV"}], "publish": True})
        assert made.status_code == 201 and made.get_json()["state"] == "active", made.get_json()

    for name in ("web-upload", "rest-upload", "rest-link", "ckan-upload", "ckan-replace"):
        published(name)
    # the publish page: an editor signed in uploads a file to a published dataset
    web = app.test_client()
    assert sign_in(web, "editor@a.example").status_code == 302
    sent = form_post(web, "/publish/web-upload", "/publish/web-upload/distributions",
                     {"file": (io.BytesIO(PII_CSV), "hotline.csv"), "title": "hotline"},
                     content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
    # /api/v1: an upload and a link to published datasets
    up = client.post("/api/v1/datasets/rest-upload/distributions", headers=auth_a,
                     data={"file": (io.BytesIO(PII_CSV), "hotline.csv")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    link = client.post("/api/v1/datasets/rest-link/distributions", headers=auth_a,
                       json={"url": local_server.url("/pii.csv"), "format": "CSV"})
    assert link.status_code == 201, link.get_json()
    # /api/v1 create-and-publish with the link: refused whole
    refused = client.post("/api/v1/datasets", headers=auth_a, json={
        "publisher": "agency-a", "name": "rest-new", "title": "New with personal data", "license": "CC-BY-4.0",
        "distributions": [{"url": local_server.url("/pii.csv"), "format": "CSV"}], "publish": True})
    out["rest-new"] = refused
    # CKAN package_create with the link: refused whole
    out["ckan-new"] = client.post("/api/3/action/package_create", headers=auth_a, json={
        "name": "ckan-new", "title": "CKAN with personal data", "owner_org": "agency-a", "license_id": "cc-by",
        "resources": [{"url": local_server.url("/pii.csv"), "format": "CSV", "name": "hotline"}]})
    # CKAN resource_create with an upload, resource_update replacing the clean file
    made = client.post("/api/3/action/resource_create", headers=auth_a, content_type="multipart/form-data",
                       data={"package_id": "ckan-upload", "name": "hotline",
                             "upload": (io.BytesIO(PII_CSV), "hotline.csv")})
    assert made.status_code == 200, made.get_json()
    shown = client.get("/api/3/action/package_show?id=ckan-replace", headers=auth_a).get_json()["result"]
    replaced = client.post("/api/3/action/resource_update", headers=auth_a, content_type="multipart/form-data",
                           data={"id": shown["resources"][0]["id"], "name": "now the hotline table",
                                 "upload": (io.BytesIO(PII_CSV), "hotline.csv")})
    assert replaced.status_code == 200, replaced.get_json()
    # a harvest of each source type, assessed as the platform does after harvesting
    for kind, url in _serve_sources(local_server).items():
        add_source(f"h-{kind}", kind, url, publisher="agency-h")
        summary = harvest(runtime, f"h-{kind}", full=True).to_dict()
        assert summary["added"] == 1 and summary["errored"] == 0, (kind, summary)
    with runtime.sessionmaker() as s:
        harvested = list(s.scalars(select(Dataset.id).where(Dataset.source_id.is_not(None))))
    assert len(harvested) == len(HARVEST_TYPES)
    assess(runtime, harvested)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        out["slugs"] = sorted(s.scalars(select(Dataset.slug).where(Dataset.state == "active")))
    return out


def _dataset(app, slug: str) -> Dataset:
    session = app.extensions["opendata"]["sessionmaker"]()
    ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
    _ = [d.extras for d in ds.distributions], ds.publisher
    session.close()
    return ds


def _ways_out(app, client, slug: str) -> list[str]:
    """Every URL of this site that hands out the dataset, its metadata or its files' bytes."""
    ds = _dataset(app, slug)
    urls = [f"/dataset/{slug}?lang=zh", f"/dataset/{slug}?lang=en", f"/dataset/{slug}.json", f"/dataset/{slug}.ttl",
            f"/dataset/{slug}.csv", f"/api/v1/datasets/{slug}", f"/api/v1/datasets/{slug}/quality",
            f"/api/3/action/package_show?id={slug}"]
    for dist in ds.distributions:
        base = f"/dataset/{slug}/resource/{dist.id}"
        urls += [f"{base}/data.csv", f"{base}/data.json?limit=all", f"{base}/data.xml", f"{base}/data.ttl",
                 f"{base}/data.csv-metadata.json", f"/api/3/action/resource_show?id={dist.id}"]
        if (dist.extras or {}).get("upload"):
            urls.append(dist.download_url.replace(SITE, ""))
    graph = rdflib.Graph().parse(data=client.get(f"/dataset/{slug}.ttl").get_data(as_text=True), format="turtle")
    for url in graph.objects(None, DCAT.downloadURL):
        if str(url).startswith(SITE):
            urls.append(str(url).replace(SITE, ""))
    return urls


def _read_everything(app, client, slugs, headers) -> dict[str, list[str]]:
    leaks = {}
    for slug in slugs:
        for url in _ways_out(app, client, slug):
            resp = client.get(url, headers=headers)
            found = leaked(resp.get_data(as_text=True))
            if found:
                leaks[url] = found[:3]
    for url in ("/catalog.ttl", "/data.json", "/catalog.csv", "/", "/dataset?q=hotline"):
        found = leaked(client.get(url, headers=headers).get_data(as_text=True))
        if found:
            leaks[url] = found[:3]
    return leaks


def test_no_entry_point_lets_an_id_number_out(app, client, matrix):
    """One matrix per database (building it is the cost: every entry point, four harvests, assessments),
    read three ways: withhold (the default), the audit of what was withheld, then redact."""
    assert matrix["rest-new"].status_code == 409 and matrix["rest-new"].get_json()["error"]["code"] == "pii-blocked"
    ckan_new = matrix["ckan-new"].get_json()
    assert matrix["ckan-new"].status_code == 409 and ckan_new["error"]["__type"] == "Validation Error"
    assert "resources" in ckan_new["error"] and "resident identity numbers" in ckan_new["error"]["message"]
    assert "nothing was created" in ckan_new["error"]["message"]
    slugs = matrix["slugs"]
    assert "rest-new" not in slugs and "ckan-new" not in slugs  # refused whole: nothing created
    entered = [s for s in slugs if s.startswith(("web-", "rest-", "ckan-")) or "hotline" in s]
    assert len(entered) == 5 + len(HARVEST_TYPES), slugs
    other = {"Authorization": matrix["tokens"]["b"]}
    for who, headers in (("anonymous", {}), ("another publisher's editor", other)):
        assert _read_everything(app, client, entered, headers) == {}, who
    signed_in_b = app.test_client()
    assert sign_in(signed_in_b, "editor@b.example").status_code == 302
    assert _read_everything(app, signed_in_b, entered, {}) == {}
    # the files are there and the search for leaks finds them: the publisher's own editor gets them
    own = {"Authorization": matrix["tokens"]["a"]}
    for slug in ("web-upload", "rest-upload", "rest-link", "ckan-upload", "ckan-replace"):
        ds = _dataset(app, slug)
        got = [leaked(client.get(f"/dataset/{slug}/resource/{d.id}/data.csv", headers=own).get_data(as_text=True))
               for d in ds.distributions]
        assert any(set(IDS) <= set(found) for found in got), slug
    _audited(app)
    _redacted(app, client, matrix)


def _redacted(app, client, matrix):
    app.config["OPENDATA"]["PII_POLICY"] = "redact"
    entered = [s for s in matrix["slugs"] if s.startswith(("web-", "rest-", "ckan-")) or "hotline" in s]
    for headers in ({}, {"Authorization": matrix["tokens"]["b"]}):
        assert _read_everything(app, client, entered, headers) == {}
    masked = 0
    for slug in entered:
        for dist in _dataset(app, slug).distributions:
            body = client.get(f"/dataset/{slug}/resource/{dist.id}/data.csv").get_data(as_text=True)
            if "[redacted]" in body:
                masked += 1
                assert body.count("[redacted]") >= 2 * len(IDS)  # the ID and phone columns, every cell
    assert masked == len(entered)  # every file that came in with ID numbers is served masked


def _audited(app):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.object_type == "dataset")).all()
        withheld = [e for e in events if e.detail.get("withheld")]
        assert {e.detail["name"] for e in withheld} >= {"web-upload", "rest-upload", "rest-link", "ckan-upload",
                                                        "ckan-replace"}
        assert all(w["findings"] and "pii-id-number" in w["findings"] for e in withheld
                   for w in e.detail["withheld"])
        assert s.scalar(select(Publisher).where(Publisher.slug == "agency-h")) is not None
