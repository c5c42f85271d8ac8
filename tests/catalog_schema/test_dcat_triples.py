"""The one record -> DCAT-AP 3 mapping (catalog_schema.dcat_triples): its N-Triples terms against rdflib.

`dcat.dataset_to_rdf` turns these terms into rdflib terms with its own small reader; here the same
triples, written as N-Triples text, are parsed by rdflib's parser and must give the same graph, on
values that need escaping, language tags rdflib rejects or rewrites, typed literals it normalises and
values that are no IRI.
"""

from __future__ import annotations

import itertools

import rdflib
from rdflib.compare import isomorphic

from catalog_schema import dcat, dcat_triples
from catalog_schema.record import new_distribution, new_record

SITE = "https://data.example.gov"


def _nt(triples) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def awkward_record() -> dict:
    rec = new_record(
        slug="awkward", uri="https://source.example.org/ds/1?x=\"q\"",
        title={"en": 'Quotes "q", a back\\slash,\nnew line and\rreturn', "de_DE": "Titel", "x-bad tag!": "untagged",
               "": "plain", "zh": "空气质量 ☃"},
        description={"en": "\\n is no new line; \\\" neither; tab\there"},
        keywords=["air", "pollution", "no tag"], themes=["ENVI", "not a theme"],
        publisher={"name": {"en": "Agency <b>"}, "homepage": "https://a.example/x|y", "email": "a@b.example"},
        contact_point={"name": "Desk", "phone": "+1 555"},
        access_rights="weird", frequency="sometimes", spatial=["Berlin", "http://places.example/a{b}"],
        landing_page="https://land.example/with^caret", language=["de", "http://lang.example/x"], rights="all rights",
        conforms_to=["some standard"], issued="2020", modified="2020-01-01T00:00:00Z", version="1.0",
        temporal={"start": "2019-01-01", "end": "not a date"}, license_raw="https://licence.example/l")
    rec["extras"]["keyword_languages"] = {"air": "en-GB", "pollution": "xx_bad_", "no tag": ""}
    rec["distributions"] = [
        new_distribution(id="d", access_url="ftp://files.example/a", format="XLSX", format_raw="xlsx",
                         media_type="application/x-custom", byte_size=7,
                         checksum={"algorithm": "http://algo.example/x", "value": "AB"}),
        new_distribution(id="d", download_url="not an iri", format_raw="weird", license_raw="my licence",
                         byte_size=-3, checksum={"algorithm": "sha1", "value": "zz"}),
    ]
    return rec


def test_terms_read_back_by_rdflibs_parser_are_the_graph_of_dataset_to_rdf():
    for rec in (awkward_record(), new_record(slug="bare", title={"": "x"})):
        triples = dcat_triples.dataset_triples(rec, site_url=SITE, bnodes=itertools.count())
        parsed = rdflib.Graph().parse(data=_nt(triples), format="nt")
        graph = dcat.dataset_to_rdf(rec, site_url=SITE)
        assert len(graph) == len(triples) and isomorphic(parsed, graph), rec["slug"]


def test_awkward_values_are_written_as_rdf_can_carry_them():
    rec = awkward_record()
    graph = dcat.dataset_to_rdf(rec, site_url=SITE)
    ds = rdflib.URIRef(f"{SITE}/dataset/awkward")
    titles = {(str(o), o.language) for o in graph.objects(ds, dcat.DCTERMS.title)}
    assert (rec["title"]["en"], "en") in titles and ("Titel", "de-DE") in titles
    assert ("untagged", None) in titles and ("plain", None) in titles
    keywords = {str(o): o.language for o in graph.objects(ds, dcat.DCAT.keyword)}
    assert keywords == {"air": "en-GB", "pollution": None, "no tag": None}
    assert rdflib.URIRef("https://land.example/with%5Ecaret") in set(graph.objects(ds, dcat.DCAT.landingPage))
    assert str(graph.value(ds, dcat.DCTERMS.modified)) == "2020-01-01T00:00:00+00:00"
    dists = sorted(graph.objects(ds, dcat.DCAT.distribution))
    assert dists == [rdflib.URIRef(f"{SITE}/dataset/awkward/resource/d"),
                     rdflib.URIRef(f"{SITE}/dataset/awkward/resource/d-1")]
    assert dcat_triples.distribution_uris(rec, SITE) == [str(d) for d in dists]


