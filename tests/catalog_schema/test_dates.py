"""The one rule a record's date is published by (catalog_schema.dates)."""

import datetime as dt

from catalog_schema import dates, filemeta
from catalog_schema.ckan import timestamp
from catalog_schema.datajson import to_datajson
from catalog_schema.record import new_record
from quality.timeliness import staleness


def test_a_month_named_in_words_is_that_month_as_2021_03_is():
    """Harvested CKAN and data.json extras say "March 2021" or "Mar 2021" as often as 2021年3月: each is the month,
    published as a year-month (gYearMonth) like 2021-03, while the record keeps the source's words. A word that is
    no month, or a month with no four-digit year, is still no date."""
    for written in ("March 2021", "Mar 2021", "mar. 2021", "MARCH, 2021", "Sept 2021", "2021年3月", "2021-03"):
        expected = ("2021-09" if written.startswith("Sept") else "2021-03", dates.YEAR_MONTH)
        assert dates.published(written) == expected, written
    for no_date in ("Marchy 2021", "Smarch 2021", "March 21", "March", "Ma 2021", "13 2021"):
        assert dates.published(no_date) is None, no_date
    # the callers read it as that month: data.json publishes it, timeliness judges it on the month's last day
    rec = new_record(slug="s", title={"en": "t"}, issued="Mar 2021", modified="March 2021")
    assert (to_datajson(rec)["issued"], to_datajson(rec)["modified"]) == ("2021-03", "2021-03")
    assert rec["modified"] == "March 2021"
    now = dt.datetime(2021, 4, 20, tzinfo=dt.UTC)
    assert staleness("March 2021", "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
                     now=now).age_days == 20


def test_a_day_written_with_a_month_name_is_that_day_as_2021_03_01_is():
    """UK and US portal extras and data.json write a day with its month named ("1 March 2021", "March 1, 2021",
    "01-Mar-2021"): each is that day, published as a date (xsd:date) like 2021-03-01, with no locale's help. A day
    the month has not ("31 February 2021") is no date, as 2021-02-31 is none."""
    for written, expected in (
            ("1 March 2021", "2021-03-01"), ("March 1, 2021", "2021-03-01"), ("1st March 2021", "2021-03-01"),
            ("Mar 1 2021", "2021-03-01"), ("01-Mar-2021", "2021-03-01"), ("1-mar-2021", "2021-03-01"),
            ("01 MAR 2021", "2021-03-01"), ("Mar. 1, 2021", "2021-03-01"), ("March 1st, 2021", "2021-03-01"),
            ("1 March, 2021", "2021-03-01"), ("1st of March 2021", "2021-03-01"), ("22nd Sept 2021", "2021-09-22"),
            ("September 30, 2021", "2021-09-30"), ("3rd May 2021", "2021-05-03"), ("29 Feb 2024", "2024-02-29"),
            ("December 31 2021", "2021-12-31"), ("  2 June 2021 ", "2021-06-02")):
        assert dates.published(written) == (expected, dates.DATE), written
    for no_date in ("31 February 2021", "29 Feb 2021", "February 30, 2021", "31-Apr-2021", "0 March 2021",
                    "32 March 2021", "1 Smarch 2021", "Marchy 1, 2021", "1 March 21", "March 1", "1 March",
                    "123 March 2021", "1 2 2021", "1st-of-March-2021x"):
        assert dates.published(no_date) is None, no_date
    # the callers read it as that day: data.json publishes it, CKAN's timestamp is that day
    rec = new_record(slug="s", title={"en": "t"}, issued="1 March 2021", modified="March 1, 2021")
    assert (to_datajson(rec)["issued"], to_datajson(rec)["modified"]) == ("2021-03-01", "2021-03-01")
    assert rec["issued"] == "1 March 2021"
    assert (timestamp("01-Mar-2021"), timestamp("31 February 2021")) == ("2021-03-01", None)


def test_an_ordinal_that_is_not_the_day_s_is_no_date():
    """"1st March 2021" is a day; "1th March 2021" was read as the same day, though no one writes it so: a
    suffix that is not the day's own (1st 2nd 3rd 4th ... 11th 12th 13th ... 21st 22nd 23rd ... 31st) is a
    mistyped or misread value, not a date, and the callers keep the source's words and say so, as for
    "31 February 2021"."""
    for day in range(1, 32):
        right = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        for suffix in ("st", "nd", "rd", "th"):
            for written in (f"{day}{suffix} March 2021", f"March {day}{suffix}, 2021", f"{day}{suffix} of March 2021"):
                expected = (f"2021-03-{day:02d}", dates.DATE) if suffix == right else None
                assert dates.published(written) == expected, written
    for no_date in ("1th March 2021", "2th Mar 2021", "3st March 2021", "11st March 2021", "12nd March 2021",
                    "13rd March 2021", "21th March 2021", "22th March 2021", "23th March 2021", "March 1th, 2021",
                    "01th March 2021", "Monday 1th March 2021"):
        assert dates.published(no_date) is None, no_date
    # the callers: a sheet's row flags it, CKAN has no timestamp, data.json leaves it out (the forms: test_fields)
    _file, fields, problems = filemeta.from_row({"file": "a.csv", "modified": "1th March 2021"})
    assert "modified" not in fields and [p[:2] for p in problems] == [("modified", "1th March 2021")]
    assert timestamp("1th March 2021") is None
    rec = new_record(slug="s", title={"en": "t"}, issued="1th March 2021")
    assert "issued" not in to_datajson(rec) and rec["issued"] == "1th March 2021"


