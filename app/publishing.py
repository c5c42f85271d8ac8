"""The publish flow (issue 7): drafts, uploads, the pre-publication check, publish, withdraw, restore.

The service layer under the /publish pages, the REST writes and (for the audit log) the CKAN
actions. It takes a database session, the acting user and the settings dict, never a Flask
request, so every rule is enforced the same way whichever door a write comes in by:

- a user acts on a publisher's datasets only as its admin or editor (or as a sysadmin:
  `app.auth.can_edit`); anything else is `Forbidden` and nothing is written;
- a harvested dataset (it has a harvest source) is read-only to everyone but sysadmins until an
  admin of its publisher *detaches* it: the source then lists its remote id under
  `config["detached"]` and the harvester leaves that record alone;
- a dataset starts as a **draft** (invisible to everyone who may not edit it); `publish` makes it
  active, indexes it and assesses it with the same pipeline every dataset goes through;
- an uploaded file is streamed into the archive (content-addressed, like quality/fetch.py), capped
  at MAX_UPLOAD_BYTES while it streams, sniffed from its bytes (the name's extension is never
  trusted), and refused with a clear reason when it is an HTML page, a zip bomb or an office file
  with XML entity declarations; its name is only metadata and never becomes a path;
- personal data found in a file blocks publishing until an admin of the publisher (or a sysadmin)
  overrides it with a reason; the override is recorded on the dataset and in the audit log.

Every accepted write adds an AuditEvent (who, what, when, before/after) through `audit`, the one
helper the CKAN actions use too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from app import auth
from catalog_schema import search, vocab
from catalog_schema.models import AuditEvent, Dataset, Distribution, HarvestSource, Publisher, User, new_uuid, utcnow
from catalog_schema.record import content_hash, pick_text, validation_errors
from catalog_schema.store import slugify, to_record, unique_slug

CHUNK = 64 * 1024
SNIFF_BYTES = 4 * 1024 * 1024  # as quality.assess reads an archived copy
PREVIEW_ROWS = 10
MIN_REASON_CHARS = 10
MAX_FILENAME_CHARS = 150
MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 20_000
UPLOAD_PATH = "/uploads"  # /uploads/<distribution id>/<file name>: the public URL of an uploaded file
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
_URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)
_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_OFFICE_XML = (".xml", ".rels", ".vml")


# --------------------------------------------------------------------------- errors


class PublishError(Exception):
    """A refused write: `status` (HTTP), `code` (a stable slug) and a message for people."""

    status = 400
    code = "bad-request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status


class Forbidden(PublishError):
    status, code = 403, "forbidden"


class NotFound(PublishError):
    status, code = 404, "not-found"


class Invalid(PublishError):
    status, code = 422, "invalid"


class Conflict(PublishError):
    status, code = 409, "conflict"


class UploadRejected(PublishError):
    """The file is not taken; `code` says why (too-large, html-not-data, zip-bomb, xml-entities, empty)."""

    status, code = 400, "rejected-file"


# --------------------------------------------------------------------------- the audit log


def audit(session: Session, user: User | None, action: str, ds: Dataset, before: dict | None, after: dict | None,
          *, via: str, ip: str | None = None, **detail: Any) -> AuditEvent:
    """One AuditEvent for a write on a dataset: who, what, when, the record before and after."""
    event = AuditEvent(user_id=user.id if user is not None else None, action=action, object_type="dataset",
                       object_id=ds.id, publisher_id=ds.publisher_id, before=before, after=after,
                       detail={"via": via, "name": ds.slug, **detail}, ip=ip)
    session.add(event)
    return event


# --------------------------------------------------------------------------- who may do what


def editable_publishers(session: Session, user: User | None) -> list[Publisher]:
    """The publishers whose datasets `user` may create and edit (all of them for a sysadmin)."""
    if user is None or not user.active:
        return []
    stmt = select(Publisher).order_by(Publisher.slug)
    if not user.is_sysadmin:
        from catalog_schema.models import Membership

        stmt = stmt.join(Membership, Membership.publisher_id == Publisher.id).where(
            Membership.user_id == user.id, Membership.role.in_(auth.EDIT_ROLES))
    return list(session.scalars(stmt))


def is_admin_of(session: Session, user: User | None, publisher: Publisher | None) -> bool:
    """Admins of the publisher and sysadmins: they override personal-data blocks and detach datasets."""
    if user is None or not user.active:
        return False
    if user.is_sysadmin:
        return True
    return publisher is not None and auth.role_on(session, user, publisher) == "admin"


def publisher_for(session: Session, user: User | None, slug: str | None) -> Publisher:
    pub = session.scalar(select(Publisher).where(Publisher.slug == (slug or "")))
    if pub is None:
        raise Invalid(f"No publisher {str(slug)[:80]!r}.", code="invalid")
    if not auth.can_edit(session, user, pub):
        raise Forbidden(f"You may not publish datasets for {pub.slug}.")
    return pub


def dataset_for_edit(session: Session, user: User | None, slug: str, *, write: bool = True) -> Dataset:
    """The dataset `slug` if `user` may edit it: NotFound when there is none (or it is deleted),
    Forbidden when it belongs to a publisher the user does not edit, or (for writes) when it is
    harvested and the user is not a sysadmin."""
    ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if ds is None or ds.state == "deleted":
        raise NotFound(f"No dataset {slug[:80]!r}.")
    if not auth.can_edit(session, user, ds.publisher):
        raise Forbidden(f"You may not edit datasets of {ds.publisher.slug if ds.publisher else 'this publisher'}.")
    if write:
        ensure_not_harvested(ds, user)
    return ds


def ensure_not_harvested(ds: Dataset, user: User) -> None:
    if ds.source_id is not None and not user.is_sysadmin:
        raise Forbidden(f"Dataset {ds.slug} is harvested from a source: it is read-only until an admin of its "
                        "publisher detaches it from the source.", code="harvested")


def my_datasets(session: Session, user: User | None) -> list[Dataset]:
    """Every dataset (drafts included, deleted ones not) of the publishers `user` edits, newest first."""
    pubs = editable_publishers(session, user)
    if not pubs:
        return []
    stmt = select(Dataset).where(Dataset.state != "deleted").order_by(Dataset.modified_at.desc(), Dataset.slug)
    if not user.is_sysadmin:
        stmt = stmt.where(Dataset.publisher_id.in_([p.id for p in pubs]))
    return list(session.scalars(stmt.limit(1000)))


# --------------------------------------------------------------------------- metadata


EDITABLE = ("title", "description", "keywords", "themes", "license", "frequency", "contact_point", "temporal",
            "spatial", "access_rights", "landing_page", "issued", "modified", "language", "version")


def _langmap(value: Any, lang: str, current: dict | None) -> dict[str, str]:
    if isinstance(value, dict):
        out = {str(k)[:10]: str(v)[:MAX_TEXT_CHARS] for k, v in value.items() if isinstance(v, str) and v.strip()}
        return out
    text = str(value or "").strip()[:MAX_TEXT_CHARS]
    out = {k: v for k, v in (current or {}).items() if k != lang}
    if text:
        out[lang] = text
    return out


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,，;；\n]", value)
    if not isinstance(value, list):
        raise Invalid("Expected a list of words (or a comma-separated text).")
    out = []
    for item in value:
        text = str(item).strip()[:200]
        if text and text not in out:
            out.append(text)
    return out


def apply_metadata(ds: Dataset, fields: dict[str, Any], *, lang: str = "zh") -> None:
    """Set the editable metadata of a dataset from plain values (what a form or a JSON body gives).

    Texts are written in `lang` (other languages are kept); licences and frequencies are recognised
    by any of their names (vocab); themes must be EU theme codes. Raises Invalid on bad values."""
    lang = "en" if str(lang).startswith("en") else "zh"
    for key in fields:
        if key not in EDITABLE:
            raise Invalid(f"Field {key!r} cannot be set here; editable: {', '.join(EDITABLE)}.")
    if "title" in fields:
        title = _langmap(fields["title"], lang, ds.title)
        if not title or any(len(v) > MAX_TITLE_CHARS for v in title.values()):
            raise Invalid("A title is required (at most 500 characters).")
        ds.title = title
    if "description" in fields:
        ds.description = _langmap(fields["description"], lang, ds.description)
    if "keywords" in fields:
        ds.keywords = _str_list(fields["keywords"] or [])
    if "themes" in fields:
        themes = [t.upper() for t in _str_list(fields["themes"] or [])]
        unknown = [t for t in themes if t not in vocab.THEMES]
        if unknown:
            known = ", ".join(sorted(vocab.THEMES)[:5])
            raise Invalid(f"Unknown theme code(s): {', '.join(unknown)}; use e.g. {known}.")
        ds.themes = themes
    if "license" in fields:
        raw = str(fields["license"] or "").strip()
        lic = vocab.licence(raw) if raw else None
        ds.license_id = lic.id if lic else None
        ds.license_raw = raw or None
    if "frequency" in fields:
        raw = str(fields["frequency"] or "").strip()
        code = vocab.frequency(raw) if raw else None
        if raw and code is None:
            raise Invalid(f"Unknown update frequency {raw[:40]!r}; use e.g. DAILY, WEEKLY, MONTHLY, ANNUAL.")
        ds.frequency = code
    if "contact_point" in fields:
        cp = fields["contact_point"]
        if isinstance(cp, str):
            cp = {"email": cp} if "@" in cp else {"name": cp}
        keys = ("name", "email", "url", "phone")
        cp = {k: (str(v).strip()[:320] or None) for k, v in (cp or {}).items() if k in keys}
        ds.contact_point = cp if any(cp.values()) else None
    if "temporal" in fields:
        tmp = fields["temporal"] or {}
        tmp = {k: (str(tmp.get(k) or "").strip() or None) for k in ("start", "end")} if isinstance(tmp, dict) else {}
        ds.temporal = tmp if any(tmp.values()) else None
    if "spatial" in fields:
        ds.spatial = _str_list(fields["spatial"] or [])
    if "language" in fields:
        ds.language = _str_list(fields["language"] or [])
    for key in ("access_rights", "landing_page", "issued", "modified", "version"):
        if key in fields:
            value = str(fields[key] or "").strip()[:500]
            setattr(ds, key, value or None)
    problems = validation_errors(to_record(ds))
    if problems:
        raise Invalid("; ".join(problems[:3]))


def _touch(ds: Dataset) -> None:
    ds.content_hash = content_hash(to_record(ds))
    ds.modified_at = utcnow()


def create_dataset(session: Session, user: User | None, publisher_slug: str | None, fields: dict[str, Any], *,
                   slug: str | None = None, lang: str = "zh", via: str = "web", ip: str | None = None) -> Dataset:
    """A new draft dataset of a publisher the user edits."""
    pub = publisher_for(session, user, publisher_slug)
    if not fields.get("title"):
        raise Invalid("A title is required.")
    with session.no_autoflush:
        return _create(session, user, pub, fields, slug, lang, via, ip)


def _create(session, user, pub, fields, slug, lang, via, ip) -> Dataset:
    ds = Dataset(id=new_uuid(), state="draft", publisher_id=pub.id, title={}, description={}, keywords=[],
                 themes=[], spatial=[], conforms_to=[], language=[], extras={}, flags=[])
    ds.publisher = pub
    if slug:
        if not _SLUG.match(slug):
            raise Invalid("The name (URL) must be 2-100 characters: lower-case letters, digits, '-' and '_'.")
        if session.scalar(select(Dataset.id).where(Dataset.slug == slug)) is not None:
            raise Conflict(f"The name {slug!r} is taken.")
        ds.slug = slug
    apply_metadata(ds, fields, lang=lang)
    if not slug:
        title = ds.title.get("en") or pick_text(ds.title)
        ds.slug = unique_slug(session, Dataset, slugify(title, fallback=f"dataset-{ds.id[:8]}"))
    session.add(ds)
    _touch(ds)
    session.flush()
    audit(session, user, "publish.create", ds, None, to_record(ds), via=via, ip=ip)
    return ds


def update_dataset(session: Session, user: User, ds: Dataset, fields: dict[str, Any], *, lang: str = "zh",
                   via: str = "web", ip: str | None = None) -> Dataset:
    ensure_not_harvested(ds, user)
    before = to_record(ds)
    apply_metadata(ds, fields, lang=lang)
    _touch(ds)
    if ds.state in search.INDEXED_STATES:
        search.index_dataset(session, ds)
    audit(session, user, "publish.update", ds, before, to_record(ds), via=via, ip=ip)
    return ds


# --------------------------------------------------------------------------- distributions


def add_url_distribution(session: Session, user: User, ds: Dataset, url: str, *, title: str | None = None,
                         format: str | None = None, lang: str = "zh", via: str = "web",
                         ip: str | None = None) -> Distribution:
    """Link a file on the web; it is checked (and archived) by the pre-publication check."""
    ensure_not_harvested(ds, user)
    url = (url or "").strip()
    if not _URL.match(url) or len(url) > 2000:
        raise Invalid("Give the file's http(s) URL.")
    fmt = vocab.format_by_code((format or "").upper()) if format else vocab.format_for_extension(url.split("?")[0])
    before = to_record(ds)
    row = Distribution(id=new_uuid(), position=len(ds.distributions), download_url=url, access_url=url,
                       title=_langmap(title or Path(url.split("?")[0]).name or url, lang, None),
                       format=fmt.code if fmt else None, format_raw=format or None, description={}, extras={},
                       language=[], conforms_to=[])
    ds.distributions.append(row)
    _touch(ds)
    session.flush()
    audit(session, user, "publish.add_distribution", ds, before, to_record(ds), via=via, ip=ip, url=url)
    return row


def safe_filename(name: str | None) -> str:
    """A file name fit for metadata and a URL segment: no folders, no control characters, no leading dots.

    Chinese and other letters are kept (werkzeug's secure_filename would drop them); if nothing is
    left, secure_filename's ASCII form, then "upload"."""
    raw = unicodedata.normalize("NFKC", str(name or ""))
    raw = re.split(r"[/\\]", raw)[-1]
    cleaned = "".join(c for c in raw if unicodedata.category(c)[0] in "LN" or c in "._- ()")
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if not cleaned:
        cleaned = secure_filename(raw).strip(".") or "upload"
    stem, dot, ext = cleaned.rpartition(".")
    if dot and len(ext) <= 10:
        return stem[:MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
    return cleaned[:MAX_FILENAME_CHARS]


@dataclass
class StoredFile:
    path: str
    sha256: str
    size: int
    filename: str
    sniffed: Any
    findings: list[str] = field(default_factory=list)


def _zip_bomb(path: str) -> dict | None:
    """The sniffer's bomb rule applied to the whole central directory (it sees only the first 4 MB of a
    file, and a big archive keeps its directory at the end)."""
    from quality import sniff

    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size >= sniff.BOMB_MIN_BYTES and ratio >= sniff.BOMB_RATIO:
            return {"member": i.filename, "uncompressed": i.file_size, "compressed": i.compress_size}
    if total >= sniff.BOMB_TOTAL_BYTES:
        return {"member": f"(all {len(infos)} members)", "uncompressed": total, "compressed": packed}
    return None


def _office_entities(path: str) -> str | None:
    """The first XML part of an office zip (XLSX, DOCX, ODS ...) that declares a DOCTYPE or entities."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist()[:2000]:
                if not info.filename.lower().endswith(_OFFICE_XML):
                    continue
                with zf.open(info) as member:
                    head = member.read(64 * 1024)  # the prolog is at the start; never inflate a whole part
                if _ENTITY.search(head):
                    return info.filename
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None


def store_upload(stream: BinaryIO, filename: str | None, archive_dir: str | os.PathLike, *, max_bytes: int,
                 declared_length: int | None = None) -> StoredFile:
    """Stream an uploaded file into the archive (archive/ab/abcdef..., content-addressed) and vet it.

    The cap holds while the bytes stream, whatever the client declared; a declared length above the
    cap is refused before reading. Nothing is left behind when the file is refused."""
    from quality import sniff

    name = safe_filename(filename)
    if declared_length is not None and declared_length > max_bytes:
        raise UploadRejected(f"The file is {declared_length:,} bytes; uploads are limited to {max_bytes:,} bytes.",
                             code="too-large", status=413)
    archive = Path(archive_dir).resolve()
    tmp_dir = archive / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
    keep = False
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"The file is larger than the upload limit of {max_bytes:,} bytes.",
                                         code="too-large", status=413)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected("The file is empty.", code="empty")
        with open(tmp_name, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        sniffed = sniff.sniff(head, filename=name)
        _vet(sniffed, name, tmp_name)
        sha = digest.hexdigest()
        final = archive / sha[:2] / sha
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, final)
        keep = True
        return StoredFile(str(final), sha, size, name, sniffed)
    finally:
        if not keep and os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _vet(sniffed, name: str, path: str) -> None:
    declared = vocab.format_for_extension(name)
    if sniffed.format == "HTML" and (declared is None or declared.code != "HTML"):
        said = f"named {name!r}" if declared else "uploaded"
        raise UploadRejected(f"The file {said} is an HTML web page, not a data file: save or export the data "
                             f"itself ({declared.code if declared else 'CSV'}) and upload that.", code="html-not-data")
    bomb = (sniffed.details or {}).get("bomb") or _zip_bomb(path)
    if bomb:
        raise UploadRejected(f"The archive would unpack to {bomb.get('uncompressed', 0):,} bytes from "
                             f"{bomb.get('compressed', 0):,} ({bomb.get('member')}): a zip bomb is not accepted.",
                             code="zip-bomb")
    if sniffed.format in ("XLSX", "DOCX", "PPTX", "ODS", "ODT", "ZIP") or zipfile.is_zipfile(path):
        part = _office_entities(path)
        if part:
            raise UploadRejected(f"Part {part!r} of the file declares XML entities (a DOCTYPE): such files can "
                                 "read other files or exhaust memory when opened. Save it again from the office "
                                 "program and upload the new copy.", code="xml-entities")


def add_upload(session: Session, user: User, ds: Dataset, stored: StoredFile, *, site_url: str,
               title: str | None = None, lang: str = "zh", via: str = "web", ip: str | None = None) -> Distribution:
    """A distribution for an uploaded (and archived) file, served at /uploads/<id>/<name>."""
    ensure_not_harvested(ds, user)
    before = to_record(ds)
    eff = stored.sniffed.effective if stored.sniffed is not None else None
    declared = vocab.format_for_extension(stored.filename)
    dist_id = new_uuid()
    from urllib.parse import quote

    url = f"{site_url.rstrip('/')}{UPLOAD_PATH}/{dist_id}/{quote(stored.filename)}"
    now = utcnow()
    row = Distribution(
        id=dist_id, position=len(ds.distributions), download_url=url, access_url=url,
        title=_langmap(title or stored.filename, lang, None), description={},
        format=(declared.code if declared else (eff.format if eff else None)), format_raw=None,
        media_type=(stored.sniffed.media_type if stored.sniffed else None), byte_size=stored.size,
        checksum={"algorithm": "sha-256", "value": stored.sha256}, language=[], conforms_to=[],
        extras={"upload": {"filename": stored.filename, "sha256": stored.sha256, "size": stored.size}},
        check_status="ok", http_status=200, final_url=url, archive_path=stored.path, archive_hash=stored.sha256,
        archive_size=stored.size, detected_format=stored.sniffed.format if stored.sniffed else None,
        detected_media_type=stored.sniffed.media_type if stored.sniffed else None,
        detected_encoding=stored.sniffed.encoding if stored.sniffed else None,
        last_checked=now, last_success=now, failure_count=0)
    ds.distributions.append(row)
    _touch(ds)
    session.flush()
    audit(session, user, "publish.upload", ds, before, to_record(ds), via=via, ip=ip, filename=stored.filename,
          sha256=stored.sha256, size=stored.size)
    return row


def remove_distribution(session: Session, user: User, ds: Dataset, dist_id: str, *, via: str = "web",
                        ip: str | None = None) -> None:
    ensure_not_harvested(ds, user)
    row = next((d for d in ds.distributions if d.id == dist_id), None)
    if row is None:
        raise NotFound("No such distribution in this dataset.")
    before = to_record(ds)
    ds.distributions.remove(row)
    for position, d in enumerate(ds.distributions):
        d.position = position
    _touch(ds)
    session.flush()
    audit(session, user, "publish.remove_distribution", ds, before, to_record(ds), via=via, ip=ip)


def keep_platform_extras(ds: Dataset, record: dict) -> dict:
    """Carry what the platform keeps in extras (publishing decisions, the facts of uploaded files) into a
    record a client sent (a CKAN package_update): those are not the client's to drop."""
    kept = (ds.extras or {}).get("publishing")
    if kept:
        record["extras"] = {**(record.get("extras") or {}), "publishing": kept}
    uploads = {row.id: row.extras["upload"] for row in ds.distributions if is_upload(row)}
    for dist in record.get("distributions") or []:
        if dist.get("id") in uploads:
            dist["extras"] = {**(dist.get("extras") or {}), "upload": uploads[dist["id"]]}
    return record


def is_upload(row: Distribution) -> bool:
    return bool((row.extras or {}).get("upload"))


# --------------------------------------------------------------------------- the pre-publication check


def compute_assessment(session: Session, ds: Dataset, *, http=None, archive_dir: str | None = None,
                       max_bytes: int | None = None, now: dt.datetime | None = None) -> tuple[dict, dict]:
    """The assessment `ds` gets, computed as app.assessment.assess_datasets computes it (same record,
    same evidence, same rules), without storing an Assessment. Linked files are checked and archived
    now (their evidence is kept on the distribution rows); uploads use their archived copy.
    Returns (assessment document, facts per distribution id)."""
    from app.assessment import _store_check, _stored_check
    from quality import assess as assess_mod
    from quality.fetch import check_many

    now = now or utcnow()
    linked = [(row.id, row.download_url or row.access_url, None) for row in ds.distributions if not is_upload(row)]
    if linked and http is not None and archive_dir:
        from app.assessment import _previous

        items = [(key, url, _previous(next(r for r in ds.distributions if r.id == key))) for key, url, _ in linked]
        for key, check in check_many(http, items, archive_dir, max_bytes=max_bytes).items():
            _store_check(next(r for r in ds.distributions if r.id == key), check)
    record = to_record(ds)
    for dist in record["distributions"]:
        dist["id"] = dist["catalog_id"]
    checks = {row.id: _stored_check(row) for row in ds.distributions if row.check_status}
    facts = assess_mod.collect_facts(record, checks)
    doc = assess_mod.assess(record, facts, now=now)
    for row in ds.distributions:
        match = next((d for d in doc["distributions"] if d["id"] == row.id), None)
        if match:
            row.detected_format = match["detected_format"] or row.detected_format
            row.detected_encoding = match["encoding"] or row.detected_encoding
    return doc, facts


def pii_findings(doc: dict) -> list[dict]:
    from quality.assess import PII_SLUGS

    return [f for f in doc.get("findings") or [] if f.get("type") in PII_SLUGS]


def pii_override(ds: Dataset) -> dict | None:
    return ((ds.extras or {}).get("publishing") or {}).get("pii_override")


def pii_blocking(ds: Dataset, doc: dict) -> list[dict]:
    """PII findings not covered by a recorded override (one covers the files present when it was made)."""
    found = pii_findings(doc)
    override = pii_override(ds)
    if not override:
        return found
    covered = set(override.get("files") or [])
    hashes = {row.id: row.archive_hash for row in ds.distributions}
    return [f for f in found if hashes.get(f.get("distribution")) not in covered]


def preview(ds: Dataset, facts: dict, rows: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    """The first rows of each tabular distribution, as the profile read them (decoded, personal data
    redacted)."""
    out = []
    for row in ds.distributions:
        fact = facts.get(row.id)
        profile = getattr(fact, "profile", None)
        if profile is None:
            continue
        out.append({"distribution": row.id, "title": pick_text(row.title) or row.download_url,
                    "format": profile.format.upper(), "encoding": profile.encoding, "rows": profile.rows,
                    "header": [str(h) for h in profile.header],
                    "sample": [[str(c) for c in r] for r in profile.sample[:rows]]})
    return out


def prepublication_check(session: Session, ds: Dataset, **kwargs: Any) -> dict[str, Any]:
    """What the agency sees before publishing: stars, score, every finding with its fix, the preview of
    each table, and whether publishing is blocked (personal data without an override)."""
    doc, facts = compute_assessment(session, ds, **kwargs)
    blocking = pii_blocking(ds, doc)
    problems = []
    if not ds.distributions:
        problems.append("no-distributions")
    if blocking:
        problems.append("pii")
    return {"dataset": ds.slug, "state": ds.state, "stars": doc["stars"], "score": doc["score"],
            "assessment": doc, "findings": doc["findings"], "preview": preview(ds, facts),
            "pii": pii_findings(doc), "pii_override": pii_override(ds), "blocked_by": problems,
            "can_publish": not problems}


# --------------------------------------------------------------------------- state changes


def publish(session: Session, user: User, ds: Dataset, *, check: dict | None = None, via: str = "web",
            ip: str | None = None, **check_kwargs: Any) -> Dataset:
    """Draft (or withdrawn) -> active, indexed for search. Refused while personal data is not overridden.
    The caller commits, then assesses (`Assessor`) so the stored assessment is the pipeline's own."""
    ensure_not_harvested(ds, user)
    if ds.state == "active":
        raise Conflict(f"Dataset {ds.slug} is published already.")
    if not ds.distributions:
        raise Conflict("Add at least one file or link before publishing.", code="no-distributions")
    check = check or prepublication_check(session, ds, **check_kwargs)
    blocking = pii_blocking(ds, check["assessment"])
    if blocking:
        kinds = sorted({f["type"] for f in blocking})
        raise Conflict(f"Personal data found ({', '.join(kinds)}): remove it from the file, or an admin of the "
                       "publisher must override with a reason.", code="pii-blocked")
    before = to_record(ds)
    ds.state = "active"
    ds.withdrawn_at = None
    _touch(ds)
    search.index_dataset(session, ds)
    audit(session, user, "publish.publish", ds, before, to_record(ds), via=via, ip=ip,
          stars=check["stars"], score=check["score"])
    return ds


def withdraw(session: Session, user: User, ds: Dataset, *, via: str = "web", ip: str | None = None) -> Dataset:
    ensure_not_harvested(ds, user)
    if ds.state != "active":
        raise Conflict(f"Only a published dataset can be withdrawn ({ds.slug} is {ds.state}).")
    before = to_record(ds)
    ds.state = "withdrawn"
    ds.withdrawn_at = utcnow()
    _touch(ds)
    search.index_dataset(session, ds)
    audit(session, user, "publish.withdraw", ds, before, to_record(ds), via=via, ip=ip)
    return ds


def restore(session: Session, user: User, ds: Dataset, *, via: str = "web", ip: str | None = None,
            **check_kwargs: Any) -> Dataset:
    """Withdrawn -> active again (the same checks as publishing: personal data still blocks)."""
    if ds.state != "withdrawn":
        raise Conflict(f"Only a withdrawn dataset can be restored ({ds.slug} is {ds.state}).")
    return publish(session, user, ds, via=via, ip=ip, **check_kwargs)


def override_pii(session: Session, user: User, ds: Dataset, reason: str, *, check: dict | None = None,
                 via: str = "web", ip: str | None = None, **check_kwargs: Any) -> dict:
    """An admin of the publisher (or a sysadmin) lets the files with personal data be published, saying why."""
    if not is_admin_of(session, user, ds.publisher):
        raise Forbidden("Only an admin of the publisher (or a sysadmin) may override a personal-data block.")
    ensure_not_harvested(ds, user)
    reason = " ".join(str(reason or "").split())
    if len(reason) < MIN_REASON_CHARS:
        raise Invalid(f"Give the reason for publishing personal data (at least {MIN_REASON_CHARS} characters).")
    check = check or prepublication_check(session, ds, **check_kwargs)
    found = pii_findings(check["assessment"])
    if not found:
        raise Conflict("No personal data was found: there is nothing to override.")
    hashes = {row.id: row.archive_hash for row in ds.distributions}
    override = {"by": user.email, "user_id": user.id, "at": utcnow().isoformat(), "reason": reason[:2000],
                "findings": sorted({f["type"] for f in found}),
                "files": sorted({hashes[f["distribution"]] for f in found if hashes.get(f.get("distribution"))})}
    before = to_record(ds)
    extras = dict(ds.extras or {})
    extras["publishing"] = {**(extras.get("publishing") or {}), "pii_override": override}
    ds.extras = extras
    _touch(ds)
    audit(session, user, "publish.pii_override", ds, before, to_record(ds), via=via, ip=ip, reason=override["reason"],
          findings=override["findings"])
    return override


def detach(session: Session, user: User, ds: Dataset, *, via: str = "web", ip: str | None = None) -> Dataset:
    """Make a harvested dataset the publisher's own: its source stops updating (or withdrawing) it."""
    if not is_admin_of(session, user, ds.publisher):
        raise Forbidden("Only an admin of the publisher (or a sysadmin) may detach a dataset from its source.")
    if ds.source_id is None:
        raise Conflict(f"Dataset {ds.slug} is not harvested.")
    source = session.get(HarvestSource, ds.source_id)
    before = to_record(ds)
    config = dict(source.config or {})
    detached = list(config.get("detached") or [])
    if ds.remote_id and ds.remote_id not in detached:
        detached.append(ds.remote_id)
    config["detached"] = detached
    source.config = config
    extras = dict(ds.extras or {})
    extras["publishing"] = {**(extras.get("publishing") or {}),
                            "detached_from": {"source": source.name, "remote_id": ds.remote_id,
                                              "at": utcnow().isoformat(), "by": user.email}}
    ds.extras = extras
    ds.source_id = None
    _touch(ds)
    audit(session, user, "publish.detach", ds, before, to_record(ds), via=via, ip=ip, source=source.name,
          remote_id=ds.remote_id)
    return ds


# --------------------------------------------------------------------------- assessing after publishing


class Assessor:
    """Runs the assessment pipeline (app.assessment.assess_datasets) from a web request: the
    runtime shape it wants (sessionmaker, settings, http) built from the app's own pieces."""

    def __init__(self, sessionmaker: Callable[[], Session], settings: dict[str, Any]):
        self.sessionmaker = sessionmaker
        self.settings = settings
        self._http = None

    def http(self):
        if self._http is None:
            from harvesters.http import GuardedSession

            self._http = GuardedSession.from_settings(self.settings)
        return self._http

    def check_kwargs(self) -> dict[str, Any]:
        return {"http": self.http(), "archive_dir": self.settings["ARCHIVE_DIR"],
                "max_bytes": self.settings["MAX_DOWNLOAD_BYTES"]}

    def assess(self, ids: Iterable[str]) -> list[dict]:
        from app.assessment import assess_datasets

        return assess_datasets(self, list(ids))

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
