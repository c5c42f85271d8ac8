"""`opendata demo` on a fresh instance: the sample government harvested, and every catalog export of it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from sqlalchemy import select

from catalog_schema import datajson as datajson_mod
from catalog_schema import dcat
from catalog_schema.db import make_engine, make_sessionmaker
from catalog_schema.models import Dataset, Publisher
from tests.support.cli import opendata

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((ROOT / "data_samples/expected.json").read_text("utf-8"))
#: Made by the demo after the harvest (app/demo.py make_demo_series), so not in expected.json.
SERIES = "bus-ridership-by-line"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_instance(tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_INSTANCE_DIR": str(instance), "OPENDATA_DEMO_FILES_PORT": str(_free_port())})
    port = _free_port()
    result = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve", "--port", str(port)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # `demo --port` moves the links with it (page links, RDF URIs, CKAN site_url), unless SITE_URL is set
    assert f"site URL (page links, RDF URIs, CKAN site_url): http://127.0.0.1:{port}\n" in result.stdout
    # nothing answers there after --no-serve: the last line says how to serve it, not where to sign in
    assert "sign in at" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith(f"catalog built, not served: `opendata serve --port {port}`")
    return instance, env, result.stdout


def _export(env, fmt: str) -> str:
    result = opendata("export", "catalog", "--format", fmt, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_harvests_every_sample_into_its_department(demo_instance):
    instance, _env, out = demo_instance
    assert out.count("finished") == 5 and "errored" in out  # one line per sample source
    engine = make_engine(f"sqlite:///{instance / 'catalog.db'}")
    with make_sessionmaker(engine)() as session:
        slugs = set(session.scalars(select(Dataset.slug).where(Dataset.state == "active")))
        stars = dict(session.execute(select(Dataset.slug, Dataset.stars)).all())
        owners = {ds.publisher.slug for ds in session.scalars(select(Dataset))}
        publishers = set(session.scalars(select(Publisher.slug)))
        # the yearbook folder: its GBK sheet 元数据.csv describes each file, the source's defaults fill in the rest
        gdp = session.scalar(select(Dataset).where(Dataset.slug == "gdp-by-industry-2016-2025"))
        folder = (gdp.title, gdp.license_id, gdp.themes, gdp.frequency, gdp.temporal, gdp.language,
                  gdp.contact_point["email"], gdp.publisher.slug, "统计年鉴" in gdp.keywords)
    engine.dispose()
    assert folder == ({"": "京海市地区生产总值（按产业分，2016—2025年）"}, "CC-BY-4.0", ["ECON"], "ANNUAL",
                      {"start": "2016", "end": "2025"}, ["zh"], "data@stats.jinghai.example", "jh-stats", True)
    assert slugs == set(EXPECTED) | {SERIES}
    assert stars == {slug: want["stars"] for slug, want in EXPECTED.items()} | {SERIES: None}  # assessed over HTTP
    assert owners == {"jh-stats", "jh-transport", "jh-environment", "jh-gov-office"}
    assert publishers == owners | {"jh-health"}  # no publisher invented by a mapper


@pytest.mark.parametrize("fmt", ["ttl", "rdf", "jsonld", "nt"])
def test_rdf_exports_parse_back_to_the_catalog(demo_instance, fmt):
    _, env, _ = demo_instance
    text = _export(env, fmt)
    syntax = dcat.SYNTAXES[fmt][0]
    parsed = dcat.parse_catalog(text.encode(), format=syntax)
    assert sorted(r["title"].get("en") or r["title"].get("zh") or r["title"].get("") for r in parsed.records) == \
        sorted(t for t in _titles(env))
    assert len(rdflib.Graph().parse(data=text, format=syntax)) > 100


def _titles(env) -> list[str]:
    rows = csv.DictReader(io.StringIO(_export(env, "csv")))
    return [r["title_en"] or r["title_zh"] or r["title"] for r in rows]


def test_tabular_and_datajson_exports(demo_instance):
    _, env, _ = demo_instance
    rows = list(csv.DictReader(io.StringIO(_export(env, "csv"))))
    assert {r["slug"] for r in rows} == set(EXPECTED) | {SERIES}
    root = ET.fromstring(_export(env, "xml").encode())
    assert len(root.findall("dataset")) == len(EXPECTED) + 1
    assert len(json.loads(_export(env, "json"))["datasets"]) == len(EXPECTED) + 1
    document = json.loads(_export(env, "datajson"))
    assert len(document["dataset"]) == len(EXPECTED) + 1
    assert datajson_mod.validation_errors(document, kind="catalog") == []
    series_id = next(d["identifier"] for d in document["dataset"] if d["landingPage"].endswith("/" + SERIES))
    assert sorted(d["landingPage"].rsplit("/", 1)[1] for d in document["dataset"] if d.get("isPartOf") == series_id) \
        == ["bus-ridership-2024-10", "bus-ridership-2024-11", "bus-ridership-2024-12"]


def test_demo_has_bus_ridership_by_month_as_a_series(demo_instance):
    """Issue 18 item 2: the demo catalog has a series, made as the transport bureau's officer would (the
    fragmented-series finding's one click); its page lists the months, the latest first."""
    from app import create_app

    instance, _env, out = demo_instance
    assert f"/dataset/{SERIES} (bus ridership by month)" in out
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    page = app.test_client().get(f"/dataset/{SERIES}?lang=zh").get_data(as_text=True)
    section = page[page.index('id="series"'):]
    order = [section.index(f"公交线路客运量（2024年{m}月）") for m in (12, 11, 10)]
    assert order == sorted(order) and "数据集系列" in section
    app.extensions["opendata"]["engine"].dispose()


