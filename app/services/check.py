"""The pre-publication check: the assessment a dataset gets, computed as the pipeline computes it
(app.assessment.assess_datasets: same record, same evidence, same rules), without storing an Assessment.

Linked files are checked and archived now (their evidence is kept on the distribution rows); uploads use
their archived copy. What the agency sees: stars, score, every finding with its fix, the first rows of
each table (personal data redacted by the profiler) and what blocks publishing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from app.assessment import previous_evidence, record_pii_facts, store_check, stored_check
from app.services import gate
from app.services.base import service
from app.services.uploads import is_upload
from catalog_schema.models import Dataset, utcnow
from catalog_schema.record import pick_text
from catalog_schema.store import set_evidence, to_record
from quality import assess as assess_mod
from quality.fetch import check_many

PREVIEW_ROWS = 10


def compute_assessment(session: Session, ds: Dataset, *, http=None, archive_dir: str | None = None,
                       max_bytes: int | None = None, now: dt.datetime | None = None) -> tuple[dict, dict]:
    """(assessment document, facts per distribution id) of `ds` as it stands."""
    now = now or utcnow()
    rows = {row.id: row for row in ds.distributions}
    linked = [(row.id, row.download_url or row.access_url, previous_evidence(row))
              for row in ds.distributions if not is_upload(row)]
    if linked and http is not None and archive_dir:
        for key, result in check_many(http, linked, archive_dir, max_bytes=max_bytes).items():
            store_check(rows[key], result)
    record = to_record(ds)
    for dist in record["distributions"]:
        dist["id"] = dist["catalog_id"]
    checks = {row.id: stored_check(row) for row in ds.distributions if row.check_status}
    facts = assess_mod.collect_facts(record, checks)
    record_pii_facts(ds.distributions, facts, now=now)  # what the serving gate reads, before any byte goes out
    doc = assess_mod.assess(record, facts, now=now)
    for match in doc["distributions"]:
        row = rows.get(match["id"])
        if row is not None:
            set_evidence(row, detected_format=match["detected_format"] or row.detected_format,
                         detected_encoding=match["encoding"] or row.detected_encoding)
    return doc, facts


def preview(ds: Dataset, facts: dict, rows: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    """The first rows of each tabular distribution, as the profile read them (decoded, personal data
    redacted)."""
    out = []
    for row in ds.distributions:
        profile = getattr(facts.get(row.id), "profile", None)
        if profile is None:
            continue
        out.append({"distribution": row.id, "title": pick_text(row.title) or row.download_url,
                    "format": profile.format.upper(), "encoding": profile.encoding, "rows": profile.rows,
                    "header": [str(h) for h in profile.header],
                    "sample": [[str(c) for c in r] for r in profile.sample[:rows]]})
    return out


def prepublication_check(session: Session, ds: Dataset, **kwargs: Any) -> dict[str, Any]:
    """What the agency sees before publishing, and whether publishing is blocked (no files; personal data
    without an override)."""
    doc, facts = compute_assessment(session, ds, **kwargs)
    blocking = gate.pii_blocking(ds, doc)
    problems = []
    if not ds.distributions:
        problems.append("no-distributions")
    if blocking:
        problems.append("pii")
    return {"dataset": ds.slug, "state": ds.state, "stars": doc["stars"], "score": doc["score"],
            "assessment": doc, "findings": doc["findings"], "preview": preview(ds, facts),
            "pii": gate.pii_findings(doc), "pii_override": gate.pii_override(ds), "blocked_by": problems,
            "can_publish": not problems}


@service
def run(actor, ds: Dataset) -> dict[str, Any]:
    """The check as a door asks for it (the publish page, GET .../check): the evidence of the link checks
    it made is kept (committed)."""
    result = actor.check = prepublication_check(actor.session, ds, **actor.check_kwargs())
    actor.session.commit()
    return result
