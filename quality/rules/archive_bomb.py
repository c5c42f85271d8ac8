"""`archive-bomb`: an archive member claims an unsafe size; the sniffer (``quality.sniff``) refused to unpack it."""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType(
    "archive-bomb", "error",
    "Archive expands to an unsafe size", "压缩包解压后大小异常",
    "Publish an archive whose members are a sensible size, or the files themselves uncompressed.",
    "发布解压后大小合理的压缩包，或直接发布未压缩的文件。",
    message_en="The archive member {member} claims {uncompressed} bytes from {compressed} "
    "(ratio {ratio}); it was not unpacked.",
    message_zh="压缩包成员“{member}”由 {compressed} 字节解压为 {uncompressed} 字节（压缩比 {ratio}），未予解压。",
)


def check(sniffed) -> list[Finding]:
    """The finding when the sniffer recorded a bomb in ``details["bomb"]``."""
    bomb = sniffed.details.get("bomb") if sniffed is not None else None
    return [make_finding(TYPE.slug, **bomb)] if isinstance(bomb, dict) else []


RULE = Rule(TYPE.slug, (TYPE,), subject="distribution", check=check)
