"""quality.openness and quality.findings: five stars from the sniffed bytes, findings with fix hints."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from quality.findings import FINDING_TYPES, Finding, FindingType, make_finding, register
from quality.openness import Evidence, StarResult, dataset_stars, distribution_stars, rdf_link_stats
from quality.sniff import sniff
from tests.support.archives import deflated_zip_bomb

MESSY = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "messy"
DCAT = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "dcat"

OPENNESS_SLUGS = ("link-broken", "licence-missing", "licence-not-open", "format-mismatch", "html-not-data",
                  "not-machine-readable", "proprietary-format", "no-uris", "no-external-links", "archive-bomb")

TTL_NO_LINKS = b"""@prefix ex: <http://data.example.gov/id/> .
@prefix schema: <http://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
ex:school1 a schema:School ; rdfs:label "Hill School"@en ; schema:containedInPlace ex:district7 ;
    dct:type <http://purl.org/dc/dcmitype/Dataset> ; rdfs:seeAlso <http://www.w3.org/TR/vocab-dcat-3/> .
ex:district7 a schema:Place ; rdfs:label "District 7"@en .
"""
TTL_LINKED = TTL_NO_LINKS + (b"ex:district7 <http://www.w3.org/2002/07/owl#sameAs> "
                             b"<http://www.wikidata.org/entity/Q1490> .\n")


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["district", "people"])
    wb.active.append(["Hill", 1200])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _rate(data: bytes, *, name: str = "file", declared: str | None = None, licence: str | None = "CC-BY-4.0"
          ) -> StarResult:
    found = sniff(data, filename=name)
    subjects = links = 0
    if found.format in ("TURTLE", "RDF_XML", "NTRIPLES", "JSON_LD", "N3"):
        _triples, subjects, links = rdf_link_stats(data, found.format)
    ev = Evidence(url=f"https://data.example.gov/files/{name}", reachable=True, http_status=200, error=None,
                  declared_format=declared, sniffed=found, licence_id=licence, rdf_uri_subjects=subjects,
                  rdf_external_links=links)
    return distribution_stars(ev)


def _slugs(result: StarResult) -> list[str]:
    return sorted(f.type for f in result.findings)


# --- the star levels --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "name", "declared", "stars", "slugs"), [
    (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", "report.pdf", "PDF", 1, ["not-machine-readable"]),
    ((MESSY / "messytables_simple.xls").read_bytes(), "simple.xls", "XLS", 2, ["proprietary-format"]),
    (_xlsx(), "people.xlsx", "XLSX", 2, ["proprietary-format"]),
    (b"district,people\nHill,1200\nVale,800\n", "people.csv", "CSV", 3, ["no-uris"]),
    (json.dumps([{"district": "Hill", "people": 1200}]).encode(), "people.json", "JSON", 3, ["no-uris"]),
    (b'<?xml version="1.0"?><districts><district name="Hill" people="1200"/></districts>', "d.xml", "XML", 3,
     ["no-uris"]),
    ((MESSY / "messytables_simple.ods").read_bytes(), "simple.ods", "ODS", 3, ["no-uris"]),
    ((MESSY / "nbs_gdp_20y_gbk.csv").read_bytes(), "gdp.csv", "CSV", 3, ["no-uris"]),
    (TTL_NO_LINKS, "schools.ttl", "TURTLE", 4, ["no-external-links"]),
    (TTL_LINKED, "schools.ttl", "TURTLE", 5, []),
])
def test_star_levels(data, name, declared, stars, slugs):
    result = _rate(data, name=name, declared=declared)
    assert result.stars == stars
    assert _slugs(result) == slugs
    assert len(result.reasons) == 5 - stars
    assert dataset_stars([result]) == stars


def test_each_missed_star_has_an_english_reason():
    result = _rate(_xlsx(), name="people.xlsx", declared="XLSX")
    assert result.reasons == ["Excel XLSX is a proprietary format.",
                              "Excel XLSX is not RDF, so things are not named with URIs.",
                              "It does not link to data on other domains."]


def test_closed_licence_is_zero_stars_whatever_the_format():
    result = _rate(TTL_LINKED, name="schools.ttl", declared="TURTLE", licence="other-closed")
    assert result.stars == 0
    assert _slugs(result) == ["licence-not-open"]
    assert len(result.reasons) == 5
    assert "not an open licence" in result.reasons[0]
    unknown = _rate(b"a,b\n1,2\n3,4\n", name="t.csv", declared="CSV", licence="unknown:Copyright the Council")
    assert (unknown.stars, _slugs(unknown)) == (0, ["licence-not-open"])
    assert unknown.findings[0].evidence["known"] is False
    # named as the source wrote it, in both languages ("unknown:" is the catalog's own marker); not said to be
    # closed, which the catalog does not know, but not recognised, so not counted as open
    zh = unknown.findings[0].localised("zh")[0]
    assert zh == "许可协议“Copyright the Council”无法识别，因此不能算作开放许可协议。"
    assert unknown.findings[0].message == ("The licence Copyright the Council is not one the catalog recognises, so "
                                           "it is not counted as an open licence.")


@pytest.mark.parametrize("licence", [None, "", "notspecified"])
def test_missing_licence_is_zero_stars(licence):
    result = _rate(b"a,b\n1,2\n3,4\n", name="t.csv", declared="CSV", licence=licence)
    assert (result.stars, _slugs(result)) == (0, ["licence-missing"])


def test_broken_link_is_zero_stars():
    ev = Evidence(url="https://data.example.gov/files/gone.csv", reachable=False, http_status=404,
                  error="HTTP 404", declared_format="CSV", sniffed=None, licence_id="CC-BY-4.0")
    result = distribution_stars(ev)
    assert (result.stars, _slugs(result)) == (0, ["link-broken"])
    finding = result.findings[0]
    assert finding.severity == "error"
    assert finding.evidence["http_status"] == 404
    assert "HTTP 404" in finding.message and "gone.csv" in finding.message
    timeout = distribution_stars(Evidence(url="https://x.example/a.csv", reachable=False, http_status=None,
                                          error="timed out after 30 s", declared_format=None, sniffed=None,
                                          licence_id=None))
    assert (timeout.stars, _slugs(timeout)) == (0, ["licence-missing", "link-broken"])
    # the checker's problem in plain words; the evidence keeps it as it was
    assert "(the server did not answer in time)" in timeout.findings[0].message
    assert timeout.findings[0].evidence["problem"] == "timed out after 30 s"
    unchecked = distribution_stars(Evidence(url="https://x.example/a.csv", reachable=False, http_status=None,
                                            error="not checked yet", declared_format=None, sniffed=None,
                                            licence_id="CC-BY-4.0"))  # quality.assess's words for no check at all
    assert unchecked.reasons[0] == "The file could not be downloaded (the link has not been checked yet)."
    assert unchecked.findings[0].localised("zh")[0] == "无法下载 https://x.example/a.csv 的文件（链接尚未检查）。"


def test_server_error_with_a_body_is_still_broken():
    ev = Evidence(url="https://x.example/a.csv", reachable=True, http_status=500, error=None, declared_format="CSV",
                  sniffed=sniff(b"a,b\n1,2\n"), licence_id="CC-BY-4.0")
    assert _slugs(distribution_stars(ev)) == ["link-broken"]


# --- the sniffed format decides, not the declared one ----------------------------------------


def test_xlsx_declared_csv_earns_two_stars_and_a_mismatch():
    result = _rate(_xlsx(), name="people.csv", declared="CSV")
    assert result.stars == 2
    assert _slugs(result) == ["format-mismatch", "proprietary-format"]
    mismatch = next(f for f in result.findings if f.type == "format-mismatch")
    assert mismatch.evidence == {"declared": "CSV", "sniffed": "XLSX", "recognised": True}
    assert mismatch.message == "The format is declared as CSV, but the file is Excel XLSX."
    assert mismatch.fix == "Correct the declared format to Excel XLSX (or publish the file the metadata promises)."


def test_csv_declared_pdf_earns_three_stars():
    result = _rate(b"a,b\n1,2\n3,4\n", name="t.pdf", declared="PDF")
    assert result.stars == 3
    assert _slugs(result) == ["format-mismatch", "no-uris"]


def test_html_where_a_csv_was_promised():
    page = b"<!DOCTYPE html><html><head><title>Page not found</title></head><body>Sorry</body></html>"
    # a soft 404 or a landing page: the promised data is not what the link gives, so no stars
    result = _rate(page, name="people.csv", declared="CSV")
    assert result.stars == 0
    # said once: format-mismatch's "correct the declared format to HTML" would have it declared no data
    assert _slugs(result) == ["html-not-data"]
    html = next(f for f in result.findings if f.type == "html-not-data")
    assert html.severity == "error"
    assert result.reasons[0] == "The link returns an HTML web page, not the data file."
    undeclared = _rate(page, name="people", declared=None)
    assert (undeclared.stars, _slugs(undeclared)) == (0, ["html-not-data"])
    closed = _rate(page, name="people.csv", declared="CSV", licence="other-closed")
    assert _slugs(closed) == ["html-not-data", "licence-not-open"]
    # a web page declared as one is on the web, just not data
    declared_page = _rate(page, name="about.html", declared="HTML")
    assert (declared_page.stars, _slugs(declared_page)) == (1, ["not-machine-readable"])


@pytest.mark.parametrize(("declared", "slugs"), [
    ("ZIP", ["no-uris"]), ("CSV", ["no-uris"]), ("XLSX", ["format-mismatch", "no-uris"]),
])
def test_zipped_csv_is_rated_as_csv(declared, slugs):
    data = _zip({"people.csv": b"district,people\nHill,1200\nVale,800\n"})
    result = _rate(data, name="people.zip", declared=declared)
    assert result.stars == 3
    assert result.format == "CSV"
    assert _slugs(result) == slugs


def test_compatible_declarations_are_not_mismatches():
    geo = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    assert _slugs(_rate(geo, name="a.geojson", declared="JSON")) == ["no-uris"]
    atom = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'
    assert _slugs(_rate(atom, name="feed.xml", declared="XML")) == ["no-uris"]
    assert _slugs(_rate(b"a\tb\n1\t2\n3\t4\n", name="a.tsv", declared="CSV")) == ["no-uris"]
    assert _slugs(_rate(b"a,b\n1,2\n", name="a.csv", declared="text/csv")) == ["no-uris"]
    assert _slugs(_rate(b"a,b\n1,2\n", name="a.csv", declared="Comma Separated Values")) == ["no-uris"]


def test_encrypted_workbook_is_not_machine_readable():
    result = _rate((MESSY / "messytables_encrypted_no_password.xls").read_bytes(), name="e.xls", declared="XLS")
    assert (result.stars, _slugs(result)) == (1, ["not-machine-readable"])
    assert result.findings[0].evidence["encrypted"] is True
    assert "encrypted" in result.findings[0].message


def test_zip_bomb_is_a_finding():
    bomb = deflated_zip_bomb(size=200 << 20)
    result = _rate(bomb, name="data.zip", declared="ZIP")
    assert result.stars == 1
    assert _slugs(result) == ["archive-bomb", "not-machine-readable"]
    bomb_finding = next(f for f in result.findings if f.type == "archive-bomb")
    assert bomb_finding.evidence["uncompressed"] == 200 << 20


def test_dataset_takes_the_best_distribution():
    results = [_rate(_xlsx(), name="a.xlsx"), _rate(TTL_NO_LINKS, name="a.ttl"),
               _rate(b"%PDF-1.4\n%%EOF", name="a.pdf")]
    assert [r.stars for r in results] == [2, 4, 1]
    assert dataset_stars(results) == 4
    assert dataset_stars([]) == 0


def test_unrecognised_bytes_are_one_star():
    result = _rate(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(40), name="data.7z", declared="CSV")
    assert (result.stars, _slugs(result)) == (1, ["format-mismatch", "not-machine-readable"])
    assert result.reasons[0] == "An unrecognised file (7z) is not structured, machine-readable data."
    mismatch = next(f for f in result.findings if f.type == "format-mismatch")
    assert mismatch.message == "The format is declared as CSV, but the file is an unrecognised file (7z)."
    assert result.findings[0].evidence["format"] == "an unrecognised file (7z)"


def test_the_fix_of_a_file_of_no_recognised_format_says_what_was_found():
    """Its fix said "Correct the declared format to an unrecognised file (7z)" (将声明的格式更正为
    未知类型的文件（7z）): the publisher was told to declare a format that is none. It now says what was found
    and what to do, in both languages; a finding kept before `recognised` was recorded is told by its label; the
    slug stays."""
    result = _rate(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(40), name="data.7z", declared="CSV")
    mismatch = next(f for f in result.findings if f.type == "format-mismatch")
    assert mismatch.evidence == {"declared": "CSV", "sniffed": "an unrecognised file (7z)", "recognised": False}
    assert mismatch.fix == ("The file is an unrecognised file (7z), which does not match the declared format CSV: "
                            "publish the data in an open, machine-readable format such as CSV or JSON and declare "
                            "that format, or correct the declared format to what the file really is.")
    zh = mismatch.localised("zh")[1]
    assert zh.startswith("文件是未知类型的文件（7z），与声明的格式 CSV 不符：") and "更正为" in zh
    assert "更正为 未知" not in zh and "更正为未知" not in zh
    kept = make_finding("format-mismatch", declared="CSV", sniffed="ZIP of an unrecognised file")  # no `recognised`
    assert kept.fix.startswith("The file is an unrecognised file in a ZIP archive, which does not match")
    assert kept.localised("zh")[1].startswith("文件是 ZIP 压缩包中的未知类型的文件，与声明的格式 CSV 不符")
    machine = next(f for f in result.findings if f.type == "not-machine-readable")
    assert machine.evidence["recognised"] is False
    assert machine.fix.startswith("Publish the data as a structured file (CSV, JSON or XML) in place of this one, "
                                  "whose format the portal does not recognise")
    assert machine.localised("zh")[0] == "文件是未知类型的文件（7z），软件无法将其作为数据读取。"


def test_fixes_that_read_wrong_of_a_missing_value_have_their_own_words():
    """A value that can be missing or no value at all made the sentence around it wrong: "Fix the link so that
    (no URL) downloads the file", "CSV, JSON or XML rather than a file not yet examined" (in Chinese too, in
    English), "or save the file in utf-9"."""
    no_url = distribution_stars(Evidence(url=None, reachable=False, http_status=None, error="no http(s) URL to check",
                                         declared_format="CSV", sniffed=None, licence_id="CC-BY-4.0"))
    broken = next(f for f in no_url.findings if f.type == "link-broken")
    assert (broken.message, broken.fix) == (
        "The distribution gives no address to download its file from.",
        "Give the distribution the address (URL) of its file; it scores no stars until it has one.")
    assert broken.localised("zh") == ("该资源没有提供可下载文件的地址。",
                                      "为该资源填写其文件的地址（URL）；在此之前该资源得零星。")
    assert make_finding("link-broken", url="http://x.test/a.csv", problem="HTTP 404").fix.startswith(
        "Fix the link so that http://x.test/a.csv downloads the file")
    unseen = distribution_stars(Evidence(url="http://x.test/a.csv", reachable=True, http_status=200, error=None,
                                         declared_format="CSV", sniffed=None, licence_id="CC-BY-4.0"))
    machine = next(f for f in unseen.findings if f.type == "not-machine-readable")
    assert machine.evidence["examined"] is False
    assert machine.message == "The downloaded file has not been examined yet, so its format is not known."
    assert machine.fix.startswith("Nothing to change for now: the portal examines the file at its next check.")
    assert machine.localised("zh") == ("已下载的文件尚未检查，因此其格式未知。",
                                       "暂时无需修改：门户将在下次检查时检查该文件。如果此问题一直存在，请联系门户管理员。")
    from quality.rules.encoding_declared import check as declared_check
    from quality.sniff.model import Sniffed

    refused = Sniffed("CSV", encoding="gbk", details={"encoding_refused": [
        {"declared": "utf-9", "by": "metadata", "why": "unknown", "encoding": "gbk"},
        {"declared": "big5", "by": "metadata", "why": "undecodable", "encoding": "gbk"}]})
    unknown, undecodable = declared_check(refused)
    assert unknown.fix == ("Correct the encoding the metadata declares for this file to GBK: utf-9 is not the name of "
                           "a character encoding.")
    assert unknown.localised("zh")[1] == "请将元数据为此文件声明的编码改为 GBK：utf-9 不是字符编码的名称。"
    assert undecodable.fix == ("Correct the encoding the metadata declares for this file to GBK (or save the file in "
                               "big5).")


def test_star_result_serialises():
    data = _rate(_xlsx(), name="a.xlsx").to_dict()
    assert data["stars"] == 2
    assert data["format"] == "XLSX"
    assert data["findings"][0]["type"] == "proprietary-format"
    json.dumps(data)


# --- RDF link statistics ----------------------------------------------------------------------


def test_rdf_link_stats_ignores_types_and_vocabularies():
    assert rdf_link_stats(TTL_NO_LINKS, "TURTLE") == (7, 2, 0)
    assert rdf_link_stats(TTL_LINKED, "TURTLE") == (8, 2, 1)


def test_rdf_link_stats_blank_and_same_domain_objects():
    data = b"""@prefix ex: <https://data.example.gov/id/> .
