"""`opendata db copy`: a real catalog that grew up on SQLite (the demo government harvested, downloaded and
assessed, an account's upload) moved to PostgreSQL: the schema at the same migration, every table equal row by
row (JSON and timestamps included) and back again to SQLite, the copy serving the same API answers and data,
new rows getting new ids (sequences set past the copied ones); a non-empty target and a source behind the head
are refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app import create_app
from app.cli import main
from catalog_schema import db as dbmod
from tests.support import catalogs, services
from tests.support.accounts import make_user

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres():
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")


def _app(url: str, tmp_path, name: str):
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path / name),
                      "ARCHIVE_DIR": str(tmp_path / "archive"), "SECRET_KEY": "test-secret",
                      "ALLOW_HOSTS": ["127.0.0.1"], "HTTP_RETRIES": 0, "TESTING": True})
    app.config["TESTING"] = True
    return app


def test_a_sqlite_catalog_moves_to_postgresql(postgres, tmp_path):
    source_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    dbmod.upgrade(source_url)
    source = _app(source_url, tmp_path, "sqlite")
    target_url = catalogs.new_database(services.postgres_url(), tmp_path, f"copy_{tmp_path.name[-12:]}")
    copy = None
    try:
        catalogs.build_catalog(source)
        result = CliRunner().invoke(main, ["db", "copy", "--to", target_url, "--batch", "10"],
                                    env={"OPENDATA_DATABASE_URL": source_url})
        assert result.exit_code == 0, result.output
        assert "  datasets: 10/" in result.output and "  datasets: 20/" in result.output  # batch by batch
        assert "counts compared" in result.output
        # rows bulk-written, then the planner's statistics taken (a new table's estimate is -1 until then)
        assert "target: planner statistics taken (ANALYZE)" in result.output
        assert catalogs.planner_rows(target_url, "assessments") == len(catalogs.rows(source_url)["assessments"]) > 0

        got = catalogs.rows(target_url)
        catalogs.assert_same(catalogs.rows(source_url), got)
        assert len(got["datasets"]) > 20 and got["assessments"] and got["audit_events"] and got["users"]
        engine = dbmod.make_engine(target_url)
        with engine.connect() as conn:
            assert dbmod.current_revision(conn) == dbmod.head_revision()
            kinds = dict(conn.execute(text("SELECT column_name, data_type FROM information_schema.columns "
                                           "WHERE table_name = 'datasets'")).all())
        engine.dispose()
        assert kinds["title"] == "jsonb" and kinds["created_at"] == "timestamp with time zone"

        copy = _app(target_url, tmp_path, "postgresql")
        original, answers = catalogs.served_answers(source), catalogs.served_answers(copy)
        for url in original:
            catalogs.assert_same_answer(url, original[url], answers[url])

        back_url = f"sqlite:///{tmp_path / 'back.db'}"  # and back again, from PostgreSQL
        back = CliRunner().invoke(main, ["db", "copy", "--from", target_url, "--to", back_url])
        assert back.exit_code == 0, back.output
        catalogs.assert_same(catalogs.rows(target_url), catalogs.rows(back_url))
        make_user(copy, "new@a.example", editor_of="agency-b")  # new ids past the copied ones

        again = CliRunner().invoke(main, ["db", "copy", "--from", source_url, "--to", target_url])
        assert again.exit_code != 0 and "the target database is not empty" in again.output
    finally:
        for app in (source, copy):
            if app is not None:
                app.extensions["opendata"]["engine"].dispose()
        catalogs.drop_database(target_url)


def test_a_source_behind_the_head_is_refused(postgres, tmp_path):
    old = f"sqlite:///{tmp_path / 'old.db'}"
    dbmod.upgrade(old, "0011")
    result = CliRunner().invoke(main, ["db", "copy", "--from", old, "--to", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code != 0
    assert "the source database is at migration 0011" in result.output and "opendata db upgrade" in result.output


def test_a_source_with_no_catalog_is_said_so_in_the_readers_language(tmp_path):
    """An empty source (a database created and never upgraded) was "at migration (none)", in English under zh."""
    empty = tmp_path / "empty.db"
    engine = dbmod.make_engine(f"sqlite:///{empty}")
    engine.connect().close()  # the file exists, no table in it
    engine.dispose()
    result = CliRunner().invoke(main, ["--lang", "zh", "db", "copy", "--from", f"sqlite:///{empty}",
                                       "--to", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 1 and "源数据库中没有目录" in result.output and "(none)" not in result.output, \
        result.output


def test_a_mistyped_sqlite_source_is_named_not_made(tmp_path):
    """A typo in --from opened (and so made) an empty SQLite file, then advised `db upgrade` on it: following the
    advice copied an empty catalog."""
    typo = tmp_path / "catalgo.db"
    result = CliRunner().invoke(main, ["--lang", "zh", "db", "copy", "--from", f"sqlite:///{typo}",
                                       "--to", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 1 and f"{typo}" in result.output and "SQLite" in result.output, result.output
    assert not typo.exists() and not (tmp_path / "new.db").exists()


def test_a_target_that_cannot_be_reached_is_named(tmp_path):
    source = f"sqlite:///{tmp_path / 'catalog.db'}"
    dbmod.upgrade(source)
    result = CliRunner().invoke(main, ["db", "copy", "--from", source,
                                       "--to", "postgresql://nobody:x@127.0.0.1:9/none"])
    assert result.exit_code != 0 and "cannot connect to the target database" in result.output
    assert "x@" not in result.output  # the password is not printed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_why_a_database_cannot_be_reached_is_said_and_which_one(tmp_path, lang):
    """A target whose server is down (or whose role does not exist) was "cannot connect (OperationalError): create
    it first"; an unreachable --from was blamed on OPENDATA_DATABASE_URL, naming the default SQLite file."""
    source = f"sqlite:///{tmp_path / 'catalog.db'}"
    dbmod.upgrade(source)
    down = "postgresql://nobody:x@127.0.0.1:9/none"
    said = {"en": ("cannot connect to the target database", "cannot connect to the source database"),
            "zh": ("无法连接目标数据库", "无法连接源数据库")}[lang]
    for args, what in ((["--from", source, "--to", down], said[0]), (["--from", down, "--to", source], said[1])):
        result = CliRunner().invoke(main, ["--lang", lang, "db", "copy", *args])
        assert result.exit_code == 1, result.output
        out = result.output.split("\n", 1)[1]  # the line after "copying ... to ..."
        assert what in out and "postgresql://nobody:***@127.0.0.1:9/none" in out, out
        assert "refused" in out.lower(), out  # the driver's reason
        assert "x@" not in result.output and "OPENDATA_DATABASE_URL;" not in out


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--to", "bogus", "not a database URL"), ("--to", "", "an empty URL names no database"),
    ("--from", "foo://u:secret@h/db", "'foo' is not a kind of database")])
