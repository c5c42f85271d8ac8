"""CKAN package dict <-> catalog record, on real package_show / package_search payloads.

Birmingham (package_search, one dataset with 45 XLS resources), data.gov.uk (CKAN 2.6, an
INSPIRE record with 26 extras, archiver/qa blocks) and demo.ckan.org (Italian, Chinese titles).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_schema import ckan, vocab
from catalog_schema.ckan import from_ckan, to_ckan
from catalog_schema.record import new_distribution, new_record, pick_text, validation_errors

CKAN = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "ckan"


def _load(name: str):
    return json.loads((CKAN / name).read_text("utf-8"))


def _birmingham() -> list[dict]:
    return _load("birmingham_package_search.json")["result"]["results"]


def _package(name: str) -> dict:
    return _load(name)["result"]


def _all_packages() -> list[tuple[str, dict]]:
    out = [(f"birmingham:{p['name']}", p) for p in _birmingham()]
    for name in ("create", "inspire", "update"):
        out.append((f"datagovuk:{name}", _package(f"datagovuk_package_show_{name}.json")))
    for path in sorted((CKAN / "demockan").glob("*-*.json")):
        out.append((f"demo:{path.stem}", json.loads(path.read_text("utf-8"))["result"]))
    out += [(f"demo-search:{p['name']}", p) for p in _load("demockan/packages.json")["result"]["results"]]
    return out


PACKAGES = _all_packages()
IDS = [name for name, _ in PACKAGES]


def test_fixture_set_is_the_expected_one():
    assert len(PACKAGES) == 19
    assert len(_birmingham()) == 10


@pytest.mark.parametrize("package", [p for _, p in PACKAGES], ids=IDS)
def test_every_mapped_package_is_a_valid_record(package):
    rec = from_ckan(package)
    assert validation_errors(rec) == []
    assert rec["id"] == package["id"]
    assert rec["slug"] == package["name"]
    assert len(rec["distributions"]) == len(package["resources"])


@pytest.mark.parametrize("package", [p for _, p in PACKAGES], ids=IDS)
def test_to_ckan_gives_the_package_back(package):
    back = to_ckan(from_ckan(package))
    for key, value in package.items():
        assert back[key] == value, key
    # what CKAN clients read, spelled out
    for key in ("title", "name", "notes", "tags", "license_id", "extras"):
        assert back[key] == package[key]
    assert (back["organization"] or {}).get("name") == (package["organization"] or {}).get("name")
    for got, raw in zip(back["resources"], package["resources"], strict=True):
        for key in ("url", "format", "name", "description", "id"):
            assert got[key] == raw[key]


@pytest.mark.parametrize("package", [p for _, p in PACKAGES], ids=IDS)
def test_from_ckan_of_to_ckan_is_the_same_record(package):
    rec = from_ckan(package)
    assert from_ckan(to_ckan(rec)) == rec


def test_birmingham_distribution_count_matches_the_raw_file():
    raw = json.loads((CKAN / "birmingham_package_search.json").read_text("utf-8"))
    true_count = sum(len(p["resources"]) for p in raw["result"]["results"])
    mapped = [from_ckan(p) for p in raw["result"]["results"]]
    assert sum(len(r["distributions"]) for r in mapped) == true_count == 54


def test_birmingham_45_resources_stay_intact():
    package = next(p for p in _birmingham() if len(p["resources"]) == 45)
    rec = from_ckan(package)
    assert len(rec["distributions"]) == 45
    for dist, res in zip(rec["distributions"], package["resources"], strict=True):
        assert dist["id"] == res["id"]
        assert dist["download_url"] == res["url"]  # url_type "upload": a file CKAN stores
        assert dist["access_url"] is None
        assert dist["title"] == {"": res["name"]}  # verbatim, trailing spaces included
        assert dist["format_raw"] == (res["format"] or None)
        assert dist["format"] == ("XLS" if res["format"] == "XLS" else None)
        assert dist["checksum"] == ({"algorithm": "md5", "value": res["hash"]} if res["hash"] else None)
        assert dist["issued"] == res["created"]
        assert dist["extras"]["ckan"]["url_type"] == "upload"
        assert dist["extras"]["ckan"]["position"] == res["position"]
    # two of the 45 declare no format at all: unknown, not guessed, not flagged as unrecognised
    assert sum(1 for d in rec["distributions"] if d["format"] is None) == 2
    assert rec["flags"] == []


def test_birmingham_dataset_fields():
    package = next(p for p in _birmingham() if len(p["resources"]) == 45)
    rec = from_ckan(package)
    assert rec["title"] == {"": "Purchase Card Transactions"}
    assert rec["description"][""].startswith("Under the Code of Recommended Practice")
    assert rec["keywords"] == ["payments", "purchase card"]
    assert rec["license"] == "OGL-UK-3.0" and rec["license_raw"] == "uk-ogl"
    assert rec["contact_point"] == {"name": "Ian Martin", "email": "ian.martin@birmingham.gov.uk",
                                    "url": None, "phone": None}
    assert rec["publisher"]["slug"] == "birmingham-city-council"
    assert rec["publisher"]["name"] == {"": "Birmingham City Council"}
    assert rec["publisher"]["extras"]["ckan"]["id"] == package["organization"]["id"]
    assert rec["issued"] == package["metadata_created"] and rec["modified"] == package["metadata_modified"]
    assert rec["landing_page"] is None  # CKAN's url is ""
    kept = rec["extras"]["ckan"]
    # unmapped top-level keys, and values the canonical writer would spell differently, kept verbatim
    assert kept["groups"] == package["groups"]
    assert kept["author"] == "Ian Martin"
    assert kept["maintainer_email"] == "ian.martin@birmingham.gov.uk "
    assert kept["license_title"] == "UK Open Government Licence (OGL)"
    assert kept["revision_id"] == package["revision_id"]
    assert kept["relationships_as_object"] == []


def test_inspire_record_keeps_all_26_extras():
    package = _package("datagovuk_package_show_inspire.json")
    assert len(package["extras"]) == 26
    rec = from_ckan(package)
    assert rec["extras"]["ckan_extras"] == {e["key"]: e["value"] for e in package["extras"]}
    assert list(rec["extras"]["ckan_extras"]) == [e["key"] for e in package["extras"]]
    out = to_ckan(rec)
    assert out["extras"] == package["extras"]
    assert len(out["extras"]) == 26
    # well-known extras are read into record fields too
    assert rec["frequency"] == "QUARTERLY"  # frequency-of-update: quarterly
    assert rec["themes"] == ["ENVI"]  # theme-primary: Environment
    assert rec["contact_point"]["email"] == "data.info@environment-agency.gov.uk"
    assert rec["temporal"] is None  # temporal_coverage-from/-to are "[]"
    assert rec["extras"]["ckan"]["archiver"] == package["archiver"]
    assert rec["extras"]["ckan"]["qa"] == package["qa"]


def test_inspire_resources_are_services_not_files():
    package = _package("datagovuk_package_show_inspire.json")
    rec = from_ckan(package)
    for dist, res in zip(rec["distributions"], package["resources"], strict=True):
        assert dist["access_url"] == res["url"] and dist["download_url"] is None
        assert dist["extras"]["ckan"]["archiver"] == res["archiver"]
    assert [d["format"] for d in rec["distributions"]] == [None, "WMS", "WMS"]


def test_link_to_a_csv_file_is_a_download_and_a_page_is_an_access_url():
    package = _package("datagovuk_package_show_update.json")
    rec = from_ckan(package)
    csv, page = rec["distributions"]
    assert csv["download_url"].endswith("Ford_crossings.csv") and csv["access_url"] is None
    assert page["access_url"] == "http://datamillnorth.org/dataset/ford-crossings" and page["download_url"] is None
    assert rec["themes"] == ["ENVI", "TRAN"]  # theme-primary + theme-secondary '["Transport"]'


def test_demo_chinese_title_and_italian_text():
    packages = {p["id"]: p for _, p in PACKAGES if _.startswith("demo:")}
    hk = from_ckan(packages["9c3036b8-f6ac-4a4e-9036-5a3cc90c3900"])
    assert hk["title"] == {"": "規管海外物業銷售"}
    assert to_ckan(hk)["title"] == "規管海外物業銷售"
    it = from_ckan(packages["17be64bb-da74-4195-9bb8-565c39846af2"])
    assert it["keywords"] == ["2016", "RASE", "età"]
    assert it["license"] == "CC-BY-4.0" and it["license_raw"] == "cc-by"
    assert it["contact_point"] is None  # maintainer/author are all ""
    assert it["extras"]["ckan_extras"] == {"Anno": "2016"}


def test_fluent_translations_become_language_maps():
    package = copy.deepcopy(_package("demockan/9c3036b8-f6ac-4a4e-9036-5a3cc90c3900.json"))
    package["title_translated"] = {"zh_Hant": "規管海外物業銷售", "en": "Regulation of sale of overseas properties"}
    package["extras"] = [{"key": "notes_translated", "value": json.dumps({"en": "English notes", "zh": "中文"})}]
    rec = from_ckan(package)
    assert rec["title"] == {"zh-Hant": "規管海外物業銷售", "en": "Regulation of sale of overseas properties"}
    assert rec["description"] == {"en": "English notes", "zh": "中文"}
    assert validation_errors(rec) == []
    back = to_ckan(rec)
    assert back["title"] == package["title"] and back["title_translated"] == package["title_translated"]
    assert back["extras"] == package["extras"]


def test_an_organization_s_names_homepage_and_a_file_s_licence_are_read_and_written_back():
    """What this catalog's own package_show says of a publisher (ckanext-fluent's title_translated, its url) and
    of a file (ckanext-dcat's resource `license`) reaches the record, and the package comes back as it was."""
    package = copy.deepcopy(_package("demockan/9c3036b8-f6ac-4a4e-9036-5a3cc90c3900.json"))
    package["organization"] = {**(package.get("organization") or {"name": "jinghai-stats"}),
                               "title": "Jinghai Statistics Bureau",
                               "title_translated": {"zh": "京海市统计局", "en": "Jinghai Statistics Bureau"},
                               "url": "https://stats.jinghai.example/"}
    package["resources"][0]["license"] = "http://creativecommons.org/licenses/by/4.0/"
    package["resources"].append({**package["resources"][0], "id": "r-2", "license": "Jinghai reuse terms"})
    rec = from_ckan(package)
    pub = rec["publisher"]
    assert pub["name"] == {"zh": "京海市统计局", "en": "Jinghai Statistics Bureau"}
    assert pub["homepage"] == "https://stats.jinghai.example/"
    first, second = rec["distributions"][0], rec["distributions"][-1]
    assert first["license"] == "CC-BY-4.0" and first["license_raw"] == "http://creativecommons.org/licenses/by/4.0/"
    assert second["license"] is None and second["license_raw"] == "Jinghai reuse terms"
    assert {"field": f"distributions[{len(rec['distributions']) - 1}].license", "value": "Jinghai reuse terms",
            "reason": "licence not recognised"} in rec["flags"]
    assert validation_errors(rec) == []
    back = to_ckan(rec)
    assert back["organization"] == package["organization"] and back["resources"] == package["resources"]
    assert from_ckan(back) == rec
    edited = copy.deepcopy(rec)  # a licence changed in the catalog is written, not the stale text
    edited["distributions"][0]["license"], edited["distributions"][0]["license_raw"] = "CC0-1.0", None
    assert to_ckan(edited)["resources"][0]["license"] == vocab.licence_by_id("CC0-1.0").url


def test_unrecognised_licence_and_format_are_kept_and_flagged():
    package = copy.deepcopy(_package("datagovuk_package_show_update.json"))
    package["license_id"] = "birmingham-council-terms"
    package["license_url"], package["license_title"] = None, "Birmingham council terms"
    package["resources"][0]["format"] = "ArcGIS MapServer"
    rec = from_ckan(package)
    assert rec["license"] is None and rec["license_raw"] == "birmingham-council-terms"
    assert rec["distributions"][0]["format"] is None and rec["distributions"][0]["format_raw"] == "ArcGIS MapServer"
    assert {"field": "license", "value": "birmingham-council-terms", "reason": "licence not recognised"} in rec["flags"]
    assert {"field": "distributions[0].format", "value": "ArcGIS MapServer",
            "reason": "format not recognised"} in rec["flags"]
    back = to_ckan(rec)
    assert back["license_id"] == "birmingham-council-terms" and back["resources"][0]["format"] == "ArcGIS MapServer"


def test_an_edited_record_is_written_canonically_not_from_stale_verbatim():
    rec = from_ckan(_package("datagovuk_package_show_inspire.json"))
    rec["license"], rec["license_raw"] = "CC-BY-4.0", None
    rec["keywords"] = ["flood", "planning"]
    rec["frequency"] = "MONTHLY"
    rec["contact_point"] = {"name": "Flood team", "email": "floods@example.gov.uk", "url": None, "phone": None}
    out = to_ckan(rec)
    lic = vocab.licence("CC-BY-4.0")
    assert (out["license_id"], out["license_title"], out["license_url"], out["isopen"]) == \
        ("cc-by", lic.title, lic.url, True)
    assert out["tags"] == [{"name": "flood"}, {"name": "planning"}] and out["num_tags"] == 2
    extras = {e["key"]: e["value"] for e in out["extras"]}
    assert "frequency-of-update" not in extras
    assert extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    assert "contact-email" not in extras  # the contact changed: its old source extra goes
    raw = {e["key"]: e for e in _package("datagovuk_package_show_inspire.json")["extras"]}
    untouched = [e for e in out["extras"] if e["key"] != "frequency"]
    assert len(untouched) == 24 and all(e == raw[e["key"]] for e in untouched)
    assert (out["maintainer"], out["maintainer_email"]) == ("Flood team", "floods@example.gov.uk")
    again = from_ckan(out)
    for field in ("license", "keywords", "frequency", "contact_point", "themes", "title"):
        assert again[field] == rec[field]


def test_a_record_from_elsewhere_becomes_a_ckan_package_and_back():
    rec = new_record(
        id="0b8e6f1e-4c1a-4d59-8a37-2f7fd0d1c001", slug="bus-stops", identifier="https://data.example.gov/id/bus",
        title={"en": "Bus stops", "zh": "公交站点"}, description={"en": "Every stop."},
        publisher={"slug": "transport", "name": {"en": "Transport Department"}, "extras": {}},
        contact_point={"name": "Data team", "email": "data@example.gov", "url": None, "phone": None},
        keywords=["bus", "交通"], themes=["TRAN"], license="CC-BY-4.0", license_raw="CC-BY-4.0",
        access_rights="PUBLIC", issued="2024-01-02", modified="2024-03-04", frequency="MONTHLY",
        temporal={"start": "2020-01-01", "end": "2023-12-31"}, spatial=["http://sws.geonames.org/1816670/"],
        language=["zh", "en"], conforms_to=["https://schema.example.gov/bus"], landing_page="https://example.gov/bus",
        version="2.1",
        distributions=[new_distribution(id="d1", title={"en": "CSV"}, download_url="https://example.gov/bus.csv",
                                        format="CSV", format_raw="CSV", media_type="text/csv", byte_size=1234,
                                        checksum={"algorithm": "sha256", "value": "ab" * 32}),
                       new_distribution(id="d2", title={"en": "API"}, access_url="https://example.gov/api/bus")])
    out = to_ckan(rec)
    assert out["name"] == "bus-stops" and out["id"] == rec["id"]
    assert out["title"] == "Bus stops" and out["title_translated"] == rec["title"]
    assert out["organization"]["name"] == "transport" and out["organization"]["title"] == "Transport Department"
    assert out["license_id"] == "cc-by" and out["isopen"] is True  # the id the license_id facet and filter use
    assert out["tags"] == [{"name": "bus"}, {"name": "交通"}]
    assert out["metadata_modified"] == "2024-03-04" and out["url"] == "https://example.gov/bus"
    extras = {e["key"]: e["value"] for e in out["extras"]}
    assert extras["temporal_start"] == "2020-01-01" and extras["temporal_end"] == "2023-12-31"
    assert extras["identifier"] == "https://data.example.gov/id/bus"
    assert json.loads(extras["theme"]) == ["http://publications.europa.eu/resource/authority/data-theme/TRAN"]
    assert out["resources"][0]["url"] == "https://example.gov/bus.csv" and out["resources"][0]["size"] == 1234
    assert out["resources"][1]["url"] == "https://example.gov/api/bus"
    assert out["num_resources"] == 2
    back = from_ckan(out)
    assert validation_errors(back) == []
    for field in ("id", "slug", "identifier", "title", "description", "keywords", "themes", "license", "access_rights",
                  "issued", "modified", "frequency", "temporal", "spatial", "language", "conforms_to",
                  "landing_page", "version", "contact_point"):
        assert back[field] == rec[field], field
    for got, want in zip(back["distributions"], rec["distributions"], strict=True):
        for field in ("id", "title", "access_url", "download_url", "format", "media_type", "byte_size", "checksum"):
            assert got[field] == want[field], field


def _parses(value) -> bool:
    """What a CKAN client (ckanapi's users, a CKAN harvester) does with a timestamp: datetime.fromisoformat."""
    try:
        dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def test_timestamps_are_iso_and_the_sources_words_ride_in_ckanext_dcat_keys():
    """metadata_created/metadata_modified and a resource's created/last_modified are ISO 8601 timestamps CKAN
    clients parse: a date a source wrote otherwise goes there in its ISO form (catalog_schema.dates), a value that
    is no timestamp (a month, "March 2021") not at all, and the words as written go to ckanext-dcat's keys (the
    issued/modified extras, a resource's issued/modified), which from_ckan reads first: the record comes back."""
    rec = new_record(id="p1", slug="odd", title={"": "Odd"}, issued="2021年3月1日", modified="2021-03-05 10:00",
                     distributions=[new_distribution(id="r1", download_url="https://x.example.gov/a.csv",
                                                     issued="2021年3月", modified="March 2021"),
                                    new_distribution(id="r2", download_url="https://x.example.gov/b.csv",
                                                     issued="2021-03-01T10:00:00.123456", modified="2021.03.05")])
    out = to_ckan(rec)
    assert (out["metadata_created"], out["metadata_modified"]) == ("2021-03-01", "2021-03-05T10:00")
    assert {e["key"]: e["value"] for e in out["extras"]} == {"issued": "2021年3月1日", "modified": "2021-03-05 10:00"}
    first, second = out["resources"]
    assert "created" not in first and "last_modified" not in first
    assert (first["issued"], first["modified"]) == ("2021年3月", "March 2021")
    assert (second["created"], second["last_modified"]) == ("2021-03-01T10:00:00.123456", "2021-03-05")
    assert "issued" not in second and second["modified"] == "2021.03.05"
    assert all(_parses(v) for v in (out["metadata_created"], out["metadata_modified"], second["created"],
                                     second["last_modified"]))
    back = from_ckan(out)
    assert (back["issued"], back["modified"]) == (rec["issued"], rec["modified"])
    assert [(d["issued"], d["modified"]) for d in back["distributions"]] == \
        [(d["issued"], d["modified"]) for d in rec["distributions"]]
    assert from_ckan(to_ckan(back)) == back


def test_a_packages_odd_timestamps_go_out_as_iso_and_their_words_as_extras():
    """A CKAN source that wrote its own timestamps in words: the record keeps them, the package we write has them
    in ISO form (or not at all) and the words in the issued/modified extras, which give the record back."""
    package = {"id": "p2", "name": "odd-core", "title": "Odd", "metadata_created": "2021.03.01",
               "metadata_modified": "March 2021", "extras": [],
               "resources": [{"id": "r", "url": "https://x.example.gov/a.csv", "created": "2021年3月1日",
                              "last_modified": "2021-03-05 10:00"}]}
    rec = from_ckan(package)
    assert (rec["issued"], rec["modified"]) == ("2021.03.01", "March 2021")
    out = to_ckan(rec)
    assert (out["metadata_created"], out["metadata_modified"]) == ("2021-03-01", None)
    assert {e["key"]: e["value"] for e in out["extras"]} == {"issued": "2021.03.01", "modified": "March 2021"}
    res = out["resources"][0]
    assert (res["created"], res["last_modified"]) == ("2021-03-01", "2021-03-05T10:00")
    assert (res["issued"], res["modified"]) == ("2021年3月1日", "2021-03-05 10:00")
    back = from_ckan(out)
    for field in ("issued", "modified"):
        assert back[field] == rec[field]
        assert back["distributions"][0][field] == rec["distributions"][0][field]
    # with ckanext-dcat's extras besides (their words are the record's), CKAN's own odd stamps are not given back
    package["extras"] = [{"key": "issued", "value": "2020年"}]
    out = to_ckan(from_ckan(package))
    assert (out["metadata_created"], out["metadata_modified"]) == ("2021-03-01", None)
    assert from_ckan(out)["issued"] == "2020年"


def test_site_url_makes_relative_resource_urls_absolute():
    rec = new_record(slug="x", title={"": "X"},
                     distributions=[new_distribution(id="r", download_url="/files/x.csv")])
    assert to_ckan(rec, site_url="https://data.example.gov/")["resources"][0]["url"] == \
        "https://data.example.gov/files/x.csv"


def test_what_cannot_be_a_package_is_a_clear_error():
    with pytest.raises(ValueError, match="object"):
        from_ckan(["not", "a", "package"])
    with pytest.raises(ValueError, match="'id', 'name' or 'title'"):
        from_ckan({"notes": "nothing else"})


def test_odd_values_are_tolerated_and_kept():
    package = copy.deepcopy(_package("demockan/9c3036b8-f6ac-4a4e-9036-5a3cc90c3900.json"))
    package["tags"] = ["plain-string-tag", {"name": "ok"}, None]
    package["resources"].append("not a resource")
    package["resources"][0]["size"] = "2048"
    package["extras"] = [{"key": "frequency", "value": "every other blue moon"}]
    rec = from_ckan(package)
    assert validation_errors(rec) == []
    assert rec["keywords"] == ["plain-string-tag", "ok"]
    assert rec["distributions"][0]["byte_size"] == 2048
    assert rec["frequency"] == "every other blue moon"
    assert {"field": "frequency", "value": "every other blue moon", "reason": "frequency not recognised"} \
        in rec["flags"]
    assert any(f["field"] == "distributions[1]" for f in rec["flags"])
    back = to_ckan(rec)
    assert back["resources"][1] == "not a resource"
    assert back["resources"][0]["size"] == "2048"
    assert back["tags"] == package["tags"]


def test_ckan_source_field_that_is_not_a_web_address_is_kept_not_used_as_landing_page():
    package = next(p for p in _birmingham() if p["name"] == "april-2021-purchase-card-transactions")
    assert package["url"] == "Birmingham City Council"
    rec = from_ckan(package)
    assert rec["landing_page"] is None
    assert {"field": "landing_page", "value": "Birmingham City Council", "reason": "not a web address"} in rec["flags"]
    assert rec["extras"]["ckan"]["url"] == "Birmingham City Council"
    assert to_ckan(rec)["url"] == "Birmingham City Council"


def test_extras_given_as_a_mapping_are_read_like_the_list():
    package = copy.deepcopy(_package("datagovuk_package_show_create.json"))
    package["extras"] = {e["key"]: e["value"] for e in package["extras"]}
    rec = from_ckan(package)
    assert rec["extras"]["ckan_extras"] == package["extras"]
    assert rec["frequency"] == "MONTHLY"  # UpdateFrequency: Monthly
    assert {e["key"]: e["value"] for e in to_ckan(rec)["extras"]} == package["extras"]


# --------------------------------------------------------------------------- generated records

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30) \
    .filter(lambda t: t.strip() and t == t.strip())
