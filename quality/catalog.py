"""Catalog-wide checks: duplicate datasets and fragmented series (docs/quality.md).

Pure: entries in (id, slug, title, publisher, file hashes), findings per dataset out.
- duplicate-dataset: the same title from the same publisher, or the same file (by
  SHA-256 of the archived copy) published in two datasets;
- fragmented-series: three or more datasets of one publisher whose titles differ only
  by a date, period or number (one dataset per month or per year instead of one table),
  none of them in a dataset series (a series is the answer this finding asks for).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from catalog_schema.record import pick_text
from quality.findings import Finding, FindingType, Rule, make_finding

SLUGS = ("duplicate-dataset", "fragmented-series")
MIN_SERIES = 3

TYPES = (
    FindingType(
        "duplicate-dataset", "warning", "Published twice", "重复发布",
        "Keep one dataset and withdraw {others}, or say in the description how they differ.",
        "保留一个数据集并撤回 {others}，或在描述中说明它们的区别。",
        message_en="This dataset duplicates {others} ({why}).", message_zh="该数据集与 {others} 重复（{why_zh}）。"),
    FindingType(
        "fragmented-series", "info", "One table split into many datasets", "同一表格被拆分为多个数据集",
        "Publish the {count} parts of '{stem}' as one dataset with a date column (or as distributions of one "
        "dataset), so users get the whole series at once.",
        "将“{stem}”的 {count} 个部分合并为一个带日期列的数据集（或同一数据集的多个资源），方便用户一次获取完整序列。",
        message_en="'{stem}' is split over {count} datasets: {others}.",
        message_zh="“{stem}”被拆分为 {count} 个数据集：{others}。"),
)


@dataclass(slots=True)
class Entry:
    id: str
    slug: str
    title: dict[str, str]
    publisher: str | None
    hashes: list[str] = field(default_factory=list)
    in_series: bool = False  # in a dataset series (or one itself): its parts are not fragments


_PERIOD = re.compile(
    r"(\d{4}\s*年?\s*(第?[一二三四1-4]\s*季度|\d{1,2}\s*月)?|\d{1,2}\s*月|第?[一二三四]季度|q[1-4]|"
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\d+)", re.I)
_SPACE = re.compile(r"[\s\-_()（）·,，.:：]+")


def normal_title(title: str) -> str:
    return _SPACE.sub(" ", title.strip().lower()).strip()


def series_stem(title: str) -> str | None:
    """The title without its dates, periods and numbers; None when the title has none."""
    stripped, n = _PERIOD.subn(" ", title.lower())
    if n == 0:
        return None
    stem = _SPACE.sub(" ", stripped).strip()
    return stem or None


#: A finding names at most this many of the other datasets, then says how many more there are: a file
#: linked from twenty thousand datasets (a placeholder, a shared landing page) would otherwise make a
#: finding of twenty thousand names on each of them, and the computation quadratic in the group.
MAX_LISTED = 10


def _others(group: list[Entry], e: Entry) -> tuple[list[str], int]:
    """Up to MAX_LISTED slugs of the group other than `e` (the group is sorted by slug), and how many
    others there are in all."""
    listed = []
    for other in group[:MAX_LISTED + 1]:
        if other.id != e.id and len(listed) < MAX_LISTED:
            listed.append(other.slug)
    return listed, len(group) - 1


def _names(listed: list[str], total: int) -> str:
    names = ", ".join(listed)
    return f"{names} (+{total - len(listed)})" if total > len(listed) else names


def catalog_findings(entries: list[Entry]) -> dict[str, list[Finding]]:
    """Findings per dataset id. Linear in the catalog: each group (same title and publisher, same file,
    same series stem) is sorted once and each member names at most MAX_LISTED of the others."""
    out: dict[str, list[Finding]] = defaultdict(list)
    by_title: dict[tuple, list[Entry]] = defaultdict(list)
    by_hash: dict[str, list[Entry]] = defaultdict(list)
    by_stem: dict[tuple, list[Entry]] = defaultdict(list)
    for e in entries:
        title = pick_text(e.title)
        by_title[(e.publisher, normal_title(title))].append(e)
        for h in set(e.hashes):
            by_hash[h].append(e)
        stem = None if e.in_series else series_stem(title)
        if stem:
            by_stem[(e.publisher, stem)].append(e)
    named: dict[str, dict[str, str]] = defaultdict(dict)  # dataset id -> listed other slug -> why
    totals: dict[str, int] = defaultdict(int)  # dataset id -> most others in one of its groups
    for why, groups in (("same title and publisher", by_title.values()), ("same file", by_hash.values())):
        for group in groups:
            if len(group) < 2:
                continue
            group.sort(key=lambda x: x.slug)
            for e in group:
                listed, total = _others(group, e)
                for slug in listed:
                    named[e.id].setdefault(slug, why)
                totals[e.id] = max(totals[e.id], total)
    for ds_id, others in named.items():
        whys = sorted(set(others.values()))
        why_zh = "；".join("标题和发布部门相同" if w.startswith("same title") else "文件相同" for w in whys)
        listed = sorted(others)[:MAX_LISTED]
        ev = {"others": _names(listed, max(totals[ds_id], len(others))), "why": "; ".join(whys), "why_zh": why_zh}
        out[ds_id].append(_make("duplicate-dataset", ev))
    for (_pub, stem), group in by_stem.items():
        if len(group) < MIN_SERIES:
            continue
        titles = {normal_title(pick_text(e.title)) for e in group}
        if len(titles) < MIN_SERIES:
            continue
        group.sort(key=lambda x: x.slug)
        made: dict[tuple, Finding] = {}  # all but the first few members name the same others: one finding
        for e in group:
            listed, total = _others(group, e)
            key = (tuple(listed), total)
            if key not in made:  # (frozen, so shared safely: a catalog's worth of copies held gigabytes)
                made[key] = _make("fragmented-series", {"stem": stem, "count": len(group),
                                                        "others": _names(listed, total)})
            out[e.id].append(made[key])
    return dict(out)


def _make(slug: str, evidence: dict) -> Finding:
    return make_finding(slug, **evidence)


RULE = Rule("catalog", TYPES, subject="catalog", check=catalog_findings)
