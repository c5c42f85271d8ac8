"""Every state change of a dataset: create, edit, save a whole record (CKAN), publish, withdraw, restore,
delete, detach from its source.

Each public function is a service (app.services.base.service), but for the shared steps at the top
(check_slug; finish, scan_new_files and gate_status, which the distribution services take too). A service
checks who may do it, changes the record and hands it to the store, runs the pre-publication check and
the personal-data gate where the change makes data public, writes the audit entry, updates the search
index, commits, and has a published dataset that changed assessed again at once. Doors (pages, /api/v1,
CKAN actions, CLI) only translate their input into these calls and a refusal (`ServiceError`) into their
own answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import OperationalError

from app.datastore.load import root_of
from app.services import access, check, gate, versions
from app.services.audit import audit
from app.services.base import service
from app.services.context import Actor
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from app.services.fields import apply_fields, check_record, link_format, set_distribution_hvd
from app.texts import T_
from catalog_schema import search
from catalog_schema.models import Dataset, DatasetSlug, HarvestSource, Publisher, new_uuid, utcnow
from catalog_schema.record import Record, new_record, pick_text
from catalog_schema.store import (
    REMOVED_BY,
    detach_from_source,
    ensure_publisher,
    name_slug,
    new_distributions,
    publisher_to_agent,
    release_names,
    rename_dataset,
    save_record,
    set_extras,
    set_lifecycle,
    to_record,
    unique_slug,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")


# --------------------------------------------------------------------------- shared steps


def check_slug(session, slug: Any, own_id: str | None = None) -> str:
    """A valid, free name (URL) for a dataset: not another dataset's, now (deleted ones included) or before a
    rename (an old slug still leads to its dataset); a dataset's own old slugs are fine (renaming back)."""
    if not isinstance(slug, str) or not SLUG.match(slug.strip()):
        raise Invalid(T_("The name (URL) must be 2-100 characters: lower-case letters, digits, '-' and '_', "
                      "starting with a letter or digit."), field="name", why="slug", value=str(slug)[:100])
    slug = slug.strip()
    holder = session.scalar(select(Dataset.id).where(Dataset.slug == slug))
    if holder is not None and holder != own_id:
        raise Conflict(T_("The name %(slug)s is taken by another dataset.", slug=repr(slug)), field="name", why="taken",
                       value=slug)
    former = session.scalar(select(DatasetSlug.dataset_id).where(DatasetSlug.slug == slug))
    if former is not None and former != own_id:
        raise Conflict(T_("The name %(slug)s was another dataset's and still leads to it.", slug=repr(slug)),
                       field="name", why="former", value=slug)
    return slug


def edit_version(ds: Dataset) -> str:
    """The version of a dataset an edit starts from (the publish form carries it; the REST API gives it and takes
    it back in If-Match): its content hash and name. An assessment changes neither; an edit of its metadata, its
    files or its name does."""
    return f"{ds.content_hash or ''}:{ds.slug}"