_url = st.from_regex(r"https://[a-z]{3,10}\.example\.gov/[a-z0-9]{1,10}(\.(csv|json|html))?", fullmatch=True)
_date = st.dates().map(lambda d: d.isoformat())
_langmap = st.dictionaries(st.sampled_from(["", "en", "zh", "zh-Hant", "de"]), _text, min_size=1, max_size=3)


@st.composite
def _records(draw):
    contact = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "name": st.one_of(st.none(), _text), "email": st.one_of(st.none(), st.just("team@example.gov")),
        "url": st.one_of(st.none(), _url), "phone": st.none()}).filter(lambda c: c["name"] or c["email"] or c["url"])))
    dists = draw(st.lists(st.builds(
        lambda i, title, dl, acc, size: new_distribution(id=f"r{i}", title=title, download_url=dl, access_url=acc,
                                                         byte_size=size),
        st.integers(0, 10**6), _langmap, st.one_of(st.none(), _url), _url, st.one_of(st.none(), st.integers(0, 10**9))),
        max_size=3))
    start = draw(st.one_of(st.none(), _date))
    return new_record(
        id=draw(st.uuids()).hex, slug=draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{1,30}", fullmatch=True)),
        identifier=draw(st.one_of(st.none(), _url)), uri=draw(st.one_of(st.none(), _url)),
        title=draw(_langmap), description=draw(_langmap),
        publisher={"slug": "dept", "name": {"": draw(_text)}, "extras": {}},
        contact_point=contact, keywords=draw(st.lists(_text, max_size=4, unique=True)),
        themes=draw(st.lists(st.sampled_from(sorted(vocab.THEMES)), max_size=3, unique=True)),
        license=draw(st.sampled_from([lic.id for lic in vocab.licences()])),
        access_rights=draw(st.sampled_from([None, "PUBLIC", "RESTRICTED", "NON_PUBLIC"])),
        issued=draw(_date), modified=draw(_date), frequency=draw(st.sampled_from([None, *vocab.FREQUENCIES])),
        temporal={"start": start, "end": draw(_date)} if start else None,
        spatial=draw(st.lists(st.one_of(_text, _url), max_size=1)), landing_page=draw(st.one_of(st.none(), _url)),
        language=draw(st.lists(st.sampled_from(["en", "zh", "de"]), max_size=2, unique=True)),
        conforms_to=draw(st.lists(_url, max_size=2, unique=True)), version=draw(st.one_of(st.none(), _text)),
        rights=draw(st.one_of(st.none(), _text)), distributions=dists)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_generated_records_go_to_ckan_and_come_back(rec):
    out = to_ckan(rec)
    assert out["name"] == rec["slug"] and out["organization"]["name"] == "dept"
    back = from_ckan(out)
    assert validation_errors(back) == []
    for field in ("id", "slug", "uri", "title", "description", "contact_point", "keywords", "themes", "license",
                  "access_rights", "issued", "modified", "frequency", "temporal", "spatial", "landing_page",
                  "language", "conforms_to", "version", "rights"):
        assert back[field] == rec[field], field
    assert back["identifier"] == (rec["identifier"] or rec["id"])
    for got, want in zip(back["distributions"], rec["distributions"], strict=True):
        for field in ("id", "title", "download_url", "access_url", "byte_size"):
            assert got[field] == want[field], field
    assert from_ckan(to_ckan(back)) == back


