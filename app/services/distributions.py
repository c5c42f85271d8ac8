"""Every change of a dataset's files: link one, upload one, change or replace one, remove one.

On a published dataset, a new or replaced file is checked (downloaded, archived, profiled) before the
change is committed, so the personal-data gate knows what it holds before any of its bytes can be served;
the dataset is then assessed again. Uploads are streamed into the archive by app.services.uploads.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO
from urllib.parse import quote

from app.datastore.load import root_of
from app.services import access, versions
from app.services.audit import audit
from app.services.base import service
from app.services.context import Actor
from app.services.datasets import finish, gate_status, scan_new_files
from app.services.errors import Conflict, Invalid, NotFound
from app.services.fields import (
    MAX_TITLE_CHARS,
    file_url,
    langmap,
    link_format,
    media_type,
    refuse_controls,
    set_distribution_hvd,
    suggested_media_type,
)
from app.services.uploads import UPLOAD_PATH, StoredFile, is_upload, refuted_for_stored, store_upload
from app.texts import T_
from catalog_schema import dictionary, vocab
from catalog_schema.models import Dataset, Distribution, new_uuid, utcnow
from catalog_schema.record import new_distribution
from catalog_schema.store import distribution_of, save_record, set_dictionary_edits, set_evidence, to_record
from plumbing.textencoding import DETECTOR_VERSION
from quality.findings import keyed_by_position

RESOURCE_FIELDS = ("title", "description", "format", "media_type", "url", "access_url", "hvd_category",
                   "applicable_legislation")


def _editable(actor: Actor, ds: Dataset) -> None:
    access.require_edit(actor.session, actor.user, ds.publisher)
    access.ensure_not_harvested(ds, actor.user)


def _title(title: Any, fallback: str, actor: Actor) -> dict[str, str]:
    """A file's title: the one given (refused over MAX_TITLE_CHARS, as a dataset's: a 3,000-character one was
    taken), else its file name or address, cut to that length."""
    if title:
        refuse_controls({"title": title})
        return langmap(title, actor.lang, None, "title", MAX_TITLE_CHARS)
    return langmap(fallback[:MAX_TITLE_CHARS], actor.lang, None)


def _link_record(actor: Actor, url: Any, title: Any = None, format: Any = None,
                 declared_media_type: Any = None, description: Any = None) -> dict[str, Any]:
    refuse_controls({"format": format, "media_type": declared_media_type, "description": description})
    url = file_url(url)
    declared = media_type(declared_media_type)  # refused (Invalid, field media_type) before anything is added
    fmt = vocab.format_by_code(str(format).upper()) if format else None
    # its format is the one said, else its address's, and its media type the format's (fields.link_format); an address
    # that names none gets none, unless one is declared with the link (the page's link form), or afterwards in the
    # file's media type box (or the APIs' `replace`)
    link = link_format({"download_url": url, "access_url": url,
                        "title": _title(title, Path(url.split("?")[0]).name or url, actor),
                        "format": fmt.code if fmt else None, "format_raw": str(format) if format else None,
                        "media_type": None})
    if declared is not None:
        _declare_media_type(link, declared, format_given=bool(format))
    if description:  # a text in the actor's language, or a language map (CKAN's description_translated)
        link["description"] = langmap(description, actor.lang, None)
    return link


def _declare_media_type(dist: dict[str, Any], declared: str | None, *, format_given: bool) -> None:
    """A media type declared for a file (what `media_type` made of the value given; None clears it) set on its record:
    with no format given with it, the format it names is the file's too, as a CKAN resource's mimetype gives one."""
    dist["media_type"] = declared
    named = vocab.format_for_media_type(declared) if declared else None
    if named is not None and not format_given:
        dist["format"], dist["format_raw"] = named.code, None


def _hvd_given(hvd: dict[str, Any] | None) -> tuple[Any, Any]:
    """The HVD fields a new file is given with ({hvd_category, applicable_legislation}; None: not given)."""
    hvd = hvd or {}
    return hvd.get("hvd_category"), hvd.get("applicable_legislation")


def _check_new_hvd(ds: Dataset, hvd: dict[str, Any] | None) -> None:
    """Refuse a new file's HVD fields before anything of it is stored (the rule `_append` applies)."""
    if hvd:
        set_distribution_hvd(to_record(ds), {}, *_hvd_given(hvd))


