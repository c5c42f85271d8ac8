"""Freshness of a dataset against its declared update frequency (docs/quality.md, "Timeliness"), pure functions.

A dataset that promises monthly updates and was last modified 200 days ago is stale by several
periods; one that promises nothing cannot be judged, which is itself a finding. The expected
period of each EU frequency code (http://publications.europa.eu/resource/authority/frequency/)
is in the table below; ``catalog_schema.vocab.frequency`` reads codes, URIs and words.

Grace: a dataset is stale only when its age exceeds the expected period **plus half a period**
(``GRACE_PERIODS``): publication runs a few days behind the reference period, and a monthly table
published on the 5th of the following month is not late.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass

from catalog_schema import dates, vocab
from quality.findings import Finding, FindingType, Rule, make_finding

#: Days per period; ``None`` means the code promises no schedule, so the dataset is never stale.
_PERIOD_DAYS: dict[str, float | None] = {
    "HOURLY": 1 / 24,
    "CONT": 1.0,
    "UPDATE_CONT": 1.0,
    "DAILY": 1.0,
    "DAILY_2": 0.5,
    "WEEKLY": 7.0,
    "WEEKLY_2": 3.5,
    "WEEKLY_3": 7 / 3,
    "BIWEEKLY": 14.0,
    "MONTHLY": 30.44,
    "MONTHLY_2": 15.22,
    "MONTHLY_3": 10.15,
    "BIMONTHLY": 61.0,
    "QUARTERLY": 91.3,
    "ANNUAL_2": 182.6,
    "ANNUAL_3": 121.75,
    "ANNUAL": 365.25,
    "BIENNIAL": 730.5,
    "TRIENNIAL": 1095.75,
    "QUADRENNIAL": 1461.0,
    "QUINQUENNIAL": 1826.25,
    "DECENNIAL": 3652.5,
    "IRREG": None,
    "UNKNOWN": None,
    "NEVER": None,
    "OTHER": None,
    "AS_NEEDED": None,
    "NOT_PLANNED": None,
    "OP_DATPRO": None,
}

#: Extra periods allowed before a dataset counts as stale.
GRACE_PERIODS = 0.5

_FREQ_PREFIX = "http://publications.europa.eu/resource/authority/frequency/"


@dataclass(frozen=True)
class Timeliness:
    periods_late: float  # periods beyond the expected one (0 when on time or not judgeable)
    expected_days: float | None
    age_days: float | None
    stale: bool


def _code(frequency_code: str | None) -> str | None:
    """The EU code for a code, EU URI, ISO 8601 duration or word (via the vocabulary when present)."""
    if not frequency_code or not str(frequency_code).strip():
        return None
    found = vocab.frequency(frequency_code)
    if found:
        return found
    code = str(frequency_code).strip()
    if code.startswith(_FREQ_PREFIX) or code.startswith(_FREQ_PREFIX.replace("http:", "https:")):
        code = code.rsplit("/", 1)[1]
    return code.upper() or None


def expected_days(frequency_code: str | None) -> float | None:
    """Days per period for an EU frequency code (or its URI); None when it sets no schedule or is unknown."""
    code = _code(frequency_code)
    if code is None:
        return None
    return _PERIOD_DAYS.get(code)


def _as_datetime(value: _dt.date | _dt.datetime | str | None) -> _dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        dt = value
    elif isinstance(value, _dt.date):
        dt = _dt.datetime(value.year, value.month, value.day)
    else:
        dt = _published(str(value))
        if dt is None:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.UTC)
    return dt


def _published(text: str) -> _dt.datetime | None:
    """The instant a date written as a source wrote it stands for, read by the rule every door publishes dates by
    (catalog_schema.dates): 2024年3月1日 and 2024.03.01 are 2024-03-01, as the metadata score counts and DCAT
    publishes them; a year-month or a year is its last day. None when it is no date on the calendar. (Read with
    fromisoformat alone, 2023年3月1日 was "no readable last-modified date" beside the metadata points it earned as
    a date, and an annual dataset three years old scored as fresh.)"""
    found = dates.published(text)
    if found is None:
        return None
    lexical, kind = found
    if lexical.startswith("-"):  # a year before the common era: a date, but none Python's datetime reaches
        return None
    if kind == dates.YEAR_MONTH:  # its last day: "2026-10" may be 31 October; nobody is called late on a guess
        lexical += f"-{calendar.monthrange(int(lexical[:4]), int(lexical[5:7]))[1]:02d}"
    elif kind == dates.YEAR:
        lexical += "-12-31"
    try:
        return _dt.datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    except ValueError:  # a fraction of a second finer than Python reads
        return None


def staleness(modified, frequency_code: str | None, *, now: _dt.datetime) -> Timeliness:
    """How late a dataset is: its age against the expected period of its declared frequency.

    ``periods_late`` = (age - expected) / expected, floored at 0; ``stale`` once the age exceeds
    the expected period by more than ``GRACE_PERIODS`` periods.
    """
    mod = _as_datetime(modified)
    now_dt = _as_datetime(now)
    age = None if mod is None else max(0.0, (now_dt - mod).total_seconds() / 86400)
    exp = expected_days(frequency_code)
    if age is None or exp is None or exp <= 0:
        return Timeliness(periods_late=0.0, expected_days=exp, age_days=age, stale=False)
    late = max(0.0, (age - exp) / exp)
    return Timeliness(periods_late=round(late, 2), expected_days=exp, age_days=round(age, 2),
                      stale=age > exp * (1 + GRACE_PERIODS))


TYPES = (
    FindingType(
        "stale", "warning",
        "Not updated on schedule", "未按声明的频率更新",
        "Publish the current data, or declare the update frequency the dataset really follows.",
        "发布最新数据，或将更新频率更正为数据集实际遵循的频率。",
        message_en="{dated} {age_days} days ago, while its declared update frequency is {frequency} "
        "({expected_days} days): {periods_late} periods late.",
        message_zh="{dated} {age_days} 天前，声明的更新频率为 {frequency}（{expected_days} 天），"
        "已滞后 {periods_late} 个周期。",
    ),
    FindingType(
        "frequency-missing", "warning",
        "No update frequency", "未声明更新频率",
        "Declare how often the dataset is updated (dct:accrualPeriodicity), for example MONTHLY or IRREG.",
        "声明数据集的更新频率（dct:accrualPeriodicity），例如 MONTHLY（每月）或 IRREG（不定期）。",
        message_en="No update frequency is declared, so nobody can tell whether the data are current.",
        message_zh="未声明更新频率，无法判断数据是否为最新。",
    ),
    FindingType(
        "modified-missing", "info",
        "No last-modified date", "缺少最后修改日期",
        "Record the date of the last change (dct:modified) as an ISO 8601 date.",
        "以 ISO 8601 格式记录最后修改日期（dct:modified）。",
        message_en="The dataset has no readable last-modified date, so its freshness cannot be judged.",
        message_zh="数据集没有可读的最后修改日期，无法判断其时效性。",
    ),
)


def timeliness_findings(modified, frequency_code: str | None, *, now: _dt.datetime,
                        distribution: str | None = None, dated: str = "modified") -> list[Finding]:
    """Findings ``stale`` (periods late in evidence), ``frequency-missing``, ``modified-missing``. `dated`: which
    date `modified` is ("issued" when the record has no modification date and is judged on its publication)."""
    out: list[Finding] = []
    code = _code(frequency_code)
    if code is None:
        out.append(make_finding("frequency-missing", distribution=distribution))
    if _as_datetime(modified) is None:
        out.append(make_finding("modified-missing", distribution=distribution))
        return out
    t = staleness(modified, frequency_code, now=now)
    if t.stale:
        out.append(make_finding(
            "stale", distribution=distribution, periods_late=t.periods_late, age_days=t.age_days,
            expected_days=t.expected_days, frequency=code, **({"dated": dated} if dated != "modified" else {}),
        ))
    return out


MEASURE = "1 when fresh; 1 - 0.25 per period late when stale; 0.5 when no date is known"


def score(t: Timeliness) -> float:
    """The timeliness part of the overall score (see MEASURE). No date known is half, whether or not a frequency is
    declared: an annual dataset with no date at all scored as fresh (10 of 10) beside `modified-missing` saying its
    freshness could not be judged."""
    if t.age_days is None:
        return 0.5
    if t.expected_days is None:
        return 1.0
    if not t.stale:
        return 1.0
    return max(0.0, 1.0 - 0.25 * t.periods_late)


RULE = Rule("timeliness", TYPES, subject="record", part="timeliness", weight=10, measure=MEASURE,
            check=timeliness_findings)
