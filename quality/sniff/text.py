"""Text formats: the encoding first, then JSON, markup (XML, HTML), RDF text, or a delimited table."""

from __future__ import annotations

from typing import Any

from plumbing.textencoding import Decision, decide_encoding, declarations
from quality.sniff.encoding import SELF_EVIDENT, decode_head, decodes, xml_declared_encoding
from quality.sniff.jsontext import classify_json
from quality.sniff.markup import classify_markup
from quality.sniff.model import HEAD_BYTES, Sniffed, lower_name, result
from quality.sniff.rdftext import classify_rdf_text
from quality.sniff.table import classify_table


def sniff_text(data: bytes, filename: str | None, declared: str | None, partial: bool,
               declared_encoding: str | None = None) -> Sniffed:
    decision = decide_encoding(data, declarations(declared_encoding, declared))
    encoding, enc_conf = decision.encoding, decision.confidence
    if encoding is None:
        return result(None, 0.5, media_type="application/octet-stream", binary=True)
    head = data[:HEAD_BYTES]
    cut = partial or len(data) > HEAD_BYTES
    declared_xml = xml_declared_encoding(head)
    if declared_xml and decision.by == "detected" and encoding not in SELF_EVIDENT and declared_xml != encoding \
            and decodes(head, declared_xml, cut):
        encoding, enc_conf = declared_xml, 0.95  # the document names its legacy encoding, and the bytes agree
    text = decode_head(head, encoding, cut)
    body = text.lstrip("\ufeff \t\r\n")
    extra: dict[str, Any] = {}
    if partial:
        extra["truncated"] = True  # only the start of an archive member was read
    if len(data) > HEAD_BYTES:
        extra["head_only"] = HEAD_BYTES  # the judgement rests on this many leading bytes
    extra.update(_decided(decision))
    if not body:
        return result("TXT", 0.5, encoding=encoding, blank=True, **extra)
    name = lower_name(filename)
    declared = (declared or "").split(";")[0].strip().lower()
    for classify in (classify_json, classify_markup, classify_rdf_text, classify_table):
        found = classify(data, body, encoding, cut, partial, name, declared)
        if found is not None:
            mark_decision(found, decision)
            found.encoding = encoding
            found.confidence = round(found.confidence * (0.5 + enc_conf / 2), 3)
            for key, value in extra.items():
                found.details.setdefault(key, value)
            return found
    return result("TXT", 0.6 * (0.5 + enc_conf / 2), encoding=encoding, **extra)


def mark_decision(found: Sniffed, decision: Decision) -> None:
    """Record on `found` the encoding `decision` chose (`plumbing.textencoding.decide_encoding`), who declared it
    (`details["encoding_by"]`: ``metadata`` or ``http``; absent when detected) and the declarations the bytes
    refuted (`details["encoding_refused"]`, which `quality.rules.encoding_declared` turns into findings)."""
    found.encoding = decision.encoding
    found.details.pop("encoding_by", None)
    found.details.pop("encoding_refused", None)
    found.details.update(_decided(decision))


def _decided(decision: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if decision.by != "detected":
        out["encoding_by"] = decision.by
    if decision.refused:
        out["encoding_refused"] = [r.to_dict() for r in decision.refused]
    return out
