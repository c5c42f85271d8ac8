"""The officials' dashboard figures (docs/quality.md, issue 6 item 5), as plain rows.

Why a module apart from the pages: every figure is shown as a chart, as a table beside it and as
CSV/JSON downloads; computing it once here, as a list of flat dicts with named columns, is what
keeps the four in agreement. Nothing here renders or translates except picking the language of
names (`lang`), so the functions run the same in a request, a test or a report script.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from app import link_history
from app.assessment import ASSESSED, personal_data, publisher_table
from app.services import serving
from catalog_schema.models import Assessment, Dataset, Distribution, Publisher, UsageCounter
from quality.findings import FINDING_TYPES
from quality.rules.pii import SLUGS as PII_SLUGS

# ?sort= keys of the league table: the column sorted and whether bigger comes first.
LEAGUE_SORTS: dict[str, tuple[str, bool]] = {
    "rank": ("rank", False),
    "average_stars": ("average_stars", True),
    "share_3_plus": ("share_3_plus", True),
    "score": ("average_score", True),
    "metadata": ("average_metadata_points", True),
    "datasets": ("datasets", True),
    "broken_links": ("broken_links", True),
    "stale": ("stale", True),
    "pii": ("pii", True),
    "change": ("change", True),
    "downloads": ("downloads", True),
}
#: ?order= of the league table: against a sort's own direction (the lowest scores first: which department to see
#: first), or with it.
ORDERS = ("asc", "desc")

LEAGUE_COLUMNS = ("rank", "publisher", "name", "published", "datasets", "average_stars", "share_3_plus",
                  "average_score", "average_metadata_points", "broken_links", "stale", "pii", "change", "downloads",
                  "stars_0", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5")
STARS_COLUMNS = ("stars", "datasets", "share")
TREND_COLUMNS = ("period", "publisher", "assessments", "datasets", "average_stars", "average_score")
FINDING_COLUMNS = ("type", "severity", "title", "datasets", "occurrences")
FINDING_DATASET_COLUMNS = ("slug", "title", "publisher", "publisher_name", "stars", "score", "occurrences",
                           "messages", "fix")
FIX_FIRST_COLUMNS = ("slug", "title", "publisher", "publisher_name", "stars", "score", "views", "downloads",
                     "errors", "personal_data", "priority", "copies")
DOWNLOAD_COLUMNS = ("slug", "title", "publisher", "publisher_name", "downloads", "downloads_30_days", "views")
LINK_BROKEN = "link-broken"
LINK_COLUMNS = ("first_failure", "failure_count", "last_status")
RECENT_DAYS = 30
#: Findings are ordered by severity first: an ID-number leak in one dataset comes before a missing
#: keyword in fifty.
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def finding_order(row: dict[str, Any]) -> tuple:
    """Sort key of a finding type's row (dashboard and weekly report): severity, then datasets hit, then occurrences;
    among equals personal data first (the slug alone put "licence-missing" before an ID-number leak), then slug."""
    return (SEVERITY_ORDER.get(row["severity"], 3), -row["datasets"], -row["occurrences"],
            row["type"] not in PII_SLUGS, row["type"])
PUBLISHER_DATASET_COLUMNS = ("slug", "title", "stars", "score", "metadata_points", "findings", "errors",
                             "assessed_at")


@dataclass(frozen=True)
class _Runtime:
    """What `app.assessment.publisher_table` needs of a runtime: a sessionmaker."""

    sessionmaker: Any


def pick(texts: dict[str, Any] | None, lang: str) -> str:
    """A language map's text in `lang`, else any text it has (titles are often in one language)."""
    texts = texts or {}
    for key in (lang, "zh" if lang == "en" else "en", ""):
        if texts.get(key):
            return str(texts[key])
    return next((str(v) for v in texts.values() if v), "")