def claim_version(actor: Actor, ds: Dataset, expected: str | Iterable[str] | None) -> None:
    """The first step of a change that starts from a version of `ds` (`expected`: one `edit_version`, or several,
    any of which will do; None: whatever version it has): in one statement, check that the dataset still has it and
    take its row's write lock until the change commits (PostgreSQL: the row's lock; SQLite: the database's write
    lock). A change on the same dataset that comes in meanwhile waits at this statement, then finds the version
    its own change started from gone: StaleVersion, nothing changed. A check and a write apart (the doors compared
    the version, then called the service) let a change landing between them be lost without a word.

    Must come before the change writes anything. On SQLite in WAL mode a transaction that read before another
    connection committed cannot write any more (SQLITE_BUSY, or _SNAPSHOT): it holds no write then (a write would
    hold the lock), so it is rolled back and the claim made again in a transaction of its own, which waits its
    turn and then compares with what is committed."""
    if expected is None:
        return
    wanted = [expected] if isinstance(expected, str) else list(expected)
    session, ds_id = actor.session, ds.id
    claim = (sql_update(Dataset).where(Dataset.id == ds_id, or_(false(), *(
        and_(func.coalesce(Dataset.content_hash, "") == digest, Dataset.slug == slug)
        for digest, _sep, slug in (str(v).partition(":") for v in wanted))))
        .values(updated_at=Dataset.updated_at)  # a claim is no change: nor is its time
        .execution_options(synchronize_session=False))
    try:
        claimed = session.execute(claim).rowcount
    except OperationalError as exc:
        if not _sqlite_busy(exc) or session.new or session.dirty or session.deleted:
            raise
        session.rollback()
        claimed = session.execute(claim).rowcount
    if claimed != 1:
        session.rollback()  # nothing of the change is written; `ds` reads again as it is now
        current = edit_version(ds)
        raise StaleVersion(T_("Dataset %(slug)s changed since the version the change started from: nothing was "
                              "changed. Read it again (its version is %(version)s) and make the change on that.",
                              slug=repr(ds.slug), version=current), version=current)


def _sqlite_busy(exc: OperationalError) -> bool:
    """SQLite's "another connection wrote since this transaction read" (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT)."""
    name = getattr(exc.orig, "sqlite_errorname", "")
    return name.startswith("SQLITE_BUSY")


def finish(actor: Actor, ds: Dataset, *, reassess: bool = True) -> Dataset:
    """Index, commit, and assess a published dataset again (so search shows its new stars); one without files
    too (CKAN's package_create may publish one, resource_delete may remove its last file): it is scored with its
    no-distribution finding, not left unassessed or with the stars of the files it had."""
    search.index_dataset(actor.session, ds)
    actor.session.commit()
    if reassess and ds.state == "active" and actor.runtime is not None:
        actor.runtime.assess([ds.id])
        actor.session.refresh(ds)
    return ds


def scan_new_files(actor: Actor, ds: Dataset) -> dict | None:
    """On a published dataset, check (download, archive, profile) the files just added or changed before
    the change is committed, so their personal-data facts exist before any byte can be served.

    A step of a service, not one itself: returns the check's document (also kept on `actor.check`), or
    None for a draft or a dataset without files. `gate_status(ds, doc)` says what it withholds."""
    if ds.state != "active" or not ds.distributions:
        return None
    actor.check = check.prepublication_check(actor.session, ds, **actor.check_kwargs())
    return actor.check


#: The fields a dataset's timeliness is judged by (quality/timeliness.py: the modification date, else the publication
#: date, against the update frequency) and the period it covers (a metadata indicator beside it).
TIMELINESS_FIELDS = ("frequency", "modified", "issued", "temporal")


def kept_draft_check(ds: Dataset) -> tuple[bool, list] | None:
    """Before an edit of `ds`: None when it keeps no check an edit should redo (not a draft, or no check kept), else
    whether the check it keeps was made from the draft and its files as they are (check.unchanged; on any day) and
    the files as they are."""
    if ds.state != "draft" or not ds.prepublication_check:
        return None
    return check.unchanged(ds), _files(ds)


def refresh_draft_check(actor: Actor, ds: Dataset, before: Record, kept: tuple[bool, list] | None) -> None:
    """After an edit of a draft that keeps a check (`kept`: `kept_draft_check` before the edit): when the edit changed
    what its timeliness is judged by (TIMELINESS_FIELDS), the kept check is computed again now, as the view's check
    (check.run) would, so the drafts list and the publish page do not show the old timeliness meanwhile. When the
    kept check was made from the files as they are (on any day) and the edit left them as they were, it read them as
    they still are: their evidence on the rows is read again and nothing is fetched (check.compute, as a view's check
    of an earlier day is); otherwise the linked files are fetched as the view's would be (a new link checked now, not
    kept unchecked).

    A step of a service, not one itself (a published dataset is assessed again by `finish` instead)."""
    if kept is None or actor.runtime is None or ds.state != "draft":
        return
    after = to_record(ds)
    if all(before.get(name) == after.get(name) for name in TIMELINESS_FIELDS):
        return
    current, files = kept
    check.compute(actor, ds, fetch=not (current and _files(ds) == files))


