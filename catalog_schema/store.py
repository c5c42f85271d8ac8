"""Records in and out of the database: the one place that maps record <-> ORM rows.

`save_record` upserts a dataset from a catalog record (keyed by id, by
(source, remote id) for harvested records, or by slug), creating publishers it
does not know. `to_record` gives the record back. Round trip: to_record(save_record(r)) == r
for every content field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from contextlib import closing, contextmanager
from typing import Any

from sqlalchemy import any_, bindparam, delete, insert, inspect, or_, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, selectinload

from catalog_schema import dictionary, places, series, vocab
from catalog_schema.models import (
    DATASET_STATES,
    Assessment,
    AuditEvent,
    Dataset,
    DatasetSlug,
    Distribution,
    DistributionVersion,
    Follow,
    HarvestSource,
    LicenceMapping,
    Publisher,
    new_uuid,
    utcnow,
)
from catalog_schema.record import (
    DATASET_DEFAULTS,
    IRI_SLUG,
    Record,
    content_hash,
    earlier_content_hash,
    filled,
    new_record,
    pick_text,
)
from plumbing.interrupts import reraise_interruption

# record key -> Dataset column, where the names differ.
DATASET_COLUMNS = {
    "uri": "uri",
    "identifier": "identifier",
    "title": "title",
    "description": "description",
    "creator": "creator",
    "contact_point": "contact_point",
    "keywords": "keywords",
    "themes": "themes",
    "license": "license_id",
    "license_raw": "license_raw",
    "access_rights": "access_rights",
    "rights": "rights",
    "issued": "issued",
    "modified": "modified",
    "temporal": "temporal",
    "spatial": "spatial",
    "extent": "extent",
    "frequency": "frequency",
    "landing_page": "landing_page",
    "conforms_to": "conforms_to",
    "hvd_category": "hvd_category",
    "applicable_legislation": "applicable_legislation",
    "language": "language",
    "version": "version",
    "kind": "kind",
    "in_series": "in_series",
    "extras": "extras",
    "flags": "flags",
}

DISTRIBUTION_COLUMNS = {
    "uri": "uri",
    "title": "title",
    "description": "description",
    "access_url": "access_url",
    "download_url": "download_url",
    "format": "format",
    "format_raw": "format_raw",
    "media_type": "media_type",
    "license": "license_id",
    "license_raw": "license_raw",
    "rights": "rights",
    "byte_size": "byte_size",
    "checksum": "checksum",
    "issued": "issued",
    "modified": "modified",
    "language": "language",
    "conforms_to": "conforms_to",
    "hvd_category": "hvd_category",
    "applicable_legislation": "applicable_legislation",
    "access_service": "access_service",
    "schema": "table_schema",
    "extras": "extras",
}

_SLUG_STRIP = re.compile(r"[^a-z0-9_-]+")


def slugify(text: str, fallback: str = "dataset", max_length: int = 90) -> str:
    """A URL slug: ASCII lower case, digits, '-' and '_'. Chinese titles fall back to `fallback`."""
    norm = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    slug = _SLUG_STRIP.sub("-", norm).strip("-_")
    slug = re.sub(r"-{2,}", "-", slug)[:max_length].strip("-_")
    return slug or fallback


def name_slug(text: str | None) -> str | None:
    """The slug a name gives (`slugify`), or None when it gives no Latin letter: 人口统计 gives nothing, 2023年
    only 2023, and a catalog naming such datasets by their words would call them 2023, 2023-2 ... in the order
    they arrived. The callers then name it dataset-<the first characters of its id>: stable and its own."""
    slug = slugify(re.sub(r"</?[A-Za-z][^<>]*>", " ", text or ""), fallback="")  # tags are no words (b-b)
    return slug if any(c.isalpha() for c in slug) else None


def record_slug(record: Record, dataset_id: str) -> str:
    """The slug a new or renamed dataset asks for: the record's own, else its title's or identifier's."""
    return (record.get("slug") or name_slug(pick_text(record["title"]) or record.get("identifier"))
            or f"dataset-{dataset_id[:8]}")


def unique_slug(session: Session, model, base: str, exclude_id: Any = None) -> str:
    """`base`, or `base-2`, `base-3` ... whichever is free in `model`'s slug column (for datasets, also not
    a slug another dataset had before a rename).

    Slugs given out in this session but not yet flushed count as taken (a batch of imports
    flushes once)."""
    pending: dict[str, Any] = session.info.setdefault(f"pending_slugs:{model.__tablename__}", {})
    slug, n = base, 1
    while True:
        found = pending.get(slug)
        if found is None:
            found = session.scalar(select(model.id).where(model.slug == slug))
        if found is None and model is Dataset:  # an old slug still leads to the dataset that had it
            found = session.scalar(select(DatasetSlug.dataset_id).where(DatasetSlug.slug == slug))
        if found is None or found == exclude_id:
            if exclude_id is not None:
                pending[slug] = exclude_id
            return slug
        n += 1
        slug = f"{base[:80]}-{n}"


def ensure_publisher(session: Session, agent: dict[str, Any] | None,
                     source_id: int | None = None) -> Publisher | None:
    """The publisher an agent names: found by slug, then URI, then (an agent with no slug) by its name in each of
    its languages; created when unknown. `source_id`: the harvest source whose record names it (None: another door).

    What the agent says of a publisher found is taken by one rule (PUBLISHER_RULE): a field people said
    (`Publisher.edited`: its admins or a sysadmin, app.services.publishers) is theirs and no source changes it; the
    source that keeps the publisher (`Publisher.source_id`, the first harvest source that named it) updates what it
    says of the rest; any other source, or another door, only fills in what is empty. A harvest's change is audited
    (`publisher.created`, `publisher.harvested`: before and after, the source, the fields people's word kept)."""
    if not agent:
        return None
    cache: dict[tuple, Publisher] = session.info.setdefault("publishers", {})
    key = (source_id, agent.get("slug"), agent.get("uri"), json.dumps(agent.get("name") or {}, sort_keys=True))
    cached = cache.get(key)
    if cached is not None and cached in session:
        return cached
    pub = _find_or_create_publisher(session, agent, source_id)
    cache[key] = pub
    return pub


#: What a publisher says of itself, by the names the services, the audit log and `Publisher.edited` use.
PUBLISHER_FIELDS = ("title", "description", "homepage", "image_url", "extras", "email", "uri")
PUBLISHER_RULE = ("a field people edited is kept; the source that first named the publisher updates the rest; "
                  "another source only fills what is empty")


def publisher_said(pub: Publisher) -> dict[str, Any]:
    """What `pub` says of itself, by PUBLISHER_FIELDS (`image_url` and `extras`: those its CKAN organization keys
    hold, as app.services.publishers shows them)."""
    kept = (pub.extras or {}).get("ckan") or {}
    return {"title": dict(pub.name or {}), "description": dict(pub.description or {}), "homepage": pub.homepage,
            "image_url": kept.get("image_url") or None, "extras": kept.get("extras") or None, "email": pub.email,
            "uri": pub.uri}