def _latest_assessments(session, publisher_id: int | None = None):
    """(Dataset, latest Assessment) of every active assessed dataset, optionally of one publisher."""
    latest_at = (select(Assessment.dataset_id, func.max(Assessment.assessed_at).label("at"))
                 .group_by(Assessment.dataset_id).subquery())
    stmt = (select(Dataset, Assessment)
            .join(latest_at, latest_at.c.dataset_id == Dataset.id)
            .join(Assessment, (Assessment.dataset_id == Dataset.id) & (Assessment.assessed_at == latest_at.c.at))
            .where(Dataset.state == "active").order_by(Dataset.slug, Assessment.id.desc()))
    if publisher_id is not None:
        stmt = stmt.where(Dataset.publisher_id == publisher_id)
    seen: set[str] = set()
    out = []
    for ds, a in session.execute(stmt).all():
        if ds.id not in seen:  # two assessments at the same instant: the later id wins
            seen.add(ds.id)
            out.append((ds, a))
    return out


def star_distribution(session, publisher_id: int | None = None) -> list[dict[str, Any]]:
    """Datasets per openness star (0..5) over the latest assessments; share of the assessed total."""
    counts = [0] * 6
    for _ds, a in _latest_assessments(session, publisher_id):
        counts[max(0, min(5, a.stars))] += 1
    total = sum(counts)
    return [{"stars": s, "datasets": n, "share": round(n / total, 3) if total else 0.0} for s, n in enumerate(counts)]


def league(sessionmaker, lang: str = "en", sort: str | None = None, order: str | None = None, *,
           store_root=None) -> list[dict[str, Any]]:
    """The league table, flat (one column per star count), sorted by a `LEAGUE_SORTS` key, in `order`; `store_root`:
    the row store's folder (personal data counted as `fix_first` counts it)."""
    rows = publisher_table(_Runtime(sessionmaker), every=True, store_root=store_root)
    with sessionmaker() as session:  # every publisher's name is on its row (every=True): no query of its own
        downloads = dict(session.execute(
            select(Publisher.slug, func.sum(UsageCounter.downloads))
            .join(Dataset, Dataset.publisher_id == Publisher.id)
            .join(UsageCounter, UsageCounter.dataset_id == Dataset.id)  # the days with downloads, not views alone
            .where(Dataset.state == "active", UsageCounter.downloads > 0).group_by(Publisher.slug)).all())
    flat = []
    for r in rows:
        row = {k: r.get(k) for k in LEAGUE_COLUMNS if not k.startswith("stars_")}
        row["name"] = pick(r.get("name"), lang) or r["publisher"]
        for s, n in enumerate(r["stars"]):
            row[f"stars_{s}"] = n
        row["downloads"] = int(downloads.get(r["publisher"]) or 0)
        flat.append(row)
    return sort_league(flat, sort, order)


def sort_direction(sort: str | None, order: str | None) -> bool:
    """Whether the league sorted by `sort` goes biggest first: `order` ("asc", "desc") when it says, else the
    sort's own direction (`LEAGUE_SORTS`)."""
    return order == "desc" if order in ORDERS else LEAGUE_SORTS.get(sort or "rank", LEAGUE_SORTS["rank"])[1]


def sort_league(rows: list[dict[str, Any]], sort: str | None, order: str | None = None) -> list[dict[str, Any]]:
    """Rows sorted by `sort` (unknown keys: by rank) in `order` (`sort_direction`); ties keep rank order, and a
    publisher without the figure (nothing assessed) comes last either way."""
    column, _ = LEAGUE_SORTS.get(sort or "rank", LEAGUE_SORTS["rank"])
    descending = sort_direction(sort, order)
    by_rank = sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"] or "", r["publisher"]))
    return sorted(by_rank, key=lambda r: (r[column] is None, -(r[column] or 0) if descending else (r[column] or 0)))


def _week(at: dt.datetime) -> dt.date:
    day = at.date()
    return day - dt.timedelta(days=day.weekday())


