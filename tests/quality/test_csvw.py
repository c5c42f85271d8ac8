"""CSV on the Web: a CSV earns its fourth and fifth stars from what its CSVW metadata's templates give on its rows.

The metadata is another distribution of the dataset; the files are archived copies read by the assessment's own
readers (quality.assess.collect_facts), and the stars decided by quality.assess.assess. The `csvw` package, a CSVW
implementation of its own, checks the URIs we expand from the same files."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from catalog_schema.record import new_distribution, new_record
from quality import assess
from quality.csvw import metadata as csvw_metadata
from quality.fetch import CheckResult

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
BASE = "http://127.0.0.1:8123/data/"
STATIONS = "id,name,wikidata\nS1,Central,Q100\nS2,North,Q200\nS3,South,Q300\n"
STATION = "https://data.example.gov/id/station/{id}"


def metadata(url: str = "stations.csv", about: str | None = STATION, columns: list | None = None, **more) -> bytes:
    schema: dict = {"columns": columns or [{"name": "id", "titles": "id"}, {"name": "name", "titles": "name"},
                                           {"name": "wikidata", "titles": "wikidata"}]}
    if about is not None:
        schema["aboutUrl"] = about
    doc = {"@context": "http://www.w3.org/ns/csvw", "url": url, "tableSchema": schema, **more}
    return json.dumps(doc, ensure_ascii=False).encode()


def linked_columns(value_url: str = "http://www.wikidata.org/entity/{wikidata}") -> list[dict]:
    return [{"name": "id", "titles": "id"}, {"name": "name", "titles": "name"},
            {"name": "wikidata", "titles": "wikidata", "propertyUrl": "owl:sameAs", "valueUrl": value_url}]


def assessed(tmp_path, files: dict[str, bytes], *, cache: bool = False, schemas: dict | None = None):
    """Each file archived as the link check would have left it (with the Table Schema `schemas` names for it), the
    dataset assessed: (facts, assessment)."""
    dists, checks = [], {}
    for n, (name, data) in enumerate(files.items()):
        path = tmp_path / f"copy{n}"
        path.write_bytes(data)
        url = BASE + name
        dist = new_distribution(format="CSV" if name.endswith(".csv") else "JSON", download_url=url,
                                schema=(schemas or {}).get(name))
        dists.append(dist)
        checks[assess.dist_key(dist)] = CheckResult(url=url, status="ok", checked_at=NOW, http_status=200,
                                                    path=str(path), size=len(data), sha256=f"{n:064x}")
    record = new_record(title={"en": "Stations"}, slug="stations", license="CC-BY-4.0", distributions=dists)
    facts = assess.collect_facts(record, checks, cache_dir=tmp_path / "archive" if cache else None)
    return facts, assess.assess(record, facts, now=NOW)


def by_url(result: dict, name: str) -> dict:
    return next(d for d in result["distributions"] if d["url"] == BASE + name)


def findings(result: dict, slug: str) -> list[dict]:
    return [f for f in result["findings"] if f["type"] == slug]


def test_an_about_url_giving_http_uris_on_the_rows_earns_four_stars(tmp_path):
    facts, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(), "stations.json": metadata()})
    csv = by_url(result, "stations.csv")
    assert csv["stars"] == 4
    assert csv["reasons"] == ["Its CSV on the Web metadata links to no data on other domains."]
    assert findings(result, "csvw-no-external-links")[0]["evidence"]["subjects"] == 3
    assert not findings(result, "csvw-metadata-unusable")
    fact = next(f for f in facts.values() if f.url == BASE + "stations.csv")
    assert fact.csvw["example_subject"] == "https://data.example.gov/id/station/S1"
    meta = by_url(result, "stations.json")  # JSON-LD to the sniffer: not told to publish RDF that names things
    assert not [f for f in findings(result, "no-uris") if f["distribution"] == meta["id"]]
    assert meta["reasons"][0].startswith("It is CSV on the Web metadata")


def test_value_urls_to_another_domain_earn_five_stars(tmp_path):
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                    "stations.json": metadata(columns=linked_columns())})
    assert by_url(result, "stations.csv")["stars"] == 5
    assert result["stars"] == 5
    assert not findings(result, "csvw-no-external-links")


@pytest.mark.parametrize("about, stars", [(None, 3), (STATION, 4)])
def test_value_urls_to_vocabulary_terms_are_no_links(tmp_path, about, stars):
    columns = [*linked_columns("http://schema.org/{name}"),
               {"name": "kind", "virtual": True, "propertyUrl": "rdf:type", "valueUrl": "schema:Place"},
               {"name": "class", "virtual": True, "propertyUrl": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                "valueUrl": "https://types.example.org/Stop"},  # a class on another domain is a type, not a link
               {"name": "theme", "virtual": True, "propertyUrl": "dcat:theme",
                "valueUrl": "http://publications.europa.eu/resource/authority/data-theme/TRAN"}]
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                    "stations.json": metadata(about=about, columns=columns)})
    assert by_url(result, "stations.csv")["stars"] == stars
    if about is None:
        (finding,) = findings(result, "csvw-no-uris")
        assert "blank nodes" in finding["message"]


def test_links_to_the_subjects_own_domain_are_not_links_to_other_data(tmp_path):
    columns = linked_columns("https://www.example.gov/place/{wikidata}")
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                    "stations.json": metadata(columns=columns)})
    assert by_url(result, "stations.csv")["stars"] == 4


def test_metadata_naming_another_csv_changes_nothing_and_says_so(tmp_path):
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                    "stations.json": metadata(url="elsewhere.csv", columns=linked_columns())})
    csv = by_url(result, "stations.csv")
    assert csv["stars"] == 3
    assert "no CSV on the Web metadata" in csv["reasons"][0]
    (finding,) = findings(result, "csvw-metadata-unusable")
    assert finding["evidence"]["reason"] == "names-no-file"
    assert BASE + "elsewhere.csv" in finding["message"]


def test_the_csv_url_is_resolved_against_the_metadatas_own_address(tmp_path):
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                    "meta/stations.json": metadata(url="../stations.csv")})
    assert by_url(result, "stations.csv")["stars"] == 4


def test_a_table_group_gives_each_csv_it_names_its_own_stars(tmp_path):
    group = {"@context": "http://www.w3.org/ns/csvw",  # the group's schema is the default a table's own replaces
             "tableSchema": {"aboutUrl": STATION, "columns": linked_columns()},
             "tables": [{"url": "stations.csv"},
                        {"url": "lines.csv", "tableSchema": {"columns": [{"name": "id"}, {"name": "name"}]}},
                        {"url": "gone.csv"}]}
    lines = "id,name\nL1,Red\n"
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(), "lines.csv": lines.encode(),
                                    "group.json": json.dumps(group).encode()})
    assert (by_url(result, "stations.csv")["stars"], by_url(result, "lines.csv")["stars"]) == (5, 3)
    (finding,) = findings(result, "csvw-metadata-unusable")
    assert finding["evidence"]["detail"] == BASE + "gone.csv"


@pytest.mark.parametrize("data, reason", [
    (b'{"@context": "http://www.w3.org/ns/csvw", "url": "stations.csv", "tableSchema": {', "json"),
    (metadata(about="https://data.example.gov/id/station/{id"), "template"),
    (metadata(url="stations.csv", tableSchema="schema.json"), "schema-elsewhere"),
    (json.dumps({"@context": "http://www.w3.org/ns/csvw", "tables": []}).encode(), "no-table"),
    (metadata(columns=[{"name": "id"}, {"name": "name"}]), "columns"),
    (metadata(notes=["x" * (4 * 1024 * 1024)]), "too-large"),
])
def test_metadata_that_cannot_be_used_is_a_finding_and_the_csv_keeps_three_stars(tmp_path, data, reason):
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(), "stations.json": data})
    assert by_url(result, "stations.csv")["stars"] == 3
    (finding,) = findings(result, "csvw-metadata-unusable")
    assert finding["evidence"]["reason"] == reason
    assert finding["distribution"] == by_url(result, "stations.json")["id"]
    from quality.findings import Finding

    zh = Finding(**finding).localised("zh")[0]
    assert zh.startswith(BASE + "stations.json 的 CSV on the Web 元数据无法使用：") and "?" not in zh
    assert [f["distribution"] for f in findings(result, "no-uris")] == [by_url(result, "stations.csv")["id"]]


def test_metadata_naming_a_zipped_csv_says_it_is_no_csv(tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("stations.csv", STATIONS)
    _, result = assessed(tmp_path, {"stations.zip": buffer.getvalue(), "stations.json": metadata(url="stations.zip")})
    assert by_url(result, "stations.zip")["stars"] == 3
    (finding,) = findings(result, "csvw-metadata-unusable")
    assert (finding["evidence"]["reason"], finding["evidence"]["format"]) == ("not-csv", "ZIP")


@pytest.mark.parametrize("about, words", [
    ("#station-{id}", "relative URIs"),
    ("station/{id}", "relative URIs"),
    ("urn:station:{id}", "not http(s)"),
])
def test_templates_that_give_relative_or_other_uris_earn_no_fourth_star(tmp_path, about, words):
    _, result = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                    "stations.json": metadata(about=about, columns=linked_columns())})
    assert by_url(result, "stations.csv")["stars"] == 3
    (finding,) = findings(result, "csvw-no-uris")
    assert words in finding["message"] and finding["evidence"]["example"].endswith("S1")


def test_a_gbk_csv_with_chinese_headers_is_read_in_the_dialects_encoding(tmp_path):
    table = "区名,人口,维基数据\n西城区,110,Q393592\n东城区,70,Q393574\n".encode("gbk")
    columns = [{"name": "district", "titles": "区名"}, {"name": "population", "titles": "人口"},
               {"name": "wikidata", "titles": "维基数据", "propertyUrl": "owl:sameAs",
                "valueUrl": "http://www.wikidata.org/entity/{wikidata}"}]
    meta = metadata(url="districts.csv", about="https://data.example.gov.cn/district/{district}", columns=columns,
                    dialect={"encoding": "gbk"})
    facts, result = assessed(tmp_path, {"districts.csv": table, "districts.json": meta}, cache=True)
    assert by_url(result, "districts.csv")["stars"] == 5
    fact = next(f for f in facts.values() if f.url == BASE + "districts.csv")
    assert fact.csvw["example_subject"] == "https://data.example.gov.cn/district/%E8%A5%BF%E5%9F%8E%E5%8C%BA"
    assert fact.csvw["subjects"] == 2 and fact.csvw["links"] == 2
    again, _ = assessed(tmp_path, {"districts.csv": table, "districts.json": meta}, cache=True)  # kept facts
    assert next(f for f in again.values() if f.url == BASE + "districts.csv").csvw == fact.csvw


def test_example_uris_holding_personal_data_are_not_repeated_in_findings(tmp_path):
    table = "id,name\n11010519491231002X,Zhang San\n"
    meta = metadata(url="people.csv", about="urn:person:{id}", columns=[{"name": "id"}, {"name": "name"}])
    facts, result = assessed(tmp_path, {"people.csv": table.encode(), "people.json": meta}, cache=True)
    (finding,) = findings(result, "csvw-no-uris")
    assert "not http(s)" in finding["message"]
    assert "11010519491231002X" not in json.dumps([result, *(f.csvw for f in facts.values())])


@pytest.mark.parametrize("dialect", [{"encoding": "euc-kr"}, None])
def test_the_dialects_encoding_decides_where_detection_can_only_guess(tmp_path, dialect):
    """A short EUC-KR table also decodes as GBK, which the detector guesses; the dialect's encoding settles it."""
    table = "menu,price\n떡볶이,3000\n".encode("euc-kr")
    meta = metadata(url="menu.csv", about="https://data.example.kr/menu/{menu}",
                    columns=[{"name": "menu"}, {"name": "price"}], **({"dialect": dialect} if dialect else {}))
    facts, _ = assessed(tmp_path, {"menu.csv": table, "menu.json": meta})
    subject = next(f for f in facts.values() if f.url == BASE + "menu.csv").csvw["example_subject"]
    korean = "https://data.example.kr/menu/" + "%EB%96%A1%EB%B3%B6%EC%9D%B4"
    assert (subject == korean) == bool(dialect)


