"""Dataset series made here: the one-click answer to a fragmented-series finding ("make these a series").

A publisher's editor picks datasets of that publisher split by period (the finding names them) and the
service makes a new published dataset of kind "series" (DCAT-AP 3 `dcat:DatasetSeries`) with what the parts
share (a title without the period, frequency, themes, keywords, licence, access rights), and names it in
each part's `in_series`. The parts may be harvested: the membership is the publisher's decision, kept in
the part's platform extras (`publishing.series`) and by the store across re-harvests. Audited, indexed and
committed at once; the catalog checks that follow see the parts as one series.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import select

from app.assessment import latest_assessments
from app.services import access
from app.services.audit import audit
from app.services.base import service
from app.services.context import Actor
from app.services.errors import Conflict, Invalid, NotFound
from catalog_schema import search
from catalog_schema import series as series_links
from catalog_schema.models import Dataset, new_uuid
from catalog_schema.record import new_record, pick_text
from catalog_schema.store import (
    join_series,
    publisher_to_agent,
    save_record,
    slugify,
    to_record,
    unique_slug,
)
from quality.catalog import series_stem

MAX_MEMBERS = 500
_SEP = r"[\s\-_()（）·,，.:：/]*"
_PERIOD_TAIL = re.compile(_SEP + r"(\d{4}\s*年?\s*[-./]?\s*(\d{1,2}\s*月?|第?[一二三四1-4]\s*季度|q[1-4])?"
                          r"|\d{1,2}\s*月|\d+)" + _SEP + "$", re.I)


def common_title(titles: list[str]) -> str:
    """What the titles share: their longest common beginning without a trailing date or number ("Bus
    ridership 2024-10", "Bus ridership 2024-11" -> "Bus ridership"); the first title without its period when
    they share nothing."""
    titles = [t for t in titles if t]
    if not titles:
        return ""
    prefix = titles[0]
    for t in titles[1:]:
        while not t.startswith(prefix):
            prefix = prefix[:-1]
    stem = _PERIOD_TAIL.sub("", prefix).strip(" -_()（）·,，.:：/")
    return stem or _PERIOD_TAIL.sub("", titles[0]).strip() or titles[0]


def _shared(values: list[Any]) -> Any:
    """The one value every part has, else None."""
    return values[0] if values and all(v == values[0] for v in values) else None


@service
def make_series(actor: Actor, refs: list[str], *, title: str | None = None) -> Dataset:
    """A new published series of the datasets `refs` names (ids or slugs, two or more, one publisher the user
    edits, none in a series yet). Returns the series."""
    session = actor.session
    refs = list(dict.fromkeys(r for r in refs if isinstance(r, str) and r.strip()))[:MAX_MEMBERS + 1]
    if len(refs) < 2:
        raise Invalid("Choose at least two datasets to make a series.", field="members")
    if len(refs) > MAX_MEMBERS:
        raise Invalid(f"A series made at once holds at most {MAX_MEMBERS} datasets.", field="members")
    members: list[Dataset] = []
    for ref in refs:
        ds = access.find_dataset(session, ref)
        if ds is None or ds.state not in ("active", "draft"):
            raise NotFound(f"No dataset {ref!r}.")
        members.append(ds)
    publishers = {ds.publisher_id for ds in members}
    if len(publishers) != 1 or None in publishers:
        raise Invalid("The datasets of a series must all come from one publisher.", field="members")
    pub = members[0].publisher
    access.require_edit(session, actor.user, pub)
    for ds in members:
        if ds.kind == series_links.SERIES:
            raise Conflict(f"Dataset {ds.slug} is a series itself.", code="is-series")
        if series_links.series_of(session, ds.id):
            raise Conflict(f"Dataset {ds.slug} is in a series already.", code="in-series")
    members.sort(key=series_links.order_key)
    recs = [to_record(ds) for ds in members]
    langs = sorted({lang for r in recs for lang in (r["title"] or {})})
    titles = {lang: common_title([(r["title"] or {}).get(lang, "") for r in recs]) for lang in langs}
    if title and title.strip():
        titles = {actor.lang or "en": " ".join(title.split())[:500]}
    titles = {k: v for k, v in titles.items() if v}
    if not titles:
        raise Invalid("The series needs a title.", field="title")
    descriptions = {lang: (f"{text}：按期发布的 {len(recs)} 个数据集。" if lang == "zh"
                           else f"{text}: {len(recs)} datasets published period by period.")
                    for lang, text in titles.items()}
    keywords = sorted(set.intersection(*(set(r["keywords"] or []) for r in recs)))
    themes = sorted({t for r in recs for t in r["themes"] or []})
    frequency = Counter(r["frequency"] for r in recs if r["frequency"]).most_common(1)
    series_id = new_uuid()
    rec = new_record(id=series_id, kind=series_links.SERIES, state="active", publisher=publisher_to_agent(pub),
                     title=titles, description=descriptions, keywords=keywords, themes=themes,
                     frequency=frequency[0][0] if frequency else None,
                     license=_shared([r["license"] for r in recs]),
                     license_raw=_shared([r["license_raw"] for r in recs]),
                     access_rights=_shared([r["access_rights"] for r in recs]),
                     contact_point=_shared([r["contact_point"] for r in recs]),
                     language=_shared([r["language"] for r in recs]) or [])
    base = titles.get("en") or pick_text(titles)
    rec["slug"] = unique_slug(session, Dataset, slugify(base, fallback=f"series-{series_id[:8]}"))
    with session.no_autoflush:
        series, _ = save_record(session, rec)
    session.flush()
    audit(actor, "series.create", series, None, to_record(series), members=[ds.slug for ds in members])
    for ds, before in zip(members, recs, strict=True):
        join_series(ds, series_id)  # not a new save of the record: a harvest of it finds its content unchanged
        series_links.link(session, [ds.id])
        audit(actor, "series.join", ds, before, to_record(ds), series=series.slug)
        search.index_dataset(session, ds)
    # The parts are no longer fragments: their latest assessments lose the finding that asked for this.
    for latest in latest_assessments(session, [ds.id for ds in members]):
        kept = [f for f in latest.findings or [] if f.get("type") != "fragmented-series"]
        if kept != (latest.findings or []):
            latest.findings = kept
    search.index_dataset(session, series)
    session.commit()
    return series


def fragments(session, ds: Dataset) -> list[Dataset]:
    """The datasets the fragmented-series finding groups with `ds` (itself included, by slug): active
    datasets of its publisher, in no series, whose titles differ from its title only by a date, period or
    number (quality/catalog.py's rule). Empty when it is in a series already or the group is too small."""
    stem = series_stem(pick_text(ds.title))
    if stem is None or ds.publisher_id is None or ds.kind == series_links.SERIES:
        return []
    rows = session.scalars(select(Dataset).where(Dataset.publisher_id == ds.publisher_id, Dataset.state == "active",
                                                 Dataset.kind != series_links.SERIES).order_by(Dataset.slug))
    linked = series_links.member_ids(session)
    group = [d for d in rows if d.id not in linked and series_stem(pick_text(d.title)) == stem]
    return group if len(group) >= 2 and any(d.id == ds.id for d in group) else []


@service
def make_series_of(actor: Actor, ds: Dataset) -> Dataset:
    """The one click on a fragmented-series finding: the datasets it groups with `ds` become one series."""
    group = fragments(actor.session, ds)
    if not group:
        raise Conflict(f"Dataset {ds.slug} has no parts to make a series of.", code="no-fragments")
    return make_series(actor, [d.id for d in group])