def gate_status(ds: Dataset, doc: dict | None) -> dict[str, Any]:
    """What the gate says of a dataset's files after a change: withheld files and why."""
    if doc is None:
        return {"withheld": []}
    blocking = gate.pii_blocking(ds, doc.get("assessment") or doc)
    by_dist: dict[str, list[str]] = {}
    for f in blocking:
        by_dist.setdefault(f.get("distribution") or "", []).append(f["type"])
    return {"withheld": [{"distribution": k, "findings": sorted(set(v))} for k, v in sorted(by_dist.items())]}


# --------------------------------------------------------------------------- create and edit


@service
def adopt_publisher(actor: Actor, agent: dict[str, Any]) -> Publisher:
    """A sysadmin loading another portal's datasets brings its organisations: the publisher `agent`
    describes, created when unknown (committed: it is where the datasets then go)."""
    if actor.user is None or not actor.user.is_sysadmin:
        raise Forbidden(T_("Only a sysadmin may add a publisher."))
    pub = ensure_publisher(actor.session, agent)
    actor.session.commit()
    return pub


@service
def create(actor: Actor, publisher_ref: str | None, fields: dict[str, Any], *, slug: str | None = None,
           links: list[dict[str, Any]] = (), publish_now: bool = False) -> Dataset:
    """A new draft dataset of a publisher the user edits, with linked files; published at once when asked
    (refused whole, nothing created, when the check blocks it)."""
    # app.services.distributions imports this module
    from app.services import distributions

    session = actor.session
    pub = access.publisher_for(session, actor.user, publisher_ref)
    if not fields.get("title"):
        raise Invalid(T_("A title is required."), field="title", why="required")
    ds_id = new_uuid()
    rec = new_record(id=ds_id, state="draft", publisher=publisher_to_agent(pub))
    if slug:
        rec["slug"] = check_slug(session, slug)
    apply_fields(rec, fields, lang=actor.lang)
    if not slug:
        title = rec["title"].get("en") or pick_text(rec["title"])
        rec["slug"] = unique_slug(session, Dataset, name_slug(title) or f"dataset-{ds_id[:8]}")
    with session.no_autoflush:
        ds, _ = save_record(session, rec)
    session.flush()
    audit(actor, "publish.create", ds, None, to_record(ds))
    for link in links:
        distributions.attach_link(actor, ds, link)
    if publish_now:
        _publish(actor, ds, new=True)
    return finish(actor, ds)


@service
def update(actor: Actor, ds: Dataset, fields: dict[str, Any], *, new_slug: Any = None,
           expected_version: str | Iterable[str] | None = None) -> Dataset:
    """Change the editable metadata of a dataset (only the fields given), and its name with `new_slug`: all or
    nothing (a form renaming the dataset with a bad e-mail beside it said "Nothing was saved" of a rename it had
    saved). With `expected_version` (an `edit_version`, or several), only if the dataset still has it when the
    change is made (`claim_version`), else StaleVersion and nothing changed."""
    access.require_edit(actor.session, actor.user, ds.publisher)
    access.ensure_not_harvested(ds, actor.user)
    claim_version(actor, ds, expected_version)
    before = to_record(ds)
    rec = to_record(ds)
    apply_fields(rec, fields, lang=actor.lang)  # every field checked before anything changes
    kept = kept_draft_check(ds)
    if new_slug and not (isinstance(new_slug, str) and new_slug.strip() in ("", ds.slug)):
        _rename(actor, ds, new_slug)  # a bad, taken or non-text name refused: still nothing changed
        before["slug"] = rec["slug"] = ds.slug  # (the rename is audited on its own)
        keep_platform_extras(ds, rec)  # the IRI the rename pinned (store.pin_iri), audited with the rename too
        keep_platform_extras(ds, before)
    save_record(actor.session, rec, dataset=ds)
    refresh_draft_check(actor, ds, before, kept)
    audit(actor, "publish.update", ds, before, to_record(ds))
    return finish(actor, ds)


