"""XML and its kinds (RDF/XML, Atom, RSS, WMS/WFS, KML, GML) and HTML, from the root element."""

from __future__ import annotations

import io
import re
from typing import Any

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from quality.sniff.model import HEAD_BYTES, Sniffed, result

_HTML_TAGS = ("!doctype html", "html", "head", "body", "title", "meta", "script", "style", "link", "iframe",
              "frameset", "noscript", "div")


_PROLOG = re.compile(r"(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)


_HTML_START = re.compile(r"<(" + "|".join(re.escape(t) for t in _HTML_TAGS) + r")[\s>/]", re.I)


_HTML_LATER = re.compile(r"(?im)^\s*<(!doctype\s+html|html)[\s>]")


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)


_ROOT_TAG = re.compile(r"<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?([^>]*)>", re.S)


_SKIP_MARKUP = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S | re.I)


IRI_START = re.compile(r"<(?:https?|urn|ftp|file|mailto|tag|info|did):[^<>\s\"]*>\s")


_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


_ATOM_NS = "http://www.w3.org/2005/Atom"


_WFS_NS = ("http://www.opengis.net/wfs", "http://www.opengis.net/wfs/2.0")


def classify_markup(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                     declared: str) -> Sniffed | None:
    if not body.startswith("<"):
        if _HTML_LATER.search(body[:2048]):
            return result("HTML", 0.7)
        return None
    if IRI_START.match(body):
        return None  # "<http://...> <...>" is N-Triples or Turtle, not markup
    after_prolog = body[_PROLOG.match(body).end():]
    if _HTML_START.match(after_prolog) or re.match(r"<!doctype\s+html", after_prolog, re.I):
        return result("HTML", 0.95)
    ns, local, unsafe = _xml_root(body)
    if local is None:
        return None
    details: dict[str, Any] = {"xml_root": f"{{{ns}}}{local}" if ns else local}
    if unsafe:
        details["xml_unsafe"] = unsafe
    return result(_xml_kind(ns, local, body, name), 0.95 if not unsafe else 0.8, **details)


def _xml_root(body: str) -> tuple[str, str | None, str | None]:
    """(namespace, local name, unsafe-construct) of the root element, parsed with defusedxml.

    The XML declaration is dropped because we parse the already-decoded text (its encoding
    label would contradict). A document defusedxml refuses (entities, external references)
    still gets its root from a plain scan of the start tag, and the refusal is reported.
    """
    text = _XML_DECL.sub("", body, count=1)
    unsafe = None
    try:
        for _event, elem in DET.iterparse(io.BytesIO(text.encode("utf-8")), events=("start",)):
            tag = elem.tag
            if isinstance(tag, str):
                if tag.startswith("{"):
                    ns, _, local = tag[1:].partition("}")
                    return ns, local, None
                return "", tag, None
            break
    except DefusedXmlException as exc:
        unsafe = type(exc).__name__
    except (DET.ParseError, ValueError, RecursionError):
        pass
    ns, local = _scan_root(text)
    return ns, local, unsafe


def _scan_root(text: str) -> tuple[str, str | None]:
    rest = text[:HEAD_BYTES]
    pos = 0
    while True:
        rest_stripped = rest[pos:].lstrip()
        skipped = _SKIP_MARKUP.match(rest_stripped)
        if not skipped:
            break
        pos = len(rest) - len(rest_stripped) + skipped.end()
    match = _ROOT_TAG.match(rest[pos:].lstrip())
    if not match:
        return "", None
    prefix, local, attrs = match.group(1), match.group(2), match.group(3)
    if local is None:
        prefix, local = None, prefix
    attr = f"xmlns:{prefix}" if prefix else "xmlns"
    ns = re.search(rf"{re.escape(attr)}\s*=\s*[\"']([^\"']*)[\"']", attrs)
    return (ns.group(1) if ns else ""), local


def _xml_kind(ns: str, local: str, body: str, name: str) -> str:
    if ns == _RDF_NS and local == "RDF":
        return "RSS" if "http://purl.org/rss/1.0/" in body[:4096] else "RDF_XML"
    if ns == _ATOM_NS and local in ("feed", "entry"):
        return "ATOM"
    if local == "rss":
        return "RSS"
    if local in ("WMS_Capabilities", "WMT_MS_Capabilities"):
        return "WMS"
    if local == "WFS_Capabilities":
        return "WFS"
    if local == "kml":
        return "KML"
    if ns.startswith("http://www.opengis.net/gml") or (local == "FeatureCollection" and ns in _WFS_NS):
        return "GML"
    if local.lower() == "html":
        return "HTML"
    return "XML"