def test_demo_prints_an_agency_account_that_signs_in_and_publishes(demo_instance):
    """Issue 7, done when: the demo creates an example agency account and prints its credentials."""
    import re

    from app import create_app
    from tests.support.publishing import csrf_from

    instance, _env, out = demo_instance
    found = re.search(r"agency@example\.gov / (\S+)", out)
    assert found  # (the sign-in and publish addresses are printed when the demo serves: not with --no-serve)
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    signed = client.post("/login", data={"email": "agency@example.gov", "password": found.group(1),
                                         "next": "/publish", "csrf_token": csrf_from(page)})
    assert signed.status_code in (302, 303) and signed.headers["Location"].endswith("/publish")
    publish = client.get("/publish?lang=en").get_data(as_text=True)
    assert 'id="new-dataset"' in publish and "Jinghai Municipal Bureau of Statistics" in publish
    app.extensions["opendata"]["engine"].dispose()


def test_demo_makes_this_weeks_evaluation_and_mails_it_to_the_outbox(demo_instance):
    """Issue 17 item 3: the demo has a weekly report to show, and its mail to the agency's admin is in the outbox
    (no SMTP server configured)."""
    import email
    import email.policy

    from app import create_app
    from app.weekly import week_of

    instance, _env, out = demo_instance
    week = week_of(dt.datetime.now(dt.UTC).date())
    assert f"weekly evaluation {week}: " in out and "1 e-mailed" in out
    [mail] = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
              for p in (instance / "outbox").glob("*.eml")]
    assert mail["To"] == "agency@example.gov" and mail["Subject"] == f"每周评估 {week}：京海市统计局"
    assert f"/dashboard/weekly/{week}/jh-stats" in mail.get_body(("plain",)).get_content()
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    html = app.test_client().get(f"/dashboard/weekly/{week}/jh-stats?lang=en").get_data(as_text=True)
    assert "Jinghai Municipal Bureau of Statistics" in html and 'id="fix-first"' in html
    app.extensions["opendata"]["engine"].dispose()


def test_demo_has_two_high_value_datasets_on_the_hvd_report(demo_instance):
    """Issue 18 item 3: the environment bureau's DCAT-AP source tags two datasets as high-value; the harvest keeps
    the category and the regulation, search facets on them and the HVD report counts them."""
    from app import create_app

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    client = app.test_client()
    report = client.get("/dashboard/hvd.json?lang=en").get_json()
    assert [(r["category_key"], r["publisher"], r["datasets"], r["open_licence"], r["machine_readable"])
            for r in report["rows"]] == [("EOE", "jh-environment", 2, 2, 2), ("EOE", "", 2, 2, 2)]
    found = client.get("/api/v1/datasets?hvd_category=EOE").get_json()
    assert sorted(d["slug"] for d in found["items"]) == ["air-quality-monitoring-stations",
                                                          "surface-water-quality-sections"]
    page = client.get("/dashboard/hvd?lang=zh").get_data(as_text=True)
    assert "地球观测与环境" in page and "京海市生态环境局" in page
    app.extensions["opendata"]["engine"].dispose()