def test_the_uris_agree_with_an_independent_csvw_processor(tmp_path):
    """The `csvw` package reads the same metadata and CSV from disk and makes the same subjects and links."""
    from csvw import CSVW

    (tmp_path / "stations.csv").write_text(STATIONS)
    (tmp_path / "stations-metadata.json").write_bytes(metadata(columns=linked_columns()))
    described = [thing for table in CSVW(str(tmp_path / "stations-metadata.json")).to_json()["tables"]
                 for row in table["row"] for thing in row["describes"]]
    subjects = {thing["@id"] for thing in described}
    links = [thing["owl:sameAs"] for thing in described]
    facts, _ = assessed(tmp_path, {"stations.csv": STATIONS.encode(),
                                   "stations.json": metadata(columns=linked_columns())})
    ours = next(f for f in facts.values() if f.url == BASE + "stations.csv").csvw
    assert (ours["subjects"], ours["links"]) == (len(subjects), len(links)) == (3, 3)
    assert ours["example_subject"] in subjects and ours["example_link"] in links


KEYED = "uri,name,wikidata\nhttps://data.example.gov/id/station/S1,Central,http://www.wikidata.org/entity/Q100\n" \
        "https://data.example.gov/id/station/S2,North,http://www.wikidata.org/entity/Q200\n"


