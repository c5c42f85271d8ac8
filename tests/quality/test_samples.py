"""The whole engine on the demo government: harvested, link-checked over real HTTP, assessed,
and held to the expectations written down with the samples (data_samples/expected.json)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.assessment import assess_datasets, assessment_document, latest_assessment, run_catalog_checks
from app.demo import SAMPLES
from catalog_schema.models import Dataset
from tests.support.samples import harvested_samples

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
EXPECTED = json.loads((SAMPLES / "expected.json").read_text("utf-8"))


@pytest.fixture
def assessed(snapshot, runtime):
    """The samples harvested and assessed, with the department files on a server of the test's own: built once
    per backend, a copy for each test."""
    return snapshot.once(lambda: _build(runtime))


def _build(runtime) -> tuple[dict, str]:
    with harvested_samples(runtime) as (files, summaries):
        assert all(s["status"] == "finished" and s["errored"] == 0 for s in summaries.values()), summaries
        base = files.url("/")
        with runtime.sessionmaker() as session:
            session.commit()
            ids = list(session.scalars(select(Dataset.id)))
        assess_datasets(runtime, ids, now=NOW)
        run_catalog_checks(runtime)
        docs = {}
        with runtime.sessionmaker() as session:
            for ds in session.scalars(select(Dataset)):
                docs[ds.slug] = assessment_document(ds, latest_assessment(session, ds.id))
        return docs, base


def test_every_sample_gets_the_expected_stars_and_findings(assessed):
    docs, base = assessed
    assert set(docs) == set(EXPECTED)
    problems = []
    for slug, want in EXPECTED.items():
        doc = docs[slug]
        got_types = {f["type"] for f in doc["findings"]}
        if doc["stars"] != want["stars"]:
            problems.append(f"{slug}: {doc['stars']} stars, expected {want['stars']}")
        if "table-unreadable" in got_types:  # every sample table is readable, whatever its archive name
            problems.append(f"{slug}: a table could not be read: {doc['findings']}")
        missing = set(want["findings"]) - got_types
        if missing:
            problems.append(f"{slug}: findings {sorted(missing)} missing (got {sorted(got_types)})")
        by_file = {d["url"][len(base):]: d for d in doc["distributions"] if d["url"] and d["url"].startswith(base)}
        for dist in want["distributions"]:
            got = by_file.get(dist["file"])
            if got is None:
                problems.append(f"{slug}: no distribution for {dist['file']}")
            elif got["stars"] != dist["stars"]:
                problems.append(f"{slug}/{dist['file']}: {got['stars']} stars, expected {dist['stars']} "
                                f"({got['reasons']})")
    assert not problems, "\n".join(problems)


def test_pii_values_never_appear_and_cap_the_score(assessed):
    docs, _ = assessed
    pii = [d for d in docs.values() if d["pii"]]
    assert pii and all(d["score"] <= 40 for d in pii)
    text = json.dumps(list(docs.values()), ensure_ascii=False)
    complaints = next(Path(SAMPLES / "files").rglob("*complaint*.csv"))
    import csv

    rows = list(csv.reader(complaints.read_text("utf-8").splitlines()))
    for row in rows[1:]:
        for cell in row:
            if len(cell) >= 11 and cell.replace("X", "").replace("@", "").replace(".", "").isalnum() and any(
                    ch.isdigit() for ch in cell):
                assert cell not in text, "a personal value leaked into an assessment"


def test_every_lost_point_is_explained(assessed):
    """Each metadata indicator failed has its own finding (by slug, not merely as many findings)."""
    from quality.metadata import INDICATORS, NOT_READ

    finding_of = {i.key: {i.finding} for i in INDICATORS}
    for key, ftype in NOT_READ.items():  # a date that is no date, a media type that is none: its own words
        finding_of[key].add(ftype.slug)
    finding_of["licence_known"].add("licence-missing")  # no licence at all is no known one: said once
    docs, _ = assessed
    for slug, doc in docs.items():
        types = {f["type"] for f in doc["findings"]}
        lost = [i["indicator"] for i in doc["metadata"]["indicators"] if not i["passed"]]
        assert all(finding_of[key] & types for key in lost), (slug, [k for k in lost if not finding_of[k] & types])
        for f in doc["findings"]:
            assert f["message"] and f["fix"], (slug, f["type"])