def keep_platform_extras(ds: Dataset, record: Record) -> Record:
    """Carry what the platform keeps in extras (publishing decisions, the facts of uploaded files) into a
    record a client sent (a CKAN package_update): those are not the client's to drop."""
    kept = (ds.extras or {}).get("publishing")
    if kept:
        record["extras"] = {**(record.get("extras") or {}), "publishing": kept}
    else:
        (record.get("extras") or {}).pop("publishing", None)
    uploads = {row.id: row.extras["upload"] for row in ds.distributions if (row.extras or {}).get("upload")}
    for dist in record.get("distributions") or []:
        extras = dict(dist.get("extras") or {})
        extras.pop("upload", None)
        key = dist.get("catalog_id") or dist.get("id")
        if key in uploads:
            extras["upload"] = uploads[key]
        dist["extras"] = extras
    return record


def _files(ds: Dataset) -> list[tuple[str | None, str | None]]:
    return [(row.download_url or row.access_url, row.archive_hash) for row in ds.distributions]


def _check_hvd(record: Record) -> None:
    """The resources' HVD categories and applicable legislation under the rules the page's form follows
    (fields.set_distribution_hvd): vocabulary, among the dataset's, http(s) ELIs, the HVD regulation kept."""
    tagged = bool(record.get("hvd_category"))
    for i, dist in enumerate(record.get("distributions") or []):
        if tagged or dist.get("hvd_category") or dist.get("applicable_legislation"):
            set_distribution_hvd(record, dist, dist.get("hvd_category") or [], dist.get("applicable_legislation") or [],
                                 field_prefix=f"resources[{i}].")


@service
def save_package(actor: Actor, record: Record, *, dataset: Dataset | None = None,
                 publisher: Publisher | None = None, action: str = "save") -> Dataset:
    """Create or replace a dataset from a whole record (what CKAN's package_create/update/patch send).

    A new dataset is published through the same check and gate as a draft published on the page: with
    personal data it is refused whole. On a published dataset, new or changed files are checked before the
    change is committed; personal data in them is withheld from the public by the serving gate until an
    admin overrides, and the dataset's other files stay public."""
    session = actor.session
    pub = publisher or (dataset.publisher if dataset is not None else None)
    access.require_edit(session, actor.user, pub, "create" if dataset is None else "edit")
    if dataset is not None and dataset.publisher is not pub:  # a move: the publisher it leaves must agree too
        access.require_edit(session, actor.user, dataset.publisher, "edit")
    record["publisher"] = publisher_to_agent(pub)
    files = record.get("distributions") or []
    for dist, new in zip(files, new_distributions(dataset, files), strict=True):
        if new:  # a file it adds is a link, whose format and media type every door gives by one rule
            link_format(dist)
    _check_hvd(record)
    check_record(record, to_record(dataset) if dataset is not None else None)
    if dataset is None:
        record["slug"] = check_slug(session, record.get("slug"))
        record["id"] = record.get("id") or new_uuid()
        if session.get(Dataset, record["id"]) is not None:
            raise Conflict(T_("A dataset with that id exists already."), field="id")
        wanted = record.get("state") or "active"
        record["state"] = "draft"
        ds, _ = save_record(session, record)
        session.flush()
        if wanted == "active":
            _publish(actor, ds, allow_empty=True, action=None, new=True)
        audit(actor, f"ckan.{action}", ds, None, to_record(ds), **gate_status(ds, actor.check))
        return finish(actor, ds)
    access.ensure_not_harvested(dataset, actor.user)
    ds = dataset
    renamed = bool(record.get("slug") and record["slug"] != ds.slug)
    if renamed:
        _rename(actor, ds, record["slug"])
    record["slug"], record["id"], record["state"] = ds.slug, ds.id, ds.state
    before = to_record(ds)
    files_before = _files(ds)
    kept = kept_draft_check(ds)
    keep_platform_extras(ds, record)
    save_record(session, record, dataset=ds)
    session.flush()
    if not renamed and to_record(ds) == before:
        # the package as package_show gave it (ckanapi's read-modify-write with nothing edited): the record is as it
        # was, so nothing is kept of the save (its modification time), no activity, no link fetched again, no
        # export's ETag moved
        session.rollback()
        return ds
    refresh_draft_check(actor, ds, before, kept)
    doc = scan_new_files(actor, ds) if _files(ds) != files_before else None
    audit(actor, f"ckan.{action}", ds, before, to_record(ds), **gate_status(ds, doc))
    return finish(actor, ds)