def test_a_weekday_before_a_day_is_read_when_it_is_that_day_s():
    """Feeds and UK and US portals write a day with its weekday ("Monday, 1 March 2021", "Mon 1 Mar 2021",
    "Monday, March 1, 2021"): it was no date. It is that day when the weekday is the day's own; a weekday that
    is not (1 March 2021 was a Monday) says the value is wrong somewhere, and no one can tell where: no date."""
    for written, expected in (
            ("Monday, 1 March 2021", "2021-03-01"), ("Mon 1 Mar 2021", "2021-03-01"),
            ("monday 1st March 2021", "2021-03-01"), ("Mon, 01-Mar-2021", "2021-03-01"),
            ("Monday, March 1, 2021", "2021-03-01"), ("Mon. Mar 1 2021", "2021-03-01"),
            ("MON 1 MAR 2021", "2021-03-01"), ("Tue 2 March 2021", "2021-03-02"), ("Tues, 2 March 2021", "2021-03-02"),
            ("Wednesday 3 March 2021", "2021-03-03"), ("Thu 4 March 2021", "2021-03-04"),
            ("Thurs 4 March 2021", "2021-03-04"), ("Friday, March 5th, 2021", "2021-03-05"),
            ("Sat 6 Mar 2021", "2021-03-06"), ("Sunday 7 March 2021", "2021-03-07"),
            ("Thursday, 29 Feb 2024", "2024-02-29")):
        assert dates.published(written) == (expected, dates.DATE), written
    for no_date in ("Tuesday, 1 March 2021", "Sun 1 Mar 2021", "Friday, March 1, 2021", "Monday, 31 February 2021",
                    "Monday, 29 Feb 2024", "Moonday, 1 March 2021", "Mo 1 March 2021", "Monday March 2021",
                    "Monday, 1 March 21", "Monday Tuesday 1 March 2021", "Monday,, 1 March 2021", "Monday"):
        assert dates.published(no_date) is None, no_date
    # the callers read it as that day
    rec = new_record(slug="s", title={"en": "t"}, issued="Tuesday, 1 March 2021", modified="Monday, 1 March 2021")
    assert to_datajson(rec)["modified"] == "2021-03-01" and "issued" not in to_datajson(rec)
    assert (timestamp("Mon 1 Mar 2021"), filemeta.parse_date("Monday, 1 March 2021")) == ("2021-03-01", "2021-03-01")


def test_a_year_a_named_month_and_a_day_are_that_day():
    """"2021-Mar-01" and "2021-March-01" (the year first, as logs and some portals write it) were no date; they
    are that day, refused as 2021-02-31 is when the month has no such day."""
    for written, expected in (("2021-Mar-01", "2021-03-01"), ("2021-March-01", "2021-03-01"),
                              ("2021-mar-1", "2021-03-01"), ("2021-SEPT-30", "2021-09-30"),
                              ("2024-Feb-29", "2024-02-29"), ("2021-December-31", "2021-12-31")):
        assert dates.published(written) == (expected, dates.DATE), written
    for no_date in ("2021-Feb-29", "2021-Apr-31", "2021-Smarch-01", "2021-Mar-00", "2021-Mar-123", "2021-Mar",
                    "21-Mar-01", "2021-Mar-01st", "2021-01-Mar"):
        assert dates.published(no_date) is None, no_date
    assert filemeta.parse_range("2021-Mar-01/2021-Mar-31") == {"start": "2021-03-01", "end": "2021-03-31"}