def test_package_dicts_from_row_views_are_the_orm_ones(demo_instance):
    """package_search builds its packages from views of the rows (catalog_schema.rowviews, no ORM objects): for
    every dataset of the demo (series and members, tables in the row store, checked links, assessments) the
    package is the one package_show builds from the ORM Dataset, and in the order asked."""
    from app import create_app
    from app.api import ckan_core
    from app.assessment import latest_assessments
    from catalog_schema import rowviews
    from catalog_schema.models import Distribution

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "test-secret"})
    try:
        with app.test_request_context("/api/3/action/package_search"):
            from app.request_context import db_session

            session = db_session()
            ids = sorted(session.scalars(select(Dataset.id)), reverse=True) + ["no-such-id"]
            latest = ckan_core._latest_assessments(session, ids)  # views of the columns a package reads
            whole = {a.dataset_id: a for a in latest_assessments(session, ids)}  # ORM rows, every column
            assert latest.keys() == whole.keys() and all(latest[i].id == whole[i].id for i in whole)
            views = rowviews.datasets_by_ids(session, ids)
            assert [v.id for v in views] == ids[:-1]
            assert any(v.distributions and v.publisher for v in views)
            def values(view) -> str:  # its columns and its distributions' (the record takes them uncopied)
                own = {k: v for k, v in vars(view).items() if k not in ("distributions", "publisher")}
                return json.dumps([own, [vars(d) for d in view.distributions]], default=str, sort_keys=True)

            packages = []
            for view in views:
                ds = session.get(Dataset, view.id)
                before = values(view)
                packages.append(ckan_core.package_dict(view, latest.get(view.id), session))
                assert values(view) == before, ds.slug  # building the package changed none of the view's values
                assert packages[-1] == ckan_core.package_dict(ds, whole.get(ds.id)), ds.slug
            assert packages == ckan_core._packages(session, ids)
            # what the comparison went through: series members, loaded tables, checked links, assessments
            assert any(p.get("in_series") for p in packages)
            resources = [r for p in packages for r in p["resources"]]
            assert any(r["datastore_active"] for r in resources) and any("archiver" in r for r in resources)
            assert any("qa" in r for r in resources) and any("qa" in p for p in packages)
    finally:
        app.extensions["opendata"]["engine"].dispose()
    # every attribute a view has is the model's attribute of that name
    for model in (Dataset, Distribution):
        assert all(a.key == a.columns[0].name for a in model.__mapper__.column_attrs)


