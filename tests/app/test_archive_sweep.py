"""The archive files nothing holds go (app/services/versions.py `sweep`, run by `opendata prune` and the daily
schedule whatever the retention).

A file taken out of a published dataset took its version rows with it, and its archived copy stayed on the disk for
good: nothing served it (every door reads a file or a version row) and nothing removed it, personal data or not. An
upload refused after its bytes were archived, and a write a killed process never finished (archive/tmp), stayed as
well. The sweep removes such a file a day after it was written (a check or an upload writes its file before the row
that holds it), with what reading it found (the facts cache, the row store's tables and scans), and keeps every copy
a file or a version still holds.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.commands.prune import prune_if_due, run_prune
from app.datastore.load import root_of, stored_hashes
from app.services import versions
from app.services.context import Actor
from app.services.errors import Forbidden
from catalog_schema.models import AuditEvent, Dataset, Distribution, User
from plumbing.archive import address
from quality import facts_cache
from tests.support.publishing import CLEAN_CSV, PII_CSV, build_world

LATER = dt.timedelta(days=1, minutes=5)


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _upload(client, token: str, slug: str, path: Path) -> dict:
    with path.open("rb") as fh:
        resp = client.post(f"/api/v1/datasets/{slug}/distributions", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (fh, path.name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["distributions"][-1]


def _sha(app, dist_id: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.get(Distribution, dist_id).archive_hash


def _sweep(app, *, after: dt.timedelta = LATER, email: str | None = None, dry_run: bool = False):
    settings = app.config["OPENDATA"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        user = s.scalar(select(User).where(User.email == email)) if email else None
        return versions.sweep(Actor(s, user, "test", lang="en"), archive_dir=settings["ARCHIVE_DIR"],
                              store_root=root_of(settings), now=dt.datetime.now(dt.UTC) + after, dry_run=dry_run)


def _facts(archive: str, sha: str) -> list[Path]:
    return list((Path(archive) / facts_cache.FOLDER / sha[:2]).glob(f"{sha}.*.json"))


def test_a_file_taken_out_of_a_published_dataset_leaves_the_archive_a_day_later(app, client, world):
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    store = root_of(app.config["OPENDATA"])
    token = world.tokens["editor_a"]
    pii = _upload(client, token, "active-a-1", PII_CSV)
    kept = _upload(client, token, "active-a-2", CLEAN_CSV)
    pii_sha, kept_sha = _sha(app, pii["id"]), _sha(app, kept["id"])
    assert client.delete(f"/api/v1/datasets/active-a-1/distributions/{pii['id']}",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert address(archive, pii_sha).is_file() and _facts(archive, pii_sha)  # taken out: nothing holds it now

    # within its day it stays (a check or an upload writes its file before the row that holds it)
    assert _sweep(app, after=dt.timedelta(hours=1)).files == []
    # a dry run says what would go and removes nothing
    dry = _sweep(app, dry_run=True)
    assert dry.files == [str(address(archive, pii_sha))] and dry.bytes == PII_CSV.stat().st_size
    assert address(archive, pii_sha).is_file()
    # a sysadmin or the system sweeps; a publisher's editor is refused, with nothing removed
    with pytest.raises(Forbidden):
        _sweep(app, email=world.emails["editor_a"])
    assert address(archive, pii_sha).is_file()

    done = _sweep(app, email=world.emails["sysadmin"])
    assert done.files == [str(address(archive, pii_sha))] and done.bytes == PII_CSV.stat().st_size
    assert not address(archive, pii_sha).exists() and not _facts(archive, pii_sha)
    assert pii_sha not in stored_hashes(store)
    # the copy a published file holds stays, and is served as before
    assert address(archive, kept_sha).is_file() and kept_sha in stored_hashes(store)
    assert client.get(f"/dataset/active-a-2/resource/{kept['id']}/data.csv").status_code == 200
    with app.extensions["opendata"]["sessionmaker"]() as s:
        entry = s.scalar(select(AuditEvent).where(AuditEvent.action == "versions.sweep"))
        assert entry.detail["files"] == [str(address(archive, pii_sha))] and entry.user_id is not None
    assert _sweep(app).files == []  # a second run finds nothing


def test_a_copy_an_earlier_version_holds_stays(app, client, world):
    """A file replaced by a new upload keeps its old copy as a version: the sweep leaves it, as the versions' own
    retention (`opendata prune`'s VERSION_RETENTION_*) decides when it goes."""
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    token = world.tokens["editor_a"]
    first = _upload(client, token, "active-a-3", CLEAN_CSV)
    old_sha = _sha(app, first["id"])
    with PII_CSV.open("rb") as fh:
        resp = client.patch(f"/api/v1/datasets/active-a-3/distributions/{first['id']}",
                            headers={"Authorization": f"Bearer {token}"}, data={"file": (fh, "population.csv")},
                            content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()
    assert _sha(app, first["id"]) != old_sha
    assert _sweep(app).files == []
    assert address(archive, old_sha).is_file()


def test_a_write_never_finished_goes_and_a_stray_name_is_left_alone(app, world):
    archive = Path(app.config["OPENDATA"]["ARCHIVE_DIR"])
    (archive / "tmp").mkdir(parents=True, exist_ok=True)
    unfinished = archive / "tmp" / "up-killed"
    unfinished.write_bytes(b"half a file")
    stray = archive / "ab" / "notes.txt"  # no address: not the archive's to remove
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("x")
    assert _sweep(app, after=dt.timedelta(hours=1)).unfinished == []
    done = _sweep(app)
    assert done.unfinished == [str(unfinished)] and not unfinished.exists() and stray.exists()


def test_the_daily_prune_sweeps_with_no_retention_set(app, client, world):
    """`opendata prune` and the schedule's daily run sweep the archive whatever the retention (before, the daily run
    did nothing at all until a retention was set)."""
    settings = dict(app.config["OPENDATA"])
    for key in list(settings):
        if key.endswith(("_RETENTION_COUNT", "_RETENTION_DAYS")):
            settings[key] = 0
    archive = settings["ARCHIVE_DIR"]
    token = world.tokens["editor_a"]
    dist = _upload(client, token, "active-a-1", PII_CSV)
    sha = _sha(app, dist["id"])
    assert client.delete(f"/api/v1/datasets/active-a-1/distributions/{dist['id']}",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    day_ago = (dt.datetime.now(dt.UTC) - LATER).timestamp()
    os.utime(address(archive, sha), (day_ago, day_ago))  # written more than a day ago
    dry = run_prune(settings, dry_run=True)
    assert dry["archive"] == {"files": 1, "bytes": PII_CSV.stat().st_size, "unfinished": 0}
    assert address(archive, sha).is_file()
    ran = prune_if_due(settings)
    assert ran is not None and ran["archive"]["files"] == 1 and not address(archive, sha).exists()
    assert prune_if_due(settings) is None  # once a day
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.scalar(select(Dataset).where(Dataset.slug == "active-a-1")).state == "active"