def test_a_source_name_that_is_no_slug_is_kept_until_the_catalog_gives_one():
    package = copy.deepcopy(_package("datagovuk_package_show_create.json"))
    package["name"] = "Datasets List (York)"
    rec = from_ckan(package)
    assert rec["slug"] is None and rec["extras"]["ckan"]["name"] == "Datasets List (York)"
    assert to_ckan(rec)["name"] == "Datasets List (York)"
    rec["slug"] = "datasets-list-york"  # what the store assigns
    assert to_ckan(rec)["name"] == "datasets-list-york"


URLS = ["http://example.gov/files/bus.csv", "https://example.gov/a/b.json?x=1#frag", "http://example.gov",
        "http://example.gov?q=/x.csv", "http://example.gov#/x.csv", "https://h:8080/p;params/x.CSV",
        "http://user:pw@h/x.xlsx?", "http://h/x.csv#", "https://h/dir/", "http://h//double//x.zip",
        "http://h/x.csv?a#b?c", "http://h/a#b/c?d", "http://h/%20x.csv", "http://h/文件.csv", "http://h/x.csv\t",
        "http://h/x\n.csv", "http://[::1]/x.csv", "HTTP://h/x.csv", "ftp://h/x.csv", "/relative/x.csv",
        "x.csv", "", " http://h/x.csv", "mailto:a@b", "http:/h/x.csv", "https://h/x.csv?y=http://k/z.zip"]