def test_a_busy_port_is_said_before_the_catalog_is_built(tmp_path):
    """The demo built the whole catalog, then died with a traceback on a port another program held."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    with socket.create_server(("127.0.0.1", 0)) as busy:
        held = busy.getsockname()[1]
        for extra, args in (({"OPENDATA_DEMO_FILES_PORT": str(held)}, ["--no-serve"]),
                            ({"OPENDATA_DEMO_FILES_PORT": str(_free_port())}, ["--port", str(held)]),
                            # the files' server takes the port after --port (it stayed on 5001 whatever the port)
                            ({}, ["--no-serve", "--port", str(held - 1)])):
            run = subprocess.run([sys.executable, "-m", "app.cli", "--lang", "zh", "demo", *args], cwd=ROOT,
                                 env={**env, "OPENDATA_INSTANCE_DIR": str(tmp_path), **extra}, capture_output=True,
                                 text=True, timeout=120)
            assert run.returncode == 1 and f"无法在 127.0.0.1:{held} 上监听" in run.stderr, run.stderr
            assert "Traceback" not in run.stderr and not (tmp_path / "catalog.db").exists()



def test_a_finding_of_one_of_several_files_names_it_on_the_dataset_page(demo_instance):
    """The statistical tables' page listed "encoded as gbk" twice and "no URIs" three times with no file named."""
    import re

    from app import create_app

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    try:
        page = app.test_client().get("/dataset/jinghai-statistical-tables-2024?lang=en").get_data(as_text=True)
        findings = page.split('id="findings"', 1)[1].split("</ul>", 1)[0]
        named = re.findall(r'<span class="finding__file">([^<]+)</span>', findings)
        assert len(set(named)) == 3 and len(named) >= 6, named
        assert "licence" not in " ".join(named)  # a dataset's own findings name no file
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_a_withheld_file_shows_no_stars_as_served_here(demo_instance):
    """The hotline complaints' page offered "Stars as served here: CSV ★★★ · JSON ★★★ ..." above "Withheld", and
    every one of those doors answered 451."""
    from app import create_app

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    try:
        client = app.test_client()
        withheld = client.get("/dataset/citizen-hotline-complaints?lang=en").get_data(as_text=True)
        assert "Withheld" in withheld and "Stars as served here" not in withheld
        assert "Stars as served here" in client.get("/dataset/bus-stops?lang=en").get_data(as_text=True)
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_the_score_is_broken_down_into_its_parts_on_the_dataset_page(demo_instance):
    """"Quality score: 83/100" came with the 405-point metadata table only: the openness, data, timeliness and
    accessibility parts, and what each cost, were nowhere (nor that a part not measured shifts the weights)."""
    import re

    from app import create_app

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    try:
        client = app.test_client()
        for slug in ("government-service-statistics", "road-works"):
            page = client.get(f"/dataset/{slug}?lang=en").get_data(as_text=True)
            table = page.split('id="score-parts"', 1)[1].split("</table>", 1)[0]
            rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)'
                              r'</td></tr>', table)
            score = int(re.search(r"Quality score: <strong>(\d+)", page).group(1))
            assert len(rows) == 5 and round(sum(float(r[3]) for r in rows), 1) == score, (slug, rows, score)
            assert round(sum(float(r[4]) for r in rows), 1) == 100 - score, (slug, rows, score)
            assert round(sum(float(r[2]) for r in rows), 1) == 100  # weights spread over the measured parts
        assert "得分构成" in client.get("/dataset/road-works?lang=zh").get_data(as_text=True)
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_the_score_breakdown_of_a_capped_dataset_adds_up_to_its_score(demo_instance):
    """The hotline complaints (personal data in a public file) read "Quality score: 40" above parts that gave 85.5
    points: the 45.5 points the cap took were on no row."""
    import re

    from app import create_app

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    try:
        client = app.test_client()
        for lang, word in (("en", "personal data"), ("zh", "个人信息")):
            page = client.get(f"/dataset/citizen-hotline-complaints?lang={lang}").get_data(as_text=True)
            table = page.split('id="score-parts"', 1)[1].split("</table>", 1)[0]
            rows = re.findall(r'<tr(?: class="score-cap")?><th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td>'
                              r'<td>(.*?)</td><td>(.*?)</td></tr>', table)
            score = int(re.search(r"<strong>(\d+)</strong>/100", page).group(1))
            assert score == 40 and len(rows) == 6 and word in rows[-1][0], rows
            assert round(sum(float(r[3]) for r in rows), 1) == score, rows
            assert round(sum(float(r[4]) for r in rows), 1) == 100 - score, rows
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_the_pages_say_what_they_know_and_not_what_they_do_not(demo_instance):
    """From a citizen's and an official's walk of the demo: a raw language tag, clean-looking zeros for a file never
    read, a week's report made in the week shown as final, 'the last attempt failed, the next run tries again' for
    a publisher with no admin (no retry can send it), and the server's paths shown to anyone on the harvest pages."""
    import re

    from app import create_app

    instance, _env, _out = demo_instance
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    try:
        client = app.test_client()
        hotline = client.get("/dataset/citizen-hotline-complaints?lang=en").get_data(as_text=True)
        assert "zh-CN</" not in hotline and "Chinese (CN)" in hotline
        stats = client.get("/dataset/government-service-statistics?lang=en").get_data(as_text=True)
        with open(ROOT / "data_samples" / "files" / "jh-gov-office" / "service-statistics.csv", encoding="utf-8") as fh:
            lines = fh.read().splitlines()[1:]
        rows = sum(1 for line in lines if line.strip(", "))  # what the row API counts: 31, where the page said 32
        assert f"Rows: {rows} (and 1 blank row)" in stats, re.findall(r"Rows: [^<]*", stats)
        broken = client.get("/dataset/road-works?lang=en").get_data(as_text=True)
        assert "Not measured" in broken.split('id="data-quality"', 1)[1].split("</ul>", 1)[0]
        weekly = client.get("/dashboard/weekly?lang=en").get_data(as_text=True)
        week = weekly.split("Weekly evaluation: ", 1)[1][:8]
        report = client.get(f"/dashboard/weekly/{week}/jh-transport?lang=en").get_data(as_text=True)
        assert 'id="weekly-partial"' in report and "has no admin" in report and "tries again" not in report
        for url in ("/harvest/source/jh-transport-ckan?lang=en", "/harvest/job/1?lang=en"):
            page = client.get(url).get_data(as_text=True)
            assert str(instance) not in page and "a file on the portal" in page, url
        assert "Jinghai Municipal Transport Commission" in client.get(
            "/harvest/source/jh-transport-ckan?lang=en").get_data(as_text=True)
        listed = client.get("/api/v1/harvest/sources").get_json()["items"]  # and the API says the same
        assert listed and all(s["url"].startswith(("local:", "http")) for s in listed), listed
        for url in ("/api/v1/harvest/sources", "/api/v1/harvest/sources/jh-transport-ckan",
                    "/api/v1/harvest/sources/jh-transport-ckan/report"):
            assert str(ROOT) not in client.get(url).get_data(as_text=True), url
    finally:
        app.extensions["opendata"]["engine"].dispose()


