"""`not-parseable`: a file that does not parse as what it is is not structured data (at most one star).

JSON cut off mid-way or nested deeper than a parser takes, Turtle or RDF/XML with a syntax error (or
with entity declarations we refuse to expand), a CSV full of NUL bytes: each would otherwise earn the
stars of its format (a truncated JSON file sniffs as a CSV of brackets). The finding says where
reading failed: line, column and byte offset when the parser tells, else the byte offset we found.

What the file "is" comes from the bytes (the sniffed format) or, when the bytes are not recognisable
as anything, from the declared format or the file name (a `.json` file that starts with ``{``) — but bytes that are
no text at all (a 7z or RAR archive known by its magic bytes, a blob no encoding reads even without its NUL bytes)
are no CSV or JSON, whatever they are declared or named: format-mismatch says what they are (`not_text`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from plumbing.textencoding import HEAD_BYTES, detect_encoding
from quality.findings import FindingType, Rule

#: The keys of a sniffed file's details that name what the sniffer knew it by, though the vocabulary has no format
#: for it (quality.sniff.binary `_OTHER_MAGIC`: 7z, rar...; quality.sniff.ole; quality.sniff.archive for ODF).
KIND_KEYS = ("container", "ole", "odf")

TYPE = FindingType(
    "not-parseable", "error", "The file does not parse", "文件无法解析",
    "Publish a complete, well-formed {format} file (a validator shows the first error); until it parses it "
    "is not structured data and earns at most one star.",
    "发布完整、格式正确的 {format} 文件（可用校验工具找出第一个错误）；在能够解析之前它不算结构化数据，最多得一星。",
    message_en="The file does not parse as {format}: {problem} ({where}).",
    message_zh="文件无法按 {format} 格式解析（{where_zh}）：{problem_zh}。",
)

JSON_FORMATS = frozenset({"JSON", "GEOJSON", "JSON_LD"})
RDF_FORMATS = frozenset({"TURTLE", "NTRIPLES", "N3", "RDF_XML", "JSON_LD"})
TABLE_TEXT_FORMATS = frozenset({"CSV", "TSV", "PSV"})
PARSE_CAP = 64 * 1024 * 1024  # files larger than this are not parsed whole here (not judged)
MAX_JSON_DEPTH = 500  # reported when the parser gave up on the nesting: it failed deeper than this
_JSON_NAMES = (".json", ".geojson", ".jsonld")
_LINE = re.compile(r"line (\d+)(?:, column (\d+)| of)?", re.I)


def where(data: bytes, byte: int | None, line: int | None = None, column: int | None = None) -> dict[str, Any]:
    """Evidence for a position: line and column (1-based, counted from ``byte`` when not given) and byte."""
    if byte is not None and line is None:
        before = data[:byte]
        line = before.count(b"\n") + 1
        column = byte - (before.rfind(b"\n") + 1) + 1
    parts_en, parts_zh = [], []
    if line is not None:
        parts_en.append(f"line {line}" + (f", column {column}" if column is not None else ""))
        parts_zh.append(f"第 {line} 行" + (f"第 {column} 列" if column is not None else ""))
    if byte is not None:
        parts_en.append(f"byte {byte}")
        parts_zh.append(f"第 {byte} 字节")
    return {"line": line, "column": column, "byte": byte,
            "where": ", ".join(parts_en) or "position not reported by the parser",
            "where_zh": "，".join(parts_zh) or "解析器未报告位置"}


def meant_format(data: bytes, sniffed, declared: str | None, name: str | None) -> str | None:
    """The structured format the file is meant to be, if it is one we check."""
    code = sniffed.format if sniffed is not None else None
    if code in JSON_FORMATS or code in RDF_FORMATS or code in TABLE_TEXT_FORMATS:
        if code in TABLE_TEXT_FORMATS and _looks_like_json(data, declared, name):
            return declared if declared in JSON_FORMATS else "JSON"  # a broken JSON file sniffs as CSV
        return code
    if code is not None:  # sniffed as another format (an XLSX named .csv): it is that, declared wrong
        return None  # (format-mismatch says so); checked as CSV, its ZIP bytes were "NUL bytes", never profiled
    if not_text(data, sniffed):  # a 7z archive, a binary blob: no CSV or JSON that fails to parse, but a file of no
        return None  # recognised format (format-mismatch says so); it was "5 NUL byte(s)" of a CSV it never was
    if _looks_like_json(data, declared, name):
        return declared if declared in JSON_FORMATS else "JSON"
    if declared in TABLE_TEXT_FORMATS or (name or "").lower().endswith((".csv", ".tsv")):
        return declared if declared in TABLE_TEXT_FORMATS else "CSV"
    return None


def not_text(data: bytes, sniffed) -> bool:
    """Whether bytes the sniffer named no format are no text at all: a container it knows by its magic bytes though
    the vocabulary has no code for it (a 7z or RAR archive, an OLE or ODF file of no kind it knows: the kind
    `format_mismatch.unknown_label` says), or bytes no encoding reads even without their NUL bytes (a binary blob).
    A CSV or JSON file with a few stray NUL bytes is text once they are taken out: it is that file, broken; so is one
    of nothing but NUL bytes (a copy zeroed on its way), which the NUL bytes said of it describe exactly."""
    details = (sniffed.details or {}) if sniffed is not None else {}
    if any(details.get(key) for key in KIND_KEYS):
        return True
    if not details.get("binary"):
        return False
    rest = data[:HEAD_BYTES].replace(b"\x00", b"")
    return bool(rest) and detect_encoding(rest)[0] is None


def _looks_like_json(data: bytes, declared: str | None, name: str | None) -> bool:
    said = declared in JSON_FORMATS or (name or "").lower().endswith(_JSON_NAMES)
    return said and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def check(data: bytes, sniffed, declared: str | None = None, name: str | None = None) -> dict[str, Any] | None:
    """Evidence of the failure (format, problem, where...) when ``data`` does not parse as what it is meant to be;
    None when it parses or is not a format checked here. RDF is parsed by the caller (``rdf_failure``)."""
    fmt = meant_format(data, sniffed, declared, name)
    if fmt is None or len(data) > PARSE_CAP:
        return None
    encoding = (sniffed.encoding if sniffed is not None else None) or "utf-8"
    if fmt in JSON_FORMATS:
        return _json_failure(data, fmt, encoding, lines=bool(sniffed and sniffed.details.get("json_top") == "lines"))
    if fmt in TABLE_TEXT_FORMATS and not encoding.lower().startswith(("utf-16", "utf-32")):
        nul = data.find(b"\x00")
        if nul >= 0:
            count = data.count(b"\x00")
            return {"format": fmt, "problem": f"{count} NUL byte(s), the first", "problem_zh":
                    f"有 {count} 个 NUL 字节（空字节），第一个在上述位置", **where(data, nul)}
    return None


def _json_failure(data: bytes, fmt: str, encoding: str, lines: bool) -> dict[str, Any] | None:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "ascii") else encoding
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        start = exc.start if isinstance(exc, UnicodeDecodeError) else None
        return {"format": fmt, "problem": f"the text is not valid {encoding}", **where(data, start)}
    plain = "utf-8" if codec == "utf-8-sig" else codec
    bom = 3 if codec == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf") else 0

    def byte_at(index: int) -> int:
        return bom + len(text[:index].encode(plain, errors="replace"))

    docs = [(0, text)] if not lines else _json_lines(text)
    for base, doc in docs:
        try:
            json.loads(doc)
        except RecursionError:
            pos = _too_deep_at(doc)
            byte = byte_at(base + pos) if pos is not None else None
            return {"format": fmt, "problem": f"nested more than {MAX_JSON_DEPTH} levels deep, deeper than the "
                                              "parser takes", **where(data, byte)}
        except ValueError as exc:
            pos = getattr(exc, "pos", None)
            byte = byte_at(base + pos) if pos is not None else None
            problem = getattr(exc, "msg", None) or str(exc)
            if pos is not None and pos >= len(doc.rstrip()):
                problem = f"the document ends early ({problem})"
            return {"format": fmt, "problem": problem, **where(data, byte)}
    return None


def _json_lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def _too_deep_at(text: str) -> int | None:
    """The index where the nesting first goes deeper than MAX_JSON_DEPTH (strings skipped)."""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return i
        elif ch in "]}":
            depth -= 1
    return None


def rdf_failure(data: bytes, fmt: str, error: Exception) -> dict[str, Any]:
    """Evidence for RDF that did not parse (``quality.openness.rdf_link_stats`` raised ``error``)."""
    message = " ".join(str(error).split())
    found = _LINE.search(message)
    if found:
        line = int(found.group(1))
        column = int(found.group(2)) if found.group(2) else None
        position = where(data, None, line, column)
    elif "entit" in message.lower() and b"<!ENTITY" in data:
        position = where(data, data.find(b"<!ENTITY"))
    else:
        position = where(data, None)
    return {"format": fmt, "problem": message[:300], **position}


RULE = Rule(TYPE.slug, (TYPE,), subject="distribution", check=check)