def test_url_path_and_scheme_read_as_urlsplit_reads_them():
    """ckan.url_path and has_scheme read plain http(s) URLs without urlsplit (every resource of a package dict
    asks): the same answers as urlsplit for URLs of every shape it treats apart."""
    from urllib.parse import urlsplit

    for url in URLS:
        assert ckan.url_path(url) == urlsplit(url).path, url
        assert ckan.has_scheme(url) == bool(urlsplit(url).scheme), url


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTP://", "", "//"]),
       st.text(alphabet=st.sampled_from(list("ab.:/?#@[]%\t\n 文")), max_size=30))
def test_url_path_agrees_with_urlsplit_on_any_text(scheme, rest):
    from urllib.parse import urlsplit

    url = scheme + rest
    try:
        want = urlsplit(url)
    except ValueError:  # an invalid IPv6 host: urlsplit refuses, and so does url_path (it leaves those to it)
        with pytest.raises(ValueError):
            ckan.url_path(url)
        return
    assert ckan.url_path(url) == want.path
    assert ckan.has_scheme(url) == bool(want.scheme)


def test_licence_words_from_a_sheet_are_no_ckan_licence_id():
    """A folder sheet's 许可协议 "知识共享署名 4.0" (recognised: CC-BY-4.0) was published as license_id, and a source's
    "CC-BY-4.0" too, while package_search's license_id facet and filter say "cc-by": the answer and the facet
    disagreed (24 under the facet, 20 packages saying it). The catalog's id, whatever the source wrote."""
    lic = vocab.licence("知识共享署名 4.0")
    assert lic is not None
    rec = new_record(slug="s", title={"zh": "表"}, license=lic.id, license_raw="知识共享署名 4.0")
    pkg = to_ckan(rec)
    assert (pkg["license_id"], pkg["license_url"]) == (lic.ckan_id or lic.id, lic.url)
    for raw in ("cc-by", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"):
        rec["license_raw"] = raw
        assert to_ckan(rec)["license_id"] == "cc-by", raw


def test_a_format_given_as_an_iri_is_its_name_in_ckan():
    """A DCAT feed's format IRI (.../file-type/CSV) was CKAN's resource format, which res_format and clients read
    as a name."""
    rec = new_record(slug="s", title={"en": "t"}, distributions=[new_distribution(
        download_url="https://x.example/a.csv", format="CSV",
        format_raw="http://publications.europa.eu/resource/authority/file-type/CSV")])
    assert to_ckan(rec)["resources"][0]["format"] == "CSV"
    rec["distributions"][0].update(format=None, format_raw="https://x.example/formats/8d3c")  # unknown: as given
    assert to_ckan(rec)["resources"][0]["format"] == "https://x.example/formats/8d3c"
    rec["distributions"][0].update(format="CSV", format_raw="csv")  # a CKAN source's own name comes back
    assert to_ckan(rec)["resources"][0]["format"] == "csv"


def test_a_sources_licence_url_keeps_its_jurisdiction():
    """unibo's CC BY 3.0 IT (.../by/3.0/it/) was published in CKAN as the unported licence's URL."""
    raw = "http://creativecommons.org/licenses/by/3.0/it/"
    lic = vocab.licence(raw)
    rec = new_record(slug="s", title={"it": "t"}, license=lic.id, license_raw=raw)
    assert to_ckan(rec)["license_url"] == raw and to_ckan(rec)["license_title"] == lic.title
    rec["license_raw"] = "cc-by"  # a name for it: the vocabulary's URL
    assert to_ckan(rec)["license_url"] == lic.url


def test_every_format_goes_out_by_name_and_comes_back_the_same_format():
    """package_show names a DCAT feed's format by its label, and "RDF/XML" read back as no format at all (it looks
    like a media type): a catalog harvesting this one lost the format of every RDF/XML file and flagged it."""
    for fmt in vocab.formats():
        for raw in (None, fmt.eu_uri):
            rec = new_record(slug="s", title={"en": "t"}, distributions=[new_distribution(
                download_url="https://x.example/a", format=fmt.code, format_raw=raw)])
            back = from_ckan(to_ckan(rec))
            assert back["distributions"][0]["format"] == fmt.code, (fmt.code, raw)
            assert not back["flags"], (fmt.code, raw)


@pytest.mark.parametrize("package", [p for _, p in PACKAGES], ids=IDS)
def test_a_package_sent_back_as_shown_is_settled_unchanged(package):
    shown = to_ckan(from_ckan(package))
    assert ckan.settle(shown, copy.deepcopy(shown)) == shown



@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records(), st.sampled_from(["https://new.example.gov/x.csv", "https://new.example.gov/page"]))
def test_a_url_or_title_edited_in_a_shown_package_is_what_the_record_reads(rec, new):
    """ckanapi's read-modify-write: each resource's `url` and name and the package's title edited, every other key
    (download_url / access_url, name_translated, title_translated) sent back as package_show gave it. The edit is
    the record's; the other URL field does not move."""
    shown = to_ckan(rec)
    assert ckan.settle(shown, copy.deepcopy(shown)) == shown
    sent = copy.deepcopy(shown)
    sent["title"] = "Edited title"
    for res in sent["resources"]:
        res["url"], res["name"] = new, "Edited name"
    back = from_ckan(ckan.settle(shown, sent, lang="en"))
    assert pick_text(back["title"]) == "Edited title" and to_ckan(back)["title"] == "Edited title"
    for got, was in zip(back["distributions"], rec["distributions"], strict=True):
        if was["download_url"]:  # the url was the download URL: the access URL stays
            assert got["download_url"] == new and got["access_url"] in (was["access_url"], new)
        else:  # the one URL there was, read as a new resource's (a file's address is its download URL)
            assert new in (got["access_url"], got["download_url"]) and was["access_url"] not in got.values()
        assert pick_text(got["title"]) == "Edited name"
    assert [r["url"] for r in to_ckan(back)["resources"]] == [new] * len(rec["distributions"])


