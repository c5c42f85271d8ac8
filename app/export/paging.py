"""The DCAT catalog's pages (`/catalog.ttl?page=N`): the active datasets in slug order, read from an anchor.

`ORDER BY slug OFFSET (N - 1) * per_page` walks every dataset before the page: at 400,000 datasets a page
from the end read 390,000 index entries and their rows (90 ms of PostgreSQL for a page of 100 at 100,000
datasets). Instead each process keeps the slug of every ANCHOR_STEP-th active dataset (the anchors: one
index-only walk of ix_datasets_state_slug, migration 0018), and a page is read from the anchor at or before
its first position: `slug >= anchor ORDER BY slug LIMIT skip + per_page` (skip: fewer than ANCHOR_STEP; none for
pages of the default size), each dataset with its distributions as one JSON value (catalog_schema/readers.py).

The anchors are exact while the catalog has not changed since they were read: each page asks for the
highest change number of the catalog (`search_changes`, which every change of a dataset writes in its
transaction; one index lookup) and reads them again when it moved and they are older than REFRESH_SECONDS
(so a catalog being harvested costs one pass every REFRESH_SECONDS at most, in each process), or when they
are older than MAX_AGE_SECONDS whatever it says. Between a change and the next read, a page is still
per_page active datasets in slug order, from a position off by as many datasets as were added or removed
before it: a page may then repeat or miss one near its start, as OFFSET pages do when the catalog changes
between the requests of two pages.

Below SMALL_OFFSET, OFFSET costs less than keeping the anchors: the first pages, and every page of a
small catalog, start at the slug OFFSET finds (an index-only scan of at most SMALL_OFFSET entries).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from catalog_schema.models import Dataset

ANCHOR_STEP = 100
SMALL_OFFSET = 5000
REFRESH_SECONDS = 10.0
MAX_AGE_SECONDS = 300.0


@dataclass
class _Anchors:
    version: int
    read_at: float
    slugs: list[str]


_anchors: dict[str, _Anchors] = {}
_lock = threading.Lock()


def _version(session: Session) -> int:
    return int(session.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes")) or 0)


#: Each anchor found from the one before it: an index-only walk of ix_datasets_state_slug, one probe an anchor
#: (at 391,139 datasets about a third less than numbering every active dataset with row_number() and keeping
#: every ANCHOR_STEP-th, which also walked them all).
_ANCHORS = text(
    "WITH RECURSIVE a(slug) AS ("
    " SELECT * FROM (SELECT slug FROM datasets WHERE state = 'active' ORDER BY slug LIMIT 1) AS first"
    " UNION ALL"
    " SELECT (SELECT d.slug FROM datasets d WHERE d.state = 'active' AND d.slug > a.slug"
    " ORDER BY d.slug LIMIT 1 OFFSET :skip) FROM a WHERE a.slug IS NOT NULL)"
    " SELECT slug FROM a WHERE slug IS NOT NULL")


def _read(session: Session) -> list[str]:
    """The slug of every ANCHOR_STEP-th active dataset in slug order (the first one's included)."""
    return sorted(session.scalars(_ANCHORS, {"skip": ANCHOR_STEP - 1}))


def anchors(session: Session) -> list[str]:
    """This process's anchors of the session's database, read again when the catalog changed (see above)."""
    key = session.get_bind().url.render_as_string(hide_password=False)
    version = _version(session)
    now = time.monotonic()
    with _lock:
        held = _anchors.get(key)
    if held is not None and (held.version == version or now - held.read_at < REFRESH_SECONDS) \
            and now - held.read_at < MAX_AGE_SECONDS:
        return held.slugs
    fresh = _Anchors(version, now, _read(session))
    with _lock:
        _anchors[key] = fresh
    return fresh.slugs


def forget() -> None:
    """Drop every process-held anchor (tests)."""
    with _lock:
        _anchors.clear()


def start(session: Session, offset: int) -> tuple[str | None, int]:
    """Where the page of active datasets beginning at position `offset` (slug order) is read from: (the slug of
    a dataset at or before it, how many datasets to skip from there), or (None, 0) past the last one."""
    if offset < SMALL_OFFSET:
        slug = session.scalar(select(Dataset.slug).where(Dataset.state == "active").order_by(Dataset.slug)
                              .offset(offset).limit(1))
        return slug, 0
    slugs = anchors(session)
    if not slugs:
        return None, 0
    k = min(offset // ANCHOR_STEP, len(slugs) - 1)  # past the last anchor: datasets added since they were read
    return slugs[k], offset - k * ANCHOR_STEP