def test_commands_on_the_demo_catalog_reach_its_files_and_another_catalog_still_refuses_loopback(demo_instance,
                                                                                                 tmp_path):
    """After `make demo`, `opendata assess --all` without OPENDATA_ALLOW_HOSTS (so the web page's "check again" and
    the scheduler too) refused every demo link as a local address: every one broken, every star gone, because only the
    demo's own process allowed 127.0.0.1. The demo's settings are now its catalog's (`<instance>/settings.env`); a
    catalog built otherwise still refuses loopback. Last in this module: it assesses the shared demo catalog again."""
    from app.demo import SAMPLES, serve_files

    instance, env, _out = demo_instance
    assert not any(k in env for k in ("OPENDATA_ALLOW_HOSTS", "OPENDATA_SITE_URL"))  # the user's shell sets neither
    files = serve_files(SAMPLES / "files", int(env["OPENDATA_DEMO_FILES_PORT"]))  # as `make demo` keeps serving them
    table = f"http://127.0.0.1:{env['OPENDATA_DEMO_FILES_PORT']}/jh-gov-office/service-statistics.csv"
    other = {**env, "OPENDATA_INSTANCE_DIR": str(tmp_path / "other")}
    try:
        assessed = opendata("--lang", "en", "assess", "--all", env=env)
        shown = opendata("--lang", "en", "settings", env=env)
        assert opendata("db", "upgrade", env=other).returncode == 0  # a catalog that is not the demo's
        here = opendata("--lang", "en", "quality", "file", table, "--json", env=env)
        there = opendata("--lang", "en", "quality", "file", table, "--json", env=other)
        elsewhere = opendata("--lang", "en", "quality", "file", table.replace(f":{files.server_port}/", ":9/"),
                             "--json", env=env)
    finally:
        files.shutdown()
        files.server_close()
    assert assessed.returncode == 0 and "assessed 25 datasets" in assessed.stdout, assessed.stdout + assessed.stderr
    assert "refused as private or local addresses" not in assessed.stderr
    engine = make_engine(f"sqlite:///{instance / 'catalog.db'}")
    with make_sessionmaker(engine)() as session:
        stars = dict(session.execute(select(Dataset.slug, Dataset.stars)).all())
    engine.dispose()
    assert stars == {slug: want["stars"] for slug, want in EXPECTED.items()} | {SERIES: None}
    files_port = env["OPENDATA_DEMO_FILES_PORT"]
    assert re.search(rf"OPENDATA_ALLOW_HOSTS=127\.0\.0\.1:{files_port},127\.0\.0\.1:\d+\n", shown.stdout), shown.stdout
    assert str(instance / "settings.env") in shown.stdout
    # the demo's catalog opens its two ports, not the rest of loopback (a database's, a cache's)
    assert "loopback" in elsewhere.stdout + elsewhere.stderr, elsewhere.stdout + elsewhere.stderr
    assert here.returncode == 0, here.stderr
    assert json.loads(here.stdout)["distributions"][0]["check_status"] == "ok", here.stdout
    assert "loopback" in there.stdout + there.stderr, there.stdout + there.stderr
    assert not (tmp_path / "other" / "settings.env").exists()
