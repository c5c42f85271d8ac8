"""Personal data in a file outside the table the profile reads: a workbook's other sheets, a ZIP's other members,
notes rows or text around the table, or a file no table is read from (quality.tabular.whole scans every cell,
member and line). The findings are those of ``quality.rules.pii`` (the same slugs, severity, score cap and
override), naming the part of the file instead of a column: counts only, never a value.

The doors that hand out the file itself withhold it for the same parts (app/datastore/gate.py `whole_file`, with
the same `beyond`), so what is withheld is also a finding: it blocks publishing, is counted on the dashboards, and
an admin's override of it releases the file.

Of a PDF (quality.tabular.whole `_pdf` reads its text) the findings also name the pages (``pages``: ``[[first,
last], ...]``, at most `_RANGES` of them, ``more_pages`` when there are more), never a value. Two more findings say
what could not be checked, and are not personal data found (they neither block publishing nor cap the score):
``pdf-no-text`` (info) of pages without text, scanned images nothing here reads: the file is served (most such PDFs
are harmless notices, and withholding every scanned PDF of a portal would say nothing of the ones that are not), the
publisher is told to look at them; ``pdf-not-read`` (warning) of a PDF that could not be opened or read to its end
(a password, damage, the scan's bounds): the doors withhold it as any part the scan could not read (``unscanned``),
and the finding tells its publisher why. ``part-not-read`` (warning) says the same of any other part the scan could
not read to its end (archives nested too deep, an encrypted or damaged member, more than it unpacks): the file is
withheld for it, and without the finding its publisher saw a 451 and no reason.
"""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding
from quality.rules.pii import KIND_SLUGS

TYPES = (
    FindingType("pdf-no-text", "info", "PDF pages not checked for personal data", "PDF 页面未能检查个人信息",
        "Look through these pages for identity numbers, phone numbers and other personal data before publishing. "
        "Where you can, publish the PDF saved from the original document (with its text) rather than a scan, so "
        "the portal can check it.",
        "发布前请人工检查这些页面是否含有身份证号码、手机号码等个人信息。"
        "如有可能，请发布由原始文档直接导出（带文字）的 PDF，而不是扫描件，以便门户检查。",
        message_en="{located} has no text the check can read (scanned pages or images), so it was not checked for "
                   "personal data.",
        message_zh="{located}没有可读取的文字（扫描页或图片），因此未能检查其中的个人信息。"),
    FindingType("pdf-not-read", "warning", "PDF could not be checked for personal data", "PDF 无法检查个人信息",
        "Publish a copy the portal can open and read: without a password, saved again from the original document. "
        "Until then the file is not served to the public.",
        "请发布门户能够打开和读取的副本：不设密码，由原始文档重新导出。在此之前，该文件不向公众提供。",
        message_en="{located} could not be read for personal data ({why}), so the file is not served to the public.",
        message_zh="{located}无法读取以检查个人信息（{why}），因此该文件不向公众提供。"),
    FindingType("part-not-read", "warning", "File could not be checked for personal data to its end",
        "文件无法完整检查个人信息",
        "Publish the files themselves, or one ZIP of them without passwords and without archives inside archives, "
        "each within the portal's size bounds. Until then the file is not served to the public.",
        "请直接发布这些文件，或将它们放入一个不设密码、不再嵌套压缩包的 ZIP 中发布，且每个文件不超过门户的大小上限。"
        "在此之前，该文件不向公众提供。",
        message_en="{located} could not be read to its end for personal data (archives nested too deep, an "
                   "encrypted or damaged member, or more than the check unpacks), so the file is not served to the "
                   "public.",
        message_zh="{located}无法完整读取以检查个人信息（压缩包嵌套过深、成员加密或损坏，或解压后超出检查的上限），"
                   "因此该文件不向公众提供。"),
)
#: As quality.tabular.whole names a part it could not read to its end (UNSCANNED; that module loads numpy).
UNSCANNED = "unscanned"
#: Page ranges a finding names at most (a 3,000-page scan of alternating pages would list 1,500).
_RANGES = 20