def remove_publisher(session: Session, pub: Publisher) -> None:
    """Delete publisher `pub`'s row (app.services.publishers.delete decides when). What hangs on it goes by the
    schema's rules: its memberships, invitations and weekly reports with it; the datasets (deleted ones: the service
    lets no other go), harvest sources, audit rows and sub-publishers that name it forget it. The follows of it,
    which name it by number (a later publisher may get the number again), go here."""
    session.execute(delete(Follow).where(Follow.kind == "publisher", Follow.target == str(pub.id)))
    for key in ("publishers", "publishers_by_slug"):  # this session's lookups must not hand it out again
        cache = session.info.get(key) or {}
        for k in [k for k, v in cache.items() if v is pub]:
            del cache[k]
    session.delete(pub)
    session.flush()


def _prefetch_publishers(session: Session, agents: list[dict[str, Any] | None]) -> None:
    """Read the publishers these agents name by slug in one query (a batch of records names few), so that
    `ensure_publisher` finds them without a query each."""
    known: dict[str, Publisher] = session.info.setdefault("publishers_by_slug", {})
    slugs = sorted({a["slug"] for a in agents if a and isinstance(a.get("slug"), str)} - set(known))
    for start in range(0, len(slugs), 500):
        for pub in session.scalars(select(Publisher).where(Publisher.slug.in_(slugs[start:start + 500]))):
            known[pub.slug] = pub


def _publisher_by_slug(session: Session, slug: str) -> Publisher | None:
    known = session.info.get("publishers_by_slug") or {}
    pub = known.get(slug)
    if pub is not None and pub in session:
        return pub
    return session.scalar(select(Publisher).where(Publisher.slug == slug))


def _find_or_create_publisher(session: Session, agent: dict[str, Any], source_id: int | None) -> Publisher | None:
    slug = agent.get("slug")
    name = agent.get("name") or {}
    pub = None
    if slug:
        pub = _publisher_by_slug(session, slug)
    if pub is None and agent.get("uri"):
        pub = session.scalar(select(Publisher).where(Publisher.uri == agent["uri"]))
    if pub is None and not slug:
        label = pick_text(name)
        if not label and not agent.get("uri"):
            return None
        pub = _publisher_by_name(session, name)
        if pub is None:
            said = label or agent.get("uri") or ""
            # 京海市统计局 gives no slug: publisher-<a hash of the name>, the same in every catalog and whatever
            # the order of the harvest (it was publisher, publisher-2 ... by arrival)
            slug = unique_slug(session, Publisher, name_slug(said) or name_slug(agent.get("uri"))
                               or f"publisher-{hashlib.sha1(said.encode()).hexdigest()[:8]}")
    if pub is None:
        pub = Publisher(slug=slug, name=dict(name), uri=agent.get("uri"), homepage=agent.get("homepage"),
                        email=agent.get("email"), extras=dict(agent.get("extras") or {}),
                        description=_agent_description(agent), source_id=source_id)
        if agent.get("parent"):
            pub.parent = session.scalar(select(Publisher).where(Publisher.slug == agent["parent"]))
        created = _insert_publisher(session, pub)
        if created is pub:
            if source_id is not None:
                _audit_harvest(session, pub, "publisher.created", None, source_id, [])
            return pub
        pub = created  # another process created it first: take what the agent says like any publisher found
    _take_agent(session, pub, agent, source_id)
    return pub


def _take_agent(session: Session, pub: Publisher, agent: dict[str, Any], source_id: int | None) -> None:
    """What `agent` says of the publisher `pub` found, taken by PUBLISHER_RULE; never blanks out a field."""
    says = any(agent.get(k) for k in ("name", "homepage", "email", "uri", "extras"))
    if source_id is not None and says and pub.source_id != source_id and (
            pub.source_id is None or _source_gone(session, pub.source_id)):
        pub.source_id = source_id  # the first source that describes it keeps it up to date (not one that only
        # files its records under it: a source's default publisher, a slug); once that source is deleted, the
        # next source that describes it does (its name would otherwise stay as a deleted source last said it)
    keeps = source_id is not None and pub.source_id == source_id
    edited = set(pub.edited or ())
    before = publisher_said(pub) if source_id is not None else None
    said = {"uri": agent.get("uri"), "homepage": agent.get("homepage"), "email": agent.get("email"),
            "description": _agent_description(agent)}
    kept_by_people: list[str] = []
    for key, value in said.items():
        current = getattr(pub, key)
        if not value or value == current:
            continue
        if key in edited:
            kept_by_people.append(key)
        elif not (pick_text(current) if key == "description" else current) or (keeps and key != "uri"):
            setattr(pub, key, dict(value) if key == "description" else value)
    _take_extras(pub, agent.get("extras") or {}, keeps, edited)
    names = dict(_name_items(agent.get("name")))
    if names:
        current = dict(pub.name or {})
        if "title" in edited:
            if any(current.get(k) != v for k, v in names.items()):
                kept_by_people.append("title")
        else:  # another door (no source: the demo's publishers, a sysadmin's CKAN load) names it as before
            follows = keeps or source_id is None
            merged = {**current, **({k: v for k, v in names.items() if follows or not current.get(k)})}
            if merged != current:
                pub.name = merged
    if before is not None:
        after = publisher_said(pub)
        if after != before:
            _audit_harvest(session, pub, "publisher.harvested", before, source_id, kept_by_people, after)


def _source_gone(session: Session, source_id: int) -> bool:
    """Whether the harvest source `source_id` is deleted (sources are only marked so) or its row is gone."""
    source = session.get(HarvestSource, source_id)
    return source is None or source.deleted_at is not None


def _name_items(name: Any) -> list[tuple[str, str]]:
    """The (language, text) pairs of a language map that say something."""
    if not isinstance(name, dict):
        return []
    return [(k, v) for k, v in name.items() if isinstance(k, str) and isinstance(v, str) and v]


#: The CKAN organization's keys (kept in `extras["ckan"]`) that say each field people may edit.
_CKAN_KEYS = {"title": ("title", "title_translated"), "description": ("description",), "homepage": ("url",),
              "image_url": ("image_url", "image_display_url"), "extras": ("extras",)}


def _take_extras(pub: Publisher, extras: dict[str, Any], keeps: bool, edited: set[str]) -> None:
    """What a source says of its organization beyond the columns (a CKAN organization's keys, kept in
    `extras["ckan"]`): a key the publisher lacks is filled in (a publisher first made by `source add` had none); the
    source that keeps it updates its keys too, but for the logo and the extras people set (`image_url`, `extras`)."""
    current = dict(pub.extras or {})
    merged = dict(current)
    for key, value in extras.items():
        if key not in current:
            merged[key] = value
        elif keeps and key == "ckan" and isinstance(value, dict) and isinstance(current[key], dict):
            mine = current[key]
            people = {k for field in edited for k in _CKAN_KEYS.get(field, ())}
            theirs = {k: v for k, v in value.items() if k not in people}
            merged[key] = {**mine, **theirs}
        elif keeps and key != "ckan":
            merged[key] = value
    if merged != current:
        pub.extras = merged


def _audit_harvest(session: Session, pub: Publisher, action: str, before: dict | None, source_id: int | None,
                   kept: list[str], after: dict | None = None) -> None:
    """A harvest's change of a publisher in the audit log, under the publisher (its admins see it): the fields that
    changed, the source, and the fields the source said otherwise that people's edit kept."""
    now = publisher_said(pub) if after is None else after
    changed = [k for k in PUBLISHER_FIELDS if before is None or now[k] != before[k]]
    add_audit_event(session, user_id=None, action=action, object_type="publisher", object_id=pub.slug,
                    publisher_id=pub.id, before={k: before[k] for k in changed} if before is not None else None,
                    after={k: now[k] for k in changed if before is not None or now[k]},
                    detail={"via": "harvest", "publisher": pub.slug, "source_id": source_id,
                            **({"kept_as_edited": sorted(set(kept))} if kept else {})})


