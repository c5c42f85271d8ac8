"""quality.assess on its own: facts from archived files, the pure assessment, and the publishers' table."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from catalog_schema.record import new_record
from quality import assess
from quality.fetch import CheckResult
from quality.findings import FINDING_TYPES
from quality.tabular import TableProfile

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
GOOD_META = dict(
    description={"en": "Bus stops of the city with their position, served lines and accessibility, updated monthly "
                       "from the operator's register."},
    keywords=["bus"], themes=["TRAN"], spatial="http://sws.geonames.org/2643743/",
    temporal={"start": "2020-01-01", "end": "2026-01-01"}, publisher={"slug": "city", "name": {"en": "City"}},
    contact_point={"email": "data@city.example"}, access_rights="PUBLIC", issued="2020-01-01",
    modified="2026-05-20", frequency="MONTHLY", license="CC-BY-4.0")


def _record(*dists: dict, **fields) -> dict:
    return new_record(title={"en": "Bus stops"}, slug="bus-stops", distributions=list(dists), **fields)


def _check(path, url: str, status: str = "ok", http: int = 200, **kw) -> CheckResult:
    return CheckResult(url=url, status=status, checked_at=NOW, http_status=http, path=str(path) if path else None,
                       size=path.stat().st_size if path else None, **kw)


def _file(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _profile(**kw) -> TableProfile:
    base = dict(format="csv", encoding="utf-8", rows=10, columns=2, header=["a", "b"], header_row=0)
    return TableProfile(**{**base, **kw})


# --------------------------------------------------------------------------- collect_facts


def test_facts_sniff_and_profile_an_archived_csv(tmp_path):
    path = _file(tmp_path, "a", b"id,name\n1,a\n2,b\n2,b\n")
    rec = _record({"id": "d1", "download_url": "http://x/stops.csv", "format": "CSV"})
    facts = assess.collect_facts(rec, {"d1": _check(path, "http://x/stops.csv")})
    fact = facts["d1"]
    assert fact.sniffed.format == "CSV" and fact.url == "http://x/stops.csv"
    assert fact.profile.rows == 3 and fact.profile.duplicate_rows == 1
    assert fact.profile_error is None and fact.parse_error is None


def test_facts_skip_what_was_not_downloaded(tmp_path):
    rec = _record({"id": "d1", "download_url": "http://x/a.csv"}, {"id": "d2", "download_url": "http://x/b.csv"})
    broken = CheckResult(url="http://x/a.csv", status="broken", checked_at=NOW, http_status=404)
    gone = CheckResult(url="http://x/b.csv", status="ok", checked_at=NOW, http_status=200,
                       path=str(tmp_path / "missing"))  # the archived copy was removed since
    facts = assess.collect_facts(rec, {"d1": broken, "d2": gone})
    assert facts["d1"].sniffed is None and facts["d2"].sniffed is None
    assert set(facts) == {"d1", "d2"}


def test_facts_count_rdf_links(tmp_path):
    ttl = b'@prefix ex: <http://data.city.example/> .\nex:s1 ex:sameAs <http://other.example.org/x> .\n'
    rec = _record({"id": "r", "download_url": "http://x/s.ttl", "format": "TURTLE"})
    fact = assess.collect_facts(rec, {"r": _check(_file(tmp_path, "r", ttl), "http://x/s.ttl")})["r"]
    assert (fact.rdf_subjects, fact.rdf_links) == (1, 1)


def test_an_unreadable_table_is_a_profile_error(tmp_path):
    rec = _record({"id": "j", "download_url": "http://x/rows.json", "format": "JSON"})
    fact = assess.collect_facts(rec, {"j": _check(_file(tmp_path, "j", b'{"a": 1}'), "http://x/rows.json")})["j"]
    assert fact.profile is None and "TableError" in fact.profile_error


# --------------------------------------------------------------------------- assess (pure)


def test_stars_are_the_best_distributions():
    rec = _record({"id": "a", "download_url": "http://x/a.pdf", "format": "PDF"},
                  {"id": "b", "download_url": "http://x/b.csv", "format": "CSV"}, **GOOD_META)
    from quality.sniff import sniff

    facts = {
        "a": assess.DistributionFacts("a", "http://x/a.pdf", check=CheckResult("http://x/a.pdf", "ok", NOW,
                                                                               http_status=200),
                                      sniffed=sniff(b"%PDF-1.4\n...")),
        "b": assess.DistributionFacts("b", "http://x/b.csv", check=CheckResult("http://x/b.csv", "ok", NOW,
                                                                               http_status=200),
                                      sniffed=sniff(b"a,b\n1,2\n", filename="b.csv"), profile=_profile()),
    }
    doc = assess.assess(rec, facts, now=NOW, dcat_violations=[])
    assert [d["stars"] for d in doc["distributions"]] == [1, 3]
    assert doc["stars"] == 3 and doc["subscores"]["openness"] == 60
    assert doc["data"]["tables"] == 1 and doc["subscores"]["data"] == 100
    assert doc["subscores"]["accessibility"] == 100
    assert doc["rule_version"] == assess.RULESET_VERSION and doc["pii"] is False
    expected = round(sum(doc["subscores"][k] / 100 * w for k, w in assess.WEIGHTS.items()))
    assert abs(doc["score"] - expected) <= 1


def test_without_a_table_the_data_weight_is_spread_over_the_others():
    rec = _record({"id": "a", "download_url": "http://x/a.csv"}, **GOOD_META)
    facts = {"a": assess.DistributionFacts("a", "http://x/a.csv",
                                           check=CheckResult("http://x/a.csv", "broken", NOW, http_status=404))}
    doc = assess.assess(rec, facts, now=NOW, dcat_violations=[])
    assert doc["subscores"]["data"] is None and doc["stars"] == 0
    parts = {k: v for k, v in doc["subscores"].items() if v is not None}
    total = sum(assess.WEIGHTS[k] for k in parts)
    assert doc["score"] == round(sum(parts[k] / 100 * assess.WEIGHTS[k] for k in parts) * 100 / total)
    assert "link-broken" in {f["type"] for f in doc["findings"]}


def test_personal_data_caps_the_score():
    rec = _record({"id": "a", "download_url": "http://x/a.csv", "format": "CSV"}, **GOOD_META)
    from quality.sniff import sniff

    fact = assess.DistributionFacts("a", "http://x/a.csv", check=CheckResult("http://x/a.csv", "ok", NOW,
                                                                             http_status=200),
                                    sniffed=sniff(b"a,b\n1,2\n", filename="a.csv"),
                                    profile=_profile(pii={"phone": {"phone": 12}}))
    doc = assess.assess(rec, {"a": fact}, now=NOW, dcat_violations=[])
    assert doc["pii"] is True and doc["score"] <= assess.PII_CAP
    phone = [f for f in doc["findings"] if f["type"] == "pii-phone"]
    assert phone and phone[0]["distribution"] == "a" and phone[0]["evidence"] == {"column": "phone", "count": 12}


def test_credit_codes_name_organisations_not_people(tmp_path):
    """Unified social credit codes are detected (the profile counts them) but they identify companies, so they
    raise no personal-data finding and cap nothing; every slug that marks personal data is a registered type."""
    rows = "".join(f"91110000600037341L,Company {i}\n" for i in range(4))
    path = _file(tmp_path, "c", ("credit_code,name\n" + rows).encode())
    rec = _record({"id": "c", "download_url": "http://x/companies.csv", "format": "CSV"}, **GOOD_META)
    facts = assess.collect_facts(rec, {"c": _check(path, "http://x/companies.csv")})
    assert facts["c"].profile.pii.get("credit_code", {}).get("uscc") == 4
    doc = assess.assess(rec, facts, now=NOW, dcat_violations=[])
    assert doc["pii"] is False and not [f for f in doc["findings"] if f["type"].startswith("pii-")]
    pii_rule = FINDING_TYPES.rule("pii")
    assert set(assess.PII_SLUGS) == {t.slug for t in pii_rule.types}


def test_a_profile_error_is_a_table_unreadable_finding_on_its_distribution():
    rec = _record({"id": "a", "download_url": "http://x/a.xlsx"})
    fact = assess.DistributionFacts("a", "http://x/a.xlsx", profile_error="TableError: encrypted " + "x" * 400)
    doc = assess.assess(rec, {"a": fact}, now=NOW, dcat_violations=[])
    found = [f for f in doc["findings"] if f["type"] == "table-unreadable"]
    assert len(found) == 1 and found[0]["distribution"] == "a"
    assert len(found[0]["evidence"]["error"]) == 300
    assert found[0]["evidence"]["error"].startswith("TableError: encrypted")  # kept as the reader said it
    assert found[0]["message"] == ("The file looks like a table but could not be read: the workbook is encrypted "
                                   "(password-protected).")


def test_why_a_table_could_not_be_read_is_said_in_plain_words_in_each_language(tmp_path):
    """The reader's own error was the finding's text in every language: the Chinese dataset page and quality API read
    "文件看似表格但无法读取：TableError: The JSON is not an array of objects or arrays." (the publish page's check
    alone said it in words, with one sentence for every cause)."""
    from quality.findings import FINDING_TYPES

    said = {}
    for name, data in (("a.json", b'{"stations": {"a": 1}}'), ("b.csv", b"")):
        path = _file(tmp_path, name, data)
        rec = _record({"id": "a", "download_url": f"http://x/{name}"}, **GOOD_META)
        doc = assess.assess(rec, assess.collect_facts(rec, {"a": _check(path, f"http://x/{name}")}), now=NOW,
                            dcat_violations=[])
        found = [f for f in doc["findings"] if f["type"] == "table-unreadable"]
        if found:
            said[name] = (found[0]["message"], FINDING_TYPES["table-unreadable"].message("zh", found[0]["evidence"]),
                          found[0]["evidence"]["error"])
    message, zh, error = said["a.json"]
    assert error == "TableError: The JSON is not an array of objects or arrays."
    assert message == ("The file looks like a table but could not be read: its rows and columns are not laid out "
                       "as one table.")
    assert zh == "文件看似表格但无法读取：其行和列未按单个表格排列。"
    for message, zh, _error in said.values():
        assert "Error" not in message and not re.search(r"[A-Za-z]{3,}", zh), said


def test_metadata_findings_are_not_repeated_for_what_a_distribution_reported():
    rec = _record({"id": "a", "download_url": "http://x/a.csv"})  # no licence anywhere
    fact = assess.DistributionFacts("a", "http://x/a.csv", check=CheckResult("http://x/a.csv", "ok", NOW,
                                                                             http_status=200))
    doc = assess.assess(rec, {"a": fact}, now=NOW, dcat_violations=[])
    pairs = [(f["type"], f["distribution"]) for f in doc["findings"]]
    assert len(pairs) == len(set(pairs))
    # no licence is a stars finding on the distribution and a metadata indicator of the dataset: told once
    assert [p for p in pairs if p[0] == "licence-missing"] == [("licence-missing", "a")]
    licence = next(i for i in doc["metadata"]["indicators"] if i["indicator"] == "licence")
    assert (licence["passed"], licence["points"]) == (False, 0)  # the indicator still costs its points
    assert {"frequency-missing", "modified-missing"} <= {t for t, _ in pairs}


def test_a_dataset_without_distributions_is_still_told_its_licence_is_missing():
    doc = assess.assess(_record(), {}, now=NOW, dcat_violations=[])
    assert [(f["type"], f["distribution"]) for f in doc["findings"] if f["type"] == "licence-missing"] == [
        ("licence-missing", None)]


def test_stale_data_loses_timeliness():
    meta = {**GOOD_META, "modified": "2025-01-01"}
    doc = assess.assess(_record(**meta), {}, now=NOW, dcat_violations=[])
    assert doc["timeliness"]["stale"] is True and doc["subscores"]["timeliness"] == 0
    assert "stale" in {f["type"] for f in doc["findings"]}
    assert doc["distributions"] == [] and doc["subscores"]["accessibility"] == 0


def test_dist_key_and_url_prefer_ids_then_urls():
    assert assess.dist_key({"catalog_id": 7, "id": "x"}) == "7"
    assert assess.dist_key({"access_url": "http://a"}) == "http://a"
    assert assess.dist_url({"access_url": "http://a", "download_url": "http://d"}) == "http://d"


# --------------------------------------------------------------------------- publishers


def _entry(pub: str, ds: str, stars: int, score: int, findings=(), personal: bool = False):
    return assess.AggregateInput(pub, {"en": pub}, ds, stars, score, 300, list(findings), personal)


def test_publishers_are_ranked_by_score_then_stars():
    rows = assess.publisher_aggregates([
        _entry("a", "1", 3, 80, ["link-broken", "pii-email"]), _entry("a", "2", 1, 40, ["stale", "pii-phone"], True),
        _entry("b", "3", 5, 90), _entry("c", "4", 2, 60), _entry("c", "5", 4, 60)])
    assert [r["publisher"] for r in rows] == ["b", "c", "a"]  # a and c tie on score: c has more stars
    a = next(r for r in rows if r["publisher"] == "a")
    assert a["datasets"] == 2 and a["stars"] == [0, 1, 0, 1, 0, 0] and a["average_stars"] == 2.0
    assert a["share_3_plus"] == 0.5 and a["average_score"] == 60.0
    assert (a["broken_links"], a["stale"], a["pii"]) == (1, 1, 1)  # a finding an override covers is not exposed
    assert [r["rank"] for r in rows] == [1, 2, 3] and a["change"] is None


def test_publishers_with_the_same_figures_share_their_rank():
    """Two departments with the same average score and stars were ranked 1 and 2 by their slugs' alphabet."""
    rows = assess.publisher_aggregates([
        _entry("b", "1", 3, 80), _entry("a", "2", 3, 80), _entry("c", "3", 2, 80), _entry("d", "4", 5, 70)])
    assert [(r["publisher"], r["rank"]) for r in rows] == [("a", 1), ("b", 1), ("c", 3), ("d", 4)]


