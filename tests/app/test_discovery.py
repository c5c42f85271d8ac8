"""Found by search engines and ML tools: schema.org JSON-LD on dataset pages (read by extruct), sitemaps and
robots.txt, and Croissant documents that mlcroissant validates and reads rows through, from a served app."""

from __future__ import annotations

import hashlib
import io
import json

import extruct
import requests
from defusedxml import ElementTree

from app.services import datasets, distributions
from tests.support.accounts import acting_as, make_user
from tests.support.personal import csv_bytes
from tests.support.wsgiserver import ServedApp

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
TABLE = csv_bytes(["站点", "日均客流", "日期"], [["人民广场", "12000", "2026-11-01"], ["东港站", "007", "2026-11-02"],
                                          ["北湖站", "530", "2026-11-03"]])


def _publish(app, slug: str, title: str, files: dict[str, bytes], *, draft: bool = False) -> list[str]:
    with acting_as(app, "editor@a.example") as (actor, s):
        ds = datasets.create(actor, "agency-a", {"title": title, "license": "CC-BY-4.0",
                                                 "description": f"{title}: daily figures"}, slug=slug)
        ids = [distributions.add_upload(actor, ds, io.BytesIO(data), name).id for name, data in files.items()]
        if not draft:
            datasets.publish(actor, ds)
        s.commit()
        return ids


def test_croissant_is_valid_and_mlcroissant_reads_the_rows_from_the_portal(app, tmp_path):
    # imported here, not with the module: mlcroissant takes ~0.7 s to import (its torch adapter), and every
    # xdist worker collects this module while only the one that runs this test needs it
    import mlcroissant as mlc

    make_user(app, "editor@a.example", editor_of="agency-a")
    served = ServedApp(app)
    app.config["OPENDATA"]["SITE_URL"] = served.url
    try:
        [table_id, _gbk_id] = _publish(app, "ridership", "Ridership", {
            "ridership.csv": TABLE, "ridership-gbk.csv": "站点,人数\n人民广场,1\n".encode("gbk")})
        doc = requests.get(f"{served.url}/dataset/ridership/croissant.json", timeout=10)
        assert doc.status_code == 200 and doc.headers["Content-Type"].startswith("application/ld+json")
        body = doc.json()
        # only the UTF-8 CSV: a Croissant reader could not take the GBK copy as it is
        assert [d["@id"] for d in body["distribution"]] == [f"file-{table_id}"]
        file = body["distribution"][0]
        got = requests.get(file["contentUrl"], timeout=10)
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == file["sha256"]
        path = tmp_path / "croissant.json"
        path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        dataset = mlc.Dataset(jsonld=str(path))  # raises on any validation error
        assert dataset.metadata.name == "Ridership"
        rows = list(dataset.records(record_set=f"table-{table_id}"))
        assert [(r[f"table-{table_id}/站点"].decode(), r[f"table-{table_id}/日均客流"]) for r in rows] == [
            ("人民广场", 12000), ("东港站", 7), ("北湖站", 530)]
    finally:
        served.close()


