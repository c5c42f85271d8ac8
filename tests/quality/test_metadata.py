"""The 405-point metadata table, held to totals computed by hand."""

from __future__ import annotations

import json
import re

from catalog_schema import ckan
from catalog_schema.dcat import shacl_violations_fast
from catalog_schema.record import new_record
from quality.findings import FINDING_TYPES
from quality.metadata import (
    DIMENSIONS,
    EXTRA_TYPES,
    INDICATORS,
    MAX_POINTS,
    NO_DISTRIBUTION,
    NOT_READ,
    RULE,
    DistributionEvidence,
    assess_metadata,
    rating,
)


def complete_record() -> dict:
    return new_record(
        slug="air-quality-daily", title={"en": "Daily air quality", "zh": "每日空气质量"},
        description={"en": "Daily averages of PM2.5, PM10, NO2 and O3 at the twelve monitoring stations of "
                           "the city, validated by the environment bureau."},
        publisher={"slug": "jh-environment", "name": {"en": "Environment bureau"}},
        contact_point={"name": "Data office", "email": "data@env.example", "url": None, "phone": None},
        keywords=["air", "PM2.5"], themes=["ENVI"], spatial=["http://sws.geonames.org/1816670/"],
        temporal={"start": "2020-01-01", "end": "2026-10-31"}, license="CC-BY-4.0", license_raw="CC-BY-4.0",
        access_rights="PUBLIC", issued="2020-02-01", modified="2026-11-01", frequency="DAILY",
        distributions=[{"id": "d1", "title": {"en": "CSV"}, "access_url": "http://127.0.0.1/aq",
                        "download_url": "http://127.0.0.1/aq.csv", "format": "CSV", "media_type": "text/csv",
                        "license": "CC-BY-4.0", "rights": "CC-BY-4.0", "byte_size": 123456}])


def test_table_adds_up():
    assert MAX_POINTS == 405 == sum(DIMENSIONS.values()) == sum(i.points for i in INDICATORS)
    assert DIMENSIONS == {"findability": 100, "accessibility": 100, "interoperability": 110, "reusability": 75,
                          "contextuality": 20}
    assert [rating(p) for p in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "excellent", "excellent", "good", "good", "sufficient", "sufficient", "bad", "bad"]
    for ind in INDICATORS:
        assert ind.finding in FINDING_TYPES, ind.finding


def test_each_fix_text_names_the_points_its_indicator_is_worth():
    """The registry's fix texts, as users read them, promise exactly the points the table counts."""
    for ind in INDICATORS:
        ftype = FINDING_TYPES[ind.finding]
        if ind.type is None:  # another rule's finding (licence-missing, the stars rule's): no points in its text
            assert ftype not in RULE.types and not re.search(r"\d+ points|\d+ 分", ftype.fix_en + ftype.fix_zh)
            continue
        assert ftype is ind.type and ftype in RULE.types, ind.finding
        assert re.findall(r"\((\d+) metadata points\)", ftype.fix_en) == [str(ind.points)], ftype.fix_en
        assert re.findall(r"（元数据 (\d+) 分）", ftype.fix_zh) == [str(ind.points)], ftype.fix_zh
    for ftype in EXTRA_TYPES:  # the findings beyond the table cost no points of it
        assert not re.search(r"\d+ points|\d+ 分", ftype.fix_en + ftype.fix_zh), ftype.slug
    for key, ftype in NOT_READ.items():  # a date that is no date, a media type that is none: the indicator's points
        points = next(i.points for i in INDICATORS if i.key == key)
        assert re.findall(r"\((\d+) metadata points\)", ftype.fix_en) == [str(points)], ftype.fix_en
        assert re.findall(r"（元数据 (\d+) 分）", ftype.fix_zh) == [str(points)], ftype.fix_zh
    # no file at all loses every point that depends on one: its finding says the sum
    dist_points = sum(i.points for i in INDICATORS if i.level == "distribution")
    assert re.findall(r"\((\d+) metadata points", NO_DISTRIBUTION.fix_en) == [str(dist_points)]
    indicator_slugs = [i.finding for i in INDICATORS if i.type is not None]
    assert [t.slug for t in RULE.types] == (indicator_slugs + [t.slug for t in EXTRA_TYPES]
                                            + [t.slug for t in NOT_READ.values()] + [NO_DISTRIBUTION.slug])


