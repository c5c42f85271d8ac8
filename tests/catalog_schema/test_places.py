"""Places: bounding boxes and geometries read and written by every mapper, validated with the real parsers
(rdflib, pyshacl with the DCAT-AP 3 shapes, shapely, the POD JSON schema)."""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import URIRef

from catalog_schema import ckan, datajson, dcat, gazetteer, places
from catalog_schema.record import new_record, validation_errors

SITE = "https://data.example.gov"
SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl" / "dcat-ap_3_shacl_shapes.ttl"
HANGZHOU_CENTRE = (120.16, 30.27)
TRIANGLE = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [121.5, 30.2], [120.4, 31.1], [120.0, 30.0]]]}


def record(**extent) -> dict:
    return new_record(slug="bus-stops", identifier="bus-stops", title={"en": "Bus stops", "zh": "公交站点"},
                      description={"en": "Stops of the city buses"}, keywords=["bus"], modified="2024-01-01",
                      access_rights="PUBLIC", publisher={"slug": "transport", "name": {"en": "Transport Office"}},
                      contact_point={"name": "Data desk", "email": "data@transport.example.gov"},
                      extent=extent or None)


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(SHAPES, format="turtle")
    return g


# --------------------------------------------------------------------------- pure


def test_bbox_text_round_trips_and_refuses_what_is_no_box():
    assert places.parse_bbox("-73.9,40.5,-73.7,40.9") == [-73.9, 40.5, -73.7, 40.9]
    assert places.parse_bbox(" 118 , 27.5,122.7, 31.3") == [118.0, 27.5, 122.7, 31.3]
    assert places.bbox_text([118.0, 27.5, 122.7, 31.3]) == "118,27.5,122.7,31.3"
    for bad in ("", "1,2,3", "10,0,5,1", "0,50,1,40", "0,0,181,1", "a,b,c,d", "1,2,3,4,5", None):
        assert places.parse_bbox(bad) is None
    assert places.intersects([0, 0, 10, 10], [10, 10, 20, 20])
    assert not places.intersects([0, 0, 10, 10], [10.5, 0, 20, 10])


def test_geojson_extent_of_features_and_collections():
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Point", "coordinates": [120.1, 30.2]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                           "coordinates": [[119.9, 30.0, 12.0], [120.5, 30.6]]}},
        {"type": "Feature", "properties": {}, "geometry": None},
    ]}
    assert places.geojson_bbox(collection) == [119.9, 30.0, 120.5, 30.6]
    assert places.geojson_bbox({"type": "FeatureCollection", "features": []}) is None
    assert places.geojson_geometry(json.dumps(collection["features"][0])) == {"type": "Point",
                                                                             "coordinates": [120.1, 30.2]}


def test_wkt_is_parsed_with_its_axis_order():
    assert places.wkt_to_geometry("POINT (120 30)") == {"type": "Point", "coordinates": [120.0, 30.0]}
    crs84 = f"<{places.CRS84}> POLYGON((118 27,123 27,123 31,118 31,118 27))"
    assert places.geojson_bbox(places.wkt_to_geometry(crs84)) == [118.0, 27.0, 123.0, 31.0]
    lat_first = "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(30 120)"
    assert places.wkt_to_geometry(lat_first) == {"type": "Point", "coordinates": [120.0, 30.0]}
    assert places.wkt_to_geometry("POLYGON((1 2") is None
    assert places.wkt_to_geometry(places.bbox_to_wkt([1.5, 2, 3, 4.25])) == places.bbox_polygon([1.5, 2, 3, 4.25])
    assert places.wkt_to_geometry(places.geometry_to_wkt(TRIANGLE)) == TRIANGLE


def test_gazetteer_places_resolve_to_boxes_that_hold_them():
    zhejiang, hangzhou, xihu = (places.place_bbox(f"urn:gb2260:{c}") for c in ("330000", "330100", "330106"))
    for box in (zhejiang, hangzhou, xihu):
        assert places.intersects(box, [*HANGZHOU_CENTRE, *HANGZHOU_CENTRE])
    assert zhejiang[0] <= hangzhou[0] <= xihu[0] and xihu[2] <= hangzhou[2] <= zhejiang[2]
    assert places.place_bbox("浙江省杭州市") == hangzhou
    assert places.place_bbox("https://sws.geonames.org/1808926/") is None
    # every division of the gazetteer has a box; Xinjiang's is wide, Beijing's small
    assert all(places.place_bbox(p.uri) for p in gazetteer.places(3))
    xinjiang, beijing = places.place_bbox("650000"), places.place_bbox("110000")
    assert xinjiang[2] - xinjiang[0] > 15 and beijing[2] - beijing[0] < 3


def test_effective_box_prefers_the_extent_then_places_then_files():
    given = places.extent([1, 2, 3, 4])
    assert places.effective_bbox(given, ["urn:gb2260:330100"], [[5, 5, 6, 6]]) == [1, 2, 3, 4]
    assert places.effective_bbox(None, ["urn:gb2260:330100"], [[5, 5, 6, 6]]) == places.place_bbox("330100")
    assert places.effective_bbox(None, ["a place nobody knows"], [[5, 5, 6, 6], [7, 1, 8, 2]]) == [5, 1, 8, 6]
    assert places.effective_bbox(None, []) is None


# --------------------------------------------------------------------------- DCAT


@pytest.mark.parametrize("extent", [{"bbox": [119.9, 30.0, 120.5, 30.6]},
                                    {"bbox": [120.0, 30.0, 121.5, 31.1], "geometry": TRIANGLE}])