def test_a_dataset_without_a_public_utf8_table_has_no_croissant(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    _publish(app, "gbk", "GBK only", {"gbk.csv": "站点,人数\n人民广场,1\n".encode("gbk")})
    resp = client.get("/dataset/gbk/croissant.json")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "no-croissant-table"
    assert client.get("/dataset/no-such/croissant.json").status_code == 404


def test_the_dataset_page_carries_schema_org_json_ld_that_extruct_reads(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    _publish(app, "ridership", "Ridership", {"ridership.csv": TABLE})
    html = client.get("/dataset/ridership?lang=en").get_data(as_text=True)
    data = extruct.extract(html, base_url="http://127.0.0.1:5000/dataset/ridership", syntaxes=["json-ld"])
    [found] = [d for d in data["json-ld"] if d.get("@type") == "Dataset"]
    assert found["name"] == "Ridership" and found["description"].startswith("Ridership")
    assert found["license"].startswith("https://creativecommons.org/licenses/by/4.0")
    assert found["distribution"][0]["@type"] == "DataDownload"


def test_sitemaps_list_every_public_dataset_and_robots_names_them(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    _publish(app, "ridership", "Ridership", {"ridership.csv": TABLE})
    _publish(app, "draft-one", "Draft", {"d.csv": TABLE}, draft=True)
    site = app.config["OPENDATA"]["SITE_URL"].rstrip("/")
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {site}/sitemap.xml" in robots and "Disallow: /account" in robots
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    locs = [e.text for e in index.iter(f"{SM}loc")]
    assert locs == [f"{site}/sitemap-pages.xml", f"{site}/sitemap-datasets-1.xml"]
    pages = ElementTree.fromstring(client.get("/sitemap-pages.xml").data)
    assert f"{site}/publisher/agency-a" in [e.text for e in pages.iter(f"{SM}loc")]
    part = ElementTree.fromstring(client.get("/sitemap-datasets-1.xml").data)
    urls = [(u.find(f"{SM}loc").text, u.find(f"{SM}lastmod").text) for u in part.iter(f"{SM}url")]
    assert [u for u, _ in urls] == [f"{site}/dataset/ridership"]  # the draft is not public
    assert len(urls[0][1]) == 10
    assert client.get("/sitemap-datasets-2.xml").status_code == 404


def test_sitemap_parts_hold_at_most_50000_urls(app, client, monkeypatch):
    from app.export import sitemap

    make_user(app, "editor@a.example", editor_of="agency-a")
    for i in range(3):
        _publish(app, f"ds-{i}", f"Dataset {i}", {"t.csv": TABLE})
    monkeypatch.setattr(sitemap, "PER_FILE", 2)  # the cap, at a size a test can reach
    site = app.config["OPENDATA"]["SITE_URL"].rstrip("/")
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    assert [e.text for e in index.iter(f"{SM}loc")][1:] == [f"{site}/sitemap-datasets-1.xml",
                                                            f"{site}/sitemap-datasets-2.xml"]
    first = [e.text for e in ElementTree.fromstring(client.get("/sitemap-datasets-1.xml").data).iter(f"{SM}loc")]
    second = [e.text for e in ElementTree.fromstring(client.get("/sitemap-datasets-2.xml").data).iter(f"{SM}loc")]
    assert first == [f"{site}/dataset/ds-0", f"{site}/dataset/ds-1"] and second == [f"{site}/dataset/ds-2"]


def test_croissant_gives_a_harvested_date_as_a_date_mlcroissant_reads(app, tmp_path):
    """A harvest keeps a date as the source wrote it ("2021年3月", "March 2021"); Croissant's datePublished and
    dateModified are schema.org Dates, which mlcroissant refused such words as ("should follow the ISO 8601
    format"). They go out as every door publishes a date (catalog_schema.dates): in ISO form ("March 2021" is the
    month 2021-03), or not at all ("yesterday-ish")."""
    import mlcroissant as mlc

    from catalog_schema.models import Dataset
    from catalog_schema.store import save_record, to_record

    make_user(app, "editor@a.example", editor_of="agency-a")
    served = ServedApp(app)
    app.config["OPENDATA"]["SITE_URL"] = served.url
    try:
        _publish(app, "ridership", "Ridership", {"ridership.csv": TABLE})
        with app.extensions["opendata"]["sessionmaker"]() as s:  # as a harvest stores the source's words
            ds = s.query(Dataset).filter_by(slug="ridership").one()
            record = to_record(ds)
            record.update(issued="2021年3月", modified="yesterday-ish")
            save_record(s, record, dataset=ds)
            s.commit()
        body = requests.get(f"{served.url}/dataset/ridership/croissant.json", timeout=10).json()
        assert body["datePublished"] == "2021-03" and "dateModified" not in body
        with app.extensions["opendata"]["sessionmaker"]() as s:
            ds = s.query(Dataset).filter_by(slug="ridership").one()
            record = to_record(ds)
            record.update(modified="March 2021")
            save_record(s, record, dataset=ds)
            s.commit()
        body = requests.get(f"{served.url}/dataset/ridership/croissant.json", timeout=10).json()
        assert (body["datePublished"], body["dateModified"]) == ("2021-03", "2021-03")
        assert "(2021)" in body["citeAs"]
        path = tmp_path / "croissant.json"
        path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        assert mlc.Dataset(jsonld=str(path)).metadata.name == "Ridership"  # raises on any validation error
    finally:
        served.close()