def _append(actor: Actor, ds: Dataset, dist: dict[str, Any], hvd: dict[str, Any] | None = None) -> Distribution:
    rec = to_record(ds)
    dist_id = dist.pop("catalog_id", None) or new_uuid()
    dist.setdefault("rights", rec.get("rights"))  # the dataset's rights statement covers its new files
    if vocab.HVD_LEGISLATION in (rec.get("applicable_legislation") or []):  # a high-value dataset's new file
        dist.setdefault("applicable_legislation", [vocab.HVD_LEGISLATION])  # is under the HVD regulation too
    new = new_distribution(**dist, catalog_id=dist_id)
    if hvd:  # its own HVD categories and legislation, as set_hvd takes them
        set_distribution_hvd(rec, new, *_hvd_given(hvd))
    rec["distributions"].append(new)
    save_record(actor.session, rec, dataset=ds)
    actor.session.flush()
    return next(row for row in ds.distributions if row.id == dist_id)


def attach_link(actor: Actor, ds: Dataset, link: dict[str, Any]) -> Distribution:
    """Part of a bigger change (a new dataset's links {url, title, format, media_type, description, hvd_category,
    applicable_legislation}, each taken as add_link takes it): no commit here."""
    if not isinstance(link, dict):
        raise Invalid(T_("Each distribution must be an object {url, title, format}."), field="distributions")
    refuse_controls(link)
    before = to_record(ds)
    hvd = {k: link[k] for k in ("hvd_category", "applicable_legislation") if k in link}
    row = _append(actor, ds, _link_record(actor, link.get("url"), link.get("title"), link.get("format"),
                                          link.get("media_type"), link.get("description")), hvd)
    audit(actor, "publish.add_distribution", ds, before, to_record(ds), url=row.download_url)
    return row


def _upload_row(actor: Actor, ds: Dataset, stored: StoredFile, title: Any, site_url: str,
                dist_id: str | None = None) -> dict[str, Any]:
    dist_id = dist_id or new_uuid()
    url = f"{site_url.rstrip('/')}{UPLOAD_PATH}/{dist_id}/{quote(stored.filename)}"
    eff = stored.sniffed.effective if stored.sniffed is not None else None
    declared = vocab.format_for_extension(stored.filename)
    return {"catalog_id": dist_id, "download_url": url, "access_url": url,
            "title": _title(title, stored.filename, actor),
            "format": declared.code if declared else (eff.format if eff else None), "format_raw": None,
            "media_type": stored.sniffed.media_type if stored.sniffed else None, "byte_size": stored.size,
            "checksum": {"algorithm": "sha-256", "value": stored.sha256},
            "extras": {"upload": {"filename": stored.filename, "sha256": stored.sha256, "size": stored.size}}}


def _said_with_upload(actor: Actor, title: Any, declared_media_type: Any, description: Any) -> dict[str, Any]:
    """What a file is uploaded with, refused (Invalid naming its field) before a byte of it is stored: its title (as
    `_title` takes one), its declared media type (`fields.media_type`) and its description (a text in the actor's
    language, or a language map). {"media_type": the media type or None, "description": the map, when one is given}."""
    refuse_controls({"media_type": declared_media_type, "description": description})
    if title:
        _title(title, "", actor)
    said: dict[str, Any] = {"media_type": media_type(declared_media_type)}
    if description:
        said["description"] = langmap(description, actor.lang, None)
    return said