def _agent_description(agent: dict[str, Any]) -> dict[str, str]:
    """A publisher's description as its source gave it: a CKAN organization's `description` (kept in the agent's
    extras by catalog_schema.ckan), as a language map."""
    said = ((agent.get("extras") or {}).get("ckan") or {}).get("description")
    return {"": said.strip()} if isinstance(said, str) and said.strip() else {}


def _publisher_by_name(session: Session, name: Any) -> Publisher | None:
    """The publisher already called what `name` (a language map) calls it, in each of its languages (the first
    made, if several are). A name is no slug: a Chinese one slugifies to the fallback `publisher`, so looking the
    name up by its slug found only the one publisher holding that slug, and every other Chinese-named publisher
    was made again by each harvest that named it."""
    texts = {k: v for k, v in (name or {}).items() if isinstance(k, str) and isinstance(v, str) and v}
    if not texts:
        return None
    lang, first = next(iter(texts.items()))
    for pub in session.scalars(select(Publisher).where(Publisher.name[lang].as_string() == first)
                               .order_by(Publisher.id)):
        if all((pub.name or {}).get(k) == v for k, v in texts.items()):
            return pub
    # a name in no language ("": a metadata sheet's 发布单位) is the publisher named so in one, and the other way
    # round (京海市统计局 untagged made a second 京海市统计局 beside the tagged one, and the league listed both)
    values = sorted(set(texts.values()))
    for pub in session.scalars(select(Publisher).where(or_(*(Publisher.name[k].as_string().in_(values)
                                                              for k in _NAME_LANGS))).order_by(Publisher.id)):
        if _same_name({k: v for k, v in (pub.name or {}).items() if v}, texts):
            return pub
    return None


_NAME_LANGS = ("", "zh", "en")


def _same_name(have: dict[str, str], want: dict[str, str]) -> bool:
    """`want` names the publisher `have` names: each text is one of its names, and a language both give agrees."""
    return all((have[k] == v) if k and k in have else (v in have.values()) for k, v in want.items())


def _insert_publisher(session: Session, pub: Publisher) -> Publisher:
    """Insert a new publisher; returns it, or the one of that slug another process inserted since we looked
    (two harvest workers meeting the same new organisation at once). On PostgreSQL the insert runs in a
    savepoint, so the refused insert costs only itself, not the batch around it. SQLite writes one at a time
    (a second writer waits for the first to commit), so there the insert is plain."""
    if session.get_bind().dialect.name == "sqlite":
        session.add(pub)
        session.flush()
        return pub
    try:
        with session.begin_nested():
            session.add(pub)
    except IntegrityError:
        other = session.scalar(select(Publisher).where(Publisher.slug == pub.slug))
        if other is None:
            raise
        return other
    return pub


def publisher_to_agent(pub: Publisher | None) -> dict[str, Any] | None:
    if pub is None:
        return None
    return {
        "slug": pub.slug,
        "name": dict(pub.name or {}),
        "uri": pub.uri,
        "homepage": pub.homepage,
        "email": pub.email,
        "parent": pub.parent.slug if pub.parent else None,
        "extras": dict(pub.extras or {}),
    }


def distribution_of(ds: Dataset, dist_id: str) -> Distribution | None:
    """The dataset's distribution that `dist_id` names: the catalog's id (`catalog_id` in a record), or the id its
    source gave it (the record's distribution `id`, which the API's dataset document shows first) when no other
    distribution of the dataset has that one too."""
    rows = list(ds.distributions)
    found = next((row for row in rows if row.id == dist_id), None)
    if found is not None:
        return found
    named = [row for row in rows if row.remote_id and row.remote_id == dist_id]
    return named[0] if len(named) == 1 else None


def distribution_named(session: Session, dist_id: str, slug: str | None) -> Distribution | None:
    """`distribution_of` from a URL: by the catalog's id, else by its source's id (the `id` /api/v1 shows first).

    A URL naming the dataset looks the source's id up in it; one naming none (the DataStore doors' `resource_id`,
    as CKAN's `resource_show` takes it too) among the datasets not deleted, and only when one file has it."""
    dist = session.get(Distribution, dist_id) if len(dist_id) <= 36 else None
    if dist is None and dist_id and len(dist_id) <= 500:
        query = select(Distribution).join(Dataset, Dataset.id == Distribution.dataset_id).where(
            Distribution.remote_id == dist_id)
        query = query.where(Dataset.slug == slug) if slug is not None else query.where(Dataset.state != "deleted")
        named = session.scalars(query.limit(2)).all()
        dist = named[0] if len(named) == 1 else None
    return dist


def add_audit_event(session: Session, **fields: Any) -> AuditEvent:
    """One row of the audit log (the services decide what goes in it)."""
    event = AuditEvent(**fields)
    session.add(event)
    return event


#: The archive evidence of a distribution (what its last check or upload found), by column.
EVIDENCE_COLUMNS = ("check_status", "http_status", "check_error", "final_url", "detected_format",
                    "detected_media_type", "detected_encoding", "encoding_detector", "archive_size",
                    "archive_truncated", "archive_hash", "archive_path", "etag", "last_modified_header",
                    "first_failure", "last_success", "last_checked", "failure_count", "stars")


def set_evidence(row: Distribution, **evidence: Any) -> None:
    """Set a distribution's archive evidence (only the columns of EVIDENCE_COLUMNS)."""
    unknown = set(evidence) - set(EVIDENCE_COLUMNS)
    if unknown:
        raise ValueError(f"not evidence columns: {', '.join(sorted(unknown))}")
    # a value the loaded row holds already (the same type and value) is not set again: the row's flush and the
    # change log then look only at what changed (a weekly re-check sets 15 of these, most the same)
    loaded = row.__dict__ if inspect(row).persistent else {}
    for key, value in evidence.items():
        if key in loaded and type(loaded[key]) is type(value) and loaded[key] == value:
            continue
        setattr(row, key, value)


def set_lifecycle(ds: Dataset, state: str, *, reason: str | None = None, successor: str | None = None) -> None:
    """Move a dataset to `state` (active, draft, withdrawn, deleted), keeping its tombstone facts."""
    if state not in DATASET_STATES:
        raise ValueError(f"unknown dataset state {state!r}")
    ds.state = state
    if state == "withdrawn":
        ds.withdrawn_at = utcnow()
        ds.withdrawn_reason, ds.successor = reason, successor
    elif state in ("active", "draft"):
        ds.withdrawn_at = ds.withdrawn_reason = ds.successor = None
    ds.modified_at = utcnow()


def set_extras(ds: Dataset, key: str, value: Any) -> None:
    """Set one key of the platform's own part of a dataset's extras (publishing decisions).

    A harvested dataset's content hash stays the hash of what its source said: a publishing decision changes
    nothing a source says, so the next harvest, which maps the record again (the payload hash is cleared), finds
    the same content and leaves the dataset as it is, instead of writing it again and calling it updated (a
    harvest that does write keeps the series a publisher made: `_save_record`). A dataset of the portal's own
    takes the hash of its record as it now stands, so that saving that record again changes nothing."""
    extras = dict(ds.extras or {})
    extras[key] = value
    ds.extras = extras
    if ds.source_id is None:
        ds.content_hash = content_hash(to_record(ds))
    ds.payload_hash = None  # the catalog changed it: the next harvest maps its record again
    ds.modified_at = utcnow()