def trends(session, publisher_id: int | None = None) -> list[dict[str, Any]]:
    """Weekly series per publisher and overall ("" = whole catalog): each week's averages over the datasets assessed
    that week, each dataset by its latest assessment of the week, as the league table counts each dataset once (a
    dataset re-checked daily counted seven times: the week read 1.43 stars where the table said 1.4).
    `assessments` is how many assessments the week made, `datasets` how many datasets they were of. Of the datasets
    published now, as the league, its change since last week and the weekly report count them: a dataset withdrawn
    after its assessment weighed in this week's point, which then disagreed with the league's average beside it."""
    stmt = (select(Publisher.slug, Assessment.dataset_id, Assessment.assessed_at, Assessment.stars, Assessment.score)
            .join(Dataset, Dataset.id == Assessment.dataset_id)
            .join(Publisher, Publisher.id == Dataset.publisher_id, isouter=True)
            .where(Dataset.state == "active")
            .order_by(Assessment.assessed_at, Assessment.id))
    if publisher_id is not None:
        stmt = stmt.where(Dataset.publisher_id == publisher_id)
    latest: dict[tuple[dt.date, str], tuple[str | None, int, int]] = {}  # (week, dataset) -> its last of the week
    made: dict[tuple[dt.date, str], int] = {}
    for slug, dataset_id, at, stars, score in session.execute(stmt):
        week = _week(at)
        latest[(week, dataset_id)] = (slug, stars, score)
        for key in ((week, ""), (week, slug)) if slug and publisher_id is None else ((week, ""),):
            made[key] = made.get(key, 0) + 1
    buckets: dict[tuple[dt.date, str], list[tuple[int, int]]] = {}
    for (week, _dataset), (slug, stars, score) in latest.items():
        buckets.setdefault((week, ""), []).append((stars, score))
        if slug and publisher_id is None:
            buckets.setdefault((week, slug), []).append((stars, score))
    return [{"period": week.isoformat(), "publisher": slug, "assessments": made[(week, slug)], "datasets": len(vals),
             "average_stars": round(sum(s for s, _ in vals) / len(vals), 2),
             "average_score": round(sum(sc for _, sc in vals) / len(vals), 1)}
            for (week, slug), vals in sorted(buckets.items())]


def common_findings(session, lang: str = "en", publisher_id: int | None = None) -> list[dict[str, Any]]:
    """Finding types of the latest assessments, by the number of datasets they hit (most first)."""
    datasets: dict[str, int] = {}
    occurrences: dict[str, int] = {}
    severity: dict[str, str] = {}
    for _ds, a in _latest_assessments(session, publisher_id):
        types = [f.get("type") for f in a.findings or [] if f.get("type")]
        for f in a.findings or []:
            if f.get("type"):
                severity.setdefault(f["type"], f.get("severity") or "info")
        for t in types:
            occurrences[t] = occurrences.get(t, 0) + 1
        for t in set(types):
            datasets[t] = datasets.get(t, 0) + 1
    rows = []
    for t, n in datasets.items():
        ftype = FINDING_TYPES.get(t)
        rows.append({"type": t, "severity": ftype.severity if ftype else severity[t],
                     "title": ftype.title(lang) if ftype else t, "datasets": n, "occurrences": occurrences[t]})
    return sorted(rows, key=finding_order)


def finding_datasets(session, finding: str, lang: str = "en", publisher_id: int | None = None
                     ) -> list[dict[str, Any]]:
    """The datasets whose latest assessment raised `finding`, each once (however many of its files raised it),
    with what the finding said about it in `lang`, worst score first: where a dashboard row leads."""
    names = {pid: (slug, pick(name, lang) or slug) for pid, slug, name in session.execute(
        select(Publisher.id, Publisher.slug, Publisher.name)).all()}
    ftype = FINDING_TYPES.get(finding)
    rows = []
    for ds, a in _latest_assessments(session, publisher_id):
        # as every door says stored findings (serving.public_findings: no column named by personal data)
        hits = serving.public_findings([f for f in a.findings or [] if f.get("type") == finding])
        if not hits:
            continue
        messages: list[str] = []
        for f in hits:
            text = ftype.message(lang, f.get("evidence") or {}) if ftype else (f.get("message") or finding)
            if text not in messages:
                messages.append(text)
        slug, name = names.get(ds.publisher_id, (None, None))
        fix = ftype.fix(lang, hits[0].get("evidence") or {}) if ftype else (hits[0].get("fix") or "")
        rows.append({"slug": ds.slug, "title": pick(serving.public_title(ds), lang) or ds.slug, "publisher": slug,
                     "publisher_name": name, "stars": a.stars, "score": a.score, "occurrences": len(hits),
                     "messages": messages, "fix": fix})
    if finding == LINK_BROKEN and rows:
        _add_link_history(session, rows)
    return sorted(rows, key=lambda r: (r["score"], r["title"], r["slug"]))