def _refuted_by_copy(row: Distribution, declared: str | None) -> None:
    """An uploaded file's media type declared after it was stored, refused as one given with the file is
    (uploads.refuted_for_stored) when its bytes, the copy in the archive, are another format or not in its charset."""
    if not declared or not row.archive_path or not Path(row.archive_path).is_file():
        return
    name = str(((row.extras or {}).get("upload") or {}).get("filename") or "")
    refuted_for_stored(row.archive_path, name, declared)


def _upload_evidence(row: Distribution, stored: StoredFile) -> None:
    now = utcnow()
    set_evidence(row, check_status="ok", http_status=200, final_url=row.download_url, archive_path=stored.path,
                 archive_hash=stored.sha256, archive_size=stored.size, archive_truncated=False,
                 detected_format=stored.sniffed.format if stored.sniffed else None,
                 detected_media_type=stored.sniffed.media_type if stored.sniffed else None,
                 detected_encoding=stored.sniffed.encoding if stored.sniffed else None,
                 encoding_detector=DETECTOR_VERSION if stored.sniffed else None,
                 last_checked=now, last_success=now, failure_count=0, check_error=None)


def _site(actor: Actor, site_url: str | None) -> str:
    return site_url or str((actor.runtime.settings if actor.runtime else {}).get("SITE_URL") or "")


def _finish_files(actor: Actor, ds: Dataset, action: str, before: dict, **detail: Any) -> dict | None:
    doc = scan_new_files(actor, ds)
    audit(actor, action, ds, before, to_record(ds), **detail, **gate_status(ds, doc))
    finish(actor, ds)
    return doc


@service
def add_link(actor: Actor, ds: Dataset, url: Any, *, title: Any = None, format: Any = None,
             media_type: Any = None, description: Any = None, action: str = "publish.add_distribution",
             hvd: dict[str, Any] | None = None) -> Distribution:
    """Link a file on the web; it is checked (and archived) by the check, at once on a published dataset.
    `media_type`: its declared media type, taken as `replace` takes one (fields.media_type, else Invalid naming
    `media_type`, before anything is added; with no format given, the format it names); empty: none declared.
    `description`: a text (in the actor's language) or a language map, as `replace` takes one.
    `hvd`: its own {hvd_category, applicable_legislation}, under set_hvd's rules."""
    _editable(actor, ds)
    before = to_record(ds)
    row = _append(actor, ds, _link_record(actor, url, title, format, media_type, description), hvd)
    _finish_files(actor, ds, action, before, url=row.download_url)
    return row


def receive(actor: Actor, stream: BinaryIO, filename: str | None, *, declared_length: int | None = None,
            documentation: bool = False, media_type: str | None = None) -> StoredFile:
    """Stream an uploaded file into the archive, capped and vetted (nothing is kept when it is refused), with the
    media type declared for it (`fields.media_type`'s), which its bytes must bear out (uploads.store_upload)."""
    settings = actor.runtime.settings
    return store_upload(stream, filename, settings["ARCHIVE_DIR"], max_bytes=int(settings["MAX_UPLOAD_BYTES"]),
                        declared_length=declared_length, documentation=documentation, media_type=media_type)


