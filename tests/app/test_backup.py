"""`opendata backup` while the site answers requests, then `opendata restore` into a new database of the same
kind: every table row by row, every archive file, and the served pages, API answers and data the same; the
manifest's counts are the restored catalog's; a second backup to the same folder copies no archive file again;
restore refuses a non-empty database unless --force. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from app import backup_manifest, create_app
from app.backup_manifest import ArchiveSummary, Manifest
from app.cli import main
from catalog_schema import db as dbmod
from plumbing import archive as archive_mod
from tests.support import catalogs, services
from tests.support.wsgiserver import ServedApp


@pytest.fixture(autouse=True)
def _client_programs(request):
    """PostgreSQL backups need pg_dump and pg_restore (Debian's postgresql-client, beside the server)."""
    if "postgresql" in request.node.name and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        services.missing("pg_dump and pg_restore")


def env_of(settings: dict) -> dict[str, str]:
    return {"OPENDATA_DATABASE_URL": settings["DATABASE_URL"], "OPENDATA_INSTANCE_DIR": settings["INSTANCE_DIR"],
            "OPENDATA_ARCHIVE_DIR": settings["ARCHIVE_DIR"],
            "OPENDATA_SEARCH_INDEX_DIR": settings.get("SEARCH_INDEX_DIR") or settings["INSTANCE_DIR"] + "/search"}


def test_the_manifest_round_trips():
    manifest = Manifest(taken_at="2026-12-03T10:00:00+00:00", backend="sqlite", revision="0012",
                        dump="catalog.sqlite3", dump_sha256="ab" * 32, dump_bytes=4096,
                        counts={"datasets": 3, "search_changes": 3},
                        archive=ArchiveSummary(source_dir="/srv/archive", files=2, bytes=10, copied=1,
                                               missing=["cd" * 32], corrupt=[]))
    assert backup_manifest.from_json(backup_manifest.to_json(manifest)) == manifest
    with pytest.raises(ValueError, match="version"):
        backup_manifest.from_json(backup_manifest.to_json(manifest).replace('"version": 1', '"version": 9'))


@pytest.mark.parametrize(("text", "said"), [
    ("[]", "it is not a JSON object"), ("{bad", "it is not JSON"), ('{"version": 1, "archive": {"source_dir": "x"}}',
                                                                   "the manifest lacks taken_at, backend"),
    ("DUMP:../../etc/passwd", "the manifest names the dump '../../etc/passwd'"),
    ("DUMP:", "the manifest names the dump ''")])
def test_restore_says_what_is_wrong_with_a_manifest_not_a_traceback(tmp_path, text, said):
    """A manifest that was a list ended `opendata restore` in a traceback, one with fields missing said
    "Manifest.__init__() missing 7 required positional arguments", and a dump named "../x" was looked for
    outside the backup folder."""
    folder = tmp_path / "bk"
    folder.mkdir()
    if text.startswith("DUMP:"):
        text = backup_manifest.to_json(Manifest(
            taken_at="2026-12-03T10:00:00+00:00", backend="sqlite", revision="0012", dump=text[5:],
            dump_sha256="ab" * 32, dump_bytes=1, counts={}, archive=ArchiveSummary(source_dir="/srv/archive")))
    (folder / "manifest.json").write_text(text)
    env = {"OPENDATA_INSTANCE_DIR": str(tmp_path / "new")}
    result = CliRunner().invoke(main, ["restore", str(folder)], env=env)
    assert result.exit_code == 1 and said in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    zh = CliRunner().invoke(main, ["--lang", "zh", "restore", str(folder)], env=env)
    assert zh.exit_code == 1 and "无法读取" in zh.output and said not in zh.output, zh.output
    assert not (tmp_path / "new" / "catalog.db").exists()


def test_backup_while_serving_then_restore_gives_the_same_catalog(app, db_url, tmp_path):
    catalogs.build_catalog(app)
    settings = app.config["OPENDATA"]
    served = ServedApp(app, threads=4)
    stop, statuses, started = threading.Event(), [], threading.Barrier(3)

    def browse(path: str) -> None:
        with requests.Session() as http:
            statuses.append(http.get(served.url + path, timeout=30).status_code)
            started.wait()
            while not stop.is_set():
                statuses.append(http.get(served.url + path, timeout=30).status_code)

    readers = [threading.Thread(target=browse, args=(p,)) for p in ("/dataset", "/api/v1/datasets")]
    target = tmp_path / "backup"
    try:
        for t in readers:
            t.start()
        started.wait()  # both readers are answered; the backup runs while they go on
        result = CliRunner().invoke(main, ["backup", "--to", str(target)], env=env_of(settings))
    finally:
        stop.set()
        for t in readers:
            t.join()
        served.close()
    assert result.exit_code == 0, result.output
    assert statuses and set(statuses) == {200}
    manifest = backup_manifest.from_json((target / "manifest.json").read_text())
    assert manifest.backend == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert manifest.revision == dbmod.head_revision()
    source_files = {p.name: p.read_bytes() for p in archive_mod.stored(settings["ARCHIVE_DIR"])}
    assert manifest.archive.files == manifest.archive.copied == len(source_files) > 5
    assert manifest.archive.missing == [] and manifest.archive.corrupt == []

    again = CliRunner().invoke(main, ["backup", "--to", str(target)], env=env_of(settings))
    assert again.exit_code == 0, again.output
    assert backup_manifest.from_json((target / "manifest.json").read_text()).archive.copied == 0  # incremental

    restored_url = catalogs.new_database(db_url, tmp_path, "restored")
    restored = {"DATABASE_URL": restored_url, "INSTANCE_DIR": str(tmp_path / "restored"),
                "ARCHIVE_DIR": str(tmp_path / "restored" / "archive")}
    try:
        result = CliRunner().invoke(main, ["restore", str(target)], env=env_of(restored))
        assert result.exit_code == 0, result.output
        assert "search: rebuilding the index" in result.output
        got = catalogs.rows(restored_url)
        assert {name: len(r) for name, r in got.items()} == manifest.counts
        catalogs.assert_same(catalogs.rows(db_url, paths=(settings["ARCHIVE_DIR"], restored["ARCHIVE_DIR"])), got)
        assert {p.name: p.read_bytes() for p in archive_mod.stored(restored["ARCHIVE_DIR"])} == source_files
        assert (tmp_path / "restored" / "search" / "CURRENT").exists()  # rebuilt by the restore
        if manifest.backend == "postgresql":  # pg_restore writes rows, not statistics: the restore takes them
            assert "database: planner statistics taken (ANALYZE)" in result.output
            assert catalogs.planner_rows(restored_url, "assessments") == manifest.counts["assessments"] > 0

        copy = create_app({**restored, "SECRET_KEY": "test-secret", "TESTING": True})
        try:
            original, answers = catalogs.served_answers(app), catalogs.served_answers(copy)
            assert sorted(original) == sorted(answers)
            for url in original:
                assert original[url] == answers[url], url
            assert any(url.endswith("data.csv") and status == 200 for url, (status, _) in answers.items())
        finally:
            copy.extensions["opendata"]["engine"].dispose()

        refused = CliRunner().invoke(main, ["restore", str(target)], env=env_of(restored))
        assert refused.exit_code != 0
        assert "the target database is not empty" in refused.output and "--force" in refused.output
        forced = CliRunner().invoke(main, ["restore", "--force", str(target)], env=env_of(restored))
        assert forced.exit_code == 0, forced.output
        assert {name: len(r) for name, r in catalogs.rows(restored_url).items()} == manifest.counts
    finally:
        catalogs.drop_database(restored_url)


def test_restore_refuses_what_is_not_a_backup_of_its_kind(tmp_path, db_url):
    env = env_of({"DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path / "i"), "ARCHIVE_DIR": str(tmp_path / "a")})
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["restore", str(tmp_path / "empty")], env=env)
    assert result.exit_code != 0 and "is not a backup folder" in result.output
    other = "postgresql" if db_url.startswith("sqlite") else "sqlite"
    manifest = Manifest(taken_at="2026-12-03T10:00:00+00:00", backend=other, revision="0012", dump="x",
                        dump_sha256="", dump_bytes=0, counts={}, archive=ArchiveSummary(source_dir="/a"))
    (tmp_path / "empty" / "manifest.json").write_text(backup_manifest.to_json(manifest))
    result = CliRunner().invoke(main, ["restore", str(tmp_path / "empty")], env=env)
    assert result.exit_code != 0 and f"the backup is of a {other} database" in result.output
    # said in the reader's language, as every command's refusals are
    zh = CliRunner().invoke(main, ["--lang", "zh", "restore", str(tmp_path / "empty")], env=env)
    assert zh.exit_code != 0 and f"备份来自 {other} 数据库" in zh.output, zh.output
    zh = CliRunner().invoke(main, ["--lang", "zh", "db", "copy", "--to", db_url], env=env)
    assert zh.exit_code != 0 and "源数据库和目标数据库是同一个" in zh.output, zh.output


def test_a_backup_taken_while_the_catalog_changes_is_one_moment(app, db_url, tmp_path):
    """A writer commits an account and its audit event together, over and over, while the backup runs: the
    restored catalog holds as many of one as of the other (no transaction half in), and the manifest's counts
    are exactly what was restored."""
    from app.services import accounts
    from catalog_schema.models import AuditEvent, User
    from catalog_schema.store import add_audit_event

    factory = app.extensions["opendata"]["sessionmaker"]
    stop, first = threading.Event(), threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            with factory() as s:
                user = accounts.create_user(s, f"w{n}@writer.example", name=f"w{n}")
                s.flush()
                add_audit_event(s, action="test.tick", object_type="user", object_id=str(user.id))
                s.commit()
            n += 1
            first.set()

    writer = threading.Thread(target=write)
    target = tmp_path / "backup"
    writer.start()
    try:
        first.wait()
        result = CliRunner().invoke(main, ["backup", "--to", str(target)], env=env_of(app.config["OPENDATA"]))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    manifest = backup_manifest.from_json((target / "manifest.json").read_text())
    restored_url = catalogs.new_database(db_url, tmp_path, "moment")
    restored = {"DATABASE_URL": restored_url, "INSTANCE_DIR": str(tmp_path / "moment"),
                "ARCHIVE_DIR": str(tmp_path / "moment" / "archive")}
    try:
        result = CliRunner().invoke(main, ["restore", str(target)], env=env_of(restored))
        assert result.exit_code == 0, result.output
        got = catalogs.rows(restored_url)
        assert {name: len(r) for name, r in got.items()} == manifest.counts
        assert 0 < manifest.counts["users"] == manifest.counts["audit_events"]
        with factory() as s:
            assert s.query(User).count() >= manifest.counts["users"]
            assert s.query(AuditEvent).count() >= manifest.counts["audit_events"]
    finally:
        catalogs.drop_database(restored_url)


def test_a_failed_backup_leaves_the_last_one_restorable_and_a_damaged_one_is_refused(tmp_path):
    """The nightly backup into one folder: a run that fails on the way (here the archive cannot be written)
    says so in one line and the folder's last backup still restores; a damaged SQLite catalog is not backed
    up, and a damaged dump is refused before the target is touched; a backup whose archive files were damaged
    restores the database and says which files it could not, with exit status 1."""
    import dataclasses
    import hashlib

    from catalog_schema.record import new_record
    from catalog_schema.store import save_record

    source = tmp_path / "live"
    source.mkdir()
    url = f"sqlite:///{source / 'catalog.db'}"
    dbmod.upgrade(url)
    archive = source / "archive"
    written = [Path(archive_mod.archive([f"file {i}\n".encode()], archive).path) for i in range(3)]
    engine = dbmod.make_engine(url)
    with dbmod.make_sessionmaker(engine)() as session:
        ds, _ = save_record(session, new_record(slug="d", title={"en": "D"}, distributions=[
            {"download_url": f"http://127.0.0.1/{i}.csv"} for i in range(3)]))
        for row, path in zip(ds.distributions, written, strict=True):
            row.archive_hash, row.archive_path = path.name, str(path)
        session.commit()
    engine.dispose()
    env = env_of({"DATABASE_URL": url, "INSTANCE_DIR": str(source), "ARCHIVE_DIR": str(archive)})
    target = tmp_path / "nightly"
    first = CliRunner().invoke(main, ["backup", "--to", str(target)], env=env)
    assert first.exit_code == 0, first.output
    good = backup_manifest.from_json((target / "manifest.json").read_text())

    # the next night the archive copy fails half-way (a file where a folder must go): one line, no traceback
    archive_mod.archive([b"a new file\n"], archive)
    blocker = next(p for p in archive.iterdir() if p.is_dir() and not (target / "archive" / p.name).exists())
    (target / "archive" / blocker.name).write_bytes(b"")
    failed = CliRunner().invoke(main, ["backup", "--to", str(target)], env=env)
    assert failed.exit_code == 1 and "the last backup there is as it was" in failed.output
    assert "Traceback" not in failed.output and isinstance(failed.exception, SystemExit)
    (target / "archive" / blocker.name).unlink()
    assert backup_manifest.from_json((target / "manifest.json").read_text()) == good
    again = tmp_path / "again"
    restored = CliRunner().invoke(main, ["restore", str(target)], env=env_of(
        {"DATABASE_URL": f"sqlite:///{again / 'catalog.db'}", "INSTANCE_DIR": str(again),
         "ARCHIVE_DIR": str(again / "archive")}))
    assert restored.exit_code == 0, restored.output

    # archive files of the backup damaged and deleted: the database comes back, the files are named, exit 1
    damaged = tmp_path / "damaged"
    shutil.copytree(target, damaged)
    (damaged / "archive" / written[0].name[:2] / written[0].name).write_bytes(b"junk\n")
    (damaged / "archive" / written[1].name[:2] / written[1].name).unlink()
    third = tmp_path / "third"
    partial = CliRunner().invoke(main, ["restore", str(damaged)], env=env_of(
        {"DATABASE_URL": f"sqlite:///{third / 'catalog.db'}", "INSTANCE_DIR": str(third),
         "ARCHIVE_DIR": str(third / "archive")}))
    assert partial.exit_code == 1, partial.output
    assert "1 archive files" in partial.output and "restored, but 2 files the catalog names" in partial.output
    assert written[0].name in partial.output and written[1].name in partial.output

    # a damaged catalog is not backed up; a damaged dump does not replace a sound catalog
    with open(source / "catalog.db", "r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096 * 4)
    refused = CliRunner().invoke(main, ["backup", "--to", str(target)], env=env)
    assert refused.exit_code == 1 and "fails SQLite's integrity check" in refused.output, refused.output
    assert backup_manifest.from_json((target / "manifest.json").read_text()) == good
    dump = target / good.dump
    shutil.copy(dump, tmp_path / "sound.sqlite3")
    with open(dump, "r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096 * 4)
    bad = backup_manifest.from_json((target / "manifest.json").read_text())
    bad = dataclasses.replace(bad, dump_sha256=hashlib.sha256(dump.read_bytes()).hexdigest())
    (target / "manifest.json").write_text(backup_manifest.to_json(bad))
    before = (again / "catalog.db").read_bytes()
    refused = CliRunner().invoke(main, ["restore", "--force", str(target)], env=env_of(
        {"DATABASE_URL": f"sqlite:///{again / 'catalog.db'}", "INSTANCE_DIR": str(again),
         "ARCHIVE_DIR": str(again / "archive")}))
    assert refused.exit_code == 1 and "fails SQLite's integrity check" in refused.output, refused.output
    assert (again / "catalog.db").read_bytes() == before


def test_a_restore_that_cannot_write_a_folder_touches_nothing(tmp_path, db_url):
    """An archive (or search index) folder the restore cannot write stopped it after the catalog was replaced, with
    a traceback; now it is found before the database is touched, and said in one line."""
    env = env_of({"DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path / "i"), "ARCHIVE_DIR": str(tmp_path / "a")})
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(main, ["backup", "--to", str(tmp_path / "bk")], env=env).exit_code == 0
    (tmp_path / "files").mkdir()
    added = runner.invoke(main, ["source", "add", "after-the-backup", "--type", "datapackage",
                                 "--url", str(tmp_path / "files")], env=env)
    assert added.exit_code == 0, added.output
    for key, value in (("ARCHIVE_DIR", "/proc/no-such-archive"), ("SEARCH_INDEX_DIR", "/proc/no-such-index")):
        result = runner.invoke(main, ["restore", "--force", str(tmp_path / "bk")],
                               env={**env, f"OPENDATA_{key}": value})
        assert result.exit_code == 1, result.output
        assert f"{value} cannot be written" in result.output and "nothing was restored" in result.output
        assert "Traceback" not in result.output and "database: restoring" not in result.output
        assert "after-the-backup" in runner.invoke(main, ["source", "list"], env=env).output  # untouched
    if db_url.startswith("sqlite"):  # and the refused restores left nothing beside the dump (a -wal and a -shm
        # stayed for good: the dump had been turned to WAL by the engine that read its counts)
        dumps = [p.name for p in (tmp_path / "bk").iterdir() if "sqlite3" in p.name]
        assert len(dumps) == 1 and dumps[0].endswith(".sqlite3"), dumps
    refused = runner.invoke(main, ["restore", str(tmp_path / "bk")], env=env)  # not empty: refused
    assert refused.exit_code == 1 and "not empty" in refused.output, refused.output
    assert not [p.name for p in (tmp_path / "bk").iterdir() if p.name.endswith(("-wal", "-shm"))]
    manifest = tmp_path / "bk" / "manifest.json"
    manifest.write_text('{"version": 1}')
    result = runner.invoke(main, ["restore", "--force", str(tmp_path / "bk")], env=env)
    assert result.exit_code == 1 and "the manifest has no archive section" in result.output, result.output


@pytest.mark.postgres
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_target_that_cannot_be_reached_is_said_with_why(tmp_path, lang):
    """A PostgreSQL target not created, on a server that is down, or for a role that does not exist: each was
    "cannot connect to the target database (OperationalError): create it first", whatever the cause."""
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")
    folder = tmp_path / "bk"
    folder.mkdir()
    (folder / "catalog.pgdump").write_bytes(b"a dump")
    import hashlib

    manifest = Manifest(taken_at="2026-12-03T10:00:00+00:00", backend="postgresql", revision=dbmod.head_revision(),
                        dump="catalog.pgdump", dump_sha256=hashlib.sha256(b"a dump").hexdigest(), dump_bytes=6,
                        counts={}, archive=ArchiveSummary(source_dir="/a"))
    (folder / "manifest.json").write_text(backup_manifest.to_json(manifest))
    said = {"en": "cannot connect to the target database", "zh": "无法连接目标数据库"}[lang]
    for url, shown, reason in (
            ("postgresql://postgres@127.0.0.1:5432/opendata_never_created", None, "does not exist"),
            ("postgresql://nobody:secret@127.0.0.1:9/none", "postgresql://nobody:***@127.0.0.1:9/none", "refused")):
        env = env_of({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path / "i"), "ARCHIVE_DIR": str(tmp_path / "a")})
        result = CliRunner().invoke(main, ["--lang", lang, "restore", str(folder)], env=env)
        assert result.exit_code == 1, result.output
        assert said in result.output and (shown or url) in result.output and reason in result.output, result.output
        assert "secret" not in result.output and "Traceback" not in result.output
