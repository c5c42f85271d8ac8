"""A record's date as every door publishes it: one rule for DCAT, schema.org, data.json, Croissant, the catalog's
CSV and XML, CKAN's timestamps (`catalog_schema.ckan.timestamp`) and the quality score.

Sources write dates in many ways. A real ISO date (2024-03-01), date and time, year-month or year is published
as written; a date written otherwise (2024年3月1日, 2024.03.01, 2024-3, a month or a day named in English as harvested
CKAN and data.json extras and UK and US portals say it: March 2024, Mar 2024, 1 March 2024, March 1, 2024,
01-Mar-2024) in its ISO form; anything that is no date on the calendar ("2023-13-01", "31 February 2024",
"yesterday-ish") is not published at all, and the quality score says so (`quality.metadata`: the indicator fails
with a finding naming the value, not "no date"). A metadata sheet's dates are read by the same rule
(`catalog_schema.filemeta.parse_date`).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

_DATE = re.compile(r"^-?\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_YEAR_MONTH = re.compile(r"^-?\d{4}-\d{2}$")
_YEAR = re.compile(r"^-?\d{4}$")
#: A date and time written with a space, a lower-case z or an offset without its colon (ISO 8601 and POD allow
#: them, xsd:dateTime does not): published in xsd:dateTime's form.
_LOOSE_DATETIME = re.compile(r"^(-?\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)([zZ]|[+-]\d{2}:?\d{2})?$")
#: A month named in English and its year ("March 2021", "Mar. 2021", "Sept 2021"), as harvested CKAN and data.json
#: extras write a month: published as that year-month, the precision written.
_NAMED_MONTH = re.compile(r"^([A-Za-z]+)\.?,?\s+(\d{4})$")
#: A day with its month named in English, day first ("1 March 2021", "1st of March 2021", "01-Mar-2021") or month
#: first ("March 1, 2021", "Mar 1 2021"), as UK and US portals write a day: published as that date.
_DAY_NAMED_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+(?:of\s+)?|-)([a-z]+)\.?(?:,?\s+|-)(\d{4})$",
                              re.IGNORECASE)
_NAMED_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", re.IGNORECASE)
#: A date written with dots or slashes, a month or day of one digit, or in Chinese (2024.03.01, 2024/3/1, 2024-3,
#: 2024年3月1日, 2024年3月, 2024年): published in its ISO form at the precision written.
_WRITTEN = re.compile(r"^(\d{4})(?:\s*[-./年]\s*(\d{1,2})(?:\s*[-./月]\s*(\d{1,2})\s*日?|\s*月)?)?\s*年?$")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_NUMBER = {**{name: n for n, name in enumerate(_MONTHS, 1)}, **{name[:3]: n for n, name in enumerate(_MONTHS, 1)},
                 "sept": 9}

#: The XSD datatype (local name) of each kind of published date.
DATE, DATETIME, YEAR_MONTH, YEAR = "date", "dateTime", "gYearMonth", "gYear"


@lru_cache(maxsize=65536)
def published(value: str) -> tuple[str, str] | None:
    """(lexical form, XSD datatype local name) of the date `value` as published, or None when it is no date."""
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        return None
    if _DATE.match(value):
        return (value, DATE) if _real(value, dt.date.fromisoformat) else None
    if _DATETIME.match(value):
        return (value, DATETIME) if _real(value.replace("Z", "+00:00"), dt.datetime.fromisoformat) else None
    if _YEAR_MONTH.match(value):
        return (value, YEAR_MONTH) if _real(value + "-01", dt.date.fromisoformat) else None
    if _YEAR.match(value):
        return value, YEAR
    loose = _LOOSE_DATETIME.match(value)
    if loose:
        day, time, zone = loose.groups()
        zone = "Z" if zone in ("z", "Z") else (zone[:3] + ":" + zone[-2:] if zone else "")
        return published(f"{day}T{time.replace(',', '.')}{zone}")
    named = _NAMED_MONTH.match(value)
    if named:
        word, year = named.groups()
        return _iso(year, _MONTH_NUMBER.get(word.lower()))
    named = _DAY_NAMED_MONTH.match(value)
    if named:
        day, word, year = named.groups()
        return _iso(year, _MONTH_NUMBER.get(word.lower()), day)
    named = _NAMED_MONTH_DAY.match(value)
    if named:
        word, day, year = named.groups()
        return _iso(year, _MONTH_NUMBER.get(word.lower()), day)
    written = _WRITTEN.match(value)
    if written:
        year, month, day = written.groups()
        return _iso(year, int(month), day) if month else published(year)
    return None


def _iso(year: str, month: int | None, day: str | None = None) -> tuple[str, str] | None:
    """`published` of a year, month and day read apart, in ISO form: refused as that would be (2021-02-31, 2021-13),
    and None for a word that names no month."""
    if not month:
        return None
    return published(f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else ""))


def published_text(value) -> str | None:
    """`published`'s lexical form alone (None: no date)."""
    found = published(value) if isinstance(value, str) else None
    return found[0] if found else None


def _real(value: str, parse) -> bool:
    if value.startswith("-"):  # a year before the common era: Python's dates do not reach it, the pattern holds
        return True
    try:
        parse(value)
    except ValueError:
        return False
    return True