@service
def add_upload(actor: Actor, ds: Dataset, stream: BinaryIO, filename: str | None, *, title: Any = None,
               media_type: Any = None, description: Any = None, declared_length: int | None = None,
               site_url: str | None = None, action: str = "publish.upload", documentation: bool = False,
               hvd: dict[str, Any] | None = None) -> Distribution:
    """A distribution for an uploaded file, archived and served at /uploads/<id>/<name> (through the
    serving gate), with its own HVD fields (`hvd`, as add_link; refused before the file is stored). A file
    that is no data is refused, unless it is added as `documentation` (then marked
    so in its extras: the page lists it as documentation).
    `media_type`: its declared media type, taken as add_link takes one (fields.media_type, else Invalid naming
    `media_type`, before the file is stored) and kept as the publisher's declaration; its bytes decide what the file
    is: its format stays the one its name, else its bytes, give (what the openness score judges; the declaration
    only settles what the bytes leave open, a one-column table or a text), it is served as what the bytes are, and a
    media type naming another format than they are (text/csv for an XLSX workbook) is refused, Invalid naming
    `media_type`, with nothing stored (uploads.refuted_media_type). Empty: the media type sniffed from the bytes.
    `description`: a text (in the actor's language) or a language map, as add_link takes one."""
    _editable(actor, ds)  # refused before a byte of the file is stored
    _check_new_hvd(ds, hvd)
    said = _said_with_upload(actor, title, media_type, description)
    stored = receive(actor, stream, filename, declared_length=declared_length, documentation=documentation,
                     media_type=said["media_type"])
    _not_twice(actor, ds, stored)
    before = to_record(ds)
    dist = _upload_row(actor, ds, stored, title, _site(actor, site_url))
    if said["media_type"] is not None:  # the format stays the file's
        dist["media_type"] = said["media_type"]
    if "description" in said:
        dist["description"] = said["description"]
    if documentation:
        dist["extras"]["documentation"] = True
    row = _append(actor, ds, dist, hvd)
    _upload_evidence(row, stored)
    _finish_files(actor, ds, action, before, filename=stored.filename, sha256=stored.sha256,
                  size=stored.size)
    return row


def _not_twice(actor: Actor, ds: Dataset, stored: StoredFile) -> None:
    """The same bytes already in the dataset (uploaded, or a link's archived copy) are refused, naming the file
    that has them: a second copy gives users two downloads of one table and the catalog a duplicate finding.
    (The archive keeps one copy per sha256, which the file already there uses: nothing is left behind.)"""
    same = next((d for d in ds.distributions if d.archive_hash == stored.sha256), None)
    if same is None:
        return
    titles = same.title if isinstance(same.title, dict) else {}
    name = titles.get(actor.lang) or next((t for t in titles.values() if t), None) or same.download_url or same.id
    raise Conflict(T_("This file is already in the dataset, as %(title)s: replace that file to publish a new "
                      "version, or upload a different one.", title=name), code="duplicate-file", field="file",
                   distribution=same.id)


def media_type_suggestion(row: Distribution) -> str | None:
    """The media type a linked file's server said it is, offered to its publisher while it declares none
    (fields.suggested_media_type: a format's, which its bytes bear out); None for an upload, whose type is sniffed
    from its bytes as it is stored, and whenever there is nothing to offer. Read only: taking it is `replace`."""
    if is_upload(row):
        return None
    return suggested_media_type(row.media_type, row.detected_media_type, row.detected_format)


def _row(ds: Dataset, dist_id: str) -> Distribution:
    row = distribution_of(ds, dist_id)
    if row is None:
        raise NotFound(T_("No such distribution in this dataset."))
    return row


def _listed(fields: dict[str, Any], key: str) -> Any:
    """A list field of a change: None when it is not given, [] when it is given empty."""
    return (fields[key] or []) if key in fields else None


def _landing_page(row: Distribution, fields: dict[str, Any]) -> str | None:
    """The page a file is reached from, apart from its address (its access URL when that is not its download URL), as
    a change leaves it: the `access_url` given (an http(s) URL, else Invalid naming it; empty: none, the file's address
    is its access URL), else the one the file had, whatever new address or new version it is given."""
    if "access_url" in fields:
        given = str(fields["access_url"] or "").strip()
        if given:
            try:  # an http(s) URL, as a file's address is
                given = file_url(given, "access_url")
            except Invalid:
                raise Invalid(T_("Give the http(s) URL of the page the file is reached from (its landing page), or "
                                 "none."), field="access_url", why="url") from None
        return given or None
    if row.download_url and row.access_url and row.access_url != row.download_url:
        return row.access_url
    return None