def test_byte_size_literals_written_without_rdflib_are_rdflibs():
    for lexical in ("0", "007", "1024", "18446744073709551616", "١٢", "-1", "1e3"):
        assert (dcat_triples.typed(lexical, dcat_triples.XSD_NON_NEGATIVE)
                == dcat_triples.rdflib_typed(lexical, dcat_triples.XSD_NON_NEGATIVE))


def test_a_date_that_is_no_date_is_left_out_and_a_chinese_one_is_published_in_iso_form():
    """Harvested dates are kept as the source wrote them; DCAT publishes only real ones, typed (an ill-typed
    "2023-13-01"^^xsd:date, which rdflib reports with a traceback on every read, and an untyped "yesterday-ish"
    were published)."""
    from pathlib import Path

    import pyshacl

    rec = new_record(slug="dates", title={"en": "Dates"}, description={"en": "d"}, issued="2024年3月1日",
                     modified="yesterday-ish", temporal={"start": "2023-13-01", "end": "2020年3月"},
                     publisher={"name": {"en": "Agency"}})
    rec["distributions"] = [new_distribution(id="d", access_url="https://files.example/a.csv", issued="2023-13-01",
                                             modified="2024-02-30T10:00:00")]
    graph = dcat.dataset_to_rdf(rec, site_url=SITE)
    ds, dist = rdflib.URIRef(f"{SITE}/dataset/dates"), rdflib.URIRef(f"{SITE}/dataset/dates/resource/d")
    assert graph.value(ds, dcat.DCTERMS.modified) is None and graph.value(dist, dcat.DCTERMS.issued) is None
    assert graph.value(dist, dcat.DCTERMS.modified) is None
    issued = graph.value(ds, dcat.DCTERMS.issued)
    assert (str(issued), issued.datatype) == ("2024-03-01", rdflib.XSD.date)
    period = graph.value(ds, dcat.DCTERMS.temporal)
    assert graph.value(period, dcat.DCAT.startDate) is None
    end = graph.value(period, dcat.DCAT.endDate)
    assert (str(end), end.datatype) == ("2020-03", rdflib.XSD.gYearMonth)
    shapes = rdflib.Graph().parse(Path(__file__).resolve().parents[1] / "fixtures" / "real" / "shacl"
                                  / "dcat-ap_3_shacl_shapes.ttl", format="turtle")
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text
    triples = dcat_triples.dataset_triples(rec, site_url=SITE, bnodes=itertools.count())  # the fast writer agrees
    assert isomorphic(rdflib.Graph().parse(data=_nt(triples), format="nt"), graph)


def test_languages_are_published_as_the_eu_language_table_dcat_ap_names():
    """dct:language was id.loc.gov's ISO 639-1 IRI (<http://id.loc.gov/vocabulary/iso639-1/zh>); DCAT-AP takes the
    EU language table's. A tag that table has no entry for (en-US) keeps the id.loc.gov form; both read back."""
    rec = new_record(slug="langs", title={"zh": "语言"}, description={"zh": "d"}, language=["zh", "en-US"],
                     publisher={"name": {"zh": "局"}})
    graph = dcat.dataset_to_rdf(rec, site_url=SITE)
    ds = rdflib.URIRef(f"{SITE}/dataset/langs")
    assert set(graph.objects(ds, dcat.DCTERMS.language)) == {
        rdflib.URIRef("http://publications.europa.eu/resource/authority/language/ZHO"),
        rdflib.URIRef("http://id.loc.gov/vocabulary/iso639-1/en-US")}
    assert dcat.dataset_from_rdf(graph, ds)["language"] == ["en-US", "zh"]
    triples = dcat_triples.dataset_triples(rec, site_url=SITE, bnodes=itertools.count())  # the fast writer agrees
    assert isomorphic(rdflib.Graph().parse(data=_nt(triples), format="nt"), graph)
