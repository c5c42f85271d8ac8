"""`file-truncated`: the file behind a link is larger than the portal downloads (OPENDATA_MAX_DOWNLOAD_BYTES).

The check keeps the file's first part, enough to sniff its format and read its first rows, and marks the copy cut
(`quality.fetch.CheckResult.truncated`). What is judged of it (stars, the table's quality, personal data) is judged
of that part, and the portal serves none of it as the file's data (data.csv, the row API): a cut table would be
taken for the whole. The finding says so and how to publish the data so that it is read whole.
"""

from __future__ import annotations

from typing import Any

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType(
    "file-truncated", "warning", "The file is larger than the portal downloads", "文件超过门户的下载上限",
    "Publish the data in smaller files (by year or by region, each under {limit_mb} MB), or ask the portal's "
    "operator to raise the download limit (OPENDATA_MAX_DOWNLOAD_BYTES).",
    "请将数据拆分为较小的文件发布（按年份或地区，每个不超过 {limit_mb} MB），或请门户管理员提高下载上限"
    "（OPENDATA_MAX_DOWNLOAD_BYTES）。",
    message_en="Only the first {limit_mb} MB of the file were downloaded: it is larger than the portal's download "
               "limit. Its format, rows and personal data were checked on that part only, and the portal does not "
               "serve its data as tables (data.csv, the row API); the file stays at its own address.",
    message_zh="只下载了文件的前 {limit_mb} MB：文件超过了门户的下载上限。其格式、数据行和个人信息仅按这一部分检查，"
               "门户也不以表格形式提供其数据（data.csv、数据行接口）；文件仍可在其原地址获取。",
)


def check(check_result: Any, distribution: str | None = None) -> list[Finding]:
    """The finding for a distribution whose archived copy was cut at the download limit (its size)."""
    if check_result is None or not getattr(check_result, "truncated", False) or not check_result.reachable:
        return []
    size = int(check_result.size or 0)
    return [make_finding(TYPE.slug, distribution=distribution, size=size, limit_mb=_megabytes(size))]


def _megabytes(size: int) -> str:
    mb = size / 1_000_000
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.2g}"  # 52 MB, 5.2 MB, 0.02 MB


RULE = Rule(TYPE.slug, (TYPE,), subject="distribution", check=check)