_:x ex:p <http://elsewhere.example.org/thing> .
ex:a ex:p <https://www.example.gov/other> ; ex:q <https://stats.example.gov/y> .
"""
    # the blank node is no http subject; example.gov objects are the publisher's own domain,
    # elsewhere.example.org is another domain even when the subject is a blank node
    assert rdf_link_stats(data, "TURTLE") == (3, 1, 1)


def test_rdf_link_stats_on_real_catalogs():
    triples, subjects, links = rdf_link_stats((DCAT / "gob_es_dataset.ttl").read_bytes(), "TURTLE")
    assert (triples, subjects) == (30, 6)
    assert links == 1  # the licence page on datos.madrid.es, another domain than datos.gob.es
    triples, subjects, links = rdf_link_stats((DCAT / "unibo_catalog.rdf").read_bytes(), "RDF_XML")
    assert triples > 900 and subjects > 50 and links > 0


def test_rdf_link_stats_ntriples_and_jsonld_offline():
    nt = (b"<http://data.example.gov/id/1> <http://www.w3.org/2002/07/owl#sameAs> "
          b"<http://dbpedia.org/resource/Madrid> .\n")
    assert rdf_link_stats(nt, "NTRIPLES") == (1, 1, 1)
    # a remote @context is not fetched (the test network guard would raise): schema.org maps to its @vocab
    doc = {"@context": "https://schema.org", "@id": "http://data.example.gov/id/1", "@type": "Place",
           "sameAs": {"@id": "http://www.wikidata.org/entity/Q2807"}}
    assert rdf_link_stats(json.dumps(doc).encode(), "JSON_LD") == (2, 1, 1)
    other = {"@context": ["https://example.org/remote-context.jsonld", {"name": "http://schema.org/name"}],
             "@id": "http://data.example.gov/id/2", "name": "Hill"}
    assert rdf_link_stats(json.dumps(other).encode(), "JSON_LD") == (1, 1, 0)


def test_rdf_xml_entities_as_shorthand_allowed_bombs_refused():
    shorthand = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY ex "http://data.example.gov/id/">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:owl="http://www.w3.org/2002/07/owl#">
  <rdf:Description rdf:about="&ex;1"><owl:sameAs rdf:resource="http://www.wikidata.org/entity/Q1"/></rdf:Description>
</rdf:RDF>"""
    assert rdf_link_stats(shorthand, "RDF_XML") == (1, 1, 1)
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://x/&b;"/></rdf:RDF>"""
    with pytest.raises(ValueError, match="entities"):
        rdf_link_stats(bomb, "RDF_XML")
    external = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://x/&e;"/></rdf:RDF>"""
    with pytest.raises(ValueError, match="entities"):
        rdf_link_stats(external, "RDF_XML")