def finding_columns(finding: str) -> tuple[str, ...]:
    """The columns of a finding's dataset list (broken links add their failure history)."""
    return FINDING_DATASET_COLUMNS + (LINK_COLUMNS if finding == LINK_BROKEN else ())


def _add_link_history(session, rows: list[dict[str, Any]]) -> None:
    """Each broken-link row gains when its link first failed, how many checks in a row failed, and the last
    answer (app.link_history.worst over the dataset's files), read in one query."""
    by_dataset: dict[str, list[Distribution]] = {}
    slugs = {r["slug"] for r in rows}
    for slug, dist in session.execute(select(Dataset.slug, Distribution).join(
            Distribution, Distribution.dataset_id == Dataset.id).where(Dataset.slug.in_(slugs))):
        by_dataset.setdefault(slug, []).append(dist)
    for row in rows:
        history = link_history.worst(by_dataset.get(row["slug"], [])) or {}
        row.update({key: history.get(key) for key in LINK_COLUMNS})


def fix_first(session, lang: str = "en", limit: int | None = 20, publisher_id: int | None = None, *,
              store_root=None) -> list[dict[str, Any]]:
    """Datasets to fix first: personal data before anything else, then most used and worst scored.

    A dataset whose files hold personal data no override covers comes first whatever its use: it is
    withheld from (or masked for) the public until fixed. Then priority = (views + downloads + 1) x
    (100 - score): a dataset nobody uses still ranks by its score, but a popular one that scores badly
    comes before an obscure one that scores as badly, because fixing it helps more people. Datasets at
    full score without personal data are left out. Downloads are those the serving gate counted. `limit`: the first
    so many (None: all, as the table's CSV and JSON give them). `store_root`: the
    row store's folder, whose kept whole-file scans count for a dataset last assessed under an earlier rule set
    (app.assessment.personal_data).
    """
    usage = dict((ds_id, (v or 0, d or 0)) for ds_id, v, d in session.execute(
        select(UsageCounter.dataset_id, func.sum(UsageCounter.views), func.sum(UsageCounter.downloads))
        .group_by(UsageCounter.dataset_id)).all())
    pubs = {pid: (slug, pick(name, lang) or slug) for pid, slug, name in session.execute(
        select(Publisher.id, Publisher.slug, Publisher.name)).all()}
    latest = _latest_assessments(session, publisher_id)
    personal = personal_data(session, latest, publisher_id, store_root=store_root)
    rows = []
    for ds, a in latest:
        kinds = personal.get(ds.id) or []
        if a.score >= 100 and not kinds:
            continue
        views, downloads = usage.get(ds.id, (0, 0))
        slug, name = pubs.get(ds.publisher_id, (None, None))
        rows.append({"slug": ds.slug, "title": pick(serving.public_title(ds), lang) or ds.slug, "publisher": slug,
                     "publisher_name": name, "stars": a.stars, "score": a.score, "views": int(views),
                     "downloads": int(downloads),
                     "errors": sum(1 for f in a.findings or [] if f.get("severity") == "error"),
                     "personal_data": " ".join(kinds),
                     "priority": (int(views) + int(downloads) + 1) * (100 - a.score)})
    rows.sort(key=lambda r: (not r["personal_data"], -r["priority"], r["score"], r["slug"]))
    rows = once_each(rows)
    return rows if limit is None else rows[:limit]


