"""Dataset series (DCAT-AP 3 `dcat:DatasetSeries`): which series a dataset is in, a series' members, in order.

A series is a dataset of kind "series". A member names its series in its record's `in_series`, each as its
source did: the series' URI at the source (DCAT `dcat:inSeries`), its identifier (data.json `isPartOf`), its
id or its slug (CKAN `in_series`, the one-click "make these a series"). `series_links` holds one row a
reference with the series it resolves to: a series of the same harvest source first, then any series of the
catalog whose URI, identifier, id, slug or remote id is that reference. A member saved before its series
(one harvest batch, any order) keeps a link to NULL that the series adopts when it is saved.

Order (first, last, previous, next): by temporal coverage (its start, else its end), else the issued date,
else the modified date, then by slug; only active datasets count. Rows go through `link` (called by the
store whenever it saves a dataset); the rest reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from catalog_schema.models import Dataset, SeriesLink
from catalog_schema.record import iri_slug, pick_text

SERIES = "series"


def link(session: Session, ids: Iterable[str]) -> None:
    """Rewrite the series links of these datasets from their `in_series`, and let each of them that is a
    series adopt the links waiting for it."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    session.flush()  # the store saves under no_autoflush: the rows read here must be the ones just set
    cols = (Dataset.id, Dataset.source_id, Dataset.kind, Dataset.uri, Dataset.identifier, Dataset.slug,
            Dataset.remote_id, Dataset.in_series)
    rows = []
    for start in range(0, len(ids), 500):
        rows += session.execute(select(*cols).where(Dataset.id.in_(ids[start:start + 500]))).all()
    session.execute(delete(SeriesLink).where(SeriesLink.member_id.in_([r.id for r in rows])))
    refs = {ref for r in rows for ref in (r.in_series or []) if isinstance(ref, str) and ref}
    found = _series_named(session, refs)
    links = []
    for r in rows:
        for ref in dict.fromkeys(x for x in (r.in_series or []) if isinstance(x, str) and x):
            links.append({"member_id": r.id, "ref": ref[:500], "series_id": _pick(found.get(ref, []), r)})
    if links:
        session.execute(SeriesLink.__table__.insert(), links)
    for r in rows:
        if r.kind == SERIES:
            keys = [k[:500] for k in (r.uri, r.identifier, r.id, r.slug, r.remote_id) if k]
            session.execute(update(SeriesLink).where(SeriesLink.ref.in_(keys), SeriesLink.series_id.is_(None),
                                                     SeriesLink.member_id != r.id).values(series_id=r.id))


def _series_named(session: Session, refs: set[str]) -> dict[str, list[Any]]:
    """ref -> the series rows (id, source_id) it names."""
    if not refs:
        return {}
    wanted = list(refs)
    q = select(Dataset.id, Dataset.source_id, Dataset.uri, Dataset.identifier, Dataset.slug, Dataset.remote_id).where(
        Dataset.kind == SERIES,
        or_(Dataset.uri.in_(wanted), Dataset.identifier.in_(wanted), Dataset.id.in_(wanted),
            Dataset.slug.in_(wanted), Dataset.remote_id.in_(wanted)))
    out: dict[str, list[Any]] = {}
    for row in session.execute(q):
        for key in {row.uri, row.identifier, row.id, row.slug, row.remote_id}:
            if key in refs:
                out.setdefault(key, []).append(row)
    return out


def _pick(candidates: list[Any], member: Any) -> str | None:
    """The series a member's reference names: one of its own source first, never itself."""
    others = [c for c in candidates if c.id != member.id]
    same = [c for c in others if member.source_id is not None and c.source_id == member.source_id]
    chosen = (same or others)
    return sorted(chosen, key=lambda c: c.id)[0].id if chosen else None


def order_key(ds: Dataset | dict[str, Any]) -> tuple[str, str]:
    """Where a member stands in its series: its temporal start (else end), else issued, else modified; then
    its slug."""
    get = ds.get if isinstance(ds, dict) else (lambda k: getattr(ds, k))
    temporal = get("temporal") or {}
    when = temporal.get("start") or temporal.get("end") or get("issued") or get("modified") or ""
    return str(when), get("slug") or ""


def brief(ds: Dataset, lang: str | None = None) -> dict[str, Any]:
    """What navigation tells of a dataset: id, slug, title (a language map) and its title in `lang`."""
    return {"id": ds.id, "slug": ds.slug, "title": dict(ds.title or {}), "label": pick_text(ds.title, lang, ds.slug),
            "temporal": ds.temporal, "issued": ds.issued}


def members(session: Session, series_id: str) -> list[Dataset]:
    """The active members of a series, first to last."""
    rows = session.scalars(select(Dataset).join(SeriesLink, SeriesLink.member_id == Dataset.id)
                           .where(SeriesLink.series_id == series_id, Dataset.state == "active"))
    return sorted(dict.fromkeys(rows), key=order_key)


def series_of(session: Session, member_id: str) -> list[Dataset]:
    """The active series a dataset is in, by slug."""
    rows = session.scalars(select(Dataset).join(SeriesLink, SeriesLink.series_id == Dataset.id)
                           .where(SeriesLink.member_id == member_id, Dataset.state == "active"))
    return sorted(dict.fromkeys(rows), key=lambda d: d.slug)