def test_an_edited_name_replaces_each_language_that_showed_it():
    """A resource named {"zh": "0", "": "0"} is shown as name "0": an edited name is the text of both (the untagged
    one left as it was would still be what the record reads), and a real translation stays."""
    rec = new_record(slug="s", title={"en": "t"}, distributions=[new_distribution(
        id="r0", access_url="https://a.example.gov/0", title={"zh": "0", "": "0", "fr": "zéro"})])
    shown = to_ckan(rec)
    assert shown["resources"][0]["name"] == "0"
    sent = copy.deepcopy(shown)
    sent["resources"][0]["name"] = "Edited name"
    sent_back = ckan.settle(shown, sent, lang="en")
    assert sent_back["resources"][0]["name_translated"] == {"zh": "Edited name", "": "Edited name", "fr": "zéro"}
    assert pick_text(from_ckan(sent_back)["distributions"][0]["title"]) == "Edited name"


def test_groups_edited_beside_theme_extras_sent_back_are_the_themes():
    """This catalog's package_show gives its themes as groups and as theme extras (here a source's theme-primary and
    theme-secondary, kept as written): a group added with the extras sent back is a theme, a theme no group shows is
    kept, the extras say it once; a group name that is no theme is named, not dropped."""
    shown = {"id": "x", "name": "x", "title": "X", "groups": [{"name": "tran", "title": "Transport"}],
             "extras": [{"key": "theme-primary", "value": "Transport"}, {"key": "note", "value": "n"},
                        {"key": "theme-secondary", "value": "Local roads"}]}
    assert ckan.groups_as_themes(ckan.settle(shown, copy.deepcopy(shown)))["extras"] == shown["extras"]
    sent = copy.deepcopy(shown)
    sent["groups"].append({"id": "ENVI"})
    sent = ckan.groups_as_themes(ckan.settle(shown, sent))
    assert "groups" not in sent and from_ckan(sent)["themes"] == ["TRAN", "ENVI", "Local roads"]
    assert [e["key"] for e in sent["extras"]] == ["theme", "note"]
    sent = copy.deepcopy(shown)
    sent["groups"] = []
    assert from_ckan(ckan.groups_as_themes(ckan.settle(shown, sent)))["themes"] == ["Local roads"]
    sent = copy.deepcopy(shown)
    sent["groups"].append({"name": "roads-team"})
    with pytest.raises(ckan.UnknownGroups) as raised:
        ckan.groups_as_themes(ckan.settle(shown, sent))
    assert raised.value.names == ["roads-team"]
    sent = copy.deepcopy(shown)
    sent["groups"] = [{"name": "envi"}]
    sent["extras"][0]["value"] = "Economy and finance"
    with pytest.raises(ckan.Disagreement):
        ckan.settle(shown, sent)


