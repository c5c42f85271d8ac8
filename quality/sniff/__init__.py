"""The real format and text encoding of a file, decided from its bytes.

Publishers' declared formats and file extensions lie often (an HTML error page behind a
".csv" link, an XLSX called CSV), and the five-star rating must rest on what the file is.
So this module looks only at the bytes: magic numbers for binary formats, the inside of ZIP
and OLE2 containers, and for text the encoding first, then JSON, XML, RDF, HTML or a
delimited table. A file name or declared media type only breaks ties the bytes leave open
(N3 versus Turtle, a one-column CSV versus plain text).

Everything is pure and bounded: at most `HEAD_BYTES` of text are examined, archive members
are read through streaming decompressors capped at `MEMBER_READ_BYTES`, and a member whose
declared size and ratio look like a zip bomb is reported in `details["bomb"]`, not unpacked.
XML is parsed with defusedxml. `sniff` never raises on bad input: what it cannot tell is
format None.
"""

from __future__ import annotations

from quality.sniff.detect import sniff, sniff_file
from quality.sniff.encoding import detect_encoding
from quality.sniff.model import (
    ARCHIVE_READ_BUDGET,
    HEAD_BYTES,
    JSON_PARSE_CAP,
    MAX_DEPTH,
    MAX_LISTED_MEMBERS,
    MAX_SNIFFED_MEMBERS,
    MEMBER_READ_BYTES,
    NESTED_ARCHIVE_CAP,
    TABLE_SAMPLE_ROWS,
    Sniffed,
)

__all__ = [
    "ARCHIVE_READ_BUDGET", "HEAD_BYTES", "JSON_PARSE_CAP",
    "MAX_DEPTH", "MAX_LISTED_MEMBERS", "MAX_SNIFFED_MEMBERS", "MEMBER_READ_BYTES", "NESTED_ARCHIVE_CAP",
    "TABLE_SAMPLE_ROWS", "Sniffed", "detect_encoding", "sniff", "sniff_file",
]
