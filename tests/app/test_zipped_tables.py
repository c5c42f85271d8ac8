"""A table published inside a ZIP is the table: its data is checked and its personal data found.

A ZIP holding a CSV of resident identity numbers got three stars (its member is a CSV) and a score of 69: the
member was never profiled, so no personal-data finding, no cap at 40, and the archive was recorded as scanned
with nothing to hold personal data, so the gate served it and the row store loaded its rows for everyone.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from sqlalchemy import select

from app.assessment import assess_datasets, latest_assessment
from catalog_schema.models import Dataset, Distribution
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from quality.assess import PII_CAP
from tests.support.personal import CLEAN_CSV, FLAGGED, PII_CSV, leaked

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _publish_and_assess(runtime, local_server, files: dict[str, bytes]) -> dict[str, str]:
    """One dataset per file, each served by the local server under its name; assessed with real link checks."""
    ids = {}
    with runtime.sessionmaker() as session:
        for name, data in files.items():
            local_server.add_bytes(f"/{name}", data, content_type="application/zip")
            rec = new_record(slug=name.replace(".", "-"), title={"en": name, "zh": name}, license="CC-BY-4.0",
                             publisher={"slug": "stats", "name": {"en": "Statistics", "zh": "统计局"}},
                             distributions=[new_distribution(format="ZIP", download_url=local_server.url(f"/{name}"))])
            ds, _ = save_record(session, rec)
            session.flush()
            ids[name] = ds.id
        session.commit()
    assess_datasets(runtime, list(ids.values()), now=NOW)
    return ids


def test_personal_data_in_a_zipped_csv_is_found_capped_and_recorded(runtime, local_server):
    ids = _publish_and_assess(runtime, local_server, {"residents.zip": _zip(**{"居民/名单.csv": PII_CSV}),
                                                      "population.zip": _zip(**{"人口.csv": CLEAN_CSV})})
    with runtime.sessionmaker() as session:
        found = latest_assessment(session, ids["residents.zip"])
        slugs = {f["type"] for f in found.findings}
        assert {"pii-id-number", "pii-phone", "pii-email"} <= slugs
        assert found.score <= PII_CAP and found.stars == 3
        assert leaked(str(found.findings)) == []  # counts, never values
        dist = session.scalar(select(Distribution).join(Dataset).where(Dataset.id == ids["residents.zip"]))
        assert dist.pii["columns"] == FLAGGED and dist.pii["sha256"] == dist.archive_hash  # the gate reads this

        clean = latest_assessment(session, ids["population.zip"])
        assert not any(f["type"].startswith("pii-") for f in clean.findings) and clean.score > PII_CAP
        assert "data" in clean.subscores  # its data was checked too (it was left out, as for a file of no table)
        dist = session.scalar(select(Distribution).join(Dataset).where(Dataset.id == ids["population.zip"]))
        assert dist.pii["columns"] == {}


def test_a_zipped_table_that_cannot_be_read_is_not_recorded_as_clean(runtime, local_server, fixtures_dir):
    """An encrypted workbook inside a ZIP was recorded as "scanned, nothing tabular to hold personal data", and
    the gate served it; like an encrypted workbook on its own, it is a table left unchecked (withheld)."""
    encrypted = (fixtures_dir / "real" / "messy" / "messytables_encrypted_no_password.xls").read_bytes()
    ids = _publish_and_assess(runtime, local_server, {"locked.zip": _zip(**{"data.xls": encrypted})})
    with runtime.sessionmaker() as session:
        dist = session.scalar(select(Distribution).join(Dataset).where(Dataset.id == ids["locked.zip"]))
        assert dist.archive_hash and dist.pii is None