def test_a_resource_added_through_the_write_api_with_its_url_alone_is_a_link_to_that_file():
    """`added_links`: a url alone, on a resource the package adds, is its file's download and access URL (as
    resource_create makes a link); a harvest reads the same url as the access URL, a landing page unless it looks
    like a file (`from_ckan` alone, unchanged); a resource package_show showed, or one that says its URLs, is read
    as sent."""
    export, page = "https://example.gov/api/export?id=3", "https://example.gov/dataset/3"
    package = {"name": "p", "title": "P", "resources": [{"url": export}, {"url": page, "access_url": page},
                                                        {"url": export, "download_url": export}]}
    harvested = from_ckan(package)["distributions"]
    assert [(d["access_url"], d["download_url"]) for d in harvested] == [(export, None), (page, None), (None, export)]
    written = from_ckan(ckan.added_links(None, package))["distributions"]
    assert [(d["access_url"], d["download_url"]) for d in written] == [(export, export), (page, None), (None, export)]
    assert package["resources"][0] == {"url": export}  # the sent dict is not changed
    # an update: the resource package_show gave (by its id) is not added; a new one is
    shown = to_ckan(from_ckan({**package, "resources": [{"id": "r1", "url": page}]}))
    sent = {**shown, "resources": [*shown["resources"], {"url": export}]}
    got = from_ckan(ckan.added_links(shown, sent))["distributions"]
    assert [(d["access_url"], d["download_url"]) for d in got] == [(page, None), (export, export)]
    # and package_show then says both, so the link reads back the same
    back = to_ckan(from_ckan(ckan.added_links(None, {"name": "p", "resources": [{"url": export}]})))["resources"][0]
    assert (back["url"], back["access_url"], back["download_url"]) == (export, export, export)
    assert from_ckan({"name": "p", "resources": [back]})["distributions"][0]["download_url"] == export


