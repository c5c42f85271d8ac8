"""What a table profile is: its dataclass, the error for a file that is not a readable table, and the sizes
the readers work in."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

HEAD_BYTES = 256 * 1024  # structure and encoding are decided from this much of the start


HEAD_LINES = 8  # ... read on, HEAD_BYTES at a time, until it holds this many whole lines (a header wider than it)


MAX_LINE_BYTES = 4 << 20  # ... up to this much: a first line longer is a header too long to read (pyarrow's block)


TAIL_BYTES = 64 * 1024  # notes below the table are looked for in this much of the end


BLOCK_BYTES = 4 << 20  # pyarrow block size: about 50,000 rows of typical width per batch


ROW_BATCH = 50_000  # rows per batch for row-based sources (spreadsheets, JSON, read_table)


INFER_ROWS = 100  # frictionless's sample size for type inference


INFER_CONFIDENCE = 0.9  # frictionless's field confidence


SAMPLE_ROWS = 20


class TableError(ValueError):
    """The file cannot be read as a table. ``reason``: encrypted, unreadable, empty or unsupported-format."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class TableProfile:
    format: str
    encoding: str | None
    rows: int
    columns: int
    header: list[str]
    header_row: int  # 0-based row (record) of the file where the header was found
    notes_rows_above: list[int] = field(default_factory=list)
    notes_rows_below: list[int] = field(default_factory=list)
    notes_above: list[str] = field(default_factory=list)  # the notes rows' text (personal data redacted)
    notes_below: list[str] = field(default_factory=list)
    missing_cells: int = 0
    missing_by_column: dict[str, int] = field(default_factory=dict)
    blank_rows: int = 0
    duplicate_rows: int = 0
    duplicate_keys: int = 0
    type_errors: int = 0
    type_errors_by_column: dict[str, int] = field(default_factory=dict)
    extra_cells: int = 0
    missing_trailing_cells: int = 0
    blank_header: list[int] = field(default_factory=list)
    duplicate_header: list[str] = field(default_factory=list)
    inferred_types: dict[str, str] = field(default_factory=dict)
    sample: list[list] = field(default_factory=list)
    pii: dict = field(default_factory=dict)  # personal data found per column and kind, its name's (below) included
    # the part of `pii` that is a column's name itself (a file without a header row has its first row of data read as
    # its names): column -> kind -> 1
    header_pii: dict = field(default_factory=dict)
    truncated: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict) -> TableProfile:
        """The inverse of `to_dict`."""
        return cls(**{f.name: doc[f.name] for f in fields(cls) if f.name in doc})
