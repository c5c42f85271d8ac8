"""What people said of a harvested publisher is kept from the next harvest (store.ensure_publisher's rule).

A publisher's admin edited its title and description (CKAN organization_patch, through app.services.publishers), and
the next harvest of the CKAN source naming it put the source's title back. And two sources naming one publisher
differently gave it the name of whichever was harvested last, turn by turn. Real harvests from a CKAN Action API on
127.0.0.1 (the recorded Birmingham packages, tests/support/ckan_server.py), real edits through the CKAN door, the
audit log as its page's JSON shows it; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import os

from sqlalchemy import select

from app.jobs import harvest
from catalog_schema.models import AuditEvent, Dataset, Publisher
from tests.support.accounts import make_user, sign_in, token_headers
from tests.support.ckan_server import FakeCkan, real_packages
from tests.support.cli import opendata
from tests.support.httpserver import LocalServer

SLUG = "birmingham-city-council"


def _publisher(app, slug: str = SLUG) -> Publisher:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        pub = s.scalar(select(Publisher).where(Publisher.slug == slug))
        s.expunge(pub)
        return pub


def _events(app, action: str) -> list[AuditEvent]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        found = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        for ev in found:
            s.expunge(ev)
        return found


def _changed(packages: list[dict], step: int, org: dict | None = None) -> None:
    """The source's next state: each package modified (so the harvest reads it again), its organization as `org`."""
    for pkg in packages:
        pkg["title"] = f"{pkg['title'].split(' (v')[0]} (v{step})"
        pkg["metadata_modified"] = f"2021-0{step}-01T00:00:00.000000"
        if org is not None:
            pkg["organization"] = copy.deepcopy(org)


