"""The one rule a record's date is published by (catalog_schema.dates)."""

import datetime as dt

from catalog_schema import dates
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
