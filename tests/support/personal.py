"""A table of made-up citizens with checksum-valid resident identity numbers, mobile numbers and an e-mail
address: what the personal-data tests put in and look for on the way out."""

from __future__ import annotations

import io
import zipfile

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(body17: str) -> str:
    """A resident identity number with its GB 11643 check character (computed here, not by quality.pii)."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, _W, strict=True)) % 11]


IDS = [make_id(f"3702811980{m:02d}{d:02d}2{n:02d}") for n, (m, d) in enumerate(
    [(1, 5), (2, 14), (3, 9), (4, 30), (5, 1), (6, 18), (7, 7), (8, 22), (9, 3), (10, 11), (11, 28), (12, 31)])]
PHONES = [f"13{n}1234567{n}" for n in range(8)] + [f"15{n}8765432{n}" for n in range(4)]
EMAIL = "zhang.san@example.cn"
ROWS = [[f"GD{n:04d}", f"居民{n}", IDS[n], PHONES[n], f"邮箱 {EMAIL}" if n == 4 else "已办结"] for n in range(12)]
HEADER = ["工单编号", "姓名", "身份证号", "联系电话", "备注"]
FLAGGED = {"身份证号": {"id_number": 12}, "联系电话": {"phone": 12}, "备注": {"email": 1}}
SECRETS = IDS + PHONES + [EMAIL]

#: The doors that give a published table's rows, columns or findings to the public, by name: URL templates of the
#: dataset's `slug` and the distribution's `dist`. What a personal-data test asks for a leak.
TABLE_DOORS = {
    "data.csv": "/dataset/{slug}/resource/{dist}/data.csv",
    "data.json": "/dataset/{slug}/resource/{dist}/data.json",
    "data.xml": "/dataset/{slug}/resource/{dist}/data.xml",
    "csvw": "/dataset/{slug}/resource/{dist}/data.csv-metadata.json",
    "schema.json": "/dataset/{slug}/resource/{dist}/schema.json",
    "datastore_search": "/api/3/action/datastore_search?resource_id={dist}",
    "rows": "/api/v1/datasets/{slug}/distributions/{dist}/rows",
    "dictionary": "/api/v1/datasets/{slug}/distributions/{dist}/dictionary",
    "preview": "/dataset/{slug}?lang=en",
    "preview-zh": "/dataset/{slug}?lang=zh_CN",
    "quality": "/api/v1/datasets/{slug}/quality?lang=en",
    "quality-zh": "/api/v1/datasets/{slug}/quality?lang=zh",
}


def csv_bytes(header, rows) -> bytes:
    return ("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode("utf-8")


def xlsx_bytes(*sheets: tuple[str, list[list[str]]]) -> bytes:
    """A workbook of these sheets, in order: (name, rows)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(*members: tuple[str, bytes]) -> bytes:
    """A ZIP of these members, in order: (name, bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


PII_CSV = csv_bytes(HEADER, ROWS)
CLEAN_CSV = csv_bytes(["区县", "人口"], [["临江区", "120000"], ["白沙县", "56000"], ["东港区", "98000"]])

#: A file without a header row: its first row (a resident's phone and ID number, a count column whose first cell is
#: another phone, the guardian's ID number: the same one) is read as the column names, which are then personal data
#: (``居民0``, PHONES[0], IDS[0], ``已办结``, PHONES[1], IDS[0] + "2": a repeated name takes its occurrence number).
#: Below it 159 rows: a phone and an ID number in columns 2, 3 and 6, an empty cell in columns 4 and 5, and a word
#: among column 5's counts.
HEADERLESS_ROWS = [["居民0", PHONES[0], IDS[0], "已办结", PHONES[1], IDS[0]]] + [
    [f"居民{n}", PHONES[n % 12], IDS[n % 12], "" if n == 9 else "已办结", {155: "无", 7: ""}.get(n, str(n)),
     IDS[(n + 1) % 12]] for n in range(1, 160)]
HEADERLESS_CSV = ("\r\n".join(",".join(r) for r in HEADERLESS_ROWS) + "\r\n").encode("utf-8")


def kept_before(distribution: str) -> list[dict]:
    """The findings the rules kept of HEADERLESS_CSV (as `distribution`) before a column named by personal data was
    said by its position (until 2026-12-07): by its name, in the evidence and in the English message."""
    second = IDS[0] + "2"
    return [
        {"type": "duplicate-header", "severity": "warning", "distribution": distribution, "message":
            f"Column names used more than once: {IDS[0]}.", "fix": "Give each column a distinct name.",
         "evidence": {"count": 1, "labels": IDS[0]}},
        {"type": "missing-cells", "severity": "info", "distribution": distribution, "message":
            "2 cells are empty (0.2% of the table).", "fix": "Fill the empty cells, or explain in the description "
            "what an empty cell means.",
         "evidence": {"count": 2, "share": 0.2, "by_column": {"已办结": 1, PHONES[1]: 1}}},
        {"type": "type-error", "severity": "warning", "distribution": distribution, "message":
            f"1 cell does not match their column's type; most in {PHONES[1]}.", "fix": "Correct the cells that do not "
            "fit their column's type (numbers with text, dates in another form), or declare the column's type in a "
            "Table Schema.", "evidence": {"count": 1, "columns": PHONES[1], "by_column": {PHONES[1]: 1}}},
        {"type": "pii-phone", "severity": "error", "distribution": distribution, "message":
            f"Column {PHONES[0]} holds 159 mobile phone numbers.", "fix": "Remove or mask the phone numbers before "
            "publishing.", "evidence": {"column": PHONES[0], "count": 159}},
        {"type": "pii-id-number", "severity": "error", "distribution": distribution, "message":
            f"Column {IDS[0]} holds 159 valid resident identity numbers.", "fix": "Remove or mask the identity "
            "numbers before publishing (for example keep only the region code).",
         "evidence": {"column": IDS[0], "count": 159}},
        {"type": "pii-id-number", "severity": "error", "distribution": distribution, "message":
            f"Column {second} holds 159 valid resident identity numbers.", "fix": "Remove or mask the identity "
            "numbers before publishing (for example keep only the region code).",
         "evidence": {"column": second, "count": 159}},
    ]


def leaked(text: str) -> list[str]:
    """The made-up personal values that appear in `text` (none may reach the public)."""
    return [s for s in SECRETS if s in text]


#: The personal-data marker as the pages say it in each language (the data, its downloads and its APIs keep
#: "[redacted]" whatever the language): app.web.datasets.said_marks.
PAGE_MARK = {"zh": "[已遮盖]", "en": "[redacted]"}


def on_page(text: str, lang: str = "zh") -> str:
    """`text` (a redacted text as the data gives it) as a page in `lang` shows it."""
    return text.replace(PAGE_MARK["en"], PAGE_MARK[lang])
