"""`opendata quality file URL` against a real local server: what a data officer sees for tricky files."""

from __future__ import annotations

import pytest

from app.commands.quality import assess_file
from app.settings import load as load_settings

TABLE = "地区,年份,人口（万人）\n" + "".join(f"区{i},2024,{100 + i}.5\n" for i in range(12))


@pytest.fixture
def settings():
    values = load_settings({})
    values.update({"ALLOW_HOSTS": ["127.0.0.1"], "HTTP_RETRIES": 0, "HTTP_TIMEOUT": 5.0})
    return values


def _slugs(doc: dict) -> set[str]:
    return {f["type"] for f in doc["findings"]}


def test_utf8_with_a_bom_is_utf8(settings, local_server):
    """Excel's "CSV UTF-8" writes a byte-order mark: the file was told it is "encoded as utf-8-sig, not UTF-8"
    and to "save the file as UTF-8", which it is. Another encoding is still told."""
    local_server.add_bytes("/bom.csv", b"\xef\xbb\xbf" + TABLE.encode("utf-8"), content_type="text/csv")
    local_server.add_bytes("/gbk.csv", TABLE.encode("gbk"), content_type="text/csv")
    bom = assess_file(settings, local_server.url("/bom.csv"), "CC-BY-4.0")
    assert bom["stars"] == 3 and bom["data"]["rows"] == 12
    assert "encoding-not-utf8" not in _slugs(bom)
    gbk = assess_file(settings, local_server.url("/gbk.csv"), "CC-BY-4.0")
    assert "encoding-not-utf8" in _slugs(gbk)


def test_four_stars_says_one_thing_in_the_singular(settings, local_server):
    """Turtle naming one district with a URI and linking nowhere else: "The RDF names 1 things with URIs"."""
    ttl = ('@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
           '<http://data.jinghai.example/id/district/1> rdfs:label "临江区"@zh .\n').encode()
    local_server.add_bytes("/district.ttl", ttl, content_type="text/turtle")
    doc = assess_file(settings, local_server.url("/district.ttl"), "CC-BY-4.0")
    (finding,) = [f for f in doc["findings"] if f["type"] == "no-external-links"]
    assert doc["stars"] == 4
    assert finding["message"] == "The RDF names 1 thing with URIs but links to no data on other domains."