# --------------------------------------------------------------------------- lifecycle


def _publish(actor: Actor, ds: Dataset, *, allow_empty: bool = False, action: str | None = "publish.publish",
             new: bool = False) -> dict | None:
    if not ds.distributions and not allow_empty:
        raise Conflict(T_("Add at least one file or link before publishing."), code="no-distributions")
    result = None
    if ds.distributions:
        result = actor.check = check.prepublication_check(actor.session, ds, **actor.check_kwargs())
        blocking = gate.pii_blocking(ds, result["assessment"])
        if blocking:
            raise Conflict(gate.blocked_message(blocking, new=new), code="pii-blocked",
                           findings=sorted({f["type"] for f in blocking}))
    before = to_record(ds)
    ds.issued = check.issued_on_publication(ds, utcnow()) or ds.issued
    set_lifecycle(ds, "active")
    _mark_removed(actor, ds, None)
    extra = {"stars": result["stars"], "score": result["score"]} if result else {}
    if action:
        audit(actor, action, ds, before, to_record(ds), **extra)
    return result


@service
def publish(actor: Actor, ds: Dataset) -> dict | None:
    """Draft (or withdrawn) -> active, indexed and assessed. Refused while personal data is not overridden.
    Returns the pre-publication check it passed."""
    access.require_edit(actor.session, actor.user, ds.publisher)
    access.ensure_not_harvested(ds, actor.user)
    if ds.state == "active":
        raise Conflict(T_("Dataset %(slug)s is published already.", slug=ds.slug))
    result = _publish(actor, ds)
    finish(actor, ds)
    return result


#: A dataset's state as a refusal says it (the stored word, "draft", stood in the Chinese sentence).
STATE_WORDS = {"draft": T_("a draft"), "active": T_("published"), "withdrawn": T_("withdrawn"),
               "deleted": T_("deleted")}


@service
def restore(actor: Actor, ds: Dataset) -> dict | None:
    """Withdrawn -> active again (the same checks as publishing: personal data still blocks). A dataset with no
    files comes back as it was public, without them: CKAN's package_create publishes one so (clients add its files
    after), and its restore was refused (409 no-distributions), leaving it withdrawn for good."""
    if ds.state != "withdrawn":
        raise Conflict(T_("Only a withdrawn dataset can be restored (%(slug)s is %(state)s).",
                          slug=ds.slug, state=STATE_WORDS.get(ds.state, ds.state)))
    access.require_edit(actor.session, actor.user, ds.publisher)
    access.ensure_not_harvested(ds, actor.user)
    result = _publish(actor, ds, allow_empty=True)
    finish(actor, ds)
    return result


#: A withdrawal's reason, as the tombstone page and the APIs show it.
MAX_REASON_CHARS = 2000