def _documentation(row: Distribution) -> bool:
    """Whether a file was added as documentation (add_upload's mark): its new version may be no data either."""
    return bool((row.extras or {}).get("documentation"))


def _new_version(actor: Actor, ds: Dataset, dist: dict[str, Any], stored: StoredFile, title: Any,
                 site_url: str) -> None:
    """`dist` made the new version `stored` of its file: what describes the bytes is the new file's (its address,
    format, media type, size, checksum and uploaded name); what says what the file is for stays (its title unless one
    is `title` given, its description, HVD fields and rights, the documentation mark and every other extra)."""
    kept = {k: v for k, v in (dist.get("extras") or {}).items() if k != "upload"}
    dist.update(_upload_row(actor, ds, stored, title or dist.get("title") or None, site_url, dist["catalog_id"]))
    dist["extras"] = {**kept, **dist["extras"]}


@service
def replace(actor: Actor, ds: Dataset, dist_id: str, *, url: Any = None, stream: BinaryIO | None = None,
            filename: str | None = None, fields: dict[str, Any] | None = None, declared_length: int | None = None,
            site_url: str | None = None, action: str | None = None, keep_format: bool = False) -> Distribution:
    """Change a distribution in place (its id stays): its title, description, format or media type, its HVD
    categories and applicable legislation (as `set_hvd`), a new URL, or a new uploaded file. A new file is checked
    like an added one; it is a new version of the file, which keeps what says what the file is for and takes what
    describes the new bytes (`_new_version`): a file added as documentation stays so, and its new version may be no
    data either. A media type given is the file's declared one (vocab.media_type, else Invalid; empty clears it: a
    link's is then none, an uploaded file's the one sniffed from its bytes, as an added one's) and, with no format
    given, gives the format when it names one, as a CKAN resource's mimetype does; but an uploaded file's (given with
    a new file, or for the file kept) is taken as add_upload takes one: its bytes, the new file's or the archived
    copy's, must bear it out, and its format stays the file's.
    A new URL is a new link, with the format and media type its address names (none for .../export?id=3), unless
    `keep_format`: then it keeps the file's format and media type (CKAN's resource_patch, whose client sent
    neither); one given in `fields` is taken either way. A new URL, or a new file's address, is the file's download
    URL; a landing page the file had (an access URL apart from its download URL) stays its access URL, unless
    `access_url` is given (`_landing_page`: empty, none)."""
    _editable(actor, ds)
    row = _row(ds, dist_id)
    fields = _resource_fields(ds, row, fields)  # refused here, before a byte of a new file is received
    landing = _landing_page(row, fields)
    stored = receive(actor, stream, filename, declared_length=declared_length, documentation=_documentation(row),
                     media_type=fields.get("media_type")) if stream is not None else None
    if stored is None and "media_type" in fields and is_upload(row) and url is None and not fields.get("url"):
        _refuted_by_copy(row, fields["media_type"])  # the uploaded file kept: its bytes are in the archive
    before = to_record(ds)
    rec = to_record(ds)
    dist = next(d for d in rec["distributions"] if d["catalog_id"] == row.id)
    if stored is not None:
        _new_version(actor, ds, dist, stored, fields.get("title"), _site(actor, site_url))
    elif url is not None or fields.get("url"):
        _new_address(actor, dist, url if url is not None else fields["url"], fields.get("format"), keep_format)
    if stored is not None or url is not None or fields.get("url") or "access_url" in fields:
        # a new address is the file's (its download URL); a landing page it had, or is given, stays its access URL
        dist["access_url"] = landing or dist.get("download_url") or dist.get("access_url")
    _said_of_file(actor, dist, fields, new_file=stored is not None)
    if "media_type" in fields and (fields["media_type"] is not None or stored is None):
        _media_type_said(dist, row, fields, new_file=stored is not None)
    if "hvd_category" in fields or "applicable_legislation" in fields:
        set_distribution_hvd(rec, dist, _listed(fields, "hvd_category"), _listed(fields, "applicable_legislation"))
    new_file = stored is not None or dist["download_url"] != (row.download_url or row.access_url)
    save_record(actor.session, rec, dataset=ds)
    actor.session.flush()
    if stored is not None:
        _upload_evidence(row, stored)
    elif new_file:
        set_evidence(row, check_status=None, archive_path=None, archive_hash=None, archive_size=None,
                     archive_truncated=None, etag=None, last_modified_header=None)
    if new_file:
        _finish_files(actor, ds, action or "publish.replace_distribution", before, distribution=row.id)
    else:
        audit(actor, action or "publish.update_distribution", ds, before, to_record(ds), distribution=row.id)
        finish(actor, ds)
    return row


