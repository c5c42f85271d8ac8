"""Record <-> Data Package descriptor: each direction, and round trips."""

from __future__ import annotations

import pytest

from catalog_schema.datapackage import from_datapackage, to_datapackage
from catalog_schema.record import validation_errors

DESCRIPTOR = {
    "name": "jh-gdp-quarterly",
    "id": "https://data.jinghai.example/dp/gdp",
    "title": {"zh": "京海市季度地区生产总值", "en": "Jinghai quarterly GDP"},
    "description": "按季度发布。",
    "keywords": ["GDP", "经济"],
    "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                  "title": "Creative Commons Attribution 4.0"}],
    "version": "1.2",
    "created": "2024-01-15",
    "homepage": "http://127.0.0.1:5001/jh-stats/",
    "contributors": [{"title": "统计局数据科", "email": "data@stats.jinghai.example", "role": "maintainer"}],
    "x_frequency": "QUARTERLY",
    "x_themes": ["ECON"],
    "x_publisher": {"slug": "jh-stats", "name": {"zh": "京海市统计局"}},
    "sources": [{"title": "季度核算", "path": "http://stats.example/"}],
    "custom": {"kept": True},
    "resources": [
        {"name": "gdp", "path": "gdp.csv", "format": "csv", "mediatype": "text/csv", "encoding": "gbk",
         "bytes": 2048, "hash": "sha256:" + "a" * 64,
         "schema": {"fields": [{"name": "quarter", "type": "string"}, {"name": "gdp", "type": "number"}],
                    "primaryKey": ["quarter"]}},
        {"name": "notes", "path": "notes.pdf", "title": "说明", "unknown-field": 1},
    ],
}


def test_from_datapackage_maps_fields_and_keeps_the_rest():
    rec = from_datapackage(DESCRIPTOR, base_url="http://127.0.0.1:5001/jh-stats/datapackage.json")
    assert validation_errors(rec) == []
    assert rec["slug"] == "jh-gdp-quarterly"
    assert rec["title"] == {"zh": "京海市季度地区生产总值", "en": "Jinghai quarterly GDP"}
    assert rec["description"] == {"": "按季度发布。"}
    assert rec["license"] == "CC-BY-4.0" and rec["license_raw"] == "CC-BY-4.0"
    assert rec["frequency"] == "QUARTERLY" and rec["themes"] == ["ECON"]
    assert rec["contact_point"]["email"] == "data@stats.jinghai.example"
    assert rec["extras"]["datapackage"]["custom"] == {"kept": True}
    gdp, notes = rec["distributions"]
    assert gdp["download_url"] == "http://127.0.0.1:5001/jh-stats/gdp.csv"
    assert gdp["format"] == "CSV" and gdp["byte_size"] == 2048
    assert gdp["checksum"] == {"algorithm": "sha256", "value": "a" * 64}
    assert gdp["schema"]["primaryKey"] == ["quarter"]
    assert gdp["extras"]["datapackage"]["encoding"] == "gbk"
    assert notes["format"] == "PDF"  # from the path's extension when no format is given
    assert notes["extras"]["datapackage"]["unknown-field"] == 1


def test_round_trip_descriptor():
    back = to_datapackage(from_datapackage(DESCRIPTOR))
    for key, value in DESCRIPTOR.items():
        if key == "resources":
            continue
        assert back[key] == value, key
    for original, result in zip(DESCRIPTOR["resources"], back["resources"], strict=True):
        assert result == original


def test_round_trip_record():
    rec = from_datapackage(DESCRIPTOR)
    assert from_datapackage(to_datapackage(rec)) == rec


@pytest.mark.parametrize("bad", [[], {"name": "x"}, {"resources": "nope"}, {"resources": [3]}])
def test_bad_descriptors_raise_clear_errors(bad):
    with pytest.raises(ValueError):
        from_datapackage(bad)


def test_unknown_licence_and_frequency_are_kept_and_flagged():
    rec = from_datapackage({"name": "x", "licenses": [{"name": "Jinghai Open Licence v1"}], "x_frequency": "每两周一次",
                            "resources": []})
    assert rec["license"] is None and rec["license_raw"] == "Jinghai Open Licence v1"
    assert rec["frequency"] == "每两周一次"
    assert {f["field"] for f in rec["flags"]} == {"license", "frequency"}
