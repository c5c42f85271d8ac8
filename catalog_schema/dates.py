"""A record's date as every door publishes it: one rule for DCAT, schema.org, data.json, Croissant, the catalog's
CSV and XML, CKAN's timestamps (`catalog_schema.ckan.timestamp`) and the quality score.

Sources write dates in many ways. A real ISO date (2024-03-01), date and time, year-month or year is published
as written; a date written otherwise (2024年3月1日, 2024.03.01, 2024-3, a month or a day named in English as harvested
CKAN and data.json extras and UK and US portals say it: March 2024, Mar 2024, 1 March 2024, March 1, 2024,
01-Mar-2024, 2024-Mar-01, with its weekday: Friday, 1 March 2024, Fri 2024-03-01, 2024年3月1日 星期五; a date and
time as e-mail, HTTP and RSS write it: Fri, 01 Mar 2024 09:30:00 GMT) in its ISO form; anything that is no date on the
calendar ("2023-13-01", "31 February 2024", "yesterday-ish") or that is written wrong so that no one can tell which
date it means (an ordinal not the day's, "1th March 2024"; a weekday not the day's, "Monday, 1 March 2024"; a year
of two digits, "01-Mar-24"; a time zone named by letters that name two zones, "CST": China's or the US's) is not
published at all, and the quality score says so (`quality.metadata`: the
indicator fails with a finding naming the value, not "no date"). A metadata sheet's dates are read by the same rule
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
#: first ("March 1, 2021", "Mar 1 2021"), as UK and US portals write a day, its weekday in front or not ("Monday,
#: 1 March 2021", "Mon 1 Mar 2021"): published as that date when the ordinal and the weekday are the day's own.
_WEEKDAY_BEFORE = r"^(?:([a-z]+)\.?,?\s+)?"
_DAY_NAMED_MONTH = re.compile(_WEEKDAY_BEFORE + r"(\d{1,2})(st|nd|rd|th)?(?:\s+(?:of\s+)?|-)([a-z]+)\.?(?:,?\s+|-)"
                              r"(\d{4})$", re.IGNORECASE)
_NAMED_MONTH_DAY = re.compile(_WEEKDAY_BEFORE + r"([a-z]+)\.?\s+(\d{1,2})(st|nd|rd|th)?,?\s+(\d{4})$", re.IGNORECASE)
#: The year first, its month named ("2021-Mar-01", "2021-March-01"): published as that date.
_YEAR_NAMED_MONTH_DAY = re.compile(r"^(\d{4})-([a-z]+)-(\d{1,2})$", re.IGNORECASE)
#: A date written with dots or slashes, a month or day of one digit, or in Chinese (2024.03.01, 2024/3/1, 2024-3,
#: 2024年3月1日, 2024年3月, 2024年): published in its ISO form at the precision written.
_WRITTEN = re.compile(r"^(\d{4})(?:\s*[-./年]\s*(\d{1,2})(?:\s*[-./月]\s*(\d{1,2})\s*日?|\s*月)?)?\s*年?$")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_NUMBER = {**{name: n for n, name in enumerate(_MONTHS, 1)}, **{name[:3]: n for n, name in enumerate(_MONTHS, 1)},
                 "sept": 9}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: A weekday's name and its abbreviations, to its number as `datetime.date.weekday` gives it (Monday is 0).
_WEEKDAY_NUMBER = {**{name: n for n, name in enumerate(_WEEKDAYS)}, **{name[:3]: n for n, name in enumerate(_WEEKDAYS)},
                   "tues": 1, "thur": 3, "thurs": 3}

#: A date and time as e-mail, HTTP and RSS write it (RFC 5322 and RFC 2822 before it: "Fri, 01 Mar 2024 09:30:00 GMT",
#: "1 Mar 2024 09:30 +0800"), its weekday in front or not: published as xsd:dateTime with its offset ("-0000", no zone
#: known, as none). Of the zones named by letters only UT, GMT and Z are read: the US zones RFC 5322 keeps names
#: are other zones on Chinese pages (CST is China Standard Time there, UTC+8, and US Central, UTC-6, in the RFC).
_RFC5322 = re.compile(r"^(?:([a-z]+)\s*,\s*)?(\d{1,2})\s+([a-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?"
                      r"(?:\s+([+-]\d{4}|ut|gmt|z))?$", re.IGNORECASE)
#: A weekday in Chinese (星期一, 周一, 礼拜一; 星期日 or 星期天) before or after a date, bracketed or not
#: ("2024年3月1日 星期五", "2024年3月1日（周五）"), or in English before a date the patterns above do not name it in
#: ("Fri 2024-03-01", "Friday, 2024-03-01"): the date, when the weekday is the day's own.
_CHINESE_WEEKDAY = r"(?:星期|周|礼拜)([一二三四五六日天])"
_WEEKDAY_AROUND = re.compile(r"^(?:" + _CHINESE_WEEKDAY + r"[\s,，、]*(.+)|(.+?)[\s,，]*[(（]?" + _CHINESE_WEEKDAY
                             + r"[)）]?|([a-z]+)\.?,?\s+(\d{4}\D.+))$", re.IGNORECASE)
_CHINESE_WEEKDAY_NUMBER = {word: n for n, word in enumerate("一二三四五六日")} | {"天": 6}

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
        weekday, day, ordinal, word, year = named.groups()
        return _named_day(year, word, day, ordinal, weekday)
    named = _NAMED_MONTH_DAY.match(value)
    if named:
        weekday, word, day, ordinal, year = named.groups()
        return _named_day(year, word, day, ordinal, weekday)
    named = _YEAR_NAMED_MONTH_DAY.match(value)
    if named:
        year, word, day = named.groups()
        return _named_day(year, word, day)
    written = _WRITTEN.match(value)
    if written:
        year, month, day = written.groups()
        return _iso(year, int(month), day) if month else published(year)
    mailed = _RFC5322.match(value)
    if mailed:
        return _mailed(*mailed.groups())
    around = _WEEKDAY_AROUND.match(value)
    if around:
        return _on_weekday(around)
    return None


def _mailed(weekday: str | None, day: str, word: str, year: str, hour: str, minute: str, second: str | None,
            zone: str | None) -> tuple[str, str] | None:
    """`published` of an RFC 5322 date and time: None as `_named_day` refuses its day (a weekday not the day's), and
    as xsd:dateTime refuses its time (25:00)."""
    found = _named_day(year, word, day, weekday=weekday)
    if found is None:
        return None
    if zone is None or zone == "-0000":
        offset = ""
    elif zone.lower() in ("ut", "gmt", "z") or zone == "+0000":
        offset = "Z"
    else:
        offset = f"{zone[:3]}:{zone[3:]}"
    return published(f"{found[0]}T{hour}:{minute}:{second or '00'}{offset}")


def _on_weekday(around: re.Match) -> tuple[str, str] | None:
    """`published` of a date with its weekday beside it (`_WEEKDAY_AROUND`): the date when it is a day (or a day and
    time) and the weekday is its own, else None."""
    chinese_first, after, before, chinese_last, english, english_after = around.groups()
    found = published((after or before or english_after).strip())
    if found is None or found[1] not in (DATE, DATETIME):
        return None
    if english is not None:
        number = _WEEKDAY_NUMBER.get(english.lower())
    else:
        number = _CHINESE_WEEKDAY_NUMBER[chinese_first or chinese_last]
    on = dt.date.fromisoformat(found[0][:10]) if not found[0].startswith("-") else None
    return found if on is not None and on.weekday() == number else None


def _iso(year: str, month: int | None, day: str | None = None) -> tuple[str, str] | None:
    """`published` of a year, month and day read apart, in ISO form: refused as that would be (2021-02-31, 2021-13),
    and None for a word that names no month."""
    if not month:
        return None
    return published(f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else ""))


def _named_day(year: str, word: str, day: str, ordinal: str | None = None,
               weekday: str | None = None) -> tuple[str, str] | None:
    """`published` of a day written with its month's name: None as `_iso` refuses it, and when its ordinal ("1th")
    or its weekday ("Tuesday, 1 March 2021") is not the day's own, or the weekday is no weekday's name."""
    if ordinal is not None and ordinal.lower() != _ordinal(int(day)):
        return None
    found = _iso(year, _MONTH_NUMBER.get(word.lower()), day)
    if found is None or weekday is None:
        return found
    number = _WEEKDAY_NUMBER.get(weekday.lower())
    return found if number is not None and dt.date.fromisoformat(found[0]).weekday() == number else None


def _ordinal(day: int) -> str:
    """The suffix English writes after the day's number: 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st."""
    return "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


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