def test_dcat_round_trip_keeps_the_extent_and_conforms_to_dcat_ap_3(shapes, extent):
    rec = record(**{"geometry": None, **extent})
    rec["spatial"] = ["urn:gb2260:330100"]
    assert validation_errors(rec) == []
    graph = dcat.dataset_to_rdf(rec, site_url=SITE)
    conforms, report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text
    back = dcat.dataset_from_rdf(graph, URIRef(f"{SITE}/dataset/bus-stops"))
    assert back["extent"] == rec["extent"] and back["spatial"] == ["urn:gb2260:330100"]
    assert "dct:spatial" not in json.dumps(back["extras"])  # the location was read, not kept as leftovers
    assert dcat.comparable(back) == dcat.comparable(rec)
    # Turtle and JSON-LD parse back to the same extent
    for fmt in ("turtle", "json-ld"):
        again = rdflib.Graph().parse(data=graph.serialize(format=fmt), format=fmt)
        assert dcat.dataset_from_rdf(again, URIRef(f"{SITE}/dataset/bus-stops"))["extent"] == rec["extent"]


def test_dcat_reads_geodcat_ap_literals_as_harvested():
    geojson = '{\\"type\\":\\"Point\\",\\"coordinates\\":[8.8,53.1]}'
    wkt = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POLYGON((8.5 53.0,9.0 53.0,9.0 53.2,8.5 53.2,8.5 53.0))"
    ttl = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix locn: <http://www.w3.org/ns/locn#> . @prefix gsp: <http://www.opengis.net/ont/geosparql#> .
<https://x.example/ds/1> a dcat:Dataset ; dct:title "Rivers"@en ;
  dct:spatial [ a dct:Location ;
    locn:geometry "{geojson}"^^<{places.GEOJSON_MEDIA}> ;
    dcat:bbox "{wkt}"^^gsp:wktLiteral ] ;
  dct:spatial <http://sws.geonames.org/2944388/> .
"""
    graph = rdflib.Graph().parse(data=ttl, format="turtle")
    rec = dcat.dataset_from_rdf(graph, URIRef("https://x.example/ds/1"))
    assert rec["extent"] == {"bbox": [8.5, 53.0, 9.0, 53.2], "geometry": {"type": "Point", "coordinates": [8.8, 53.1]}}
    assert rec["spatial"] == ["http://sws.geonames.org/2944388/"]


# --------------------------------------------------------------------------- data.json and CKAN


def test_datajson_spatial_box_and_geojson_round_trip_and_are_valid_pod():
    box = record(bbox=[-73.9, 40.5, -73.7, 40.9], geometry=None)
    out = datajson.to_datajson(box, site_url=SITE)
    assert out["spatial"] == "-73.9,40.5,-73.7,40.9"
    assert datajson.from_datajson(out)["extent"] == box["extent"]
    shaped = record(bbox=[120.0, 30.0, 121.5, 31.1], geometry=TRIANGLE)
    out = datajson.to_datajson(shaped, site_url=SITE)
    assert json.loads(out["spatial"]) == TRIANGLE
    assert datajson.from_datajson(out)["extent"] == shaped["extent"]
    assert datajson.validation_errors({"@type": "dcat:Catalog", "conformsTo":
                                       "https://project-open-data.cio.gov/v1.1/schema", "dataset": [out]}) == []
    # a GeoJSON object as some catalogs give it, and a verbatim spelling of the box, come back as they were
    given = {"title": "t", "spatial": {"type": "Point", "coordinates": [1, 2]}}
    assert datajson.from_datajson(given)["extent"] == {"bbox": [1.0, 2.0, 1.0, 2.0],
                                                       "geometry": {"type": "Point", "coordinates": [1, 2]}}
    spaced = {"title": "t", "spatial": "-73.90, 40.5, -73.7, 40.9"}
    assert datajson.to_datajson(datajson.from_datajson(spaced))["spatial"] == spaced["spatial"]
    named = {"title": "t", "spatial": "Hangzhou"}
    assert datajson.from_datajson(named)["spatial"] == ["Hangzhou"]
    assert datajson.from_datajson(named)["extent"] is None


def test_ckan_spatial_extras_round_trip():
    box = record(bbox=[119.9, 30.0, 120.5, 30.6], geometry=None)
    pkg = ckan.to_ckan(box, site_url=SITE)
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert places.geojson_bbox(json.loads(extras["spatial"])) == [119.9, 30.0, 120.5, 30.6]
    assert ckan.from_ckan(pkg)["extent"] == box["extent"]
    shaped = record(bbox=[120.0, 30.0, 121.5, 31.1], geometry=TRIANGLE)
    pkg = ckan.to_ckan(shaped, site_url=SITE)
    assert ckan.from_ckan(pkg)["extent"] == shaped["extent"]
    assert ckan.to_ckan(ckan.from_ckan(pkg), site_url=SITE) == pkg


def test_migration_0016_downgrades_and_gives_existing_places_their_box(tmp_path):
    from alembic import command
    from sqlalchemy import select

    from catalog_schema import db as dbmod
    from catalog_schema.models import Dataset
    from catalog_schema.store import save_record

    url = f"sqlite:///{tmp_path / 'm.db'}"
    dbmod.upgrade(url)
    engine = dbmod.make_engine(url)
    with dbmod.make_sessionmaker(engine)() as s:
        save_record(s, new_record(slug="hz", title={"en": "Hangzhou"}, spatial=["urn:gb2260:330100"]))
        s.commit()
    engine.dispose()
    command.downgrade(dbmod.alembic_config(url), "0015")
    command.upgrade(dbmod.alembic_config(url), "0016")  # the box of its place, without a save
    engine = dbmod.make_engine(url)
    with dbmod.make_sessionmaker(engine)() as s:
        ds = s.scalar(select(Dataset))
        assert [ds.bbox_west, ds.bbox_south, ds.bbox_east, ds.bbox_north] == places.place_bbox("330100")
        assert ds.extent is None
    engine.dispose()
