"""The weekly evaluation (issue 17 item 3): each ISO week, one report per publisher, kept as history.

In the spirit of the US weekly evaluation of agencies' open data: every publisher gets, each week, its
figures (datasets, mean stars, mean score), what changed since the previous week's report (datasets added
and withdrawn, star and score deltas, datasets that rose or fell) and what to fix first (finding types by
severity, then by the number of datasets they hit). A report is computed once, from the catalog as it stands
at the end of its week (the latest assessment of each dataset made before then), and stored whole
(`WeeklyReport.body`): the change section compares with the previous week's stored report, never with a
recomputation, so history reads the same next year as the day it was sent.

Nothing here writes: `app.services.weekly` stores and sends. Week keys are ISO weeks, "2026-W48".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from app.assessment import personal_data_places
from app.dashboard_data import finding_order, pick
from app.services import serving
from app.texts import T_
from catalog_schema.models import Assessment, Dataset, Publisher
from catalog_schema.series import SERIES
from quality.findings import FINDING_TYPES
from quality.rules.pii import KIND_SLUGS
from quality.rules.pii import SLUGS as PII_SLUGS

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
FIX_FIRST_TYPES = 5  # finding types listed under "fix first" (the JSON keeps them all)
DATASETS_PER_FINDING = 10  # datasets named under each (the count says how many there are)
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
#: The columns of a week's CSV: one row per publisher.
CSV_COLUMNS = ("week", "publisher", "name", "datasets", "assessed", "average_stars", "average_score",
               "datasets_added", "datasets_withdrawn", "stars_delta", "score_delta", "errors",
               "fix_first", "sent_at")


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> str:
    """"2026-W48" checked (a ValueError with a sentence otherwise), returned as given."""
    m = _WEEK.match(text or "")
    if not m:
        raise ValueError(T_("not an ISO week: %(week)s (write it as 2026-W48)", week=repr(text)))
    try:
        dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ValueError(T_("not an ISO week: %(week)s (%(year)s has no week %(number)s)", week=repr(text),
                            year=m.group(1), number=int(m.group(2)))) from exc
    return text


def ended_week(text: str, now: dt.datetime) -> str:
    """`parse_week`, and a week that has ended by `now`: a report is stored once and never made again, so one of a
    week still running (or to come) would keep its partial figures for good."""
    week = parse_week(text)
    if week_end(week) > now:
        raise ValueError(T_("week %(week)s has not ended yet: its report is made once it is over (the last week that "
                            "has ended is %(last)s)", week=week, last=last_complete_week(now)))
    return week


def week_start(week: str) -> dt.date:
    year, num = (int(x) for x in _WEEK.match(parse_week(week)).groups())
    return dt.date.fromisocalendar(year, num, 1)


def week_end(week: str) -> dt.datetime:
    """The instant the week ends: the next Monday at 00:00 UTC."""
    return dt.datetime.combine(week_start(week) + dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC)


def previous_week(week: str) -> str:
    return week_of(week_start(week) - dt.timedelta(days=7))


def last_complete_week(now: dt.datetime) -> str:
    """The week a cron run on Monday morning reports on: the last one that has ended."""
    return previous_week(week_of(now.astimezone(dt.UTC).date()))


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def snapshot(session, week: str) -> dict[int, list[tuple[Dataset, Assessment | None]]]:
    """Publisher id -> its published datasets at the end of `week` (active now, and created or assessed
    before the week ended), each with its latest assessment made before then (None: not assessed by then).
    Every publisher is a key, with an empty list when it had nothing published. Two statements, whatever the
    catalog's size.

    A dataset series is not one of them: it has no files and is never assessed (its parts are, each counted
    here), so the transport bureau's report read "11 datasets (10 assessed)" beside a league table, a
    publisher page and an API that all said 10, and listed the series as a dataset without stars for good."""
    end = week_end(week)
    latest_at = (select(Assessment.dataset_id, func.max(Assessment.assessed_at).label("at"))
                 .where(Assessment.assessed_at < end).group_by(Assessment.dataset_id).subquery())
    rows = session.execute(
        select(Dataset, Assessment)
        .join(latest_at, latest_at.c.dataset_id == Dataset.id, isouter=True)
        .join(Assessment, (Assessment.dataset_id == Dataset.id) & (Assessment.assessed_at == latest_at.c.at),
              isouter=True)
        .where(Dataset.state == "active", Dataset.publisher_id.is_not(None), Dataset.kind != SERIES,
               (Dataset.created_at < end) | latest_at.c.at.is_not(None))
        .order_by(Dataset.slug, Assessment.id.desc())).all()
    out: dict[int, list[tuple[Dataset, Assessment | None]]] = {
        pid: [] for pid in session.scalars(select(Publisher.id))}
    seen: set[str] = set()
    for ds, a in rows:
        if ds.id in seen:  # two assessments at the same instant: the later id wins
            continue
        seen.add(ds.id)
        out.setdefault(ds.publisher_id, []).append((ds, a))
    return out


#: Dataset id -> where its files hold personal data no override covers (distribution -> column or part -> kind ->
#: cells): `personal_data`.
Places = dict[str, dict[str, dict[str, dict[str, int]]]]


def personal_data(session, items: dict[int, list[tuple[Dataset, Assessment | None]]], *,
                  store_root=None) -> Places:
    """Where the assessed datasets of a `snapshot` hold personal data no override covers, as the dashboard decides it
    (app.assessment.personal_data, through the serving gate): an admin's override releases a dataset, and for one
    last assessed under an earlier rule set the whole-file scans kept in the row store's folder `store_root` count.
    Read from the files and overrides as they are when the report is made. One statement for every publisher."""
    latest = [(ds, a) for pairs in items.values() for ds, a in pairs if a is not None]
    return personal_data_places(session, latest, store_root=store_root) if latest else {}


def compute(publisher: Publisher, week: str, items: list[tuple[Dataset, Assessment | None]],
            previous: dict[str, Any] | None, *, now: dt.datetime, personal: Places) -> dict[str, Any]:
    """One publisher's report for `week` from its datasets at the week's end and last week's report body;
    `personal`: where they hold personal data (`personal_data`), what its personal-data findings list."""
    datasets = []
    for ds, a in items:
        datasets.append({"id": ds.id, "slug": ds.slug, "title": dict(serving.public_title(ds) or {}),
                         "stars": a.stars if a else None, "score": a.score if a else None,
                         "errors": sum(1 for f in (a.findings if a else []) or [] if f.get("severity") == "error")})
    # worst first as the dashboard's page of the publisher lists them (dashboard_data.publisher_datasets): score,
    # then stars, then slug
    datasets.sort(key=lambda d: (d["score"] is None, d["score"] or 0, d["stars"] or 0, d["slug"]))
    assessed = [d for d in datasets if d["score"] is not None]
    stars = [0] * 6
    for d in assessed:
        stars[max(0, min(5, d["stars"]))] += 1
    body: dict[str, Any] = {
        "week": week, "start": week_start(week).isoformat(),
        "end": (week_start(week) + dt.timedelta(days=6)).isoformat(),
        "generated_at": _aware(now).isoformat(),
        "publisher": {"slug": publisher.slug, "name": dict(publisher.name or {})},
        "datasets": len(datasets), "assessed": len(assessed), "stars": stars,
        "average_stars": round(sum(d["stars"] for d in assessed) / len(assessed), 2) if assessed else None,
        "average_score": round(sum(d["score"] for d in assessed) / len(assessed), 1) if assessed else None,
        "errors": sum(d["errors"] for d in datasets),
        "fix_first": _fix_first(items, personal),
        "items": datasets,
    }
    body["change"] = _change(body, previous)
    return body


def _fix_first(items: list[tuple[Dataset, Assessment | None]], personal: Places) -> list[dict[str, Any]]:
    """Finding types of the publisher's datasets, most severe first, then by datasets hit; each dataset once.

    The personal-data types (pii-*) are not read from the findings but from `personal` (`personal_data`), as the
    dashboard's datasets to fix first and league table decide them: a dataset an admin's override released is not
    listed under them, one last assessed under an earlier rule set whose kept whole-file scan shows personal data is;
    each place (a file's column or part) holding a kind is one occurrence, as each was one finding."""
    by_type: dict[str, dict[str, Any]] = {}

    def hit(t: str, ds: Dataset, a: Assessment, severity: str | None, occurrences: int = 1) -> None:
        ftype = FINDING_TYPES.get(t)
        entry = by_type.setdefault(t, {"type": t, "severity": ftype.severity if ftype else (severity or "info"),
                                       "datasets": 0, "occurrences": 0, "examples": [], "_seen": set()})
        entry["occurrences"] += occurrences
        if ds.id not in entry["_seen"]:
            entry["_seen"].add(ds.id)
            entry["datasets"] += 1
            entry["examples"].append({"slug": ds.slug, "title": dict(serving.public_title(ds) or {}), "score": a.score})

    for ds, a in items:
        if a is None:
            continue
        for f in a.findings or []:
            t = f.get("type")
            if t and t not in PII_SLUGS:
                hit(t, ds, a, f.get("severity"))
        places: dict[str, int] = {}
        for where in (personal.get(ds.id) or {}).values():
            for found in where.values():
                for kind in found:
                    if kind in KIND_SLUGS:
                        places[KIND_SLUGS[kind]] = places.get(KIND_SLUGS[kind], 0) + 1
        for t, occurrences in sorted(places.items()):
            hit(t, ds, a, None, occurrences)
    rows = sorted(by_type.values(), key=finding_order)
    for r in rows:
        del r["_seen"]
        r["examples"] = sorted(r["examples"], key=lambda e: (e["score"], e["slug"]))[:DATASETS_PER_FINDING]
    return rows


def _change(body: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """What changed since last week's report; `previous_week` None when there is none to compare with."""
    if previous is None:
        return {"previous_week": None, "added": [], "withdrawn": [], "stars_delta": None, "score_delta": None,
                "improved": [], "declined": []}
    before = {d["id"]: d for d in previous.get("items", [])}
    now = {d["id"]: d for d in body["items"]}

    def brief(d: dict[str, Any]) -> dict[str, Any]:
        return {"slug": d["slug"], "title": d["title"], "stars": d["stars"], "score": d["score"]}

    moved: list[dict[str, Any]] = []
    for key, d in now.items():
        old = before.get(key)
        if old is None or old["score"] is None or d["score"] is None:
            continue
        if (old["stars"], old["score"]) != (d["stars"], d["score"]):
            moved.append({**brief(d), "stars_before": old["stars"], "score_before": old["score"],
                          "score_delta": d["score"] - old["score"], "stars_delta": d["stars"] - old["stars"]})

    def delta(key: str, digits: int) -> float | None:
        if body[key] is None or previous.get(key) is None:
            return None
        return round(body[key] - previous[key], digits)

    return {
        "previous_week": previous["week"],
        "added": [brief(d) for k, d in now.items() if k not in before],
        "withdrawn": [brief(d) for k, d in before.items() if k not in now],
        "stars_delta": delta("average_stars", 2), "score_delta": delta("average_score", 1),
        "improved": sorted((m for m in moved if (m["stars_delta"], m["score_delta"]) > (0, 0)
                            or (m["stars_delta"] == 0 and m["score_delta"] > 0)),
                           key=lambda m: (-m["score_delta"], m["slug"])),
        "declined": sorted((m for m in moved if m["stars_delta"] < 0 or (m["stars_delta"] == 0
                                                                           and m["score_delta"] < 0)),
                           key=lambda m: (m["score_delta"], m["slug"])),
    }


def csv_row(body: dict[str, Any], lang: str, sent_at: dt.datetime | None = None) -> dict[str, Any]:
    """A report as one row of the week's CSV (figures raw, names in `lang`)."""
    change = body.get("change") or {}
    return {"week": body["week"], "publisher": body["publisher"]["slug"],
            "name": pick(body["publisher"]["name"], lang) or body["publisher"]["slug"],
            "datasets": body["datasets"], "assessed": body["assessed"], "average_stars": body["average_stars"],
            "average_score": body["average_score"], "datasets_added": len(change.get("added") or []),
            "datasets_withdrawn": len(change.get("withdrawn") or []), "stars_delta": change.get("stars_delta"),
            "score_delta": change.get("score_delta"), "errors": body["errors"],
            "fix_first": " ".join(f["type"] for f in body["fix_first"][:FIX_FIRST_TYPES]),
            "sent_at": _aware(sent_at).isoformat() if sent_at else None}


def finding_title(slug: str, lang: str) -> str:
    ftype = FINDING_TYPES.get(slug)
    return ftype.title(lang) if ftype else slug
