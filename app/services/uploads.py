"""Uploaded files: streamed into the archive (content-addressed), capped while they stream, sniffed from
their bytes (the name's extension is never trusted) and refused with a clear reason when they are an
HTML page, a zip bomb or an office file with XML entity declarations, or when the media type the uploader
declares names another format than the bytes are. A file's name is only metadata and never becomes a path.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from werkzeug.utils import secure_filename

from app.services.errors import Invalid, UploadRejected
from app.texts import T_
from catalog_schema import vocab
from plumbing import textencoding
from plumbing.archive import ArchiveTooLarge, ArchiveWriter
from plumbing.bombs import archive_bomb
from quality.rules.format_mismatch import compatible
from quality.rules.not_parseable import KIND_KEYS

CHUNK = 64 * 1024
SNIFF_BYTES = 4 * 1024 * 1024  # as quality.assess reads an archived copy
MAX_FILENAME_CHARS = 150
UPLOAD_PATH = "/uploads"  # /uploads/<distribution id>/<file name>: the public URL of an uploaded file
_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_OFFICE_XML = (".xml", ".rels", ".vml")
# Programs, by their first bytes: Windows PE/DOS, ELF, Mach-O (both byte orders, fat), a script's #!.
_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                  b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
_MEDIA = ("image/", "audio/", "video/", "font/")


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
    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return None
    return archive_bomb((i.filename, i.file_size, i.compress_size) for i in infos)


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


def not_data(sniffed, head: bytes) -> dict[str, str] | None:
    """What a file is when it is no data (a program, an image, sound or video, bytes no reader knows):
    {"kind": program | image | media | unknown, "format": the sniffed format or ""}; None for data and
    documents (tables, text, RDF, PDF and office documents: the stars rule rates those)."""
    if head.startswith(_PROGRAM_MAGIC):
        return {"kind": "program", "format": "EXE" if head.startswith(b"MZ") else ""}
    eff = sniffed.effective if sniffed is not None else None
    fmt = (eff.format if eff is not None else None) or ""
    media = (eff.media_type if eff is not None else None) or ""
    if media.startswith("image/") or fmt in ("PNG", "JPEG", "GIF", "TIFF", "BMP", "WEBP"):
        return {"kind": "image", "format": fmt or media.split("/", 1)[1].upper()}
    if media.startswith(_MEDIA):
        return {"kind": "media", "format": fmt or media}
    if not fmt:  # what the sniffer found it to be, if anything (a 7z or RAR archive): said with the refusal, as
        details = (eff.details if eff is not None else None) or {}  # the file's finding says it
        return {"kind": "unknown", "format": next((str(details[k]) for k in KIND_KEYS if details.get(k)), "")}
    return None


def store_upload(stream: BinaryIO, filename: str | None, archive_dir: str | os.PathLike, *, max_bytes: int,
                 declared_length: int | None = None, documentation: bool = False,
                 media_type: str | None = None) -> StoredFile:
    """Stream an uploaded file into the archive (archive/ab/abcdef..., content-addressed) and vet it.

    The cap holds while the bytes stream, whatever the client declared; a declared length above the
    cap is refused before reading. Nothing is left behind when the file is refused. A file that is no
    data (`not_data`) is refused unless the uploader says it is `documentation` (a program never is).
    `media_type`: the one the uploader declares (as fields.media_type made it), which settles what the bytes leave
    open, as a server's Content-Type does for a link (a one-column table: CSV or text), and is refused when it names
    another format than the bytes are (`refuted_media_type`)."""
    name = safe_filename(filename)
    if declared_length is not None and declared_length > max_bytes:
        raise UploadRejected(T_("The file is at least %(declared_length)s bytes (as the request declares it); "
                                "uploads are limited to %(max_bytes)s bytes.",
                                declared_length=format(declared_length, ","), max_bytes=format(max_bytes, ",")),
                             code="too-large", status=413)
    with ArchiveWriter(Path(archive_dir).resolve(), max_bytes=max_bytes, prefix="up-") as writer:
        try:
            while chunk := stream.read(CHUNK):
                writer.write(chunk)
        except ArchiveTooLarge:
            raise UploadRejected(T_("The file is larger than the upload limit of %(max_bytes)s bytes.",
                                    max_bytes=format(max_bytes, ",")),
                                 code="too-large", status=413) from None
        writer.close()
        if writer.size == 0:
            raise UploadRejected(T_("The file is empty."), code="empty")
        sniffed, head = _sniffed(writer.tmp_path, name, media_type)
        _vet(sniffed, name, writer.tmp_path)
        _vet_kind(not_data(sniffed, head), name, documentation)
        refuted_media_type(sniffed, media_type, name)
        refuted_charset(sniffed, head, media_type, name)
        stored = writer.commit()
        return StoredFile(stored.path, stored.sha256, stored.size, name, sniffed)


def _sniffed(path: str | os.PathLike, name: str, media_type: str | None) -> tuple[Any, bytes]:
    """The sniffed result of the file at `path` and the head it was read from. A declared media type goes without its
    parameters: its charset is kept as the uploader wrote it, and the encoding is decided from the bytes, as the
    assessment decides it when it reads the copy again (with the sniffed media type, `detected_media_type`)."""
    from quality import sniff

    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        return sniff.sniff_file(fh, head, filename=name, declared_media_type=vocab.plain_media_type(media_type)), head


def refuted_media_type(sniffed, media_type: str | None, name: str) -> None:
    """Invalid (field `media_type`) when the declared `media_type` names a format the bytes are not (text/csv for an
    XLSX workbook): what the `format-mismatch` finding reads as another format (quality.rules.format_mismatch
    `compatible`; a kind the file is one of passes: application/json for GeoJSON, application/xml for RDF/XML,
    text/plain for a CSV, text/csv for a ZIP of CSV files). A media type that names no format the catalog knows
    passes: nothing says it is false."""
    named = vocab.format_for_media_type(media_type) if media_type else None
    if named is None or sniffed is None or compatible(named.code, sniffed):
        return
    shown = vocab.plain_media_type(media_type) or media_type
    if sniffed.format and sniffed.media_type:
        raise Invalid(T_("The media type %(media_type)s says the file is %(named)s, but the file %(name)s is "
                         "%(found)s (%(own)s): give its own media type, or none.", media_type=shown,
                         named=named.code, name=repr(name), found=sniffed.format, own=sniffed.media_type),
                      field="media_type", why="media-type-refuted", value=shown)
    raise Invalid(T_("The media type %(media_type)s says the file is %(named)s, but the file %(name)s is no "
                     "%(named)s file: give the media type of what it is, or none.", media_type=shown,
                     named=named.code, name=repr(name)), field="media_type", why="media-type-refuted", value=shown)


def refuted_for_stored(path: str | os.PathLike, name: str, media_type: str | None) -> None:
    """`refuted_media_type` and `refuted_charset` for a media type declared for a file already in the archive (the
    media type box, a PATCH): its copy read as a new upload is."""
    sniffed, head = _sniffed(path, name, media_type)
    refuted_media_type(sniffed, media_type, name)
    refuted_charset(sniffed, head, media_type, name)


def refuted_charset(sniffed, head: bytes, media_type: str | None, name: str) -> None:
    """Invalid (field `media_type`) when the declared media type's charset is one the file's bytes (`head`, the first
    SNIFF_BYTES) are not written in, by the rule the assessment weighs a declaration with
    (textencoding.decide_encoding): UTF-8 Chinese said to be GBK (it would be read as 鍚嶇О), GBK that does not
    decode as the UTF-8 said, a charset that is no encoding. ASCII bytes are ASCII in any charset that keeps it, and a
    file that is no text (its encoding not sniffed: a workbook) is not held to one."""
    charset = textencoding.charset_of(media_type) if media_type else None
    if not charset or sniffed is None or not getattr(sniffed, "encoding", None):
        return
    decision = textencoding.decide_encoding(head, [textencoding.Declaration(charset, "metadata")])
    if not decision.refused:
        return
    refusal = decision.refused[0]
    shown = " ".join(str(media_type).split())
    if refusal.why == "unknown":
        message = T_("The media type %(media_type)s gives the charset %(charset)s, which is no character encoding: "
                     "give the file's own (utf-8, gbk ...), or none.", media_type=shown, charset=charset)
    else:
        message = T_("The media type %(media_type)s says the file %(name)s is written in %(charset)s, but its bytes "
                     "are %(found)s: give its own charset, or none.", media_type=shown, name=repr(name),
                     charset=charset, found=refusal.encoding or decision.encoding)
    raise Invalid(message, field="media_type", why="charset-refuted", value=shown)


def _vet(sniffed, name: str, path: str) -> None:
    declared = vocab.format_for_extension(name)
    if sniffed.format == "HTML" and (declared is None or declared.code != "HTML"):
        said = T_("named %(name)s", name=repr(name)) if declared else T_("uploaded")
        raise UploadRejected(T_("The file %(said)s is an HTML web page, not a data file: save or export the data "
                                "itself (%(value)s) and upload that.",
                                said=said, value=declared.code if declared else 'CSV'), code="html-not-data")
    bomb = (sniffed.details or {}).get("bomb") or _zip_bomb(path)
    if bomb:
        raise UploadRejected(T_("The archive would unpack to %(uncompressed)s bytes from %(compressed)s "
                                "(%(member)s): a zip bomb is not accepted.",
                                uncompressed=format(bomb.get("uncompressed", 0), ","),
                                compressed=format(bomb.get("compressed", 0), ","), member=bomb.get("member")),
                             code="zip-bomb")
    if sniffed.format in ("XLSX", "DOCX", "PPTX", "ODS", "ODT", "ZIP") or zipfile.is_zipfile(path):
        part = _office_entities(path)
        if part:
            raise UploadRejected(T_("Part %(part)s of the file declares XML entities (a DOCTYPE): such files can "
                                    "read other files or exhaust memory when opened. Save it again from the "
                                    "office program and upload the new copy.", part=repr(part)), code="xml-entities")


_KIND_TEXT = {"program": T_("a program (executable code)"), "image": T_("an image"), "media": T_("sound or video"),
              "unknown": T_("binary content no data reader recognises")}


def _vet_kind(found: dict[str, str] | None, name: str, documentation: bool) -> None:
    if found is None or (documentation and found["kind"] != "program"):
        return
    what = T_("%(kind)s (%(format)s)", kind=_KIND_TEXT[found["kind"]], format=found["format"]) if found["format"] \
        else _KIND_TEXT[found["kind"]]
    if found["kind"] == "program":
        raise UploadRejected(T_("The file %(name)s is %(what)s, not data: programs are never published.",
                                name=repr(name), what=what),
                             code="program", found=found["kind"], format=found["format"], filename=name)
    raise UploadRejected(T_("The file %(name)s is %(what)s, not data. Upload the data itself (CSV, XLSX, JSON "
                            "...), or add the file as documentation.", name=repr(name), what=what), code="not-data",
                         found=found["kind"], format=found["format"], filename=name)


def is_upload(row: Any) -> bool:
    """Whether a distribution is a file uploaded here (its archived copy is the file itself)."""
    return bool((row.extras or {}).get("upload"))
