"""`opendata db upgrade` on SQLite and on PostgreSQL gives the same schema; the app serves /health."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from app.cli import main
from catalog_schema import db as dbmod
from tests.support import services
from tests.support.cli import Ran, opendata

ROOT = Path(__file__).resolve().parents[2]


def _opendata(*args: str, env: dict[str, str]) -> Ran:
    return opendata(*args, env={**os.environ, **env})


def _schema(url: str) -> dict:
    engine = dbmod.make_engine(url)
    insp = inspect(engine)
    out = {}
    for table in sorted(insp.get_table_names()):
        if table.startswith("search_") or table.startswith("sqlite_"):
            continue
        cols = {c["name"]: (c["nullable"], type(c["type"]).__name__.upper()) for c in insp.get_columns(table)}
        out[table] = {
            "columns": sorted(cols),
            "nullable": {k: v[0] for k, v in cols.items()},
            "pk": sorted(insp.get_pk_constraint(table)["constrained_columns"]),
            "fks": sorted((tuple(fk["constrained_columns"]), fk["referred_table"])
                          for fk in insp.get_foreign_keys(table)),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
        }
    engine.dispose()
    return out


@pytest.mark.postgres
def test_db_upgrade_same_schema_on_sqlite_and_postgres(tmp_path):
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")
    sqlite_url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = _opendata("db", "upgrade", env={"OPENDATA_DATABASE_URL": sqlite_url})
    assert result.returncode == 0, result.stderr

    admin = dbmod.make_engine(services.postgres_url(), isolation_level="AUTOCOMMIT")
    name = f"opendata_cli_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg_url = services.postgres_url().rsplit("/", 1)[0] + "/" + name
    try:
        result = _opendata("db", "upgrade", env={"OPENDATA_DATABASE_URL": pg_url})
        assert result.returncode == 0, result.stderr
        assert _opendata("db", "check", env={"OPENDATA_DATABASE_URL": pg_url}).returncode == 0
        checked = _opendata("--lang", "zh", "db", "check", env={"OPENDATA_DATABASE_URL": sqlite_url})
        assert checked.returncode == 0 and checked.stdout == "模型与迁移一致\n"  # not alembic's English line too
        lite, pg = _schema(sqlite_url), _schema(pg_url)
        assert lite.keys() == pg.keys()
        for table in lite:
            for key in ("columns", "nullable", "pk", "fks", "unique"):
                assert lite[table][key] == pg[table][key], (table, key)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_health_and_list_page(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "datasets": 0}
    assert client.get("/dataset").status_code == 200


@pytest.mark.parametrize("args", [["source", "list"], ["db", "check"], ["assess", "--all"], ["schedule"],
                                  ["backup", "--to", "{tmp}/bk"], ["db", "upgrade"]])
def test_a_database_that_does_not_exist_is_one_sentence_not_a_traceback(tmp_path, args, postgres_master_url):
    from sqlalchemy.engine import make_url

    missing = make_url(postgres_master_url).set(database="opendata_no_such_database").render_as_string(
        hide_password=False)
    env = {"OPENDATA_DATABASE_URL": missing, "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, [a.format(tmp=tmp_path) for a in args], env=env)
    assert result.exit_code == 1, result.output
    assert "cannot use the database" in result.output and "opendata_no_such_database" in result.output
    assert "Traceback" not in result.output and "sqlalche.me" not in result.output
    zh = CliRunner().invoke(main, ["--lang", "zh", *[a.format(tmp=tmp_path) for a in args]], env=env)
    assert "无法使用数据库" in zh.output, zh.output


def test_a_catalog_never_migrated_says_to_run_db_upgrade(tmp_path):
    engine = dbmod.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    engine.connect().close()  # the file exists, no table in it (as a PostgreSQL database just created)
    engine.dispose()
    env = {"OPENDATA_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["source", "list"], env=env)
    assert result.exit_code == 1 and "has no catalog tables" in result.output and "opendata db upgrade" in result.output


def test_db_upgrade_to_a_revision_that_is_none_of_ours_is_one_sentence(tmp_path):
    """`opendata db upgrade --revision bogus` ended in alembic's traceback."""
    env = {"OPENDATA_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    for lang, said in (("en", "cannot migrate to 'bogus'"), ("zh", "无法迁移到 'bogus'")):
        result = CliRunner().invoke(main, ["--lang", lang, "db", "upgrade", "--revision", "bogus"], env=env)
        assert result.exit_code == 1 and said in result.output and dbmod.head_revision() in result.output, \
            result.output
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0


def test_db_upgrade_where_the_sqlite_folder_cannot_be_made_is_one_sentence(tmp_path):
    """OPENDATA_INSTANCE_DIR naming a file (a typo, or the database's file itself) made the first command of an
    install, `opendata db upgrade`, end in a FileExistsError traceback."""
    a_file = tmp_path / "instance"
    a_file.write_text("not a folder")
    for lang, said in (("en", "cannot create the catalog database"), ("zh", "无法创建目录数据库")):
        result = CliRunner().invoke(main, ["--lang", lang, "db", "upgrade"], env={"OPENDATA_INSTANCE_DIR": str(a_file)})
        assert result.exit_code == 1 and said in result.output and "OPENDATA_INSTANCE_DIR" in result.output, \
            result.output
    assert a_file.read_text() == "not a folder"


@pytest.mark.parametrize("args", [["source", "list"], ["user", "add", "a@example.org"], ["harvest", "x"],
                                  ["assess", "--all"], ["schedule"], ["export", "catalog", "--format", "csv"]])
def test_a_sqlite_file_that_does_not_exist_is_named_not_made(tmp_path, args):
    """A typo in the SQLite path (catalgo.db) or the wrong OPENDATA_INSTANCE_DIR made an empty file there and advised
    `opendata db upgrade`: following the advice made an empty catalog at the typo."""
    typo = tmp_path / "catalgo.db"
    env = {"OPENDATA_DATABASE_URL": f"sqlite:///{typo}", "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["--lang", "zh", *args], env=env)
    assert result.exit_code == 1 and f"{typo} 处没有 SQLite 数据库" in result.output, result.output
    assert not typo.exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_db_check_says_what_to_do_with_a_database_behind_never_migrated_newer_or_missing(tmp_path, lang):
    """After installing new code, `opendata db check` on the catalog not yet upgraded answered alembic's "Target
    database is not up to date." (in English under zh, naming neither the migration nor what to run), and on a
    SQLite file that was not there it made an empty one."""
    said = {"en": ("is at migration 0011, this code's head is", "run `opendata db upgrade`",
                   "holds no catalog", "which this code does not know", "there is no SQLite database at"),
            "zh": ("处于迁移版本 0011，本代码的最新版本是", "请运行 `opendata db upgrade`",
                   "中没有目录", "本代码不认识的迁移版本", "处没有 SQLite 数据库")}[lang]
    head = dbmod.head_revision()

    def check(path: Path) -> str:
        env = {"OPENDATA_DATABASE_URL": f"sqlite:///{path}", "OPENDATA_INSTANCE_DIR": str(tmp_path)}
        result = CliRunner().invoke(main, ["--lang", lang, "db", "check"], env=env)
        assert result.exit_code == 1 and str(path) in result.output, result.output
        assert "not up to date" not in result.output and "Traceback" not in result.output
        return result.output

    behind = tmp_path / "behind.db"
    dbmod.upgrade(f"sqlite:///{behind}", "0011")
    out = check(behind)
    assert said[0] in out and head in out and said[1] in out, out

    never = tmp_path / "never.db"
    engine = dbmod.make_engine(f"sqlite:///{never}")
    engine.connect().close()  # the file exists, no table in it (as a PostgreSQL database just created)
    engine.dispose()
    out = check(never)
    assert said[2] in out and said[1] in out, out

    newer = tmp_path / "newer.db"
    dbmod.upgrade(f"sqlite:///{newer}")
    engine = dbmod.make_engine(f"sqlite:///{newer}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    out = check(newer)
    assert said[3] in out and "9999" in out and head in out, out

    typo = tmp_path / "catalgo.db"
    out = check(typo)
    assert said[4] in out and not typo.exists(), out
