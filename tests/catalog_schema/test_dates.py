"""The one rule a record's date is published by (catalog_schema.dates)."""

import datetime as dt

from catalog_schema import dates
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