def _resource_fields(ds: Dataset, row: Distribution, fields: dict[str, Any] | None) -> dict[str, Any]:
    """`replace`'s fields, refused (Invalid) when one is no field of a distribution, holds a control character, or
    is a media type that is none; the media type read (fields.media_type)."""
    fields = dict(fields or {})
    unknown = set(fields) - set(RESOURCE_FIELDS)
    if unknown:
        raise Invalid(T_("Field(s) %(join)s cannot be set on a distribution.", join=', '.join(sorted(unknown))),
                      field=sorted(unknown)[0])
    refuse_controls(fields, next((d for d in to_record(ds)["distributions"] if d.get("catalog_id") == row.id), None))
    if "media_type" in fields:
        fields["media_type"] = media_type(fields["media_type"])
    return fields


def _new_address(actor: Actor, dist: dict[str, Any], url: Any, format: Any, keep_format: bool) -> None:
    """A new URL of a file: a new link (_link_record), with the format and media type it names, or keeping the file's
    (`keep_format`); the title stays, and it is no uploaded file any more. What described the file before (its size,
    its checksum) is not the new file's: an uploaded file moved to a link kept the upload's byte size and checksum,
    and every door published them for the linked file."""
    link = _link_record(actor, url, None, format)
    kept = ("title", "format", "format_raw", "media_type") if keep_format else ("title",)
    dist.update({k: v for k, v in link.items() if k not in kept})
    dist["byte_size"] = dist["checksum"] = None
    extras = dict(dist.get("extras") or {})
    extras.pop("upload", None)
    dist["extras"] = extras


def _said_of_file(actor: Actor, dist: dict[str, Any], fields: dict[str, Any], *, new_file: bool) -> None:
    """A file's title and description as given (texts in the actor's language, or language maps), and its format
    (not a new file's, which is its own)."""
    if fields.get("title"):
        dist["title"] = langmap(fields["title"], actor.lang, dist.get("title"), "title", MAX_TITLE_CHARS)
    if "description" in fields:
        dist["description"] = langmap(fields["description"], actor.lang, dist.get("description"))
    if fields.get("format") and not new_file:
        fmt = vocab.format_by_code(str(fields["format"]).upper())
        dist["format"], dist["format_raw"] = (fmt.code if fmt else None), str(fields["format"])


def _media_type_said(dist: dict[str, Any], row: Distribution, fields: dict[str, Any], *, new_file: bool) -> None:
    """The media type given for a file (None: cleared). An uploaded file's format is its own (its name's, else its
    bytes'); a new one declared none has its sniffed media type, as an added one has, and so has the file kept when its
    media type is cleared (a link's cleared is none declared)."""
    uploaded = bool((dist.get("extras") or {}).get("upload"))
    _declare_media_type(dist, fields["media_type"], format_given=bool(fields.get("format")) or uploaded)
    if uploaded and fields["media_type"] is None and not new_file:
        dist["media_type"] = row.detected_media_type