def series_slugs(session: Session, member_ids: list[str]) -> dict[str, list[str]]:
    """member id -> the slugs of the active series it is in (one query for a page or a batch of a dump)."""
    out: dict[str, list[str]] = {}
    for start in range(0, len(member_ids), 500):
        q = (select(SeriesLink.member_id, Dataset.slug).join(Dataset, Dataset.id == SeriesLink.series_id)
             .where(SeriesLink.member_id.in_(member_ids[start:start + 500]), Dataset.state == "active"))
        for member_id, slug in session.execute(q):
            out.setdefault(member_id, []).append(slug)
    return {k: sorted(v) for k, v in out.items()}


def navigation(session: Session, ds: Dataset, lang: str | None = None) -> dict[str, Any]:
    """A series: {"members": [brief, first to last], "first", "last"}; a member: {"series": [{"series": brief,
    "previous": brief | None, "next": brief | None, "position": n, "count": n, "members": [brief, ...]}]}."""
    if ds.kind == SERIES:
        mem = [brief(m, lang) for m in members(session, ds.id)]
        return {"members": mem, "first": mem[0] if mem else None, "last": mem[-1] if mem else None}
    out = []
    for series in series_of(session, ds.id):
        mem = members(session, series.id)
        at = next((i for i, m in enumerate(mem) if m.id == ds.id), None)
        if at is None:  # a withdrawn member: the series, no neighbours
            out.append({"series": brief(series, lang), "previous": None, "next": None, "position": None,
                        "count": len(mem), "members": [brief(m, lang) for m in mem]})
            continue
        out.append({"series": brief(series, lang),
                    "previous": brief(mem[at - 1], lang) if at > 0 else None,
                    "next": brief(mem[at + 1], lang) if at + 1 < len(mem) else None,
                    "position": at + 1, "count": len(mem), "members": [brief(m, lang) for m in mem]})
    return {"series": out}


def series_ids(session: Session, member_ids: list[str]) -> set[str]:
    """The active series these datasets are in."""
    out: set[str] = set()
    for start in range(0, len(member_ids), 500):
        q = (select(SeriesLink.series_id).join(Dataset, Dataset.id == SeriesLink.series_id)
             .where(SeriesLink.member_id.in_(member_ids[start:start + 500]), Dataset.state == "active"))
        out.update(session.scalars(q))
    return out


def member_ids(session: Session) -> set[str]:
    """Every dataset in an active series (search collapses them into their series)."""
    q = (select(SeriesLink.member_id).join(Dataset, Dataset.id == SeriesLink.series_id)
         .where(Dataset.state == "active"))
    return set(session.scalars(q))


def _entry(row: Any) -> dict[str, Any]:
    return {"id": row.id, "slug": row.slug, "iri_slug": iri_slug(row.slug, row.extras), "identifier": row.identifier,
            "uri": row.uri, "title": dict(row.title or {}), "description": dict(row.description or {}) or None}


def annotate(session: Session, records: list[dict[str, Any]], *, order: bool = False) -> list[dict[str, Any]]:
    """Stored records (with their catalog ids) given what the catalog resolved of their series, for the
    mappers to publish: `catalog_series` on each record that names a series (each active series it is in:
    id, slug, iri_slug, identifier, uri, title, description), one query for the whole list. `order` (one
    dataset's own page): each entry also gets the neighbours (`previous`, `next`), and a series
    `catalog_series_ends` ({"first", "last"}), each as the slug in its IRI (`record.iri_slug`: the one it was
    first published under), since the mappers name them by IRI."""
    wanted = [r["id"] for r in records if r.get("in_series") and r.get("id")]
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(wanted), 500):
        q = (select(SeriesLink.member_id, Dataset.id, Dataset.slug, Dataset.identifier, Dataset.uri, Dataset.title,
                    Dataset.description, Dataset.extras)
             .join(Dataset, Dataset.id == SeriesLink.series_id)
             .where(SeriesLink.member_id.in_(wanted[start:start + 500]), Dataset.state == "active"))
        for row in session.execute(q):
            found.setdefault(row.member_id, []).append(_entry(row))
    for rec in records:
        if rec.get("in_series") and rec.get("id"):
            rec["catalog_series"] = sorted(found.get(rec["id"], []), key=lambda e: e["slug"])
            if order:
                for entry in rec["catalog_series"]:
                    mem = members(session, entry["id"])
                    at = next((i for i, m in enumerate(mem) if m.id == rec["id"]), None)
                    entry["previous"] = _iri_slug(mem[at - 1]) if at else None
                    entry["next"] = _iri_slug(mem[at + 1]) if at is not None and at + 1 < len(mem) else None
        if order and rec.get("kind") == SERIES and rec.get("id"):
            mem = members(session, rec["id"])
            if mem:
                rec["catalog_series_ends"] = {"first": _iri_slug(mem[0]), "last": _iri_slug(mem[-1])}
    return records


def _iri_slug(ds: Dataset) -> str:
    return iri_slug(ds.slug, ds.extras)