@service
def withdraw(actor: Actor, ds: Dataset, *, reason: str | None = None, successor: str | None = None,
             action: str = "publish.withdraw") -> Dataset:
    """Active -> withdrawn: kept, hidden from search and lists, answered with a tombstone (410), restorable."""
    access.require_edit(actor.session, actor.user, ds.publisher, "withdraw")
    access.ensure_not_harvested(ds, actor.user)
    if ds.state != "active":
        raise Conflict(T_("Only a published dataset can be withdrawn (%(slug)s is %(state)s).",
                          slug=ds.slug, state=STATE_WORDS.get(ds.state, ds.state)))
    reason = " ".join(str(reason or "").split()) or None
    if reason and len(reason) > MAX_REASON_CHARS:  # it was cut there without a word: the tombstone said half of it
        raise Invalid(T_("%(field)s: %(longest)s characters; at most %(limit)s.", field="reason",
                         longest=format(len(reason), ","), limit=format(MAX_REASON_CHARS, ",")), field="reason",
                      why="too-long", limit=MAX_REASON_CHARS, length=len(reason))
    successor = _successor(actor, ds, successor)
    before = to_record(ds)
    set_lifecycle(ds, "withdrawn", reason=reason, successor=successor)
    _mark_removed(actor, ds, "withdrawn")
    audit(actor, action, ds, before, to_record(ds), reason=reason, successor=successor)
    return finish(actor, ds, reassess=False)


def _successor(actor: Actor, ds: Dataset, successor: str | None) -> str | None:
    value = str(successor or "").strip()
    if not value:
        return None
    if re.match(r"^https?://\S+$", value, re.IGNORECASE) and len(value) <= 2000:
        return value
    other = access.find_dataset(actor.session, value)
    if other is None or other.id == ds.id or other.state not in ("active",):
        raise Invalid(T_("The successor must be another published dataset of this catalog (its name) or an "
                      "http(s) URL."), field="successor", why="successor", value=value[:80])
    return other.slug


@service
def delete(actor: Actor, ds: Dataset, *, action: str = "publish.delete") -> Dataset:
    """Any state -> deleted (sysadmins only): gone from every door (404); the rows are kept for the audit."""
    if actor.user is None or not actor.user.is_sysadmin:
        raise Forbidden(T_("Only a sysadmin may delete a dataset; its publisher can withdraw it."))
    before = to_record(ds)
    set_lifecycle(ds, "deleted")
    _mark_removed(actor, ds, "deleted")
    audit(actor, action, ds, before, to_record(ds))
    return finish(actor, ds, reassess=False)


@service
def discard(actor: Actor, ds: Dataset, *, action: str = "publish.discard") -> Dataset:
    """A draft its publisher no longer wants (a mistake, a file uploaded by error): deleted, gone from every door
    (404) as a sysadmin's deletion is, by anyone who may edit its publisher. A draft was never public, so no link
    leads to it: its names are freed for the next dataset (store.release_names). Its files go with it: their rows,
    its kept check (a preview of their first rows), and the archived copies no other dataset holds, with what
    reading them found (versions.copies_only_of; with no runtime, no archive is known and the copies stay). The
    dataset's row and the audit entry (its record as it was) stay for the record. Anything else is refused (Conflict
    "not-draft"): a published dataset is withdrawn, which keeps it and tells its users why."""
    access.require_edit(actor.session, actor.user, ds.publisher, "discard")
    if ds.state != "draft":
        raise Conflict(T_("Only a draft can be discarded (%(slug)s is %(state)s): a published dataset is withdrawn, "
                          "which keeps it for the record and tells its users why.",
                          slug=ds.slug, state=STATE_WORDS.get(ds.state, ds.state)), code="not-draft")
    session = actor.session
    archive = actor.runtime.settings["ARCHIVE_DIR"] if actor.runtime is not None else None
    copies = versions.copies_only_of(session, list(ds.distributions), archive) if archive else []
    before = to_record(ds)
    emptied = dict(before, distributions=[])  # its files go (the audit entry keeps what they were)
    save_record(session, emptied, dataset=ds)
    ds.prepublication_check = None  # the kept check, with its preview of the files' first rows
    release_names(session, ds)
    set_lifecycle(ds, "deleted")
    audit(actor, action, ds, before, to_record(ds), files_removed=len(copies))
    finish(actor, ds, reassess=False)
    if copies:  # once the rows that held them are gone: the bytes (a file with personal data uploaded by mistake)
        versions.remove_copies(session, copies, archive, root_of(actor.runtime.settings))
    return ds


