"""A weekly re-check where nothing changed gives the same assessment as a full one (issue 19).

The weekly run answers unchanged files from a 304 and their kept facts; the full run downloads and reads every
file again (validators cleared, the facts folder deleted). At the same instant, both must keep the same
assessment rows, findings and distribution evidence; only the link check's own word differs (304 and
"unchanged", or 200 and "ok").
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import delete, select, update

from app.assessment import assess_datasets
from catalog_schema.models import Assessment, Dataset, Distribution
from quality import facts_cache
from tests.app.test_recheck import T0, WEEK, Validated, _datasets
from tests.support.httpserver import LocalServer

EVIDENCE = ("check_error", "final_url", "detected_media_type", "archive_path", "archive_hash",
            "archive_size", "etag", "first_failure", "stars", "detected_format",
            "detected_encoding", "pii", "dictionary", "extent")  # not failure_count: the full run is one check more


WORD = ("check_status", "http_status")  # the link check's own word: 304 "unchanged", or 200 "ok"


def _kept(runtime, ids: list[str]) -> dict:
    with runtime.sessionmaker() as session:
        rows = {a.dataset_id: {"stars": a.stars, "score": a.score, "rule_version": a.rule_version,
                               "metadata": (a.metadata_points, a.metadata_rating), "subscores": a.subscores,
                               "data": a.data, "findings": a.findings,
                               "distributions": [{k: v for k, v in d.items() if k not in WORD}
                                                 for d in a.distributions]}
                for a in session.scalars(select(Assessment).where(Assessment.assessed_at == T0 + WEEK))}
        dists = {d.id: {k: getattr(d, k) for k in EVIDENCE} for d in session.scalars(select(Distribution))}
        stars = dict(session.execute(select(Dataset.id, Dataset.stars)).all())
    assert set(rows) == set(ids)
    return {"assessments": rows, "distributions": dists, "stars": stars}


def _differences(a, b, path: str = "") -> list[str]:
    """Where two JSON-like values differ (paths), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}/{i}")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_a_weekly_recheck_of_unchanged_files_assesses_as_a_full_one(runtime):
    with LocalServer() as srv:
        files = Validated(srv, 6)
        files.bodies["/f3.csv"] = b"id,email,phone\n" + b"".join(b"%d,p%d@example.org,+86 138 0013 %04d\n" % (i, i, i)
                                                                 for i in range(40))
        files.bodies["/f4.csv"] = b"Population by district\n\nid,value\n1,\n2,3\n2,3\n"
        ids = _datasets(runtime, srv.url("").rstrip("/"), 6)
        files.broken.add("/f5.csv")
        assess_datasets(runtime, ids, now=T0)
        full_before = sum(files.full.values())

        weekly_docs = assess_datasets(runtime, ids, now=T0 + WEEK)
        assert sum(files.full.values()) == full_before and sum(files.conditional.values()) == 5  # all 304s
        weekly = _kept(runtime, ids)

        # the same instant again, as a full re-assessment: the weekly rows gone, every file downloaded and read
        shutil.rmtree(Path(runtime.settings["ARCHIVE_DIR"]) / facts_cache.FOLDER, ignore_errors=True)
        with runtime.sessionmaker() as session:
            session.execute(delete(Assessment).where(Assessment.assessed_at == T0 + WEEK))
            session.execute(update(Distribution).values(etag=None, last_modified_header=None))
            session.commit()
        full_docs = assess_datasets(runtime, ids, now=T0 + WEEK)
        assert sum(files.full.values()) == full_before + 5
        full = _kept(runtime, ids)

    assert _differences(weekly, full) == []
    for doc in (*weekly_docs, *full_docs):
        for dist in doc["distributions"]:
            for key in WORD:
                dist.pop(key)
    assert sorted(weekly_docs, key=lambda d: d["dataset"]) == sorted(full_docs, key=lambda d: d["dataset"])
    findings = {f["type"] for doc in full_docs for f in doc["findings"]}
    assert findings  # the catalog has something to find (the broken link at least)
