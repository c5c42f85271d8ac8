"""A CSV published with CSV on the Web metadata beside it: the assessment pipeline downloads both from a real server,
and the stored assessment gives the CSV the stars its rows' URIs earn (quality/csvw/, docs/quality.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from app.assessment import assess_datasets
from app.web.quality_view import reason_text
from catalog_schema import search
from catalog_schema.models import Assessment, Dataset
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from quality.assess import RULESET_VERSION
from tests.support.httpserver import LocalServer

RUN_AT = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
STOPS = "code,name,osm\nB1,Market,node/101\nB2,Harbour,node/102\n"


def _metadata(url: str, **schema) -> bytes:
    columns = [{"name": "code", "titles": "code"}, {"name": "name", "titles": "name"},
               {"name": "osm", "titles": "osm", "propertyUrl": "owl:sameAs",
                "valueUrl": "https://www.openstreetmap.org/{+osm}"}]
    return json.dumps({"@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}], "url": url,
                       "tableSchema": {"columns": columns, **schema}}).encode()


def _assess(runtime, srv: LocalServer, metadata: bytes) -> tuple[dict, dict, list[dict]]:
    srv.add_bytes("/stops.csv", STOPS.encode(), "text/csv")
    srv.add_bytes("/meta/stops-metadata.json", metadata, "application/csvm+json")
    base = srv.url("").rstrip("/")
    with runtime.sessionmaker() as session:
        rec = new_record(slug="bus-stops", title={"en": "Bus stops"}, license="CC-BY-4.0",
                         publisher={"slug": "transport", "name": {"en": "Transport"}},
                         distributions=[new_distribution(format="CSV", download_url=f"{base}/stops.csv"),
                                        new_distribution(format="JSON",
                                                         download_url=f"{base}/meta/stops-metadata.json")])
        ds, _ = save_record(session, rec)
        search.index_dataset(session, ds)
        session.commit()
        dataset_id = ds.id
    assess_datasets(runtime, [dataset_id], now=RUN_AT)
    with runtime.sessionmaker() as session:
        row = session.scalars(select(Assessment).where(Assessment.dataset_id == dataset_id)).one()
        stars = session.scalar(select(Dataset.stars).where(Dataset.id == dataset_id))
        dists = {d["url"].rsplit("/", 1)[1]: d for d in row.distributions}
        return {"dataset": stars, "assessment": row.stars, "rule": row.rule_version}, dists, row.findings


@pytest.mark.parametrize("schema, stars", [
    ({"aboutUrl": "https://transport.example.gov/stop/{code}"}, 5),
    ({"aboutUrl": "stop/{code}"}, 3),
    ({}, 3),
])
def test_the_stored_stars_of_a_csv_come_from_its_csvw_metadata(runtime, schema, stars):
    with LocalServer() as srv:
        figures, dists, findings = _assess(runtime, srv, _metadata("../stops.csv", **schema))
    assert dists["stops.csv"]["stars"] == stars
    assert figures == {"dataset": stars, "assessment": stars, "rule": RULESET_VERSION}
    if stars == 3:
        (finding,) = [f for f in findings if f["type"] == "csvw-no-uris"]
        assert finding["evidence"]["rows"] == 2
        reason = dists["stops.csv"]["reasons"][0]
        assert reason_text(reason, "zh") == "其 CSV on the Web 元数据没有为任何一行生成 http(s) URI。"


def test_unusable_csvw_metadata_is_a_stored_finding_and_the_csv_keeps_three_stars(runtime):
    with LocalServer() as srv:
        figures, dists, findings = _assess(runtime, srv, b'{"@context": "http://www.w3.org/ns/csvw", "url": ')
    assert dists["stops.csv"]["stars"] == 3 and figures["dataset"] == 3
    (finding,) = [f for f in findings if f["type"] == "csvw-metadata-unusable"]
    assert finding["evidence"]["reason"] == "json"
    assert finding["distribution"] != [f for f in findings if f["type"] == "no-uris"][0]["distribution"]
    reason = dists["stops.csv"]["reasons"][0]
    assert reason == "CSV is not RDF and no CSV on the Web metadata of the dataset describes it, so things are not " \
                     "named with URIs."
    assert reason_text(reason, "zh") == \
        "CSV 不是 RDF，数据集中也没有描述它的 CSV on the Web 元数据，事物没有用 URI 标识。"