def test_rdf_link_stats_rejects_garbage():
    with pytest.raises(ValueError):
        rdf_link_stats(b"@prefix ex: <http://x/> .\nex:a ex:b", "TURTLE")
    with pytest.raises(ValueError):
        rdf_link_stats(b"a,b\n", "CSV")


# --- findings registry ------------------------------------------------------------------------


def test_every_openness_slug_is_registered_in_both_languages():
    for slug in OPENNESS_SLUGS:
        ftype = FINDING_TYPES[slug]
        assert ftype.slug == slug
        assert ftype.severity in ("error", "warning", "info")
        for text in (ftype.title_en, ftype.title_zh, ftype.fix_en, ftype.fix_zh):
            assert text.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ftype.title_zh + ftype.fix_zh)


def test_fix_hints_say_how_to_reach_the_next_star():
    assert make_finding("proprietary-format", format="XLSX").fix == \
        "Publish the table as CSV as well as Excel XLSX to reach three stars."
    assert "four stars" in make_finding("no-uris", format="CSV").fix
    assert "five stars" in make_finding("no-external-links", subjects=3).fix
    assert "one star" in make_finding("licence-missing").fix


def test_finding_renders_in_chinese_from_its_evidence():
    finding = make_finding("format-mismatch", distribution="d1", declared="CSV", sniffed="XLSX")
    message, fix = finding.localised("zh")
    assert message == "声明的格式为 CSV，但文件实际为 Excel XLSX。"
    assert "XLSX" in fix
    assert finding.to_dict() == {"type": "format-mismatch", "severity": "warning", "message": finding.message,
                                 "fix": finding.fix, "distribution": "d1",
                                 "evidence": {"declared": "CSV", "sniffed": "XLSX"}}


