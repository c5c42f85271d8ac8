"""`encoding-declared-wrong`, `encoding-header-wrong`: the encoding a file's source declares is not the file's.

A Data Package resource's `encoding` (the metadata) and the charset of the server's Content-Type (the HTTP answer)
declare the encoding of a file. The sniffer reads the file in the first the bytes bear out
(`plumbing.textencoding.decide_encoding`); each it refuted is recorded on the sniffed result
(`details["encoding_refused"]`) and becomes a finding here, so the publisher learns the metadata or the server
says another encoding than the file has, and which one it was read as.
"""

from __future__ import annotations

from typing import Any

from quality.findings import Finding, FindingType, Rule, Variant, make_finding

METADATA = FindingType(
    "encoding-declared-wrong", "warning", "The declared encoding is wrong", "声明的编码有误",
    "Correct the encoding the metadata declares for this file to {read_as} "
    "(or save the file in {declared_encoding}).",
    "请将元数据为此文件声明的编码改为 {read_as}（或将文件另存为 {declared_encoding} 编码）。",
    message_en="The metadata declares the encoding {declared_encoding}, but the file is {read_as}, "
               "and was read as such.",
    message_zh="元数据声明的编码为 {declared_encoding}，但文件实为 {read_as} 编码，已按 {read_as} 读取。",
    # a name that is no encoding (utf-9, rot13): "or save the file in utf-9" asked for the impossible
    variants=(Variant(
        "When the declared encoding is not the name of a character encoding",
        lambda evidence: evidence.get("why") == "unknown",
        "Correct the encoding the metadata declares for this file to {read_as}: {declared_encoding} is not the "
        "name of a character encoding.",
        "请将元数据为此文件声明的编码改为 {read_as}：{declared_encoding} 不是字符编码的名称。",
    ),),
)

HEADER = FindingType(
    "encoding-header-wrong", "info", "The server declares the wrong encoding", "服务器声明的编码有误",
    "Have the server send charset={read_as} with this file, or no charset.",
    "请让服务器发送此文件时声明 charset={read_as}，或不声明 charset。",
    message_en="The server's Content-Type header declares charset={declared_encoding}, but the file is {read_as}, "
               "and was read as such.",
    message_zh="服务器的 Content-Type 响应头声明 charset={declared_encoding}，"
               "但文件实为 {read_as} 编码，已按 {read_as} 读取。",
)

_TYPES = {"metadata": METADATA, "http": HEADER}

#: Codec names as people write them.
_LABELS = {"latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1", "utf-8-sig": "UTF-8 (with BOM)", "ascii": "ASCII"}


def label(codec: str | None) -> str | None:
    """An encoding's codec name as people write it: gbk -> GBK, euc_kr -> EUC-KR, utf-8-sig -> UTF-8 (with BOM)."""
    if not codec:
        return codec
    return _LABELS.get(codec.lower(), codec.upper().replace("_", "-"))


def check(sniffed: Any, distribution: str | None = None) -> list[Finding]:
    """A finding for each declaration of the file's encoding its bytes refuted (what the sniffer recorded)."""
    refused = (getattr(sniffed, "details", None) or {}).get("encoding_refused") or []
    out = []
    for item in refused:
        ftype = _TYPES.get(item.get("by")) if isinstance(item, dict) else None
        if ftype is None:
            continue
        out.append(make_finding(ftype.slug, distribution=distribution, declared_encoding=item.get("declared"),
                                encoding=item.get("encoding"), read_as=label(item.get("encoding")),
                                why=item.get("why")))
    return out


RULE = Rule(METADATA.slug, (METADATA, HEADER), subject="distribution", check=check)