def _schema(key: str = "uri", link_format: str | None = "uri", **more) -> dict:
    fields = [{"name": "uri", "type": "string"}, {"name": "name", "type": "string"},
              {"name": "wikidata", "type": "string", **({"format": link_format} if link_format else {})}]
    return {"fields": fields, "primaryKey": key, **more}


@pytest.mark.parametrize("schema, stars, slug", [
    (_schema(), 5, None),
    (_schema(link_format=None), 4, "uri-key-no-external-links"),
    (_schema(key="name"), 3, "no-uris"),  # a key of names names no thing by URI
    (_schema(key="name", rdfType="http://schema.org/Place"), 3, "no-uris"),  # a declared type is a claim
    ({"fields": _schema()["fields"]}, 3, "no-uris"),  # no primary key: nothing says the URIs are the rows' names
])
def test_a_table_schemas_primary_key_of_http_uris_names_the_rows(tmp_path, schema, stars, slug):
    _, result = assessed(tmp_path, {"stations.csv": KEYED.encode()}, schemas={"stations.csv": schema})
    assert by_url(result, "stations.csv")["stars"] == stars
    if slug:
        assert findings(result, slug)


def test_a_key_column_with_one_value_that_is_no_uri_earns_no_fourth_star(tmp_path):
    table = KEYED + "S3,South,http://www.wikidata.org/entity/Q300\n"
    _, result = assessed(tmp_path, {"stations.csv": table.encode()}, schemas={"stations.csv": _schema()})
    assert by_url(result, "stations.csv")["stars"] == 3


def test_only_csvw_metadata_is_read_as_such():
    assert csvw_metadata.read_metadata(b'{"@context": "http://schema.org/", "url": "a.csv"}', BASE) is None
    assert csvw_metadata.read_metadata(b'{"url": "x", "note": "www.w3.org/ns/csvw"}', BASE) is None
    (table,) = csvw_metadata.read_metadata(
        json.dumps({"@context": ["http://www.w3.org/ns/csvw", {"@base": "http://other.example/"}],
                    "url": "t.csv"}).encode(), BASE)
    assert table.url == "http://other.example/t.csv"
