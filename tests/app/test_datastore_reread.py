"""A table the row store read in an encoding the detector no longer chooses is read again by the next re-check.

The row store loads a copy once, with the encoding its distribution's `detected_encoding` named then. When the
detector's decisions change (plumbing.textencoding.DETECTOR_VERSION: short GBK tables were read as Korean cp949),
the copy's bytes do not, so nothing loaded it again: datastore_search served 정츰,충생 for 区名,面积 until an
operator ran `opendata datastore rebuild`, and nobody told them. Each distribution records the detector version
that decided its encoding (`Distribution.encoding_detector`); a re-check of a table decided by an older one
compares the encoding its stored table was read with (kept in the table's footer) with today's decision, reads
the table again when they differ, and says so in the audit log; when they agree only the version moves on. A
table whose encoding was set by hand is never read again by this; `opendata datastore stale` lists the rest."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from app.assessment import assess_datasets
from app.datastore import load as store
from app.services.context import Runtime
from catalog_schema.models import AuditEvent, Distribution, DistributionVersion
from catalog_schema.store import set_evidence
from plumbing.textencoding import DETECTOR_VERSION
from tests.support.cli import opendata
from tests.support.publishing import build_world, publish_uploads

TEXT = "区名,面积\n西城区,50.7\n"
GBK = TEXT.encode("gbk")
OLD = DETECTOR_VERSION - 1


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _publish(app, slug: str) -> str:
    return publish_uploads(app, f"editor.{slug}@example.gov", "agency-a", slug, "Short GBK", {"t.csv": GBK})["t.csv"]


def _as_read_by_the_old_detector(app, dist_id: str, encoding: str, *, by_hand: bool = False) -> Path:
    """The state an older detector left: the table loaded with `encoding` (through the store's own load) and the
    distribution saying that encoding, decided by detector version OLD."""
    root = store.root_of(app.config["OPENDATA"])
    with app.extensions["opendata"]["sessionmaker"]() as s:
        row = s.get(Distribution, dist_id)
        loaded = store.load(root, row.archive_hash, row.archive_path, format=row.detected_format, encoding=encoding,
                            encoding_by_hand=by_hand)
        assert isinstance(loaded, store.Loaded) and loaded.encoding == encoding
        set_evidence(row, detected_encoding=encoding, encoding_detector=OLD)
        for version in s.scalars(select(DistributionVersion).where(DistributionVersion.distribution_id == dist_id)):
            version.encoding = encoding
        s.commit()
        return loaded.path


def _first_district(client, dist_id: str) -> str:
    result = client.get("/api/3/action/datastore_search", query_string={"resource_id": dist_id}).get_json()["result"]
    return result["records"][0][result["fields"][1]["id"]]


def _recheck(app, dist_id: str) -> None:
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        dataset_id = s.get(Distribution, dist_id).dataset_id
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        assess_datasets(runtime, [dataset_id])
    finally:
        runtime.close()


def _rereads(app, dist_id: str) -> list[dict]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return [e.detail for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "datastore.reread"))
                if e.detail.get("distribution") == dist_id]


def _stale(app, tmp_path) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app.config["OPENDATA"]["DATABASE_URL"],
                "OPENDATA_INSTANCE_DIR": str(tmp_path / "cli"),
                "OPENDATA_ARCHIVE_DIR": app.config["OPENDATA"]["ARCHIVE_DIR"],
                "OPENDATA_DATASTORE_DIR": str(store.root_of(app.config["OPENDATA"]))})
    done = opendata("datastore", "stale", "--json", env=env, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["tables"]


def test_a_short_gbk_table_stored_as_korean_is_read_again_as_gbk_by_the_next_recheck(app, client, world, tmp_path):
    dist_id = _publish(app, "short-gbk-reread")
    assert _first_district(client, dist_id) == "西城区"
    _as_read_by_the_old_detector(app, dist_id, "cp949")
    assert _first_district(client, dist_id) != "西城区"  # what an operator's store held after the detector changed
    stale = [t for t in _stale(app, tmp_path) if t["distribution"] == dist_id]
    assert [(t["read_as"], t["detector"]) for t in stale] == [("cp949", OLD)]

    _recheck(app, dist_id)

    assert _first_district(client, dist_id) == "西城区"
    with app.extensions["opendata"]["sessionmaker"]() as s:
        row = s.get(Distribution, dist_id)
        assert (row.detected_encoding, row.encoding_detector) == ("gbk", DETECTOR_VERSION)
        loaded = store.lookup(store.root_of(app.config["OPENDATA"]), store.key_of(row))
        assert loaded.encoding == "gbk"
        # the copy's version says so too: its next version is compared with its rows read as GBK
        assert s.scalar(select(DistributionVersion.encoding).where(
            DistributionVersion.distribution_id == dist_id, DistributionVersion.sha256 == row.archive_hash)) == "gbk"
    assert [(e["from"], e["to"], e["detector"]) for e in _rereads(app, dist_id)] == [("cp949", "gbk",
                                                                                       DETECTOR_VERSION)]
    assert [t for t in _stale(app, tmp_path) if t["distribution"] == dist_id] == []
    _recheck(app, dist_id)  # read again once: the next re-check has nothing to do
    assert len(_rereads(app, dist_id)) == 1


def test_an_encoding_set_by_hand_is_left_as_it_was_set(app, client, world, tmp_path):
    dist_id = _publish(app, "short-gbk-by-hand")
    path = _as_read_by_the_old_detector(app, dist_id, "cp949", by_hand=True)
    before = path.stat().st_mtime_ns
    garbled = _first_district(client, dist_id)

    _recheck(app, dist_id)

    assert path.stat().st_mtime_ns == before and _first_district(client, dist_id) == garbled != "西城区"
    assert _rereads(app, dist_id) == []
    assert [t for t in _stale(app, tmp_path) if t["distribution"] == dist_id] == []


def test_a_table_read_in_the_encoding_still_chosen_keeps_its_rows_and_only_the_version_moves_on(app, client, world):
    dist_id = _publish(app, "short-gbk-same")
    path = _as_read_by_the_old_detector(app, dist_id, "gbk")
    before = path.stat().st_mtime_ns

    _recheck(app, dist_id)

    assert path.stat().st_mtime_ns == before and _first_district(client, dist_id) == "西城区"
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.get(Distribution, dist_id).encoding_detector == DETECTOR_VERSION
    assert _rereads(app, dist_id) == []


def test_a_table_loaded_before_footers_named_their_encoding_counts_as_read_in_its_versions(tmp_path):
    """Tables loaded before this change do not say how they were read: the encoding recorded for the copy's version
    when it was archived (and loaded) stands in; a recorded failure too."""
    path = tmp_path / "t.csv"
    path.write_bytes(GBK)
    loaded = store.load(tmp_path / "store", "a" * 64, path, format="CSV", encoding="cp949")
    legacy = replace(loaded, encoding=None, encoding_known=False)
    assert store.stale_encoding(legacy, "gbk", kept="cp949") == (True, "cp949")
    assert store.stale_encoding(legacy, "GB2312", kept="gbk") == (False, "gbk")
    assert store.stale_encoding(loaded, "gbk", kept="gbk") == (True, "cp949")  # the footer's word comes first
    failed = store.Failed("a" * 64, "unreadable", "", "")
    assert store.stale_encoding(failed, "gbk", kept="cp949") == (True, "cp949")
    assert store.stale_encoding(replace(loaded, encoding_by_hand=True), "gbk") == (False, "cp949")