def test_a_year_of_two_digits_is_refused_not_guessed():
    """"01-Mar-21" may be 2021 or 1921, and "21-Mar-01" the first of March 2021 or the 21st of March 2001: a year
    of two digits is never guessed, in any of the ways a date is written, and the callers keep the words."""
    for no_date in ("1 March 21", "March 1, 21", "01-Mar-21", "21-Mar-01", "Mon 1 Mar 21", "Monday, March 1, 21",
                    "Mar 21", "Mar '21", "March '21", "1 Mar '21", "3/1/21", "01/03/21", "21/3/1", "21.03.01",
                    "21-03-01", "21-03", "21年3月1日", "21年3月", "1st of March 21", "21-March-01"):
        assert dates.published(no_date) is None, no_date
        assert filemeta.parse_date(no_date) is None and timestamp(no_date) is None, no_date
    assert dates.published("2021年3月1日") == ("2021-03-01", dates.DATE)  # four digits, in Chinese too
    assert dates.published("2021 年 3 月 1 日") == ("2021-03-01", dates.DATE)


def test_a_date_and_time_as_mail_http_and_rss_write_it_is_that_moment():
    """RSS feeds, HTTP headers copied into metadata and data.json files written from mail tools say a moment the RFC
    5322 way ("Mon, 07 Dec 2026 10:00:00 GMT"): it was no date at all, and the quality score said the source's date
    was wrong. It is that moment, published as xsd:dateTime with its offset; a weekday not the day's, a day the month
    has not, an hour past 23, a year of two digits and a zone named by letters other than UT, GMT or Z (CST is China's
    zone on a Chinese page and US Central in the RFC) are still no date."""
    for written, expected in (
            ("Mon, 07 Dec 2026 10:00:00 GMT", "2026-12-07T10:00:00Z"),
            ("Mon, 07 Dec 2026 10:00:00 +0800", "2026-12-07T10:00:00+08:00"),
            ("7 Dec 2026 10:00 +0000", "2026-12-07T10:00:00Z"), ("07 dec 2026 23:59:59 UT", "2026-12-07T23:59:59Z"),
            ("Monday, 07 Dec 2026 08:15:00 -0500", "2026-12-07T08:15:00-05:00"),
            ("07 Dec 2026 10:00:00 -0000", "2026-12-07T10:00:00"), ("07 Dec 2026 10:00:00", "2026-12-07T10:00:00")):
        assert dates.published(written) == (expected, dates.DATETIME), written
    for no_date in ("Tue, 07 Dec 2026 10:00:00 GMT", "Mon, 31 Feb 2026 10:00:00 GMT", "Mon, 07 Dec 2026 25:00:00 GMT",
                    "Mon, 07 Dec 26 10:00:00 GMT", "Mon, 07 Dec 2026 10:00:00 CST", "Mon, 07 Dec 2026 10:00:00 EST",
                    "Mon, 07 Dec 2026 10:00:00 XYZ", "Mon, 07 Dez 2026 10:00:00 GMT", "Mon, 07 Dec 2026 10:00:60 GMT"):
        assert dates.published(no_date) is None, no_date
    # the callers read it as that moment: data.json publishes it, CKAN's timestamp is its time in UTC
    rec = new_record(slug="s", title={"en": "t"}, modified="Mon, 07 Dec 2026 10:00:00 +0800")
    assert to_datajson(rec)["modified"] == "2026-12-07T10:00:00+08:00"
    assert rec["modified"] == "Mon, 07 Dec 2026 10:00:00 +0800"


def test_a_date_with_its_weekday_in_chinese_or_before_an_iso_date_is_that_day():
    """Chinese pages write a day's weekday beside it (2026年12月7日 星期一, 2026年12月7日（周一）,
    礼拜天 2026年12月13日), and English ones before an ISO date (Mon 2026-12-07): each is that day when the weekday is
    its own, and no date when it is not, or when what it stands beside is no day (a month)."""
    for written, expected in (
            ("2026年12月7日 星期一", "2026-12-07"), ("星期一 2026年12月7日", "2026-12-07"),
            ("2026年12月7日（周一）", "2026-12-07"), ("2026年12月7日(星期一)", "2026-12-07"),
            ("2026年12月7日星期一", "2026-12-07"), ("礼拜天 2026年12月13日", "2026-12-13"),
            ("2026年12月13日 星期日", "2026-12-13"), ("周一，2026-12-07", "2026-12-07"),
            ("Mon 2026-12-07", "2026-12-07"), ("Monday, 2026-12-07", "2026-12-07"), ("mon. 2026/12/07", "2026-12-07")):
        assert dates.published(written) == (expected, dates.DATE), written
    assert dates.published("Mon 2026-12-07T10:00:00Z") == ("2026-12-07T10:00:00Z", dates.DATETIME)
    for no_date in ("2026年12月7日 星期二", "星期八 2026年12月7日", "2026年12月 星期一", "Tue 2026-12-07",
                    "Funday 2026-12-07", "Mon 2026-12", "星期一", "2026年2月30日 星期一"):
        assert dates.published(no_date) is None, no_date
    assert filemeta.parse_date("2026年12月7日 星期一") == "2026-12-07"