def join_series(ds: Dataset, series_id: str) -> None:
    """Put `ds` in the series `series_id` by its publisher's decision: in its `in_series`, and in the publishing
    extras a harvest keeps (`_save_record`), so that a source that knows nothing of the series does not take it
    out. A harvested dataset's content hash is left as it is (`set_extras`). The caller links the series
    (`series.link`)."""
    ds.in_series = list(dict.fromkeys([*(ds.in_series or []), series_id]))
    kept = (ds.extras or {}).get("publishing") or {}
    set_extras(ds, "publishing", {**kept, "series": list(dict.fromkeys([*(kept.get("series") or []), series_id]))})


#: States in which a dataset's IRI has been out (a draft's never was; a deleted one is not renamed).
PUBLIC_STATES = ("active", "withdrawn")


def rename_dataset(session: Session, ds: Dataset, new_slug: str) -> None:
    """Give `ds` the slug `new_slug`, keeping the present one in dataset_slugs (it answers 301 from then on).
    The caller checked that `new_slug` is free (or an old slug of `ds` itself, which then leaves the
    history). A dataset that has been public keeps the IRI it was first published under (`pin_iri`)."""
    pin_iri(ds)
    now = utcnow()
    back = session.get(DatasetSlug, new_slug)
    if back is not None and back.dataset_id == ds.id:
        session.delete(back)
    row = session.get(DatasetSlug, ds.slug)
    if row is None:
        session.add(DatasetSlug(slug=ds.slug, dataset_id=ds.id, changed_at=now))
    else:  # another dataset had this slug before `ds` took it: old links now lead to its latest holder
        row.dataset_id, row.changed_at = ds.id, now
    ds.slug = new_slug
    ds.modified_at = now
    session.flush()


def release_names(session: Session, ds: Dataset) -> None:
    """Free every name `ds` goes or went by (its slug, and its old slugs in dataset_slugs) for other datasets: it goes
    by `discarded-<id>` from then on. Only for a dataset no link ever led to (a discarded draft: datasets.discard);
    a public dataset's names keep leading to it (rename_dataset)."""
    session.execute(delete(DatasetSlug).where(DatasetSlug.dataset_id == ds.id))
    ds.slug = f"discarded-{ds.id}"
    ds.modified_at = utcnow()
    session.flush()


def pin_iri(ds: Dataset) -> None:
    """Before a public dataset's first rename: keep its slug as the slug of its IRI (`record.iri_slug`), in the
    platform's extras, so DCAT harvesters of the catalog go on knowing it (and its distributions and quality
    measurements, whose IRIs hang under it) by the IRI they first saw. The slug stays in dataset_slugs, which
    no other dataset may take (datasets.check_slug, unique_slug, _slugs_taken), so the IRI stays its own and
    answers 301 to the current page. Later renames keep the first pin; a draft's IRI was never out.

    Not `set_extras`: a harvested dataset renamed at its source keeps the payload hash the harvest just set
    (its source's record did not change); a dataset of the portal's own takes the hash of its record."""
    publishing = (ds.extras or {}).get("publishing")
    publishing = publishing if isinstance(publishing, dict) else {}
    if ds.state not in PUBLIC_STATES or not ds.slug or publishing.get(IRI_SLUG):
        return
    ds.extras = {**(ds.extras or {}), "publishing": {**publishing, IRI_SLUG: ds.slug}}
    if ds.source_id is None:
        ds.content_hash = content_hash(to_record(ds))


def detach_from_source(source: HarvestSource, ds: Dataset) -> None:
    """The source stops updating `ds`: its remote id goes on the source's `detached` list."""
    config = dict(source.config or {})
    detached = list(config.get("detached") or [])
    if ds.remote_id and ds.remote_id not in detached:
        detached.append(ds.remote_id)
    config["detached"] = detached
    source.config = config
    ds.source_id = None


def add_assessment(session: Session, ds: Dataset, *, at, doc: dict[str, Any]) -> Assessment:
    """Keep one assessment document as an Assessment row (history for the trends) and copy its stars and
    score onto the dataset (facets and sorting)."""
    row = Assessment(**assessment_values(ds, at=at, doc=doc))
    session.add(row)
    ds.stars, ds.score = doc["stars"], doc["score"]
    return row


def assessment_values(ds: Dataset, *, at, doc: dict[str, Any]) -> dict[str, Any]:
    """The columns of the Assessment row that keeps `doc`."""
    return dict(dataset_id=ds.id, assessed_at=at, rule_version=doc["rule_version"], stars=doc["stars"],
                score=doc["score"], metadata_points=doc["metadata"]["points"],
                metadata_rating=doc["metadata"]["rating"], subscores=doc["subscores"],
                data={**doc["data"], "timeliness": doc["timeliness"], "pii": doc["pii"], "metadata": doc["metadata"]},
                distributions=doc["distributions"], findings=doc["findings"])


def add_assessments(session: Session, kept: list[tuple[Dataset, dict[str, Any]]], *, at) -> None:
    """`add_assessment` for a batch, in one INSERT of many rows (the rows are not wanted as objects: the
    unit of work inserted them one statement each on SQLite, to read back each id)."""
    if not kept:
        return
    session.execute(insert(Assessment), [assessment_values(ds, at=at, doc=doc) for ds, doc in kept])
    for ds, doc in kept:
        ds.stars, ds.score = doc["stars"], doc["score"]


def find_dataset(session: Session, record: Record, source_id: int | None = None,
                 remote_id: str | None = None) -> Dataset | None:
    if source_id is not None and remote_id is not None:
        return session.scalar(select(Dataset).where(Dataset.source_id == source_id, Dataset.remote_id == remote_id))
    if record.get("id"):
        found = session.get(Dataset, record["id"])
        if found is not None:
            return found
    if record.get("slug"):
        return session.scalar(select(Dataset).where(Dataset.slug == record["slug"]))
    return None


def save_record(session: Session, record: Record, *, source_id: int | None = None, remote_id: str | None = None,
                payload: Any = None, dataset: Dataset | None = None,
                payload_hash: str | None = None) -> tuple[Dataset, str]:
    """Insert or update the dataset `record` describes. Returns (dataset, outcome).

    outcome is "added", "updated", "unchanged" (same content hash, nothing written but a new `payload_hash`)
    or "restored" (a withdrawn dataset that came back). `payload_hash`: the hash of the harvested payload
    the record was mapped from (None from any other door: the next harvest maps the record again).
    """
    with session.no_autoflush:
        return _save_record(session, new_record(**record), source_id, remote_id, payload, dataset, payload_hash)


def licence_mappings(session: Session) -> dict[str, str]:
    """The sysadmins' licence mappings, raw key -> licence id (read once per session)."""
    found = session.info.get("licence_mappings")
    if found is None:
        found = {key: lid for key, lid in session.execute(select(LicenceMapping.raw_key, LicenceMapping.licence_id))}
        session.info["licence_mappings"] = found
    return found


