"""A new version's CSV scan (header, notes rows, delimiter) is kept beside its facts, and read back when the
next version is compared with it instead of scanning the old copy again; a version whose scan is missing is
scanned, with the same change recorded."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import asdict

import pytest

from app.services import datasets, distributions
from app.services.context import Runtime
from quality import facts_cache
from quality.tabular import csvfile
from tests.app.test_versions import V1, V2, _replace
from tests.support.accounts import acting_as, make_user

CHANGE = {"compared": True, "rows_before": 3, "rows_after": 3, "rows_added": 1, "rows_removed": 1,
          "rows_changed": 1, "columns_added": ["面积"], "columns_removed": [], "key": "区县"}


def _upload(app) -> tuple[str, str, str]:
    make_user(app, "editor@a.example", editor_of="agency-a")
    with acting_as(app, "editor@a.example") as (actor, s):
        ds = datasets.create(actor, "agency-a", {"title": "Districts", "license": "CC-BY-4.0"}, slug="districts")
        dist = distributions.add_upload(actor, ds, io.BytesIO(V1), "districts.csv")
        datasets.publish(actor, ds)
        s.commit()
        return dist.id, dist.archive_hash, ds.id


@pytest.fixture
def scans(monkeypatch):
    """The paths the CSV scan was run on (not taken from the process's cache or a kept scan)."""
    seen = []
    real = csvfile._csv_layout

    def counted(path, encoding, fmt):
        seen.append(os.path.basename(path))
        return real(path, encoding, fmt)

    monkeypatch.setattr(csvfile, "_csv_layout", counted)
    csvfile._LAYOUTS.clear()
    return seen


@contextlib.contextmanager
def _served_catalog(tmp_path, monkeypatch, n: int, rows: int):
    """A catalog of `n` datasets, each one CSV of `rows` rows served by the re-check benchmark's file server (the
    list of versions it serves, changed by the test): (runtime, dataset ids, versions)."""
    import threading
    from http.server import ThreadingHTTPServer

    from bench import recheck

    versions = [0] * n
    monkeypatch.setattr(recheck, "ROWS", rows)  # small files: the reads are counted, not timed
    server = ThreadingHTTPServer(("127.0.0.1", 0), recheck.files_handler(versions))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rt = recheck.runtime(f"sqlite:///{tmp_path / 'catalog.db'}", tmp_path)
    try:
        yield rt, recheck._catalog(rt, f"http://127.0.0.1:{server.server_port}", n), versions
    finally:
        rt.close()
        server.shutdown()


@pytest.mark.parametrize("kept", [True, False], ids=["scan-kept", "scan-missing"])
def test_the_version_before_is_read_from_its_kept_scan(app, client, scans, kept):
    dist_id, first, _ = _upload(app)
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    layouts = facts_cache.load_scan(archive, first)
    assert layouts and layouts[0]["layout"]["header"] == ["区县", "人口"] and layouts[0]["layout"]["delimiter"] == ","
    if not kept:
        shutil.rmtree(os.path.join(archive, facts_cache.FOLDER))  # the facts and the scan gone: scanned again
    csvfile._LAYOUTS.clear()  # another process, the week after: nothing in memory
    scans.clear()
    _replace(app, "districts", dist_id, V2)
    listed = client.get(f"/api/v1/datasets/districts/distributions/{dist_id}/versions").get_json()["versions"]
    assert listed[0]["change"] == CHANGE
    old_scanned = [name for name in scans if name.startswith(first)]
    assert bool(old_scanned) is not kept
    assert facts_cache.load_scan(archive, listed[0]["sha256"])  # the new version's scan kept for next time


def test_a_copy_read_again_keeps_its_scan_again(app, scans):
    """The facts (and so the scans) deleted: the next assessment reads the copy again and keeps its scan, though
    the version is not new; an assessment that reads nothing (facts kept) scans nothing and writes nothing."""
    _, first, ds_id = _upload(app)
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    shutil.rmtree(os.path.join(archive, facts_cache.FOLDER))
    csvfile._LAYOUTS.clear()
    runtime = Runtime(app.extensions["opendata"]["sessionmaker"], app.config["OPENDATA"])
    try:
        runtime.assess([ds_id])
        assert facts_cache.has_scan(archive, first)
        scans.clear()
        csvfile._LAYOUTS.clear()
        runtime.assess([ds_id])
        assert scans == []
    finally:
        runtime.close()


def test_a_kept_scan_gives_the_layout_a_scan_finds(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"Notes: population\n\nid;name\n1;a\n2;b\nSource: us\n")
    csvfile._LAYOUTS.clear()
    scanned = csvfile.csv_layout(str(path), None, "csv")
    kept = csvfile.kept_layouts(str(path))
    assert facts_cache.save_scan(tmp_path, "ab" * 32, kept)
    copy = tmp_path / "copy.csv"
    shutil.copy(path, copy)
    csvfile._LAYOUTS.clear()
    assert csvfile.seed_layouts(str(copy), facts_cache.load_scan(tmp_path, "ab" * 32)) == 1
    assert csvfile.csv_layout(str(copy), None, "csv") == scanned
    assert scanned.notes_above == [0] and scanned.delimiter == ";" and scanned.footer_rows == 1


def test_a_scan_that_does_not_fit_is_not_taken(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n")
    csvfile._LAYOUTS.clear()
    csvfile.csv_layout(str(path), None, "csv")
    kept = csvfile.kept_layouts(str(path))
    csvfile._LAYOUTS.clear()
    path.write_bytes(b"a,b\n1,2\n3,4\n")  # other bytes (another size): the kept scan is not this file's
    assert csvfile.seed_layouts(str(path), kept) == 0
    assert csvfile.seed_layouts(str(path), [{"layout": {"nonsense": 1}}, "x"]) == 0
    assert facts_cache.load_scan(tmp_path, "cd" * 32) == []  # none kept
    kept[0]["layout"]["header"] = ["\udcff"]  # a header cell that is not valid UTF-8: not kept
    assert not facts_cache.save_scan(tmp_path, "cd" * 32, kept)


@pytest.mark.parametrize("kept", [True, False], ids=["layouts-followed", "scans-gone"])
def test_a_whole_chunk_of_changed_files_is_scanned_at_most_once_each(tmp_path, scans, monkeypatch, kept):
    """An assessment chunk of changed CSVs: each new copy is profiled, compared with the one before and loaded
    into the row store, all from one layout (the process's layouts hold a chunk's new and previous copies: with
    room for 64, the load after the chunk's commit scanned every copy a second time). That layout is the version
    before's, its head found the same (no scan at all: the layout a scan finds, kept for next time); with the
    version before's scan gone, one scan of each new copy."""
    from app.jobs import ASSESS_CHUNK, assess

    with _served_catalog(tmp_path, monkeypatch, ASSESS_CHUNK, 30) as (rt, ids, versions):
        assess(rt, ids)
        versions[:] = [1] * ASSESS_CHUNK
        if not kept:
            shutil.rmtree(tmp_path / "archive" / facts_cache.FOLDER)
        csvfile._LAYOUTS.clear()  # the week after, in another process: nothing in memory
        scans.clear()
        assess(rt, ids)
        with rt.sessionmaker() as session:
            from sqlalchemy import select

            from catalog_schema.models import Distribution
            copies = session.execute(select(Distribution.archive_hash, Distribution.archive_path)).all()
    new = [name for name in scans if name.startswith(tuple("0123456789abcdef"))]
    if kept:
        assert new == []
        csvfile._LAYOUTS.clear()
        for sha, path in copies:  # what was kept of each new copy is what a scan of it finds
            docs = facts_cache.load_scan(tmp_path / "archive", sha)
            assert docs and all(doc["layout"] == asdict(csvfile._csv_layout(path, doc["encoding"], doc["format"]))
                                for doc in docs)
    else:
        assert len(new) == ASSESS_CHUNK and len(set(new)) == ASSESS_CHUNK, sorted(new)


@pytest.mark.parametrize("digests", [True, False], ids=["digests-kept", "digests-gone"])
def test_the_version_before_is_compared_from_its_digest(tmp_path, scans, monkeypatch, digests):
    """The row store keeps a digest of each copy it loads (its rows' hashes): the next version is compared with it,
    and the copy before is not read at all; without the digests (a store loaded before them, or emptied) both
    copies are read, and the same change is recorded either way, the one the row-by-row comparison finds."""
    from sqlalchemy import select

    from app.datastore import load as datastore
    from app.jobs import assess
    from catalog_schema.models import DistributionVersion as FileVersion
    from quality.tabular import compare as tabular_compare
    from quality.tabular import read as read_mod

    read = []
    real_table = tabular_compare._table
    monkeypatch.setattr(tabular_compare, "_table",
                        lambda path, fmt, enc: read.append(path) or real_table(path, fmt, enc))
    read_from_disk = []
    real_read = read_mod._read_table
    monkeypatch.setattr(read_mod, "_read_table",
                        lambda path, **kw: read_from_disk.append(os.fspath(path)) or real_read(path, **kw))
    with _served_catalog(tmp_path, monkeypatch, 3, 40) as (rt, ids, versions):
        root = datastore.root_of(rt.settings)
        assess(rt, ids)
        with rt.sessionmaker() as session:
            before = {v.distribution_id: (v.sha256, v.path, v.format, v.encoding)
                      for v in session.scalars(select(FileVersion))}
        assert all(datastore.digest_path(root, sha).is_file() for sha, *_ in before.values())
        if not digests:
            for sha, *_ in before.values():
                datastore.digest_path(root, sha).unlink()
        versions[:] = [1, 1, 1]
        csvfile._LAYOUTS.clear()
        scans.clear()
        read_from_disk.clear()
        made = []
        real_init = tabular_compare.DigestBuilder.__init__
        monkeypatch.setattr(tabular_compare.DigestBuilder, "__init__",
                            lambda self, read_as: made.append(read_as) or real_init(self, read_as))
        assess(rt, ids)
        assert len(made) == 3  # each new copy's digest made once (by the comparison, or by the load)
        old_paths = {path for _, path, *_ in before.values()}
        new_reads = [p for p in read_from_disk if p not in old_paths]
        # the new copy read once, to compare it; the row store loads it from that read
        assert len(new_reads) == 3 and len(set(new_reads)) == 3, read_from_disk
        old_read = [p for p in read if p in old_paths]
        old_scanned = [n for n in scans if n in {os.path.basename(p) for p in old_paths}]
        assert bool(old_read) is not digests  # without digests, read again (from their kept scans: not scanned)
        assert old_scanned == []
        with rt.sessionmaker() as session:
            after = [v for v in session.scalars(select(FileVersion)) if v.sha256 != before[v.distribution_id][0]]
            assert len(after) == 3
            for v in after:
                _, path, fmt, enc = before[v.distribution_id]
                assert v.change == tabular_compare.compare_rows({"path": path, "format": fmt, "encoding": enc},
                                                                {"path": v.path, "format": v.format,
                                                                 "encoding": v.encoding})
                assert v.change["compared"] and v.change["rows_changed"] > 0
                assert datastore.digest_path(root, v.sha256).is_file()  # for the version after


def test_an_unchanged_copys_table_is_not_looked_into_and_a_missing_one_is_loaded(tmp_path, monkeypatch):
    """A re-check where nothing changed asks the row store nothing but whether each table is there (no footer
    read, no load); a table the store lost is loaded again by the next re-check."""
    from app.datastore import load as datastore
    from app.jobs import assess

    asked = []
    for name in ("lookup", "load"):
        real = getattr(datastore, name)
        monkeypatch.setattr(datastore, name,
                            lambda *a, _real=real, _name=name, **k: asked.append(_name) or _real(*a, **k))
    with _served_catalog(tmp_path, monkeypatch, 2, 20) as (rt, ids, versions):
        root = datastore.root_of(rt.settings)
        assess(rt, ids)
        assert asked.count("load") == 2
        asked.clear()
        assess(rt, ids)
        assert asked == []
        shutil.rmtree(root)  # the store lost (a new node, a disk replaced): loaded again
        assess(rt, ids)
        assert asked.count("load") == 2 and len(list(root.glob("??/*.parquet"))) == 2
        asked.clear()
        versions[0] = 1  # a changed copy is loaded under its new hash
        assess(rt, ids)
        assert asked.count("load") == 1
