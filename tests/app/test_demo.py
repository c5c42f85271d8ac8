"""`opendata demo` on a fresh instance: the sample government harvested, and every catalog export of it."""

from __future__ import annotations

import csv
import io
import json
import os
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

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((ROOT / "data_samples/expected.json").read_text("utf-8"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_instance(tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_INSTANCE_DIR": str(instance), "OPENDATA_DEMO_FILES_PORT": str(_free_port())})
    result = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return instance, env, result.stdout


def _export(env, fmt: str) -> str:
    result = subprocess.run([sys.executable, "-m", "app.cli", "export", "catalog", "--format", fmt], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
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
    assert slugs == set(EXPECTED)
    assert stars == {slug: want["stars"] for slug, want in EXPECTED.items()}  # assessed over real HTTP
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
    assert {r["slug"] for r in rows} == set(EXPECTED)
    root = ET.fromstring(_export(env, "xml").encode())
    assert len(root.findall("dataset")) == len(EXPECTED)
    assert len(json.loads(_export(env, "json"))["datasets"]) == len(EXPECTED)
    document = json.loads(_export(env, "datajson"))
    assert len(document["dataset"]) == len(EXPECTED)
    assert datajson_mod.validation_errors(document, kind="catalog") == []


def test_demo_prints_an_agency_account_that_signs_in_and_publishes(demo_instance):
    """Issue 7, done when: the demo creates an example agency account and prints its credentials."""
    import re

    from app import create_app
    from tests.support.publishing import csrf_from

    instance, _env, out = demo_instance
    found = re.search(r"agency@example\.gov / (\S+)", out)
    assert found and "/login" in out and "/publish" in out
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "demo-test"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    signed = client.post("/login", data={"email": "agency@example.gov", "password": found.group(1),
                                         "next": "/publish", "csrf_token": csrf_from(page)})
    assert signed.status_code in (302, 303) and signed.headers["Location"].endswith("/publish")
    publish = client.get("/publish?lang=en").get_data(as_text=True)
    assert 'id="new-dataset"' in publish and "Jinghai Municipal Bureau of Statistics" in publish
    app.extensions["opendata"]["engine"].dispose()