def apply_licence_mappings(session: Session, record: Record) -> bool:
    """Give the record (and its distributions) the licence a sysadmin mapped its raw licence text to; whether
    that changed it."""
    mappings = licence_mappings(session)
    if not mappings:
        return False
    changed = False
    for part in (record, *(record.get("distributions") or [])):
        mapped = mappings.get(vocab.licence_key(part.get("license_raw")) or "")
        if mapped:
            changed = changed or part.get("license") != mapped
            part["license"] = mapped
            if part is record and record.get("flags"):
                kept = [f for f in record["flags"] if not (isinstance(f, dict) and f.get("field") == "license")]
                changed = changed or len(kept) != len(record["flags"])
                record["flags"] = kept
    return changed


#: The key, in a harvested dataset's platform extras (`extras["publishing"]`), of a person's withdrawal or deletion of
#: it ({"state", "by", "at"}): its source's harvests leave it as it is (`_save_record`) until a person restores it.
REMOVED_BY = "removed_by"


def removed_by_person(ds: Dataset) -> bool:
    """A harvested dataset a sysadmin deleted, or withdrew, and nobody restored since."""
    publishing = (ds.extras or {}).get("publishing")
    removed = publishing.get(REMOVED_BY) if isinstance(publishing, dict) else None
    return isinstance(removed, dict) and ds.state in ("withdrawn", "deleted") and removed.get("state") == ds.state


def _save_record(session, record, source_id, remote_id, payload, dataset, payload_hash=None):
    apply_licence_mappings(session, record)
    digest = content_hash(record)
    ds = dataset or find_dataset(session, record, source_id, remote_id)
    if ds is not None and source_id is not None and removed_by_person(ds):
        # A person's decision, which a harvest does not undo: the dataset came back public (deleted ones too) at the
        # next harvest of its source, changed at the source or not, as if its source had listed it again after
        # the harvest itself withdrew it.
        return ds, "unchanged"
    outcome = "updated"
    if ds is None:
        ds = Dataset(id=record.get("id") or new_uuid())
        outcome = "added"
    elif ds.state == (record.get("state") or "active") and (
            ds.content_hash == digest or (ds.content_hash is not None
                                          and ds.content_hash == earlier_content_hash(record))):
        if ds.content_hash != digest:
            ds.content_hash = digest  # the same content, its hash as spelled before: spelled as now
        if payload_hash is not None and ds.payload_hash != payload_hash:
            ds.payload_hash = payload_hash  # another payload, the same content: the next harvest skips it
        if record.get("slug") and record["slug"] != ds.slug and ds.slug:  # the content hash leaves the name out:
            slug = unique_slug(session, Dataset, record["slug"], exclude_id=ds.id)  # a rename alone was lost
            if slug != ds.slug:
                rename_dataset(session, ds, slug)
                ds.modified_at = utcnow()
                return ds, "updated"
        return ds, "unchanged"
    elif ds.state == "withdrawn" and (record.get("state") or "active") == "active":
        outcome = "restored"
    # Before the new dataset joins the session: creating a publisher flushes (a savepoint on PostgreSQL),
    # and a dataset half filled in must not go with it.
    publisher = ensure_publisher(session, record.get("publisher"), source_id)
    if outcome == "added":
        session.add(ds)

    wanted_slug = record.get("slug") or ds.slug or record_slug(record, ds.id)
    if ds.slug != wanted_slug:
        slug = unique_slug(session, Dataset, wanted_slug, exclude_id=ds.id)
        if outcome == "added" or not ds.slug:
            ds.slug = slug
        elif slug != ds.slug:  # renamed at its source: the old address answers 301, as after its publisher's rename
            rename_dataset(session, ds, slug)
        # else: the name it asks for is taken and it holds the next free one already (gdp -> gdp-3): it keeps it
    had_series = bool(ds.in_series) or ds.kind == series.SERIES
    # A series the publisher put it in here (app/services/series.py) outlives a harvest that knows nothing of it,
    # and so does the slug its IRI was pinned to (pin_iri): a record that leaves it out cannot change the IRI.
    kept = ((ds.extras or {}).get("publishing") or {}) if outcome != "added" else {}
    joined = kept.get("series") or []
    pinned = kept.get(IRI_SLUG)
    for key, column in DATASET_COLUMNS.items():
        setattr(ds, column, record.get(key))
    ds.kind = ds.kind or "dataset"
    if joined:
        ds.in_series = list(dict.fromkeys([*(ds.in_series or []), *joined]))
    if joined or pinned:
        extras = dict(ds.extras or {})
        publishing = extras.get("publishing") if isinstance(extras.get("publishing"), dict) else {}
        extras["publishing"] = {**publishing, **({"series": joined} if joined else {}),
                                **({IRI_SLUG: pinned} if pinned else {})}
        ds.extras = extras
    ds.publisher = publisher
    ds.state = record.get("state") or "active"
    ds.withdrawn_at = None if ds.state != "withdrawn" else (ds.withdrawn_at or utcnow())
    ds.source_id = source_id if source_id is not None else ds.source_id
    ds.remote_id = remote_id if remote_id is not None else ds.remote_id
    if payload is not None:
        ds.source_payload = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    ds.content_hash = digest
    ds.payload_hash = payload_hash
    ds.modified_at = utcnow()
    _save_distributions(session, ds, record["distributions"])
    refresh_bbox(ds)
    if had_series or ds.in_series or ds.kind == series.SERIES:
        series.link(session, [ds.id])
    return ds, outcome


