"""`format-mismatch`: the declared format is not what the bytes are (an XLSX declared as CSV).

A subtype or sibling keeps the promise (GeoJSON for JSON, TSV for CSV, RDF/XML for XML, a CSV
inside a ZIP declared as CSV); bytes we cannot name at all break it.
"""

from __future__ import annotations

from catalog_schema import vocab
from quality.findings import Finding, FindingType, Rule, Variant, archive_of, make_finding, unrecognised
from quality.rules.not_parseable import KIND_KEYS

TYPE = FindingType(
    "format-mismatch", "warning",
    "Declared format differs from the file", "声明的格式与文件不符",
    "Correct the declared format to {sniffed} (or publish the file the metadata promises).",
    "将声明的格式更正为 {sniffed}（或发布元数据所承诺的文件）。",
    message_en="The format is declared as {declared}, but the file is {sniffed}.",
    message_zh="声明的格式为 {declared}，但文件实际为 {sniffed}。",
    # a file of no format the portal knows: "Correct the declared format to an unrecognised file (7z)" said nothing
    variants=(Variant(
        "When the file is of no format the portal recognises",
        unrecognised("sniffed"),
        "The file is {sniffed}, which does not match the declared format {declared}: publish the data in an open, "
        "machine-readable format such as CSV or JSON and declare that format, or correct the declared format to "
        "what the file really is.",
        "文件是 {sniffed}，与声明的格式 {declared} 不符：请以 CSV、JSON 等开放的机器可读格式发布数据并声明该格式，"
        "或将声明的格式更正为文件的实际格式。",
    ), Variant(
        # an archive of a format: "Correct the declared format to ZIP of XLSX" named no format a publisher can pick
        "When the file is an archive (ZIP, GZIP) of another format",
        lambda evidence: bool(archive_of(evidence)),
        "Correct the declared format to {archive}, the archive the file is (it holds {holds}), or publish the file "
        "the metadata promises.",
        "将声明的格式更正为 {archive}（文件是压缩包，其中为 {holds}），或发布元数据所承诺的文件。",
    )),
)

_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"CSV", "TSV", "PSV"}),
    frozenset({"XLS", "XLSX"}),
    frozenset({"DOC", "DOCX"}),
    frozenset({"TURTLE", "NTRIPLES", "N3"}),
    frozenset({"JSON", "GEOJSON", "JSON_LD"}),
)
_XML_KINDS = frozenset({"RDF_XML", "ATOM", "RSS", "WMS", "WFS", "KML", "GML"})
_TEXT_KINDS = frozenset({"CSV", "TSV", "PSV"})
_SERVICES = frozenset({"WMS", "WFS"})


def declared_code(declared: str | None) -> str | None:
    """The vocabulary code of a declared format (a code, a label or a media type), None if unknown."""
    if not declared:
        return None
    ff = vocab.format_by_code(declared.strip().upper()) or vocab.file_format(declared)
    return ff.code if ff is not None else None


def unknown_label(sniffed) -> str:
    """How a file the sniffer could not name is called in messages."""
    kind = next((sniffed.details[key] for key in KIND_KEYS if sniffed.details.get(key)), None)
    return f"an unrecognised file ({kind})" if kind else "an unrecognised file"


def compatible(declared: str, sniffed) -> bool:
    """Whether the bytes keep the declared format's promise (a subtype or sibling counts)."""
    chain = [sniffed]
    while isinstance(chain[-1].details.get("inner"), type(sniffed)):
        chain.append(chain[-1].details["inner"])
    codes = [s.format for s in chain if s.format]
    if declared in codes:
        return True
    for code in codes:
        if declared == "XML" and code in _XML_KINDS:
            return True
        if declared == "TXT" and code in _TEXT_KINDS:
            return True
        if declared in _SERVICES and code in ("XML", "PNG", "JPEG", "GIF", "TIFF", "GML"):
            return True
        if any(declared in fam and code in fam for fam in _FAMILIES):
            return True
    return False  # including bytes we cannot name at all: the declared format's promise is broken


def same_kind(declared: str, code: str) -> bool:
    """Whether a file of format `code` keeps the promise of the `declared` format (itself, a subtype or sibling)."""
    from quality.sniff.model import Sniffed

    return compatible(declared, Sniffed(code))


def check(declared_format: str | None, sniffed) -> list[Finding]:
    """The finding when the sniffed file (``quality.sniff.Sniffed``) breaks the declared format's promise."""
    declared = declared_code(declared_format)
    if declared is None or sniffed is None or compatible(declared, sniffed):
        return []
    if sniffed.format == "HTML":  # a web page where data was promised: html-not-data says so and links the data;
        return []  # "correct the declared format to HTML" would have the publisher declare it no data
    inner = sniffed.effective
    inner_label = inner.format or unknown_label(inner)
    if inner is sniffed:
        return [make_finding(TYPE.slug, declared=declared, sniffed=inner_label, recognised=inner.format is not None)]
    return [make_finding(TYPE.slug, declared=declared, sniffed=f"{sniffed.format} of {inner_label}",
                         recognised=inner.format is not None, archive=sniffed.format, holds=inner_label)]


RULE = Rule(TYPE.slug, (TYPE,), subject="distribution", check=check)