def test_a_resource_written_with_a_new_url_alone_keeps_its_landing_page():
    """`added_links`: a resource package_show showed, sent back by its id with a new `url` and no other URL key, is a
    link to that file, and keeps the landing page it had (an access URL apart from its download URL), as
    resource_update and resource_patch keep it; one that had none has the new url as both. Sent back with its url
    as it was, or with an access URL of its own, it is read as it is sent."""
    page, file, new = "https://example.gov/stops", "https://example.gov/stops.csv", "https://example.gov/api/x?id=4"
    shown = to_ckan(from_ckan({"name": "p", "resources": [
        {"id": "r1", "url": file, "access_url": page}, {"id": "r2", "url": file + "?v=2"}]}))
    moved = {**shown, "resources": [{"id": "r1", "url": new}, {"id": "r2", "url": new}]}
    got = from_ckan(ckan.added_links(shown, moved))["distributions"]
    assert [(d["access_url"], d["download_url"]) for d in got] == [(page, new), (new, new)]
    said = {**shown, "resources": [{"id": "r1", "url": new, "access_url": page + "/2"},
                                   {"id": "r2", "url": file + "?v=2"}]}
    got = from_ckan(ckan.added_links(shown, said))["distributions"]
    assert [(d["access_url"], d["download_url"]) for d in got] == [(page + "/2", new), (None, file + "?v=2")]