def test_missing_evidence_shows_a_mark_and_unknown_slugs_fail_loudly():
    assert make_finding("format-mismatch").message == "The format is declared as ?, but the file is ?."
    with pytest.raises(KeyError):
        make_finding("no-such-rule")
    with pytest.raises(ValueError, match="already registered"):
        register(FINDING_TYPES["no-uris"])
    with pytest.raises(ValueError, match="severity"):
        FindingType("x-y", "fatal", "t", "标题", "f", "修复")


def test_finding_is_frozen():
    finding = Finding("no-uris", "info", "m", "f")
    with pytest.raises(AttributeError):
        finding.type = "other"  # type: ignore[misc]
    assert finding.evidence == {} and finding.distribution is None


def test_formats_are_named_as_people_name_them_and_periods_late_are_rounded():
    """A finding's texts and a star's reasons name a format by its label (GeoJSON, RDF/XML, Turtle), not its
    vocabulary code (GEOJSON, RDF_XML, TURTLE: "The file is GEOJSON"), in both languages; the evidence keeps the
    code for programs. A stale finding says 33.7 periods late, not 33.71."""
    mismatch = make_finding("format-mismatch", declared="GEOJSON", sniffed="RDF_XML")
    assert mismatch.message == "The format is declared as GeoJSON, but the file is RDF/XML."
    assert mismatch.evidence == {"declared": "GEOJSON", "sniffed": "RDF_XML"}
    assert mismatch.localised("zh")[0] == "声明的格式为 GeoJSON，但文件实际为 RDF/XML。"
    assert make_finding("no-uris", format="GEOJSON").message.startswith("The file is GeoJSON:")
    unknown = make_finding("not-machine-readable", format="an unrecognised file (OLE2)", detail="", detail_zh="")
    assert unknown.message.startswith("The file is an unrecognised file (OLE2),")
    stale = make_finding("stale", periods_late=33.71, age_days=1056.3, expected_days=31, frequency="MONTHLY",
                         dated="modified")
    assert "33.7 periods late" in stale.message and "已滞后 33.7 个周期" in stale.localised("zh")[0]
    assert "已滞后 2 个周期" in make_finding("stale", periods_late=2.0, age_days=93, expected_days=31,
                                           frequency="MONTHLY", dated="modified").localised("zh")[0]