def once_each(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the same dataset published twice (same publisher, same title: what the catalog check calls
    `duplicate-dataset`) folded into the first, which lists the others' slugs in `copies`: an official sees
    the dataset once, and still reaches every copy."""
    first: dict[tuple[Any, str], dict[str, Any]] = {}
    out = []
    for r in rows:
        key = (r.get("publisher"), " ".join(str(r.get("title") or "").split()).casefold())
        if key in first:
            first[key]["copies"].append(r["slug"])
            continue
        r = {**r, "copies": []}
        first[key] = r
        out.append(r)
    for r in out:
        r["copies"] = " ".join(r["copies"])
    return out


def most_downloaded(session, lang: str = "en", limit: int = 20, *, today: dt.date | None = None,
                    publisher_id: int | None = None) -> list[dict[str, Any]]:
    """Datasets by downloads the serving gate counted (all time, and the last RECENT_DAYS days), most first."""
    since = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=RECENT_DAYS - 1)
    recent = func.sum(case((UsageCounter.day >= since, UsageCounter.downloads), else_=0))
    stmt = (select(Dataset, func.sum(UsageCounter.downloads), recent, func.sum(UsageCounter.views))
            .join(UsageCounter, UsageCounter.dataset_id == Dataset.id).where(Dataset.state == "active")
            .group_by(Dataset.id).having(func.sum(UsageCounter.downloads) > 0)
            .order_by(func.sum(UsageCounter.downloads).desc(), Dataset.slug).limit(limit))
    if publisher_id is not None:
        stmt = stmt.where(Dataset.publisher_id == publisher_id)
    pubs = {pid: (slug, pick(name, lang) or slug) for pid, slug, name in session.execute(
        select(Publisher.id, Publisher.slug, Publisher.name)).all()}
    out = []
    for ds, total, last, views in session.execute(stmt).all():
        slug, name = pubs.get(ds.publisher_id, (None, None))
        out.append({"slug": ds.slug, "title": pick(serving.public_title(ds), lang) or ds.slug, "publisher": slug,
                    "publisher_name": name, "downloads": int(total or 0), "downloads_30_days": int(last or 0),
                    "views": int(views or 0)})
    return out


def publisher_datasets(session, publisher_id: int, lang: str = "en") -> list[dict[str, Any]]:
    """One publisher's datasets with their latest scores, worst first (the department's to-do list), then those it
    publishes that have not been assessed yet (harvested, or published, since the last run), by title, with no
    stars, score or findings: the publisher's page counts them, and a department that saw fewer rows here than
    datasets there never learnt which had no score yet. Not in the averages (the league's are of the assessed ones);
    a series is not one (its parts are), nor a draft or a withdrawn dataset."""
    latest = _latest_assessments(session, publisher_id)
    rows = [{"slug": ds.slug, "title": pick(serving.public_title(ds), lang) or ds.slug, "stars": a.stars,
             "score": a.score,
             "metadata_points": a.metadata_points, "findings": len(a.findings or []),
             "errors": sum(1 for f in a.findings or [] if f.get("severity") == "error"),
             "assessed_at": a.assessed_at.isoformat()}
            for ds, a in latest]
    rows.sort(key=lambda r: (r["score"], r["stars"], r["slug"]))
    assessed = {ds.id for ds, _a in latest}
    waiting = [{"slug": slug, "title": pick(serving.public_title({"title": title}), lang) or slug, "stars": None,
                "score": None,
                "metadata_points": None, "findings": None, "errors": None, "assessed_at": None}
               for ds_id, slug, title in session.execute(
                   select(Dataset.id, Dataset.slug, Dataset.title).where(
                       Dataset.publisher_id == publisher_id, Dataset.state == "active", ASSESSED))
               if ds_id not in assessed]
    return rows + sorted(waiting, key=lambda r: (r["title"].casefold(), r["slug"]))


def find_publisher(session, slug: str) -> Publisher | None:
    return session.scalar(select(Publisher).where(Publisher.slug == slug))