def test_a_package_sent_back_keeps_what_it_cannot_tell_apart():
    """ckan.as_it_was: this catalog's own package read back into its record keeps the record's identifier (the
    package `id` is the dataset's own, no identifier its publisher gave), a file's `format_raw` while its format is the
    one it has, and no empty `ckan` extras; what the package does say (an identifier extra, a new format, CKAN extras)
    is taken."""
    own = "7b0c1c0e-0000-4000-8000-000000000001"
    current = {"identifier": None, "extras": {}, "distributions": [
        {"id": "r1", "catalog_id": "r1", "format": "CSV", "format_raw": None, "extras": {}}]}
    package = {"id": own, "name": "pop", "title": "Population",
               "resources": [{"id": "r1", "url": "http://127.0.0.1:9/t.csv", "format": "CSV"},
                             {"url": "http://127.0.0.1:9/new.json", "format": "JSON"}]}
    rec = ckan.as_it_was(ckan.from_ckan(package), current, own)
    assert rec["identifier"] is None and "ckan" not in rec["extras"] and "ckan_extras" not in rec["extras"]
    assert [(d["format"], d["format_raw"]) for d in rec["distributions"]] == [("CSV", None), ("JSON", "JSON")]
    assert all("ckan" not in d["extras"] for d in rec["distributions"])
    said = {**package, "extras": [{"key": "identifier", "value": "BJ-STAT-2024-01"}, {"key": "source", "value": "x"}],
            "resources": [{**package["resources"][0], "format": "XLSX"}]}
    rec = ckan.as_it_was(ckan.from_ckan(said), current, own)
    assert rec["identifier"] == "BJ-STAT-2024-01" and rec["extras"]["ckan_extras"]
    assert [(d["format"], d["format_raw"]) for d in rec["distributions"]] == [("XLSX", "XLSX")]
    assert ckan.as_it_was(ckan.from_ckan(package), None, own)["identifier"] is None  # a new dataset: none


def test_a_package_sent_back_keeps_what_the_record_has_of_its_source_and_no_package_says():
    """ckan.as_it_was: a harvested record's other formats' blocks (data.json, a Data Package), a distribution's IRI and
    Table Schema, the contact's vCard type and the source's verbatim keys the write door shows as its own
    (`computed`) stay when the package sent cannot say them; what the package says is still taken, and a verbatim key
    the door does not compute is the package's to drop."""
    own = "7b0c1c0e-0000-4000-8000-000000000002"
    schema = {"fields": [{"name": "code", "type": "string"}]}
    contact = {"name": "Office", "email": "data@example.gov", "url": None, "phone": None,
               "extras": {"type": "vcard:Organization"}}
    current = {"identifier": None, "contact_point": contact,
               "extras": {"datajson": {"@type": "dcat:Dataset"}, "ckan": {"creator_user_id": "u1", "author": "A"}},
               "distributions": [{"id": "r1", "catalog_id": "r1", "format": "CSV", "format_raw": None,
                                  "uri": "https://src.example/dist/1", "schema": schema,
                                  "extras": {"datapackage": {"path": "t.csv"}, "ckan": {"position": 3}}}]}
    package = {"id": own, "name": "pop", "title": "Population", "maintainer": "Office",
               "maintainer_email": "data@example.gov",
               "resources": [{"id": "r1", "url": "http://127.0.0.1:9/t.csv", "format": "CSV"}]}
    rec = ckan.as_it_was(ckan.from_ckan(package), current, own, computed=("creator_user_id",),
                         resource_computed=("position",))
    assert rec["extras"]["datajson"] == {"@type": "dcat:Dataset"}
    assert rec["extras"]["ckan"] == {"creator_user_id": "u1"}  # `author` was the package's to keep, and it did not
    assert rec["contact_point"]["extras"] == {"type": "vcard:Organization"}
    dist = rec["distributions"][0]
    assert (dist["uri"], dist["schema"]) == ("https://src.example/dist/1", schema)
    assert dist["extras"]["datapackage"] == {"path": "t.csv"} and dist["extras"]["ckan"] == {"position": 3}
    other = {**package, "maintainer_email": "other@example.gov"}
    assert not ckan.as_it_was(ckan.from_ckan(other), current, own)["contact_point"].get("extras")  # another contact
    assert {"uri", "schema"} <= set(ckan.RESOURCE_UNSAID) and "title" not in ckan.RESOURCE_UNSAID
