"""`encoding-not-utf8`: Text files in another encoding than UTF-8."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType("encoding-not-utf8", "warning", "Text not in UTF-8", "文本未使用 UTF-8 编码",
    "Save the file as UTF-8 so every program reads the characters right.",
    "将文件另存为 UTF-8 编码，以便各种软件都能正确读取字符。",
    message_en="The file is encoded as {encoding}, not UTF-8.",
    message_zh="文件编码为 {encoding}，而不是 UTF-8。")


#: Encodings that are UTF-8: "utf-8-sig" is UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), and ASCII is a subset.
UTF8 = ("utf-8", "utf8", "utf-8-sig", "utf8-sig", "ascii")


def check(p, d: str | None = None) -> list[Finding]:
    """The finding for one table profile (``quality.tabular.TableProfile``), if the rule fails."""
    if p.encoding and p.encoding.lower().replace("_", "-") not in UTF8:
        return [make_finding(TYPE.slug, distribution=d, encoding=p.encoding)]
    return []


RULE = Rule(TYPE.slug, (TYPE,), subject="table", part="data", check=check)
