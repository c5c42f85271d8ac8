"""``sniff``: the entry point, binary formats first, then text."""

from __future__ import annotations

from plumbing.textencoding import decide_encoding, declarations
from quality.sniff.binary import sniff_binary
from quality.sniff.encoding import after_ascii
from quality.sniff.model import HEAD_BYTES, Sniffed, result
from quality.sniff.text import mark_decision, sniff_text


def sniff(data: bytes, *, filename: str | None = None, declared_media_type: str | None = None,
          declared_encoding: str | None = None) -> Sniffed:
    """The real format of `data` (the whole file, or as much of it as was downloaded). `declared_media_type` is
    what its server said it is (its charset a declaration of its encoding), `declared_encoding` what its metadata
    says (a Data Package resource's `encoding`): `plumbing.textencoding.decide_encoding` weighs both."""
    try:
        return sniff_at(bytes(data), filename, declared_media_type, depth=0, partial=False,
                        declared_encoding=declared_encoding)
    except Exception as exc:  # noqa: BLE001 - the last guard: one odd file must not stop an assessment
        return result(None, 0.0, media_type="application/octet-stream", sniff_error=f"{type(exc).__name__}: {exc}")


def sniff_file(fh, head: bytes, *, filename: str | None = None, declared_media_type: str | None = None,
               declared_encoding: str | None = None) -> Sniffed:
    """`sniff` of `head`, the first bytes read of the binary file `fh` (an archived copy: the upload and the
    assessment read its first 4 MB). Text whose head is all ASCII is given the encoding of the file's first
    bytes that are not, wherever they are: a GBK table of codes and figures with its Chinese past the head was
    reported as ASCII, its original served as ``charset=utf-8`` and no finding said it was not UTF-8."""
    found = sniff(head, filename=filename, declared_media_type=declared_media_type,
                  declared_encoding=declared_encoding)
    if found.encoding == "ascii" and head:
        window = after_ascii(fh, len(head), HEAD_BYTES)
        if window:
            decision = decide_encoding(window, declarations(declared_encoding, declared_media_type))
            if decision.encoding:
                mark_decision(found, decision)
    return found


def sniff_at(data: bytes, filename: str | None, declared: str | None, *, depth: int, partial: bool,
             declared_encoding: str | None = None) -> Sniffed:
    """`declared` is the media type the server declared, `declared_encoding` the metadata's encoding: the file's
    own, never an archive member's (`quality.sniff.archive` passes neither)."""
    if not data:
        return result(None, 0.0, empty=True)
    found = sniff_binary(data, filename, depth, partial)
    if found is not None:
        return found
    return sniff_text(data, filename, declared, partial, declared_encoding)