@service
def remove(actor: Actor, ds: Dataset, dist_id: str, *, action: str = "publish.remove_distribution") -> None:
    """Take a file or link out of a dataset. A draft's archived copy was never public, and goes with it unless another
    file holds the same bytes (the wrong file uploaded, a file with personal data among the likeliest:
    versions.copies_only_of), with what reading it found. A published (or withdrawn) dataset's copy, its versions
    gone with its row, goes at the daily prune a day later (versions.sweep), unless another file or version holds
    it."""
    _editable(actor, ds)
    row = _row(ds, dist_id)
    archive = actor.runtime.settings["ARCHIVE_DIR"] if actor.runtime is not None else None
    copies = versions.copies_only_of(actor.session, [row], archive) if archive and ds.state == "draft" else []
    before = to_record(ds)
    rec = to_record(ds)
    rec["distributions"] = [d for d in rec["distributions"] if d["catalog_id"] != row.id]
    save_record(actor.session, rec, dataset=ds)
    audit(actor, action, ds, before, to_record(ds), distribution=row.id)
    finish(actor, ds)
    if copies:  # once the row that held it is gone
        versions.remove_copies(actor.session, copies, archive, root_of(actor.runtime.settings))


@service
def edit_dictionary(actor: Actor, ds: Dataset, dist_id: str, edits: Any, *,
                    action: str = "publish.edit_dictionary") -> dict[str, Any]:
    """The agency's edits of a table's data dictionary: each column's title, description, unit or type (None
    goes back to what was inferred). Kept with the distribution, so they outlive reloads and re-harvests (a
    harvested dataset's are a sysadmin's: to its publisher it is read-only until detached, as every other change);
    the file and the record are not changed, so nothing is assessed again. Audited as `action` (CKAN's
    datastore_create: `ckan.datastore_create`, as every CKAN write is named by its action). Returns the effective
    dictionary."""
    _editable(actor, ds)
    row = _row(ds, dist_id)
    current = dictionary.effective(row.dictionary, row.table_schema)
    if current is None:
        raise Invalid(T_("This file has no data dictionary yet: it is made when the file is checked and read as a "
                      "table."), field="fields")
    try:
        clean = dictionary.validate_edits(edits, [f["name"] for f in current["fields"]])
    except dictionary.EditError as exc:
        raise dictionary_refusal(exc) from exc
    before = dict(row.dictionary or {})
    set_dictionary_edits(row, clean, edited_at=utcnow().isoformat())
    audit(actor, action, ds, None, None, distribution=row.id,
          edits=audited_edits(before.get("edits"), row.dictionary.get("edits"),
                              [f["name"] for f in current["fields"]]))
    finish(actor, ds, reassess=False)
    return dictionary.effective(row.dictionary, row.table_schema)


#: The audit actions of a data dictionary's edits (`edit_dictionary`), whose detail holds the edits by column.
DICTIONARY_ACTIONS = ("publish.edit_dictionary", "ckan.datastore_create")


def audited_edits(before: dict[str, Any] | None, after: dict[str, Any] | None,
                  columns: list[str] | None) -> dict[str, dict[str, Any]]:
    """A dictionary's edits before and after a change, as the audit log keeps them: a column whose name is personal
    data itself (a file without a header row: a citizen's ID number read as a name) by its position among the
    table's `columns` (``#1``, quality.findings.keyed_by_position), ``[redacted]`` when they are not known (an entry
    kept by name before: `opendata pii scrub`). The dictionary keeps the names, which the serving gate matches to
    the table's columns; the audit log is read by people, and needs them no more than a version's counts do."""
    table = SimpleNamespace(header=columns) if columns is not None else None  # what `column_ref` reads of a profile
    return {"before": keyed_by_position(before or {}, table), "after": keyed_by_position(after or {}, table)}


