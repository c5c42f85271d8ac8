"""Data-level profiling of tabular distributions (docs/quality.md), with frictionless semantics and a fast path.

What it measures, per file: completeness (missing cells per column), validity (cells that do not
match the column's Table Schema type, declared or inferred), uniqueness (duplicate rows and
primary keys), structure (blank and duplicate header labels, blank rows, extra and missing cells,
notes rows above and below the table), the text encoding, and personal data (``quality.pii``).

The counts follow frictionless (Table Schema types, its error names and its rules: a missing value
is an empty cell, ``extra-cell`` and ``missing-cell`` are per cell, a blank row is one whose cells
are all empty, a duplicate row equals an earlier one on the header's fields, types are inferred
from the first 100 rows with frictionless's scoring) so our figures can be checked against
``frictionless validate`` on the same file. They differ where frictionless looks at typed values:
``01`` and ``1`` are one integer to frictionless but two strings to our duplicate-row and
primary-key checks, and frictionless counts cells that failed their type (read as null) as equal.

Why it is fast: CSV is read by pyarrow's streaming reader, all columns as strings, and every check
is a vectorised compute over a record batch; rows whose width is wrong go through pyarrow's
invalid-row handler, are padded or cut to the header's width and checked as a small side batch.
Duplicate rows are found from one 64-bit hash per row, so memory grows by 8 bytes per row.

Notes rows: statistical exports (the China NBS pattern) put lines like ``数据库：分省年度数据``
above the header and ``注：...`` / ``数据来源：国家统计局`` below the table. The header is the first row
as wide as the table's dominant width and mostly non-numeric; trailing rows that collapse to one
filled cell are notes. Only the table between them is profiled.
"""

from __future__ import annotations

from quality.tabular.celltypes import CANDIDATES, FALSE_VALUES, TRUE_VALUES, infer_type, infer_types, valid_mask
from quality.tabular.encoding import detect_encoding
from quality.tabular.findings import profile_findings, unreadable_finding
from quality.tabular.hashing import column_hash, combine_hashes
from quality.tabular.model import (
    BLOCK_BYTES,
    HEAD_BYTES,
    INFER_CONFIDENCE,
    INFER_ROWS,
    ROW_BATCH,
    SAMPLE_ROWS,
    TAIL_BYTES,
    TableError,
    TableProfile,
)
from quality.tabular.profile import profile_file
from quality.tabular.profiler import REDACTED
from quality.tabular.read import read_table, tables_kept

__all__ = [
    "BLOCK_BYTES", "CANDIDATES", "FALSE_VALUES", "HEAD_BYTES", "INFER_CONFIDENCE", "INFER_ROWS", "REDACTED",
    "ROW_BATCH", "SAMPLE_ROWS", "TAIL_BYTES", "TRUE_VALUES", "TableError", "TableProfile", "column_hash",
    "combine_hashes", "detect_encoding", "infer_type", "infer_types", "profile_file", "profile_findings", "read_table",
    "tables_kept", "unreadable_finding", "valid_mask",
]
