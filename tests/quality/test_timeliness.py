"""Freshness against the declared update frequency."""

import datetime as dt
import json

from quality.timeliness import GRACE_PERIODS, expected_days, staleness, timeliness_findings

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
EU = "http://publications.europa.eu/resource/authority/frequency/"


def test_monthly_200_days_is_stale_by_periods():
    t = staleness(NOW - dt.timedelta(days=200), "MONTHLY", now=NOW)
    assert t.stale
    assert 30 < t.expected_days < 31
    assert t.age_days == 200
    assert abs(t.periods_late - (200 - t.expected_days) / t.expected_days) < 0.01
    findings = timeliness_findings((NOW - dt.timedelta(days=200)).date(), EU + "MONTHLY", now=NOW)
    assert [f.type for f in findings] == ["stale"]
    ev = findings[0].evidence
    assert ev["periods_late"] > 5 and ev["frequency"] == "MONTHLY"
    json.dumps(findings[0].to_dict())
    # the code in words, in each language (the CLI printed "on a MONTHLY schedule", "更新频率为 MONTHLY")
    from catalog_schema import vocab

    freq = vocab.FREQUENCIES["MONTHLY"]
    assert f"declared update frequency is {freq.label_en} (" in findings[0].message
    assert f"声明的更新频率为{freq.label_zh}（" in findings[0].localised("zh")[0] and "MONTHLY" not in \
        findings[0].localised("zh")[0]


def test_a_dataset_judged_on_its_publication_date_says_so():
    """No modification date: the age is counted from the publication date, and "Last modified 9,835 days ago"
    stood beside "No modification date" in the same assessment."""
    issued = (NOW - dt.timedelta(days=400)).date()
    (found,) = timeliness_findings(issued, "MONTHLY", now=NOW, dated="issued")
    assert found.message.startswith("Published (no change recorded since) 400") and "Last modified" not in found.message
    assert found.localised("zh")[0].startswith("发布（此后没有更新记录）在 400")
    (kept,) = timeliness_findings(issued, "MONTHLY", now=NOW)  # and a stored finding without `dated`
    assert kept.message.startswith("Last modified 400") and kept.localised("zh")[0].startswith("最近一次更新在 400")


def test_weekly_yesterday_is_fresh():
    t = staleness(NOW - dt.timedelta(days=1), "WEEKLY", now=NOW)
    assert not t.stale and t.periods_late == 0 and t.expected_days == 7
    assert timeliness_findings((NOW - dt.timedelta(days=1)).isoformat(), "WEEKLY", now=NOW) == []


def test_grace_boundary():
    exp = expected_days("ANNUAL")
    assert exp == 365.25
    inside = staleness(NOW - dt.timedelta(days=exp * (1 + GRACE_PERIODS) - 1), "ANNUAL", now=NOW)
    outside = staleness(NOW - dt.timedelta(days=exp * (1 + GRACE_PERIODS) + 1), "ANNUAL", now=NOW)
    assert not inside.stale and inside.periods_late > 0
    assert outside.stale


def test_irregular_never_stale_and_missing_inputs():
    assert not staleness("2001-01-01", "IRREG", now=NOW).stale
    assert staleness("2001-01-01", "IRREG", now=NOW).expected_days is None
    assert [f.type for f in timeliness_findings("2001-01-01", None, now=NOW)] == ["frequency-missing"]
    assert [f.type for f in timeliness_findings(None, "DAILY", now=NOW)] == ["modified-missing"]
    assert [f.type for f in timeliness_findings("garbage", "", now=NOW)] == ["frequency-missing", "modified-missing"]
    assert abs(expected_days("HOURLY") - 1 / 24) < 1e-5
    assert staleness("2026-11-23T09:00:00Z", "HOURLY", now=NOW).stale


def test_a_stale_findings_age_is_told_in_whole_days():
    """The evidence keeps the age to a hundredth of a day; the words say whole days, as the dataset page does
    ("最近一次更新在 690.27 天前" on the dashboard's list read as noise, beside "690 days ago" on the page)."""
    modified = NOW - dt.timedelta(days=1690, hours=6, minutes=30)
    (found,) = timeliness_findings(modified.isoformat(), "ANNUAL", now=NOW)
    assert found.evidence["age_days"] == 1690.27
    assert found.message.startswith("Last modified 1,690 days ago, ")
    assert found.localised("zh")[0].startswith("最近一次更新在 1,690 天前，")


def _timeliness(**fields):
    from catalog_schema.record import new_record
    from quality.assess import assess

    doc = assess(new_record(slug="t", title={"en": "T"}, license="CC-BY-4.0", **fields), {}, now=NOW,
                 dcat_violations=[])
    return doc["subscores"]["timeliness"], [f["type"] for f in doc["findings"]
                                           if f["type"] in ("stale", "modified-missing", "frequency-missing")]


def test_a_date_written_as_sources_write_it_is_read_by_the_rule_the_metadata_counts_it_by():
    """2023年3月1日 earns the modification date's metadata points and is published as 2023-03-01 (catalog_schema.dates):
    timeliness read it with fromisoformat alone, so an annual dataset three years old was "no readable last-modified
    date" and scored as fresh (10 of 10 points lost nowhere, a stale dataset not said to be)."""
    assert _timeliness(frequency="ANNUAL", modified="2023年3月1日") == (32, ["stale"])
    assert _timeliness(frequency="ANNUAL", modified="2026.03.31") == (100, [])
    # a year-month is judged on its last day: October 2026 may be the 31st, not late on 23 November for a month
    assert _timeliness(frequency="MONTHLY", modified="2026-10") == (100, [])
    # a modification date that is no date: judged on the publication date, and says so
    (found,) = timeliness_findings("2022.01.05", "ANNUAL", now=NOW, dated="issued")
    assert found.evidence["age_days"] > 1700
    assert _timeliness(frequency="ANNUAL", modified="yesterday-ish", issued="2022.01.05")[1] == ["stale"]


def test_no_date_at_all_costs_half_the_timeliness_part_with_or_without_a_frequency():
    """docs/quality.md: 0.5 when no date is known. With a frequency declared it was 1: the 5 points
    `modified-missing` says are at stake were never lost, and two datasets with the same finding scored apart."""
    assert _timeliness(frequency="ANNUAL") == (50, ["modified-missing"])
    assert _timeliness() == (50, ["frequency-missing", "modified-missing"])
    assert _timeliness(frequency="IRREG", modified="2001-01-01") == (100, [])