def test_the_trend_is_weekly_and_the_change_is_against_last_week():
    monday = dt.datetime(2026, 5, 18, 9, tzinfo=dt.UTC)
    history = [("a", monday, 2, 50), ("a", monday + dt.timedelta(days=2), 2, 70),
               ("a", (monday + dt.timedelta(days=7)).replace(tzinfo=None), 3, 80)]
    rows = assess.publisher_aggregates([_entry("a", "1", 3, 80)], history, now=monday + dt.timedelta(days=8))
    trend = rows[0]["trend"]
    assert [t["period"] for t in trend] == ["2026-05-18", "2026-05-25"]
    assert trend[0]["assessments"] == 2 and trend[0]["average_score"] == 60.0


def test_the_change_is_the_average_now_less_the_average_at_the_end_of_last_week():
    """"Change since last week" was the last week with assessments less the one before, each over the datasets
    assessed that week: one dataset re-assessed this week made the department's change its score less last week's
    average, and a department nobody re-assessed kept the change of weeks ago."""
    monday = dt.datetime(2026, 5, 18, 9, tzinfo=dt.UTC)
    history = [("a", monday, 2, 50, "1"), ("a", monday, 2, 70, "2"), ("a", monday, 3, 90, "3"),
               ("a", monday + dt.timedelta(days=2), 2, 60, "1"),  # last week ends at 60, 70, 90: 73.3
               ("a", monday + dt.timedelta(days=8), 3, 90, "1")]  # this week only "1" is assessed again
    entries = [_entry("a", "1", 3, 90), _entry("a", "2", 2, 70), _entry("a", "3", 3, 90)]
    row = assess.publisher_aggregates(entries, history, now=monday + dt.timedelta(days=9))[0]
    assert row["average_score"] == 83.3 and row["change"] == 10.0  # not 90 - 73.3
    # nothing assessed since: no change this week, not last week's change again
    row = assess.publisher_aggregates(entries, history, now=monday + dt.timedelta(days=15))[0]
    assert row["change"] == 0.0
    # a dataset withdrawn (not among the entries) counts neither now nor then; one new this week counts now only
    entries = [_entry("a", "1", 3, 90), _entry("a", "2", 2, 70), _entry("a", "4", 1, 20)]
    history.append(("a", monday + dt.timedelta(days=8), 1, 20, "4"))
    row = assess.publisher_aggregates(entries, history, now=monday + dt.timedelta(days=9))[0]
    assert row["average_score"] == 60.0 and row["change"] == -5.0  # 60.0 less (60 + 70) / 2
    # nothing assessed before this week: nothing to compare with
    assert assess.publisher_aggregates(entries, history, now=monday)[0]["change"] is None