def test_an_edited_publisher_keeps_its_title_through_harvests_and_an_unedited_one_follows_its_source(
        app, client, local_server, runtime, add_source, fixtures_dir):
    packages = real_packages(fixtures_dir, 2)
    FakeCkan(local_server, packages)
    add_source("birmingham", "ckan", local_server.url(""))
    assert harvest(runtime, "birmingham", full=True).status == "finished"
    made = _publisher(app)
    assert made.name == {"": "Birmingham City Council"} and made.edited is None
    created = _events(app, "publisher.created")
    assert [(e.object_id, e.detail["via"], e.after["title"]) for e in created] == [
        (SLUG, "harvest", {"": "Birmingham City Council"})]

    # an unedited publisher: the source renames its organization, the next harvest renames it here, audited
    org = {**packages[0]["organization"], "title": "Birmingham City Council (Digital)",
           "description": "Open data of the council"}
    _changed(packages, 2, org)
    assert harvest(runtime, "birmingham", full=True).status == "finished"
    followed = _publisher(app)
    assert followed.name == {"": "Birmingham City Council (Digital)"}
    assert followed.description == {"": "Open data of the council"}
    harvested = _events(app, "publisher.harvested")
    assert len(harvested) == 1 and harvested[0].before["title"] == {"": "Birmingham City Council"}
    assert harvested[0].after["title"] == {"": "Birmingham City Council (Digital)"} and harvested[0].user_id is None

    # the publisher's admin says its name, description and homepage (CKAN organization_patch)
    make_user(app, "admin@bham.example", admin_of=SLUG)
    edited = client.post("/api/3/action/organization_patch", headers=token_headers(app, "admin@bham.example"),
                         json={"id": SLUG, "title_translated": {"en": "Birmingham", "zh": "伯明翰市议会"},
                               "description": "The council's open data, by its data team",
                               "url": "https://www.birmingham.gov.uk/"})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert _publisher(app).edited == ["description", "homepage", "title"]

    # the source renames its organization again and changes its logo: the people's fields stay, the logo follows
    org = {**org, "title": "BCC", "description": "Data", "url": "https://bcc.example.org/", "image_url": "new.png"}
    _changed(packages, 3, org)
    assert harvest(runtime, "birmingham", full=True).status == "finished"
    kept = _publisher(app)
    assert kept.name == {"en": "Birmingham", "zh": "伯明翰市议会"}
    assert kept.description == {"": "The council's open data, by its data team"}
    assert kept.homepage == "https://www.birmingham.gov.uk/"
    assert kept.extras["ckan"]["image_url"] == "new.png"
    shown = client.get("/api/3/action/organization_show", query_string={"id": SLUG}).get_json()["result"]
    assert (shown["title"], shown["title_translated"]["zh"]) == ("Birmingham", "伯明翰市议会")
    assert shown["description"] == "The council's open data, by its data team"
    package = client.get("/api/3/action/package_show", query_string={"id": packages[0]["name"]}).get_json()["result"]
    assert package["organization"]["title"] == "Birmingham", package["organization"]
    assert package["organization"]["description"] == "The council's open data, by its data team"
    assert package["organization"]["url"] == "https://www.birmingham.gov.uk/"
    last = _events(app, "publisher.harvested")[-1]
    assert last.detail["kept_as_edited"] == ["description", "homepage", "title"] and set(last.after) == {"image_url"}
    # the publisher's admin reads it in the audit log under the publisher
    sign_in(client, "admin@bham.example")
    page = client.get("/audit.json", query_string={"publisher": SLUG, "action": "publisher."})
    assert page.status_code == 200
    assert {"publisher.created", "publisher.harvested", "publisher.updated"} <= {
        e["action"] for e in page.get_json()["events"]}, page.get_json()

    # a sysadmin hands the title back to the harvests on the command line: the next harvest names it as the source
    # does, the homepage and description stay the people's (there was no way back but the database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env["OPENDATA_DATABASE_URL"] = runtime.settings["DATABASE_URL"]
    make_user(app, "root@example.gov", sysadmin=True)
    shown = opendata("--lang", "en", "publisher", "show", SLUG, env=env)
    assert "edited by people (no harvest changes them): description, homepage, title" in shown.stdout, shown.stdout
    assert "kept up to date by the harvest source: birmingham" in shown.stdout
    assert "title: en: Birmingham; zh: 伯明翰市议会\n" in shown.stdout
    assert "homepage: https://www.birmingham.gov.uk/\n" in shown.stdout
    wrong = opendata("--lang", "en", "publisher", "release", SLUG, "name", env=env)
    assert wrong.returncode != 0 and "name: not a field of a publisher" in wrong.stderr, wrong.stderr
    released = opendata("--lang", "zh", "publisher", "release", SLUG, "title", env=env)
    assert released.returncode == 0 and "title" in released.stdout, released.stdout + released.stderr
    assert _publisher(app).edited == ["description", "homepage"]
    again = opendata("--lang", "en", "publisher", "release", SLUG, "title", env=env)
    assert "nothing changed" in again.stdout
    names = {"en": "Birmingham City Council Open Data", "zh": "伯明翰市议会开放数据"}
    _changed(packages, 4, {**org, "title": names["en"], "title_translated": names})
    assert harvest(runtime, "birmingham", full=True).status == "finished"
    back = _publisher(app)  # each language the source says replaces the people's (one it does not say would stay)
    assert back.name == names, back.name
    assert back.homepage == "https://www.birmingham.gov.uk/"
    event = _events(app, "publisher.released")[-1]
    assert (event.before, event.after) == ({"edited": ["description", "homepage", "title"]},
                                           {"edited": ["description", "homepage"]})


