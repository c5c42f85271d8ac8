"""Places in the app: ext_bbox in CKAN's package_search (read with ckanapi's answer shape), bbox in /api/v1, the
extent on the dataset page as an inline SVG map, and GeoJSON files: their extent at assessment, their map preview,
served as GeoJSON and CSV through the serving gate. SQLite and PostgreSQL (db_url)."""

from __future__ import annotations

import csv
import io
import json

import extruct
import pytest
import rdflib
import shapely
from defusedxml import ElementTree
from rdflib.compare import isomorphic
from shapely.geometry import shape

from app.export.stream_rdf import stream_catalog
from catalog_schema import dcat, places
from catalog_schema.models import Dataset, Distribution
from catalog_schema.record import new_record
from catalog_schema.store import save_record
from tests.support.publishing import publish_uploads

SVG = "{http://www.w3.org/2000/svg}"
HANGZHOU = "urn:gb2260:330100"
BEIJING = "urn:gb2260:110000"
STOPS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"stop": "临江路站", "lines": 3},
     "geometry": {"type": "Point", "coordinates": [119.37, 34.70]}},
    {"type": "Feature", "properties": {"stop": "青华路站", "lines": 1},
     "geometry": {"type": "Point", "coordinates": [119.24, 34.57]}},
    {"type": "Feature", "properties": {"stop": "1路", "lines": 12},
     "geometry": {"type": "LineString", "coordinates": [[119.24, 34.57], [119.30, 34.62], [119.37, 34.70]]}},
]}


def _save(app, slug: str, **fields) -> None:
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        save_record(s, new_record(slug=slug, title={"en": slug}, **fields))
        s.commit()


@pytest.fixture
def placed(app):
    _save(app, "hangzhou-buses", spatial=[HANGZHOU])
    _save(app, "beijing-parks", spatial=[BEIJING])
    _save(app, "lake-survey", extent={"bbox": [120.05, 30.2, 120.2, 30.3], "geometry": None})
    _save(app, "no-place")
    return app


def test_the_catalog_keeps_the_box_of_places_and_extents(placed):
    factory = placed.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        boxes = {d.slug: (d.bbox_west, d.bbox_south, d.bbox_east, d.bbox_north) for d in s.query(Dataset)}
    assert list(boxes["hangzhou-buses"]) == places.place_bbox(HANGZHOU)
    assert list(boxes["lake-survey"]) == [120.05, 30.2, 120.2, 30.3]
    assert boxes["no-place"] == (None, None, None, None)


def test_package_search_ext_bbox_finds_intersecting_extents(placed, client):
    def found(**params):
        resp = client.get("/api/3/action/package_search", query_string=params)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return sorted(p["name"] for p in resp.get_json()["result"]["results"])

    assert found(ext_bbox="119.5,29.5,121,31") == ["hangzhou-buses", "lake-survey"]
    assert found(ext_bbox="116,39.5,117,40.5") == ["beijing-parks"]
    assert found(ext_bbox="73,18,135,54") == ["beijing-parks", "hangzhou-buses", "lake-survey"]
    assert found(ext_bbox="-10,40,2,52") == []
    assert found(ext_bbox="120.1,30.25,120.1,30.25") == ["hangzhou-buses", "lake-survey"]  # a point
    assert found(ext_bbox="119.5,29.5,121,31", q="lake") == ["lake-survey"]
    assert len(found()) == 4
    for bad in ("1,2,3", "121,29,119,31", "a,b,c,d"):
        resp = client.get("/api/3/action/package_search", query_string={"ext_bbox": bad})
        assert resp.status_code == 409
        assert resp.get_json()["error"]["__type"] == "Search Query Error" and "ext_bbox" in resp.get_data(as_text=True)
    resp = client.get("/api/3/action/package_search", query_string={"ext_bbox": "1,2,3"},
                      headers={"Accept-Language": "zh"})
    assert "ext_bbox" in resp.get_json()["error"]["message"]
    pkg = client.get("/api/3/action/package_show", query_string={"id": "lake-survey"}).get_json()["result"]
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert places.geojson_bbox(json.loads(extras["spatial"])) == [120.05, 30.2, 120.2, 30.3]  # ckanext-spatial