def test_a_weeks_trend_counts_each_named_dataset_by_its_last_assessment_of_the_week():
    monday = dt.datetime(2026, 5, 18, 9, tzinfo=dt.UTC)
    history = [("a", monday, 0, 20, "1"), ("a", monday + dt.timedelta(days=1), 3, 70, "2"),
               ("a", monday + dt.timedelta(days=2), 2, 50, "1")]  # "1" again, the same week
    trend = assess.publisher_aggregates([_entry("a", "1", 2, 50), _entry("a", "2", 3, 70)], history)[0]["trend"]
    assert trend == [{"period": "2026-05-18", "assessments": 3, "average_stars": 2.5, "average_score": 60.0}]


@pytest.mark.parametrize("days", [1, 3])
def test_other_periods_bucket_by_day(days):
    at = dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
    series = assess.publisher_aggregates([_entry("a", "1", 1, 10)], [("a", at, 1, 10)],
                                         period=dt.timedelta(days=days))[0]["trend"]
    assert series == [{"period": "2026-05-20", "assessments": 1, "average_stars": 1.0, "average_score": 10.0}]


def test_a_missing_licence_says_the_metadata_points_it_costs():
    """No licence costs the licence (20) and licence_known (10) indicators: the demo's working-day calendar read
    reusability 45/75 and metadata 365/405 while no finding named those 30 points (the stars finding, told once,
    said only "to reach one star"). Each lost metadata point is in a finding."""
    rec = _record({"id": "a", "download_url": "http://x/a.csv"})  # no licence anywhere
    fact = assess.DistributionFacts("a", "http://x/a.csv", check=CheckResult("http://x/a.csv", "ok", NOW,
                                                                             http_status=200))
    doc = assess.assess(rec, {"a": fact}, now=NOW, dcat_violations=[])
    lost = doc["metadata"]["max"] - doc["metadata"]["points"]
    told = sum(f["evidence"].get("lost", f["evidence"].get("points", 0)) for f in doc["findings"]
               if f["evidence"].get("indicator"))
    assert told == lost
    found = next(f for f in doc["findings"] if f["type"] == "licence-missing")
    assert found["distribution"] == "a" and found["evidence"]["lost"] == 30
    assert found["fix"].endswith("to reach one star (and 30 metadata points).")
    assert FINDING_TYPES["licence-missing"].fix("zh", found["evidence"]).endswith("即可获得一星（及元数据 30 分）。")
    # without the metadata points at stake (a distribution's own licence elsewhere), the hint stays as it was
    assert FINDING_TYPES["licence-missing"].fix("en", {}).endswith("to reach one star.")


def test_without_distributions_a_missing_licence_says_its_points():
    doc = assess.assess(_record(), {}, now=NOW, dcat_violations=[])
    found = next(f for f in doc["findings"] if f["type"] == "licence-missing")
    assert found["evidence"]["lost"] == 30 and "(and 30 metadata points)" in found["fix"]