def test_two_sources_naming_one_publisher_differently_do_not_take_turns(app, local_server, runtime, add_source,
                                                                        fixtures_dir):
    first = real_packages(fixtures_dir, 2)
    FakeCkan(local_server, first)
    add_source("bham-portal", "ckan", local_server.url(""))
    with LocalServer() as other_server:
        second = real_packages(fixtures_dir, 4)[2:]
        for pkg in second:
            pkg["organization"]["title"] = "Birmingham CC (open data team)"
        FakeCkan(other_server, second)
        add_source("bham-mirror", "ckan", other_server.url(""))
        names = []
        for step in range(2, 6):  # first, second, first, second, first
            for name, pkgs in (("bham-portal", first), ("bham-mirror", second)):
                _changed(pkgs, step)
                assert harvest(runtime, name, full=True).status == "finished"
                names.append(_publisher(app).name)
    assert names == [{"": "Birmingham City Council"}] * len(names)
    pub = _publisher(app)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        from catalog_schema.models import HarvestSource

        keeper = s.scalar(select(HarvestSource.name).where(HarvestSource.id == pub.source_id))
    assert keeper == "bham-portal"

    # the keeping source is deleted (its datasets kept as the publisher's own): the mirror, which names the
    # publisher too, keeps it up to date from its next harvest (it stayed as the deleted source last named it)
    from app.services import sources
    from app.services.context import Actor
    from catalog_schema.models import User

    make_user(app, "root@example.gov", sysadmin=True)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        root = s.scalar(select(User).where(User.email == "root@example.gov"))
        assert sources.delete_source(Actor(s, root, "test", lang="en"), "bham-portal", datasets="keep")["kept"] == 2
    _changed(second, 6)
    with LocalServer() as other_server:
        FakeCkan(other_server, second)
        with app.extensions["opendata"]["sessionmaker"]() as s:
            mirror = s.scalar(select(HarvestSource).where(HarvestSource.name == "bham-mirror"))
            mirror.url = other_server.url("")
            s.commit()
        assert harvest(runtime, "bham-mirror", full=True).status == "finished"
    after = _publisher(app)
    assert after.name == {"": "Birmingham CC (open data team)"}, after.name
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.scalar(select(HarvestSource.name).where(HarvestSource.id == after.source_id)) == "bham-mirror"


AGENT = "https://data.jinghai.example/org/environment"
TURTLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

<{base}/catalog> a dcat:Catalog ; dct:title "{source}"@en ; dct:publisher <{agent}> ;
    dcat:dataset <{base}/dataset/{source}-air> .
<{base}/dataset/{source}-air> a dcat:Dataset ; dct:identifier "{source}-air" ;
    dct:title "Air quality measured for {source}, edition {step}"@en ;
    dct:description "Hourly readings of the city's stations."@en ; dct:publisher <{agent}> .
<{agent}> a foaf:Agent ; foaf:name "{name}"@en .
"""


def test_two_dcat_sources_naming_one_agent_differently_and_its_rename_found_by_search(app, local_server, runtime,
                                                                                     add_source):
    """The same foaf:Agent (one URI) named two ways by two DCAT catalogs: the first keeps its name; when that source
    renames it, the other source's dataset is found by the new name too (its search document names its publisher)."""
    from catalog_schema import search

    def serve(source: str, name: str, step: int) -> None:
        body = TURTLE.format(base=local_server.url(""), source=source, agent=AGENT, name=name, step=step)
        local_server.add_bytes(f"/{source}.ttl", body.encode(), "text/turtle")

    names = {"env-portal": "Jinghai Environment Bureau", "env-mirror": "Environment Bureau of Jinghai"}
    for source in names:
        serve(source, names[source], 1)
        add_source(source, "dcat", local_server.url(f"/{source}.ttl"))
    seen = []
    for step in range(1, 4):
        for source, name in names.items():
            serve(source, name, step)
            assert harvest(runtime, source, full=True).status == "finished"
            with app.extensions["opendata"]["sessionmaker"]() as s:
                seen.append(s.scalar(select(Publisher.name).where(Publisher.uri == AGENT)))
    assert seen == [{"en": "Jinghai Environment Bureau"}] * 6
    serve("env-portal", "Jinghai Ecology and Environment Bureau", 4)
    assert harvest(runtime, "env-portal", full=True).status == "finished"
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.scalar(select(Publisher.name).where(Publisher.uri == AGENT)) == {
            "en": "Jinghai Ecology and Environment Bureau"}
        found = search.search(s, search.SearchQuery(q="Ecology", limit=10))
        remote = set(s.scalars(select(Dataset.remote_id).where(Dataset.id.in_(found.ids))))
    assert {r.rsplit("/", 1)[-1] for r in remote} == {"env-portal-air", "env-mirror-air"}, remote