def among(session: Session, column, values: list[Any]):
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`, one parameter instead of one a value: a batch's
    500 remote ids or slugs took 4.5-6.4 ms a query as a list of parameters and 1.1-1.3 ms as one array (the
    server parses and plans the one statement; the list changed the statement with its length)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def harvested_from_source(session: Session, source_id: int, remote_ids: list[str]) -> dict[str, Any]:
    """What the catalog holds of these records of a source, in one query: remote id -> row of (id, state,
    content_hash, payload_hash)."""
    found: dict[str, Any] = {}
    for start in range(0, len(remote_ids), 500):
        chunk = remote_ids[start:start + 500]
        rows = session.execute(select(Dataset.remote_id, Dataset.id, Dataset.state, Dataset.content_hash,
                                      Dataset.payload_hash)
                               .where(Dataset.source_id == source_id, among(session, Dataset.remote_id, chunk)))
        found.update((row.remote_id, row) for row in rows)
    return found


def load_datasets(session: Session, ids: list[str]) -> dict[str, Dataset]:
    """Datasets by id with their distributions and publisher, in three queries whatever their number."""
    if not ids:
        return {}
    rows = session.scalars(select(Dataset).where(Dataset.id.in_(ids))
                           .options(selectinload(Dataset.distributions), selectinload(Dataset.publisher)))
    return {ds.id: ds for ds in rows}


def add_harvested(session: Session, source_id: int, new: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Insert datasets a harvest sees for the first time, as bulk INSERTs (one per table for the whole batch:
    no ORM object per row). Each entry of `new`: record (validated), remote_id, payload, payload_hash, and
    optionally payload_text (the payload as stored text) and content_text (record.content_text of the
    filled record). Returns (dataset id, content hash) per entry, in order. Same rows as `save_record`
    would write."""
    if not new:
        return []
    now = utcnow()
    records = [filled(entry["record"]) for entry in new]
    # the content text the harvest made, unless a licence mapping changed the record since (then made again)
    texts = [None if apply_licence_mappings(session, rec) else entry.get("content_text")
             for entry, rec in zip(new, records, strict=True)]
    ids = [new_uuid() for _ in new]
    wanted = [record_slug(rec, ds_id) for rec, ds_id in zip(records, ids, strict=True)]
    taken = _slugs_taken(session, wanted)
    pending: dict[str, Any] = session.info.setdefault(f"pending_slugs:{Dataset.__tablename__}", {})
    _prefetch_publishers(session, [rec.get("publisher") for rec in records])
    dataset_rows, dist_rows, out = [], [], []
    for entry, rec, ds_id, slug, made in zip(new, records, ids, wanted, texts, strict=True):
        if slug in taken or slug in pending:
            slug = unique_slug(session, Dataset, slug, exclude_id=ds_id)
        pending[slug] = ds_id
        pub = ensure_publisher(session, rec.get("publisher"), source_id)
        digest = content_hash(rec, made)
        state = rec.get("state") or "active"
        payload = entry.get("payload")
        if isinstance(payload, str | None) or entry.get("payload_text") is None:
            stored_payload = payload if isinstance(payload, str | None) else json.dumps(payload, ensure_ascii=False)
        else:
            stored_payload = entry["payload_text"]  # the same JSON text, made once by the harvester
        row = {column: rec.get(key) for key, column in DATASET_COLUMNS.items()}
        row["kind"] = row.get("kind") or "dataset"
        row.update(places.bbox_columns(places.effective_bbox(rec.get("extent"), rec.get("spatial") or [])))
        row.update(id=ds_id, slug=slug, publisher_id=pub.id if pub is not None else None, state=state,
                   withdrawn_at=now if state == "withdrawn" else None, source_id=source_id,
                   remote_id=entry["remote_id"], content_hash=digest, payload_hash=entry.get("payload_hash"),
                   source_payload=stored_payload,
                   created_at=now, updated_at=now, modified_at=now)
        dataset_rows.append(row)
        for position, dist in enumerate(rec["distributions"]):
            rid = dist.get("id")
            drow = {column: dist.get(key) for key, column in DISTRIBUTION_COLUMNS.items()}
            drow.update(id=new_uuid(), dataset_id=ds_id, position=position, remote_id=rid)
            dist_rows.append(drow)
        out.append((ds_id, digest))
    bulk_insert(session, Dataset, dataset_rows)
    bulk_insert(session, Distribution, dist_rows)
    series.link(session, [row["id"] for row in dataset_rows
                          if row.get("in_series") or row.get("kind") == series.SERIES])
    return out


def bulk_insert(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts of the same keys) into `model`'s table in as few round trips as the driver allows:
    Core, not the ORM (no per-row ORM bookkeeping). On PostgreSQL a COPY (`_copy_rows`); on SQLite one
    executemany of value tuples (`_executemany_rows`); elsewhere SQLAlchemy's executemany, without RETURNING:
    SQLAlchemy's multi-row INSERT ... VALUES pages ("insertmanyvalues", which RETURNING asks for) are
    statements of thousands of parameters that the driver parses and the database compiles anew every time
    (on psycopg, that parsing alone was half a first harvest's time)."""
    if rows:
        session.flush()  # what the ORM holds (a new publisher, an updated dataset) goes first
        table = model.__table__
        conn = session.connection()
        if conn.dialect.name == "postgresql" and _copy_rows(conn, table, rows):
            return
        if conn.dialect.name == "sqlite" and _executemany_rows(conn, table, rows):
            return
        conn.execute(table.insert(), rows)


def _row_writer(conn, table, rows: list[dict[str, Any]]):
    """(the quoted table and its columns, "t (a, b)"; how many columns; a function giving each row's values as
    the database takes them): the same values an INSERT
    through SQLAlchemy writes (each column's own bind processing: JSON through the engine's serializer, None in a
    JSON column as JSON null, datetimes as the dialect spells them; the Python defaults of the columns the rows
    leave out, made for each row). None when it cannot say the same (a column default that is SQL)."""
    keys = list(rows[0])
    defaults = []
    for column in table.columns:
        if column.key in rows[0] or column.default is None:
            continue
        default = column.default
        if default.is_scalar:
            defaults.append((column, lambda arg=default.arg: arg))
        elif default.is_callable and default.arg is not default._fn:  # a function of no argument, wrapped
            defaults.append((column, default._fn))
        else:
            return None
    columns = [table.columns[key] for key in keys] + [column for column, _ in defaults]
    processors = [column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for column in columns]
    makers = [make for _, make in defaults]

    def values(row: dict[str, Any]) -> list[Any]:
        out = [row[key] for key in keys]
        out.extend(make() for make in makers)
        return [value if process is None else process(value) for value, process in zip(out, processors, strict=True)]

    quote = conn.dialect.identifier_preparer
    target = f"{quote.format_table(table)} ({', '.join(quote.format_column(c) for c in columns)})"
    return target, len(columns), values


def _copy_rows(conn, table, rows: list[dict[str, Any]]) -> bool:
    """COPY `rows` into `table` on PostgreSQL (psycopg), in the connection's transaction, without a statement per
    row (`_row_writer`'s values). False when it cannot say the same, or on a driver without COPY: the caller
    INSERTs."""
    writer = _row_writer(conn, table, rows) if conn.dialect.driver == "psycopg" else None
    if writer is None:
        return False
    target, _, values = writer
    statement = f"COPY {target} FROM STDIN"
    with _as_sqlalchemy_errors(conn, statement), conn.connection.driver_connection.cursor() as cursor, \
            cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(values(row))
    return True


def _executemany_rows(conn, table, rows: list[dict[str, Any]]) -> bool:
    """INSERT `rows` into `table` on SQLite (sqlite3) as one executemany of value tuples (`_row_writer`'s values),
    in the connection's transaction: SQLAlchemy's own executemany spent about as long building each row's
    parameters (compiled positions, per-column processing in its generic loop) as SQLite took to insert them.
    False when it cannot say the same: the caller INSERTs through SQLAlchemy."""
    writer = _row_writer(conn, table, rows) if conn.dialect.driver == "pysqlite" else None
    if writer is None:
        return False
    target, width, values = writer
    statement = f"INSERT INTO {target} VALUES ({', '.join('?' * width)})"
    with _as_sqlalchemy_errors(conn, statement), closing(conn.connection.driver_connection.cursor()) as cursor:
        cursor.executemany(statement, [values(row) for row in rows])
    return True


@contextmanager
def _as_sqlalchemy_errors(conn, statement: str):
    """The driver's errors as SQLAlchemy raises them for its own statements (IntegrityError, OperationalError
    ...), so a caller tells a refused row from a database that is down the same way whichever path wrote."""
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except BaseException as exc:
        if _mid_statement(conn):
            # The driver gave up inside the statement (a COPY it was interrupted in and could not end): the
            # server still waits for the rest, holding the transaction's locks. Drop the connection, which
            # ends that transaction on the server, rather than hand it back to the pool.
            conn.invalidate(exc if isinstance(exc, Exception) else None)
        reraise_interruption(exc)  # a stop (SIGTERM in a pool process, Ctrl-C) stays a stop
        if isinstance(exc, base):
            raise sa_exc.DBAPIError.instance(statement, None, exc, base, dialect=conn.dialect) from exc
        raise


def _mid_statement(conn) -> bool:
    """The driver connection is inside a statement it did not finish (psycopg: the transaction ACTIVE, or its
    state unknown), not idle nor in a failed transaction a rollback ends."""
    try:
        pgconn = getattr(conn.connection.driver_connection, "pgconn", None)
    except sa_exc.SQLAlchemyError:  # already invalidated
        return False
    if pgconn is None:
        return False
    from psycopg import pq

    return pgconn.transaction_status in (pq.TransactionStatus.ACTIVE, pq.TransactionStatus.UNKNOWN)


def _slugs_taken(session: Session, slugs: list[str]) -> set[str]:
    """Which of these slugs a dataset has, or had before a rename (two queries for the whole list)."""
    unique = sorted(set(slugs))
    taken: set[str] = set()
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        taken.update(session.scalars(select(Dataset.slug).where(among(session, Dataset.slug, chunk))))
        taken.update(session.scalars(select(DatasetSlug.slug).where(among(session, DatasetSlug.slug, chunk))))
    return taken


def _matched_rows(ds: Dataset, dists: list[Record]) -> list[Distribution | None]:
    """The dataset's distribution row each of `dists` is (matched by id, then remote id, then URL, so archive
    evidence survives), None for one that is new (no row, or a row an earlier one of `dists` took)."""
    existing = list(ds.distributions)
    by_id = {d.id: d for d in existing}
    by_remote = {d.remote_id: d for d in existing if d.remote_id}
    by_url = {(d.download_url or d.access_url): d for d in existing if (d.download_url or d.access_url)}
    taken: set[str] = set()
    out: list[Distribution | None] = []
    for rec in dists:
        rid = rec.get("id")
        url = rec.get("download_url") or rec.get("access_url")
        own = rec.get("catalog_id")
        row = ((by_id.get(own) if own else None) or (by_id.get(rid) if rid else None)
               or (by_remote.get(rid) if rid else None) or by_url.get(url))
        if row is not None and row.id in taken:
            row = None
        if row is not None:
            taken.add(row.id)
        out.append(row)
    return out


def new_distributions(ds: Dataset | None, dists: list[Record]) -> list[bool]:
    """Which of `dists` saving them over `ds` (None: a new dataset) adds as new files (`save_record`'s matching)."""
    if ds is None:
        return [True] * len(dists)
    return [row is None for row in _matched_rows(ds, dists)]


def _save_distributions(session: Session, ds: Dataset, dists: list[Record]) -> None:
    """Update distributions in place, matched by id, then remote id, then URL (`_matched_rows`)."""
    existing = list(ds.distributions)
    by_id = {d.id for d in existing}
    kept: list[Distribution] = []
    for position, (rec, row) in enumerate(zip(dists, _matched_rows(ds, dists), strict=True)):
        rid = rec.get("id")
        own = rec.get("catalog_id")
        if row is None:
            fresh = own and own not in by_id and session.get(Distribution, own) is None
            row = Distribution(id=own if fresh else new_uuid())
            row.remote_id = rid if rid != row.id else None
            ds.distributions.append(row)
        row.position = position
        for key, column in DISTRIBUTION_COLUMNS.items():
            setattr(row, column, rec.get(key))
        row.remote_id = rid if rid is not None and rid != row.id else row.remote_id
        kept.append(row)
    for row in existing:
        if row not in kept:
            ds.distributions.remove(row)
    # the dataset's list in the new order too (it is read back at once, to_record, to see what changed): a package
    # sent with its resources reordered read back as it was, and the change was dropped as none
    ds.distributions.sort(key=lambda row: row.position)


def refresh_bbox(ds: Dataset) -> None:
    """The box the catalog searches and draws (catalog_schema/places.py `effective_bbox`): after the record or
    the extent of one of its GeoJSON files changed."""
    files = [(d.extent or {}).get("bbox") for d in ds.distributions if d.extent]
    for column, value in places.bbox_columns(places.effective_bbox(ds.extent, ds.spatial or [], files)).items():
        if getattr(ds, column) != value:
            setattr(ds, column, value)


def set_file_extent(row: Distribution, extent: dict[str, Any] | None) -> None:
    """The extent of a distribution's archived GeoJSON copy (None: not GeoJSON), and its dataset's box."""
    if row.extent != extent:
        row.extent = extent
    if row.dataset is not None:
        refresh_bbox(row.dataset)


def to_record(ds: Dataset, *, copy: bool = True) -> Record:
    """The catalog record of a stored dataset (with the catalog's ids and slug). `copy=False`: the record holds
    the dataset's own JSON values instead of copies, for a caller whose dataset nothing else holds (a view of
    its row read for this call: catalog_schema.rowviews)."""
    own = _copy if copy else _same
    rec = _json_copy(DATASET_DEFAULTS)  # new_record(), without deepcopy (a hot path: every API package)
    rec["id"] = ds.id
    rec["slug"] = ds.slug
    rec["state"] = ds.state
    for key, column in DATASET_COLUMNS.items():
        value = getattr(ds, column)
        rec[key] = own(value) if value is not None else rec[key]
    rec["publisher"] = publisher_to_agent(ds.publisher)
    dists = []
    for row in ds.distributions:
        d: dict[str, Any] = {"id": row.remote_id if row.remote_id else row.id}
        for key, column in DISTRIBUTION_COLUMNS.items():
            d[key] = own(getattr(row, column))
        d["catalog_id"] = row.id
        d["catalog_dictionary"] = dictionary.exists(row.dictionary, row.table_schema)
        dists.append(d)
    rec["distributions"] = [_dist_defaults(d) for d in dists]
    return rec


def _dist_defaults(d: dict[str, Any]) -> dict[str, Any]:
    from catalog_schema.record import DISTRIBUTION_DEFAULTS

    out = {k: (_copy(v) if d.get(k) is None else d[k]) for k, v in DISTRIBUTION_DEFAULTS.items()}
    out["catalog_id"] = d.get("catalog_id")
    if "catalog_dictionary" in d:
        out["catalog_dictionary"] = d["catalog_dictionary"]
    return out


_SCALARS = (str, int, float, bool, type(None))


def _same(value: Any) -> Any:
    return value


def _copy(value: Any) -> Any:
    """A deep copy of a JSON dict or list (what a JSON round trip gives); any other value as it is."""
    if isinstance(value, (dict, list)):
        return _json_copy(value)
    return value


def _json_copy(value: Any) -> Any:
    """The JSON round trip, without the text in between (about five times faster on records)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict and all(type(k) is str for k in value):
        return {k: v if type(v) in _SCALARS else _json_copy(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _SCALARS else _json_copy(v) for v in value]
    return json.loads(json.dumps(value))  # subclasses, non-string keys: let json decide


def withdraw(ds: Dataset) -> None:
    ds.state = "withdrawn"
    ds.withdrawn_at = utcnow()
    ds.modified_at = utcnow()


#: Kinds of `quality.pii` that identify organisations, not people: not kept in a distribution's facts.
NOT_PERSONAL_KINDS = frozenset({"uscc"})


def set_unreadable(row: Distribution, *, sha256: str, checked_at: str) -> None:
    """Record that `row`'s archived copy (`sha256`) is a table that could not be read, so it was not scanned for
    personal data: ``{"sha256", "checked_at", "unreadable": true}``, no ``columns`` (the gate still withholds
    it, saying why instead of "checked within minutes", which never came)."""
    now = row.pii
    if isinstance(now, dict) and now.get("sha256") == sha256 and now.get("unreadable"):
        return
    row.pii = {"sha256": sha256, "checked_at": checked_at, "unreadable": True}


def set_pii_facts(row: Distribution, *, sha256: str | None, columns: dict[str, dict[str, int]] | None,
                  checked_at: str) -> None:
    """Record on `row` what a scan of its archived copy found: `row.pii` becomes
    ``{"sha256": the archive hash scanned, "checked_at": iso8601, "columns": {column: {kind: count}}}``.

    `columns` is the profile's per-column counts (``quality.tabular`` TableProfile.pii); kinds that identify
    organisations (unified social credit codes) are dropped, and columns left without a kind with it, so
    ``columns`` non-empty means personal data. ``{}`` is "scanned, nothing found" (also a file that is not a
    table). The serving gate trusts the facts only while ``sha256`` is the row's current ``archive_hash``.

    Facts equal to the row's (the same copy, the same findings: a re-check that kept the copy's facts) are left
    as they are, with the time they were first found: rewriting them for a new ``checked_at`` only wrote every
    distribution's row again on every re-check.
    """
    kept: dict[str, dict[str, int]] = {}
    for column, kinds in (columns or {}).items():
        personal = {str(k): int(n) for k, n in (kinds or {}).items() if k not in NOT_PERSONAL_KINDS and n}
        if personal:
            kept[str(column)] = personal
    now = row.pii
    if isinstance(now, dict) and now.get("sha256") == sha256 and now.get("columns") == kept and now.get("checked_at"):
        return
    row.pii = {"sha256": sha256, "checked_at": checked_at, "columns": kept}


def set_inferred_dictionary(row: Distribution, *, sha256: str | None, inferred: dict[str, Any]) -> None:
    """Keep what the profile of the archived copy `sha256` inferred of its columns; the agency's edits stay."""
    kept = dict(row.dictionary or {})
    kept.update({"sha256": sha256, "inferred": inferred})
    row.dictionary = kept


def set_dictionary_edits(row: Distribution, edits: dict[str, dict[str, Any]], *, edited_at: str) -> None:
    """The agency's edits of a table's dictionary, column by column (a None value goes back to the inferred)."""
    kept = dict(row.dictionary or {})
    merged = {name: dict(change) for name, change in (kept.get("edits") or {}).items()}
    for name, change in edits.items():
        merged.setdefault(name, {}).update(change)
        merged[name] = {k: v for k, v in merged[name].items() if v is not None}
    kept["edits"] = {name: change for name, change in merged.items() if change}
    kept["edited_at"] = edited_at
    row.dictionary = kept


def record_version(session: Session, row: Distribution, *, sha256: str, path: str | None, size: int | None,
                   format: str | None, encoding: str | None, pii: dict[str, Any] | None,
                   archived_at: dt.datetime, change: Any = None,
                   known: dict[tuple[str, str], DistributionVersion] | None = None) -> tuple[DistributionVersion, bool]:
    """Keep the archived copy `sha256` among `row`'s versions (once: a copy seen again is updated with what
    its latest profile found, and the encoding it is now read with when the detector decided another). `change`
    is called with the previous version when the copy is new, and gives how its rows changed (or None). Returns
    (the version, whether it is new).

    `known` (from `versions_of`, for a batch of distributions) answers "is this copy kept already" without a
    query per row; a new version is added to it."""
    if known is not None:
        found = known.get((row.id, sha256))
    else:
        found = session.scalar(select(DistributionVersion).where(DistributionVersion.distribution_id == row.id,
                                                                 DistributionVersion.sha256 == sha256))
    if found is not None:
        if found.pii != pii:
            found.pii = pii
        if encoding and found.encoding != encoding:  # read again in it (app/assessment.py read_again)
            found.encoding = encoding
        return found, False
    previous = session.scalar(select(DistributionVersion).where(DistributionVersion.distribution_id == row.id)
                              .order_by(DistributionVersion.archived_at.desc(), DistributionVersion.id.desc())
                              .limit(1))
    version = DistributionVersion(distribution_id=row.id, sha256=sha256, path=path, size=size, format=format,
                                  encoding=encoding, pii=pii, archived_at=archived_at,
                                  change=change(previous) if (change is not None and previous is not None) else None)
    session.add(version)
    if known is not None:
        known[(row.id, sha256)] = version
    return version, True


def versions_of(session: Session, rows: list[Distribution], hashes: set[str]) -> dict[tuple[str, str],
                                                                                      DistributionVersion]:
    """The kept versions of these distributions whose copy is one of `hashes`, by (distribution id, sha256):
    one query for a batch (what `record_version` and `set_version_stars` take as `known`)."""
    if not rows or not hashes:
        return {}
    return {(v.distribution_id, v.sha256): v for v in session.scalars(select(DistributionVersion).where(
        DistributionVersion.distribution_id.in_([r.id for r in rows]), DistributionVersion.sha256.in_(hashes))
        .options(defer(DistributionVersion.change)))}  # how its rows changed: read only if asked for


def set_version_stars(session: Session, row: Distribution,
                      known: dict[tuple[str, str], DistributionVersion] | None = None) -> None:
    """The stars of `row`'s current copy, on its version."""
    if row.archive_hash:
        if known is not None:
            version = known.get((row.id, row.archive_hash))
        else:
            version = session.scalar(select(DistributionVersion).where(
                DistributionVersion.distribution_id == row.id, DistributionVersion.sha256 == row.archive_hash))
        if version is not None and version.stars != row.stars:
            version.stars = row.stars


def set_version_columns(version: DistributionVersion, *, pii: Any, change: Any) -> None:
    """What a kept version says of its columns (its per-column counts, how it changed from the copy before), written
    again: a column name kept there before it was said by position (`opendata pii scrub`, app/services/scrub.py)."""
    if version.pii != pii:
        version.pii = pii
    if version.change != change:
        version.change = change


def set_kept_check(session: Session, dataset_id: str, check: dict[str, Any]) -> None:
    """The pre-publication check kept with a dataset, written again without the personal data it kept before
    (`opendata pii scrub`). One statement, not the ORM's flush: the dataset's record is as it was, so the search
    index has nothing to catch up on (catalog_schema/changelog.py logs the ORM's changes of a dataset)."""
    session.execute(update(Dataset).where(Dataset.id == dataset_id).values(prepublication_check=check))


def set_assessment_findings(session: Session, assessment_id: int, findings: list[Any]) -> None:
    """An assessment's findings written again without the personal data they named a column by before (`opendata pii
    scrub`); what was assessed, when, and its stars and score stay as they were. One statement: the rows are read by
    their columns, not as objects."""
    session.execute(update(Assessment).where(Assessment.id == assessment_id).values(findings=findings))


def set_audit_detail(event: AuditEvent, detail: dict[str, Any]) -> None:
    """The one change an audit entry takes after it is written: its detail without the personal data it kept before
    (`opendata pii scrub`); who did what, when, stays as it was."""
    event.detail = detail


def move_archive(session: Session, old_dir: str, new_dir: str) -> int:
    """Point the catalog's archived copies under `old_dir` at the same files under `new_dir` (a restore into
    another archive folder); the number of paths changed. Content-addressed: the rest of each path stays."""
    old = old_dir.rstrip("/") + "/"
    new = new_dir.rstrip("/") + "/"
    moved = 0
    for table, column in (("distributions", "archive_path"), ("distribution_versions", "path")):
        result = session.execute(
            text(f"UPDATE {table} SET {column} = :new || substr({column}, :cut) "
                 f"WHERE substr({column}, 1, :n) = :old"),
            {"new": new, "old": old, "n": len(old), "cut": len(old) + 1})
        moved += result.rowcount or 0
    return moved