def test_a_url_that_cannot_be_read_is_said_not_a_traceback(tmp_path, option, value, said):
    source = f"sqlite:///{tmp_path / 'catalog.db'}"
    urls = {"--from": source, "--to": f"sqlite:///{tmp_path / 'new.db'}", option: value}
    result = CliRunner().invoke(main, ["db", "copy", "--from", urls["--from"], "--to", urls["--to"]])
    assert result.exit_code == 2 and said in result.output and option in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "secret" not in result.output and not (tmp_path / "new.db").exists()


def test_a_batch_of_no_rows_is_refused_and_a_short_copy_is_an_error(tmp_path):
    """--batch 0 read nothing and the copy reported success (the target was compared with the rows read)."""
    from app import dbcopy
    from catalog_schema.models import Publisher

    source = f"sqlite:///{tmp_path / 'catalog.db'}"
    dbmod.upgrade(source)
    engine = dbmod.make_engine(source)
    with dbmod.make_sessionmaker(engine)() as session:
        session.add_all([Publisher(slug=f"p{i}", name={"en": f"P{i}"}) for i in range(3)])
        session.commit()
    engine.dispose()
    for batch in ("0", "-5"):
        result = CliRunner().invoke(main, ["db", "copy", "--from", source, "--to",
                                           f"sqlite:///{tmp_path / f'new{batch}.db'}", "--batch", batch])
        assert result.exit_code == 2 and "--batch" in result.output, result.output
    with pytest.raises(dbcopy.CopyError, match="a batch is at least 1 row"):
        dbcopy.copy(source, f"sqlite:///{tmp_path / 'api.db'}", batch=0)

    # a table whose rows do not all arrive (read 3 of the 4 the source counted) fails the copy, naming it
    class Counted:  # the source's connection, counting one row more than it gives
        def __init__(self, conn):
            self.conn = conn

        def scalar(self, statement):
            return self.conn.scalar(statement) + 1

        def __getattr__(self, name):
            return getattr(self.conn, name)

    src_engine, dst_engine = dbmod.make_engine(source), dbmod.make_engine(f"sqlite:///{tmp_path / 'short.db'}")
    dbmod.upgrade(f"sqlite:///{tmp_path / 'short.db'}")
    try:
        with src_engine.connect() as src, dst_engine.begin() as dst:
            with pytest.raises(dbcopy.CopyError, match="publishers: 3 rows copied of the 4 the source holds"):
                dbcopy._copy_table(Counted(src), dst, Publisher.__table__, 2, lambda _: None)
    finally:
        src_engine.dispose()
        dst_engine.dispose()