def test_a_dataset_without_files_and_a_file_without_url_or_format_say_so_once():
    """No distribution gave "Access URL does not answer", "Download URL does not answer", "Declared format is
    proprietary" ... and nothing saying there was no file; no download URL also gave "does not answer", no format
    also "proprietary" and "not machine-readable"."""
    from catalog_schema.record import new_distribution

    none = assess_metadata(new_record(slug="x", title={"en": "t"}))
    kinds = [f.type for f in none.findings]
    assert kinds[0] == "no-distribution" and not {"access-url-broken", "download-url-broken", "missing-format",
                                                  "declared-format-proprietary"} & set(kinds)
    distribution_keys = {i.key for i in INDICATORS if i.level == "distribution"}
    lost = sum(i["max"] - i["points"] for i in none.indicators if i["indicator"] in distribution_keys)
    assert none.findings[0].evidence["points"] == lost
    link = assess_metadata(new_record(slug="x", title={"en": "t"},
                                      distributions=[new_distribution(access_url="https://a.example/page")]))
    kinds = {f.type: f for f in link.findings}
    assert "download-url-broken" not in kinds and "declared-format-proprietary" not in kinds
    assert "declared-format-not-machine-readable" not in kinds and "format-not-in-vocabulary" not in kinds
    assert kinds["missing-download-url"].message.endswith("50 points.")
    assert kinds["missing-format"].message.endswith("70 points.")


def test_complete_record_gets_405():
    rec = complete_record()
    assert shacl_violations_fast(rec) == []
    result = assess_metadata(rec, {"d1": DistributionEvidence(access_status=200, download_status=200)})
    assert (result.points, result.rating, result.percent) == (405, "excellent", 100.0)
    assert [f.type for f in result.findings] == []


def test_unchecked_and_broken_links_cost_their_points():
    rec = complete_record()
    assert assess_metadata(rec, {}).points == 405 - 50 - 30
    broken = assess_metadata(rec, {"d1": DistributionEvidence(access_status=404, download_status=404)})
    assert broken.points == 325
    assert {f.type for f in broken.findings} == {"access-url-broken", "download-url-broken"}


def test_bare_datagovuk_record_matches_hand_count(fixtures_dir):
    package = json.loads((fixtures_dir / "real/ckan/datagovuk_package_show_create.json").read_text("utf-8"))
    rec = ckan.from_ckan(package["result"])
    # findability 0 (no keywords, theme, spatial, temporal); accessibility 20 (a download URL, links unchecked);
    # interoperability 20 format + 10 vocabulary + 20 machine-readable (XLS) + 30 DCAT-AP = 80 (no media type,
    # XLS proprietary); reusability 20 licence + 10 known (uk-ogl) + 20 contact + 10 publisher = 60 (no access
    # rights); contextuality 5 issued + 5 modified = 10 (no rights, no byte size).
    result = assess_metadata(rec, {})
    assert {k: v["points"] for k, v in result.dimensions.items()} == {
        "findability": 0, "accessibility": 20, "interoperability": 80, "reusability": 60, "contextuality": 10}
    assert (result.points, result.rating) == (170, "sufficient")
    assert {f.type for f in result.findings} >= {
        "missing-keywords", "missing-theme", "missing-spatial", "missing-temporal", "access-url-broken",
        "download-url-broken", "missing-media-type", "declared-format-proprietary", "missing-access-rights",
        "access-rights-not-in-vocabulary", "missing-rights", "missing-byte-size"}
    dist_id = rec["distributions"][0]["id"]
    ok = assess_metadata(rec, {dist_id: DistributionEvidence(access_status=200, download_status=200)})
    assert (ok.points, ok.rating) == (250, "good")


def test_extra_findings():
    rec = complete_record()
    rec["description"] = {"zh": "空气"}
    rec["title"] = {"": "aq_daily_2024.xlsx"}
    rec["distributions"][0]["title"] = {}
    types = [f.type for f in assess_metadata(rec, {}).findings]
    assert {"description-too-short", "title-is-filename", "distribution-undocumented"} <= set(types)
    rec["description"] = {}
    assert "missing-description" in [f.type for f in assess_metadata(rec, {}).findings]


def test_findings_speak_chinese_too():
    rec = new_record(title={"": "x"})
    for f in assess_metadata(rec, {}).findings:
        message, fix = f.localised("zh")
        assert message and fix and any("\u4e00" <= ch <= "\u9fff" for ch in message + fix), f.type


