"""Licence mappings: a raw licence text (as a source writes it) mapped to a licence id by a sysadmin.

The vocabulary (catalog_schema.vocab) recognises the licences it knows by id, title, alias or URL; the
texts it does not know ("政府数据开放许可 v1", a local decree's name) stay without a licence id and lose
the licence points. A sysadmin maps such a text once, on /licences or with `opendata licence map`; the
datasets and distributions whose raw licence text has the same key (vocab.licence_key: case, spaces and
punctuation aside) take the licence at once and are re-assessed from their stored evidence (no link is
fetched again); later harvests apply the mapping as they store records (catalog_schema.store).
Removing a mapping gives those records back what the vocabulary alone makes of their text.

The mapping is audited once (object `licence_mapping`), and each dataset it changes is audited as any other
change of a dataset is (the record before and after, under the same action), so the dataset's publisher sees it
in its audit log and the public in the dataset's activity; each is logged for the search index.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from app.services.audit import audit
from app.services.base import service
from app.services.errors import Forbidden, Invalid, NotFound
from app.texts import T_
from catalog_schema import search, vocab
from catalog_schema.models import Dataset, Distribution, LicenceMapping, utcnow
from catalog_schema.store import add_audit_event, to_record

MAX_RAW_CHARS = 500


def mappings(session) -> list[LicenceMapping]:
    return list(session.scalars(select(LicenceMapping).order_by(LicenceMapping.raw_key)))


def unmapped(session, limit: int = 50) -> list[tuple[str, int]]:
    """Raw licence texts of datasets that have no licence id, with how many datasets carry each (most first).

    Spellings with the same key are one row, shown as the spelling most datasets carry (then one without
    padding, then the first in text order): the rows come in no order, and on PostgreSQL the row shown
    changed from one request to the next when it was the first spelling read."""
    spellings: dict[str, Counter] = {}
    rows = session.execute(select(Dataset.license_raw).where(Dataset.license_id.is_(None),
                                                            Dataset.license_raw.is_not(None)))
    for (raw,) in rows:
        key = vocab.licence_key(raw)
        if key:
            spellings.setdefault(key, Counter())[raw] += 1
    shown = [(min(seen, key=lambda raw: (-seen[raw], raw != raw.strip(), raw)), seen.total())
             for seen in spellings.values()]
    return sorted(shown, key=lambda p: (-p[1], p[0]))[:limit]


def _affected(session, key: str) -> tuple[list[Dataset], list[Distribution]]:
    """Datasets and distributions whose raw licence text has this key."""
    def raws(column) -> list[str]:
        return [r for (r,) in session.execute(select(column).where(column.is_not(None)).distinct())
                if vocab.licence_key(r) == key]

    ds_raws, dist_raws = raws(Dataset.license_raw), raws(Distribution.license_raw)
    datasets = list(session.scalars(select(Dataset).where(Dataset.license_raw.in_(ds_raws)))) if ds_raws else []
    dists = (list(session.scalars(select(Distribution).where(Distribution.license_raw.in_(dist_raws))))
             if dist_raws else [])
    return datasets, dists


def _must_be_sysadmin(actor) -> None:
    if actor.user is None or not actor.user.is_sysadmin:
        raise Forbidden(T_("Only a portal administrator (sysadmin) may change licence mappings."))


def _reassess(actor, ids: list[str]) -> int:
    if not ids or actor.runtime is None:
        return 0
    from app.assessment import assess_datasets

    for start in range(0, len(ids), 50):
        assess_datasets(actor.runtime, ids[start:start + 50], check_links=False)
    return len(ids)


def _apply(actor, key: str, licence_id_of, action: str, raw: str) -> list[str]:
    """Set the licence of what carries this key (licence_id_of(raw) -> id or None); the dataset ids changed, each
    audited (`action`, the record before and after) and logged for the search index."""
    datasets, dists = _affected(actor.session, key)
    changing = {ds.id for ds in datasets if ds.license_id != licence_id_of(ds.license_raw)}
    changing |= {row.dataset_id for row in dists if row.license_id != licence_id_of(row.license_raw)}
    if not changing:
        return []
    touched = {ds.id: ds for ds in datasets if ds.id in changing}
    for ds_id in changing - set(touched):  # only a file of it carries the text
        touched[ds_id] = actor.session.get(Dataset, ds_id)
    before = {ds_id: to_record(ds) for ds_id, ds in touched.items()}
    for ds in datasets:
        new = licence_id_of(ds.license_raw)
        if ds.license_id != new:
            ds.license_id = new
            ds.content_hash = None  # not what the source sent: the next harvest writes it again
    for row in dists:
        new = licence_id_of(row.license_raw)
        if row.license_id != new:
            row.license_id = new
    for ds_id in sorted(touched):
        ds = touched[ds_id]
        audit(actor, action, ds, before[ds_id], to_record(ds), raw=raw)
        search.index_dataset(actor.session, ds)
    return sorted(changing)


def _audit(actor, action: str, before: dict | None, after: dict | None, affected: list[str]) -> None:
    user = actor.user
    add_audit_event(actor.session, user_id=user.id if user is not None else None, action=action,
                    object_type="licence_mapping", object_id=(after or before or {}).get("raw", "")[:200],
                    before=before, after=after, detail={"via": actor.via, "datasets": len(affected)}, ip=actor.ip)


@service
def map_licence(actor, raw: str, licence_id: str) -> dict[str, Any]:
    """Map `raw` to `licence_id` (replacing an earlier mapping of the same text); re-assess what it affects.
    Returns {"raw", "licence_id", "datasets": [ids], "reassessed": n}."""
    _must_be_sysadmin(actor)
    raw = " ".join(str(raw or "").split())
    key = vocab.licence_key(raw)
    if not key or len(raw) > MAX_RAW_CHARS:
        raise Invalid(T_("Give the licence text as sources write it (1 to %(max_raw_chars)s characters).",
                         max_raw_chars=MAX_RAW_CHARS), field="raw")
    wanted = str(licence_id or "").strip()
    lic = vocab.licence_by_id(wanted) or (vocab.licence(wanted) if wanted else None)  # ids, then aliases
    if lic is None:
        raise Invalid(T_("No licence %(licence_id)s in the vocabulary: use an id from the list.",
                         licence_id=repr(licence_id)), field="licence_id")
    session = actor.session
    row = session.scalar(select(LicenceMapping).where(LicenceMapping.raw_key == key))
    before = {"raw": row.raw, "licence_id": row.licence_id} if row is not None else None
    if row is None:
        row = LicenceMapping(raw_key=key, raw=raw, licence_id=lic.id)
        session.add(row)
    row.raw, row.licence_id, row.updated_at = raw, lic.id, utcnow()
    row.created_by = actor.user.id
    changed = _apply(actor, key, lambda _raw: lic.id, "licence.map", raw)
    _audit(actor, "licence.map", before, {"raw": raw, "licence_id": lic.id}, changed)
    session.commit()
    session.info.pop("licence_mappings", None)
    return {"raw": raw, "licence_id": lic.id, "datasets": changed, "reassessed": _reassess(actor, changed)}


@service
def unmap_licence(actor, raw: str) -> dict[str, Any]:
    """Remove the mapping of `raw`: its records get what the vocabulary alone makes of their text."""
    _must_be_sysadmin(actor)
    key = vocab.licence_key(raw)
    session = actor.session
    row = session.scalar(select(LicenceMapping).where(LicenceMapping.raw_key == key)) if key else None
    if row is None:
        raise NotFound(T_("No mapping of the licence text %(raw)s.", raw=repr(raw)))
    before = {"raw": row.raw, "licence_id": row.licence_id}
    session.delete(row)

    def of(text: str) -> str | None:
        found = vocab.licence(text)
        return found.id if found else None

    changed = _apply(actor, key, of, "licence.unmap", before["raw"])
    _audit(actor, "licence.unmap", before, None, changed)
    session.commit()
    session.info.pop("licence_mappings", None)
    return {"raw": before["raw"], "licence_id": None, "datasets": changed, "reassessed": _reassess(actor, changed)}