def _mark_removed(actor: Actor, ds: Dataset, state: str | None) -> None:
    """A harvested dataset withdrawn or deleted by a person is marked so (store.REMOVED_BY), so that its source's
    next harvest leaves it as it is: that harvest made it public again. Published (restored) again: the mark goes,
    and the source's harvests update it again."""
    publishing = dict((ds.extras or {}).get("publishing") or {})
    if state is None:
        if REMOVED_BY in publishing:
            publishing.pop(REMOVED_BY)
            set_extras(ds, "publishing", publishing)
        return
    if ds.source_id is not None:
        who = actor.user.email if actor.user is not None else None
        set_extras(ds, "publishing", {**publishing, REMOVED_BY: {"state": state, "by": who,
                                                                  "at": utcnow().isoformat()}})


@service
def detach(actor: Actor, ds: Dataset, *, source_deleted: bool = False) -> Dataset:
    """Make a harvested dataset the publisher's own: its source stops updating (or withdrawing) it.
    `source_deleted`: the source is being deleted (app.services.sources.delete_source), so its list of detached
    records is left as it is, and the dataset's extras and audit entry say why it was detached."""
    session, user = actor.session, actor.user
    if not access.is_admin_of(session, user, ds.publisher):
        raise Forbidden(T_("Only an admin of the publisher (or a sysadmin) may detach a dataset from its source."))
    if ds.source_id is None:
        raise Conflict(T_("Dataset %(slug)s is not harvested.", slug=ds.slug))
    source = session.get(HarvestSource, ds.source_id)
    before = to_record(ds)
    if source_deleted:
        ds.source_id = None
    else:
        detach_from_source(source, ds)
    why = {"source_deleted": True} if source_deleted else {}
    set_extras(ds, "publishing", {**((ds.extras or {}).get("publishing") or {}),
                                  "detached_from": {"source": source.name, "remote_id": ds.remote_id,
                                                    "at": utcnow().isoformat(), "by": user.email, **why}})
    audit(actor, "publish.detach", ds, before, to_record(ds), source=source.name, remote_id=ds.remote_id, **why)
    return finish(actor, ds, reassess=False)


def _rename(actor: Actor, ds: Dataset, new_slug: str) -> None:
    new_slug = check_slug(actor.session, new_slug, ds.id)
    if new_slug == ds.slug:
        return
    before = to_record(ds)
    rename_dataset(actor.session, ds, new_slug)
    audit(actor, "publish.rename", ds, before, to_record(ds), old_slug=before["slug"])


@service
def rename(actor: Actor, ds: Dataset, new_slug: Any, *, expected_version: str | Iterable[str] | None = None
           ) -> Dataset:
    """Give a dataset a new name (URL); the old one answers 301 to the new one from then on. Refused,
    changing nothing: who may not edit it, a harvested (until detached) or deleted dataset, a bad or taken
    name, a dataset no longer at `expected_version` (StaleVersion, as `update`). Renaming to its present name
    changes nothing."""
    if ds.state == "deleted":
        raise NotFound(T_("No dataset %(slug)s.", slug=repr(ds.slug)))
    access.require_edit(actor.session, actor.user, ds.publisher)
    access.ensure_not_harvested(ds, actor.user)
    claim_version(actor, ds, expected_version)
    if isinstance(new_slug, str) and new_slug.strip() == ds.slug:
        actor.session.commit()  # the claim's lock let go
        return ds
    _rename(actor, ds, new_slug)
    return finish(actor, ds, reassess=False)
