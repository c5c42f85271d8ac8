"""Catalog-wide checks: duplicate datasets and fragmented series (docs/quality.md).

Pure: entries in (id, slug, title, publisher, file hashes), findings per dataset out.
- duplicate-dataset: the same title from the same publisher, or the same file (by
  SHA-256 of the archived copy) published in two datasets;
- fragmented-series: three or more datasets of one publisher whose titles differ only
  by a date, period or number (one dataset per month or per year instead of one table).
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


@dataclass
class Entry:
    id: str
    slug: str
    title: dict[str, str]
    publisher: str | None
    hashes: list[str] = field(default_factory=list)


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


def catalog_findings(entries: list[Entry]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    by_title: dict[tuple, list[Entry]] = defaultdict(list)
    by_hash: dict[str, list[Entry]] = defaultdict(list)
    by_stem: dict[tuple, list[Entry]] = defaultdict(list)
    for e in entries:
        title = pick_text(e.title)
        by_title[(e.publisher, normal_title(title))].append(e)
        for h in set(e.hashes):
            by_hash[h].append(e)
        stem = series_stem(title)
        if stem:
            by_stem[(e.publisher, stem)].append(e)
    pairs: dict[str, dict[str, str]] = defaultdict(dict)
    for group in by_title.values():
        for e in group:
            for other in group:
                if other.id != e.id:
                    pairs[e.id][other.slug] = "same title and publisher"
    for group in by_hash.values():
        for e in group:
            for other in group:
                if other.id != e.id:
                    pairs[e.id].setdefault(other.slug, "same file")
    for ds_id, others in pairs.items():
        whys = sorted(set(others.values()))
        why_zh = "；".join("标题和发布机构相同" if w.startswith("same title") else "文件相同" for w in whys)
        ev = {"others": ", ".join(sorted(others)), "why": "; ".join(whys), "why_zh": why_zh}
        out[ds_id].append(_make("duplicate-dataset", ev))
    for (_pub, stem), group in by_stem.items():
        titles = {normal_title(pick_text(e.title)) for e in group}
        if len(group) < MIN_SERIES or len(titles) < MIN_SERIES:
            continue
        for e in group:
            others = sorted(o.slug for o in group if o.id != e.id)
            out[e.id].append(_make("fragmented-series", {"stem": stem, "count": len(group),
                                                         "others": ", ".join(others)}))
    return dict(out)


def _make(slug: str, evidence: dict) -> Finding:
    return make_finding(slug, **evidence)


RULE = Rule("catalog", TYPES, subject="catalog", check=catalog_findings)