def test_rest_search_takes_a_bbox(placed, client):
    resp = client.get("/api/v1/datasets", query_string={"bbox": "119.5,29.5,121,31"})
    assert resp.status_code == 200
    assert sorted(i["slug"] for i in resp.get_json()["items"]) == ["hangzhou-buses", "lake-survey"]
    resp = client.get("/api/v1/datasets", query_string={"bbox": "nowhere"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad-request"
    spec = client.get("/api/v1/openapi.json").get_json()
    bbox = next(p for p in spec["paths"]["/datasets"]["get"]["parameters"] if p["name"] == "bbox")
    # the document says what the server takes (schemathesis sent "000...", valid by a bare string, and got 400)
    import re

    assert re.fullmatch(bbox["schema"]["pattern"], "119.5, 29.5,121,31") and re.fullmatch(bbox["schema"]["pattern"], "")
    assert client.get("/api/v1/datasets?bbox=").status_code == 200  # an empty box: no box, as the pattern says
    assert re.search(bbox["schema"]["pattern"], "1,2,3,4") and \
        not re.search(bbox["schema"]["pattern"], "0000") and not re.search(bbox["schema"]["pattern"], "nowhere")


def _svg(page: str, figure_id: str):
    start = page.index(f'id="{figure_id}"')
    begin = page.index("<svg", start)
    end = page.index("</svg>", begin) + len("</svg>")
    return ElementTree.fromstring(page[begin:end])


@pytest.mark.parametrize("lang,title", [("en", "Map of the spatial coverage"), ("zh", "空间范围地图")])
def test_the_dataset_page_draws_the_extent_on_a_map(placed, client, lang, title):
    page = client.get("/dataset/hangzhou-buses", headers={"Accept-Language": lang}).get_data(as_text=True)
    svg = _svg(page, "extent")
    # the metadata's box
    assert ("Bounding box (W,S,E,N): " if lang == "en" else "外包矩形（西、南、东、北）：") in page
    assert svg.get("viewBox").startswith("0 0 480 ") and svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == title
    assert len(svg.findall(f"{SVG}path")) >= 1  # China and its neighbours
    extent = [r for r in svg.findall(f"{SVG}rect") if "map-extent" in (r.get("class") or "")]
    assert len(extent) == 1 and float(extent[0].get("width")) > 2
    # nothing is fetched: no URL but the SVG namespace
    text = page[page.index("<svg"):page.index("</svg>")]
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'id="extent"' not in client.get("/dataset/no-place").get_data(as_text=True)


# --------------------------------------------------------------------------- GeoJSON files


def _publish(app, files: dict[str, bytes], added: dict[str, bytes] | None = None) -> dict[str, str]:
    return publish_uploads(app, "editor@places.example", "agency-places", "stops", "Stops", files, added)


def test_a_geojson_file_gets_its_extent_a_map_and_is_served_as_geojson_and_csv(app, client):
    body = json.dumps(STOPS, ensure_ascii=False).encode("utf-8")
    ids = _publish(app, {"stops.geojson": body})
    dist_id = ids["stops.geojson"]
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        dist = s.get(Distribution, dist_id)
        assert dist.extent["bbox"] == [119.24, 34.57, 119.37, 34.70] and dist.extent["features"] == 3
        assert dist.extent["sha256"] == dist.archive_hash
        ds = dist.dataset
        assert [ds.bbox_west, ds.bbox_south, ds.bbox_east, ds.bbox_north] == [119.24, 34.57, 119.37, 34.70]
    # found by a box around it
    resp = client.get("/api/3/action/package_search", query_string={"ext_bbox": "119,34,120,35"})
    assert [p["name"] for p in resp.get_json()["result"]["results"]] == ["stops"]
    # the page: the dataset's extent and the file's features; the box is said to be the files' (the metadata names
    # no place, and a finding says so on the same page)
    page = client.get("/dataset/stops", headers={"Accept-Language": "en"}).get_data(as_text=True)
    _svg(page, "extent")
    assert "Bounding box of its GeoJSON files (W,S,E,N), not given in the metadata: <code>119.24,34.57,119.37,34.7" \
        in page
    zh = client.get("/dataset/stops", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "其 GeoJSON 文件的外包矩形（西、南、东、北），元数据中未给出：<code>" in zh
    assert "空间范围示意图：119.24,34.57,119.37,34.7 · " in zh  # the map's caption, a Chinese colon too
    features = _svg(page, f"map-{dist_id}")
    assert len(features.findall(f"{SVG}circle")) == 2
    assert len([p for p in features.findall(f"{SVG}path") if "map-feature" in (p.get("class") or "")]) == 1
    # GeoJSON through the gate: valid RFC 7946 features that shapely reads
    resp = client.get(f"/dataset/stops/resource/{dist_id}/data.geojson")
    assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve"
    assert resp.headers["Content-Type"] == "application/geo+json"
    doc = resp.get_json(force=True)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 3
    shapes = [shape(f["geometry"]) for f in doc["features"]]
    assert all(g.is_valid for g in shapes) and shapely.union_all(shapes).bounds == (119.24, 34.57, 119.37, 34.7)
    assert doc["features"][0]["properties"] == {"stop": "临江路站", "lines": 3}
    # CSV: the properties, one row per feature (and the geometry as GeoJSON text)
    resp = client.get(f"/dataset/stops/resource/{dist_id}/data.csv")
    assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["stop"] for r in rows] == ["临江路站", "青华路站", "1路"] and rows[2]["lines"] == "12"
    assert json.loads(rows[0]["geometry"]) == {"type": "Point", "coordinates": [119.37, 34.7]}


def test_a_geojson_with_personal_data_is_withheld_and_not_drawn(app, client):
    features = [{"type": "Feature", "properties": {"站点": f"S{n}", "联系电话": f"1381234567{n}"},
                 "geometry": {"type": "Point", "coordinates": [119.1 + n / 10, 34.2]}} for n in range(5)]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")
    # its phone numbers block publishing (the whole-file scan reads the properties' text): added once published
    dist_id = _publish(app, {"stops.csv": "站点,线路\n临江路站,3\n".encode()},
                       added={"stations.geojson": body})["stations.geojson"]
    resp = client.get(f"/dataset/stops/resource/{dist_id}/data.geojson")
    assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold"
    page = client.get("/dataset/stops").get_data(as_text=True)
    assert f'id="map-{dist_id}"' not in page
    resp = client.get("/dataset/stops/resource/not-a-dist/data.geojson")
    assert resp.status_code == 404 and resp.headers["X-Data-Gate"] == "withhold"


def test_the_page_tells_search_engines_the_box(placed, client):
    html = client.get("/dataset/lake-survey").get_data(as_text=True)
    (found,) = extruct.extract(html, base_url="http://localhost/", syntaxes=["json-ld"])["json-ld"]
    assert {"@type": "Place", "geo": {"@type": "GeoShape", "box": "30.2 120.05 30.3 120.2"}} in found["spatialCoverage"]


@pytest.mark.parametrize("fmt,rdf_format", [("ttl", "turtle"), ("nt", "nt")])
def test_the_streamed_catalog_dumps_carry_the_extent(fmt, rdf_format):
    record = new_record(slug="stops", title={"en": "Stops"},
                        extent={"bbox": [119.24, 34.57, 119.37, 34.7], "geometry": STOPS["features"][2]["geometry"]})
    info = {"title": {"en": "Catalog"}, "description": {"en": "All"}, "publisher": {"slug": "p", "name": {"en": "P"}}}
    text = "".join(stream_catalog([record], fmt, site_url="https://x.example", catalog_info=info))
    graph = rdflib.Graph().parse(data=text, format=rdf_format)
    assert isomorphic(graph, dcat.catalog_to_rdf([record], site_url="https://x.example", catalog_info=info))
    (back,) = dcat.parse_catalog(text.encode("utf-8"), format=rdf_format).records
    assert back["extent"] == record["extent"]


def test_data_geojson_of_a_table_that_is_no_geojson_says_so_in_the_readers_language(app):
    """The refusal of data.geojson for a CSV was English whatever the reader asked (no T_): a developer reading
    the API in Chinese got "The resource is not a GeoJSON file"."""
    import requests

    from tests.support.wsgiserver import ServedApp

    dist_id = _publish(app, {"stops.csv": "站点,线路\n临江路站,3\n".encode()})["stops.csv"]
    served = ServedApp(app, threads=2)
    try:
        url = f"{served.url}/dataset/stops/resource/{dist_id}/data.geojson"
        for params, headers in (({"lang": "zh"}, {}), ({}, {"Accept-Language": "zh-CN"})):
            resp = requests.get(url, params=params, headers=headers, timeout=10)
            assert resp.status_code == 404 and resp.json()["error"]["code"] == "not-geojson"
            assert resp.json()["error"]["message"].startswith("该资源不是 GeoJSON 文件"), resp.text
        english = requests.get(url, timeout=10).json()["error"]["message"]
        assert english.startswith("The resource is not a GeoJSON file")
        page = requests.get(url, headers={"Accept": "text/html", "Accept-Language": "zh-CN"}, timeout=10)
        assert page.status_code == 404 and "该资源不是 GeoJSON 文件" in page.text
    finally:
        served.close()