def test_a_date_that_is_no_date_loses_its_points_with_a_finding_naming_it():
    """A date counts as every door publishes it (catalog_schema.dates): "2023-13-01" was worth the same 5 points as
    a real date, while DCAT, data.json and schema.org left it out without a word to the publisher."""
    rec = complete_record()
    evidence = {"d1": DistributionEvidence(access_status=200, download_status=200)}
    rec.update(issued="2024年3月1日", modified="2024.03.01")  # a source's Chinese spelling is a date
    assert assess_metadata(rec, evidence).points == 405
    rec.update(issued="2023-13-01", modified="yesterday-ish")
    result = assess_metadata(rec, evidence)
    assert result.points == 395
    found = {f.type: f for f in result.findings}
    assert set(found) == {"issued-not-a-date", "modified-not-a-date"}
    assert found["issued-not-a-date"].evidence["value"] == "2023-13-01"
    assert "2023-13-01" in found["issued-not-a-date"].message and "no date" in found["issued-not-a-date"].message
    zh = "更新日期为 yesterday-ish，不是有效日期，任何接口都不会发布它。"
    assert found["modified-not-a-date"].localised("zh")[0] == zh
    rec.update(issued=None, modified=None)  # no date at all: the finding says so, as before
    assert {f.type for f in assess_metadata(rec, evidence).findings} == {"missing-issued", "missing-modified"}


def test_a_media_type_scores_as_the_exports_read_it():
    """The media type counts as every export publishes it (catalog_schema.vocab.declared_media_type): a source's
    mimetype "comma separated" was worth the same 10 points as text/csv, while DCAT, data.json and schema.org left it
    out without a word to the publisher; "CSV", which they publish as text/csv, lost the vocabulary's 10 points."""
    rec = complete_record()
    evidence = {"d1": DistributionEvidence(access_status=200, download_status=200)}

    def scored(mimetype: str):
        rec["distributions"][0]["media_type"] = mimetype
        return assess_metadata(rec, evidence)

    iana, name, words = scored("text/csv"), scored("CSV"), scored("comma separated")
    assert iana.points == name.points == 405 and iana.findings == name.findings == []
    assert words.points == 395
    (found,) = words.findings
    assert found.type == "media-type-not-recognised" and found.evidence["value"] == "comma separated"
    assert found.message == ("The media type reads “comma separated”, which is neither an IANA media type nor a "
                             "format's name: DCAT, data.json and schema.org leave it out.")
    assert found.localised("zh") == (
        "媒体类型为“comma separated”，既不是 IANA 媒体类型，也不是格式名称：DCAT、data.json 和 schema.org 都不会"
        "发布它。",
        "改为声明 IANA 媒体类型，如 text/csv（元数据 10 分）。")
    lost = {i["indicator"] for i in words.indicators if not i["passed"]}
    assert lost == {"media_type"}  # said once: the format's vocabulary reads no media type in those words
    assert [f.type for f in scored("").findings] == ["missing-media-type"]  # none at all: said as before
    wildcard = scored("text/*")  # a media range was read as TXT's text/plain: it names no one media type
    assert wildcard.points == 395 and [f.type for f in wildcard.findings] == ["media-type-not-recognised"]


def test_no_licence_is_said_once_not_also_as_an_unknown_one():
    """No licence at all gave licence-missing and licence-unknown: "The licence ? is not one the catalog knows"."""
    rec = complete_record()
    rec.update(license=None, license_raw=None)
    for dist in rec["distributions"]:
        dist.update(license=None, license_raw=None)
    result = assess_metadata(rec, {"d1": DistributionEvidence(access_status=200, download_status=200)})
    assert [f.type for f in result.findings] == ["licence-missing"]
    assert result.points == 405 - 20 - 10  # both indicators' points are lost, the finding explains both
    rec["license_raw"] = "our own terms"  # a licence given but not known: said as such
    assert "licence-unknown" in {f.type for f in assess_metadata(rec).findings}


def test_a_dcat_ap_violation_says_which_constraints_in_words():
    """"The record breaks 2 DCAT-AP 3 constraints." and "Complete the mandatory DCAT-AP properties listed in the
    evidence": the dataset page, the publish page's check and the quality API list no evidence, so the 30 metadata
    points were lost for a reason nobody could read there (the CLI listed it, in English, under a Chinese message)."""
    rec = new_record(slug="x", title={"en": "Bus stops"}, license="CC-BY-4.0",
                     distributions=[{"id": "a", "format": "CSV"}])
    violations = shacl_violations_fast(rec)
    assert [v["path"] for v in violations] == ["dct:description", "dcat:distribution[0]/dcat:accessURL"]
    (found,) = [f for f in assess_metadata(rec, {}, violations).findings if f.type == "dcat-ap-violation"]
    assert found.message == "The record breaks 2 DCAT-AP 3 constraints: no description; file 1 has no access URL."
    assert found.localised("zh") == ("该记录违反了 2 条 DCAT-AP 3 约束：缺少描述、第 1 个资源没有访问链接。",
                                     "补全或更正该问题所列的内容（元数据 30 分）。")
    assert "evidence" not in found.fix and found.evidence["violations"] == violations  # the evidence as it was