#: What a part of a file is, by the file's format: a sheet of a workbook, a member of a ZIP, else the file.
SHEET, MEMBER, FILE = "sheet", "member", "file"
#: As quality.tabular.whole names them (WHOLE, WORKBOOKS; that module loads numpy, which a rule must not): a text
#: file as a whole, and the formats whose parts are sheets.
WHOLE = "*"
WORKBOOKS = frozenset({"xlsx", "xlsm", "xls", "ods"})


def within(fmt: str | None) -> str:
    code = (fmt or "").lower()
    return SHEET if code in WORKBOOKS else MEMBER if code == "zip" else FILE


def beyond(columns: dict[str, dict[str, int]], parts: dict[str, dict[str, int]],
           table: str | None) -> dict[str, dict[str, int]]:
    """What `parts` (a whole-file scan: ``{part: {kind: cells}}``) hold that the table's `columns` (``{column:
    {kind: cells}}``: what the profile, or a door's own reading of the table, found) do not account for: every
    part's cells of each kind, the table's own part `table` less the cells its columns hold (what is left there is
    around the table: notes rows, text). Counts only; ``{}`` when the file holds nothing beyond its table."""
    held: dict[str, int] = {}
    for kinds in columns.values():
        for kind, n in kinds.items():
            held[kind] = held.get(kind, 0) + int(n)
    out: dict[str, dict[str, int]] = {}
    for part, kinds in parts.items():
        for kind, n in kinds.items():
            left = int(n) - (held.get(kind, 0) if part == table else 0)
            if left > 0:
                out.setdefault(part, {})[kind] = left
    return out


def check(whole: dict | None, columns: dict[str, dict[str, int]] | None, fmt: str | None,
          d: str | None = None) -> list[Finding]:
    """One finding per part and kind of personal data the whole-file scan `whole` (``{"parts", "table"}``) found
    beyond the table's `columns` (the profile's ``pii``; None when no table was read) in a file of format `fmt`."""
    if not whole:
        return []
    pdf = whole.get("pdf") or {}
    found = beyond(columns or {}, whole.get("parts") or {}, whole.get("table"))
    kind_of_part = within(fmt)
    out: list[Finding] = []
    for part, kinds in sorted(found.items()):
        pages = (pdf.get(part) or {}).get("found") or {}
        for kind, count in sorted(kinds.items()):
            if kind in KIND_SLUGS:
                out.append(make_finding(KIND_SLUGS[kind], distribution=d, part=part,
                                        within=FILE if part == WHOLE else kind_of_part,
                                        beside_table=columns is not None, table_part=part == whole.get("table"),
                                        **_pages(pages.get(kind)), count=count))
    for part, kinds in sorted((whole.get("parts") or {}).items()):
        if UNSCANNED in kinds and part not in pdf:  # a PDF's own finding says why it was not read (pdf-not-read)
            out.append(make_finding("part-not-read", distribution=d, part=part,
                                    within=FILE if part == WHOLE else kind_of_part))
    for part, note in sorted(pdf.items()):
        where = {"part": part, "within": FILE if part == WHOLE else kind_of_part}
        if note.get("unread"):
            out.append(make_finding("pdf-not-read", distribution=d, **where, unread=note["unread"]))
        elif note.get("textless"):
            every = note["textless"] == [[1, note.get("pages")]]  # the whole file is a scan: no pages to name
            out.append(make_finding("pdf-no-text", distribution=d, **where,
                                    **({} if every else _pages(note["textless"])), page_count=note.get("pages")))
    return out


def _pages(ranges: list[list[int]] | None) -> dict:
    """A finding's evidence naming a PDF's pages: ``pages`` (at most `_RANGES` ranges), ``more_pages`` past them."""
    if not ranges:
        return {}
    return {"pages": ranges[:_RANGES], **({"more_pages": True} if len(ranges) > _RANGES else {})}


RULE = Rule("pii-file", TYPES, subject="file", check=check)