def dictionary_refusal(exc: dictionary.EditError) -> Invalid:
    """A refused dictionary edit as the doors say it: a message naming the column and property at fault (in the
    reader's language), and in its detail the column, the property and why (a form marks the box with them)."""
    where = f"fields.{exc.column}.{exc.prop}" if exc.prop else f"fields.{exc.column}" if exc.column else "fields"
    detail = {k: v for k, v in exc.detail.items() if k in ("length", "limit", "value")}
    if exc.why == "no-column":
        columns = exc.detail.get("columns") or []
        shown = ", ".join(columns[:20])
        if len(columns) > 20:
            shown = T_("%(names)s and %(more)s more", names=shown, more=format(len(columns) - 20, ","))
        message = T_("%(where)s: the table has no such column (it has: %(columns)s). The file may have changed "
                     "since the form was opened.", where=where, columns=shown)
    elif exc.why == "not-editable":
        message = T_("%(where)s: only %(editable)s can be edited.", where=where,
                     editable=", ".join(dictionary.EDITABLE))
    elif exc.why == "not-text":
        message = T_("%(where)s: give text (or null to go back to what was inferred).", where=where)
    elif exc.why == "too-long":
        message = T_("%(where)s: %(length)s characters; at most %(limit)s.", where=where,
                     length=format(exc.detail["length"], ","), limit=format(exc.detail["limit"], ","))
    elif exc.why == "control":
        message = T_("%(where)s: holds a control character (such as NUL), which cannot be kept: remove it.",
                     where=where)
    elif exc.why == "type":
        message = T_("%(where)s: %(value)s is not a column type; use one of %(types)s.", where=where,
                     value=repr(exc.detail.get("value", "")), types=", ".join(dictionary.TYPES))
    elif exc.why == "column-shape":
        message = T_("%(where)s: give an object of title, description, unit, type.", where=where)
    else:
        message = T_("fields: give an object of columns, each an object of title, description, unit, type.")
    return Invalid(message, field="fields", why=f"dictionary-{exc.why}", column=exc.column, property=exc.prop,
                   **detail)


@service
def set_hvd(actor: Actor, ds: Dataset, dist_id: str, *, categories: Any = None, legislation: Any = None,
            service_categories: Any = None, service_legislation: Any = None,
            action: str = "publish.distribution_hvd") -> Distribution:
    """A distribution's own high-value dataset categories (`dcatap:hvdCategory`, from the HVD category
    vocabulary, among its dataset's) and applicable legislation (`dcatap:applicableLegislation`, http(s)
    ELI URIs; the HVD regulation kept while the dataset or the distribution has a category), and the same
    two of the data service it is reached through (`service_*`: its `dcat:accessService`, an API endpoint).
    None leaves a field as it is. Metadata only: the file is not fetched again; a published dataset is
    assessed again."""
    _editable(actor, ds)
    row = _row(ds, dist_id)
    before = to_record(ds)
    rec = to_record(ds)
    dist = next(d for d in rec["distributions"] if d["catalog_id"] == row.id)
    set_distribution_hvd(rec, dist, categories, legislation)
    if service_categories is not None or service_legislation is not None:
        if not isinstance(dist.get("access_service"), dict):
            raise Invalid(T_("This distribution is reached through no data service (API endpoint)."),
                          field="service_hvd_category", why="no-service")
        dist["access_service"] = dict(dist["access_service"])
        set_distribution_hvd(rec, dist["access_service"], service_categories, service_legislation,
                             field_prefix="service_")
    save_record(actor.session, rec, dataset=ds)
    actor.session.flush()
    service_after = row.access_service or {}
    audit(actor, action, ds, before, to_record(ds), distribution=row.id,
          hvd_category=list(row.hvd_category or []), applicable_legislation=list(row.applicable_legislation or []),
          **({"service_hvd_category": list(service_after.get("hvd_category") or []),
              "service_applicable_legislation": list(service_after.get("applicable_legislation") or [])}
             if row.access_service else {}))
    finish(actor, ds)
    return row


__all__ = ["add_link", "add_upload", "attach_link", "dictionary_refusal", "edit_dictionary", "media_type_suggestion",
           "receive", "remove", "replace", "is_upload", "set_hvd"]
