"""What the `opendata` command still said in English under `--lang zh` (issue 17, "Every string in zh and en"):
the settings' help in `opendata settings`, the type names click writes as metavars (`--port INTEGER`) and in its
errors ("'x' is not a valid integer."), the usage line's placeholders, and DuckDB's errors quoted inside our
sentences. Beside tests/app/test_cli_lang.py, whose helpers it uses."""

from __future__ import annotations

import re

import click
import duckdb
import pytest

from app import cli, cli_click, cli_lang, settings
from app.cli_lang import has_translation
from app.datastore import engine_errors
from tests.app.test_cli_lang import PLAIN, _invoke, _walk


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _zh(text: str) -> str:
    return cli_lang.gettext(text, "zh")


# --------------------------------------------------------------------------- opendata settings


def test_every_setting_has_its_help_in_chinese():
    """Fails on a setting added (or its help changed) without a Chinese help in the catalog: run the extraction
    and translate it (app/translations/README.md)."""
    missing = [s.name for s in settings.SETTINGS if not has_translation(s.help)]
    assert not missing, missing
    for s in settings.SETTINGS:
        zh = _zh(s.help)
        assert _cjk(zh), s.name
        # what is written as code stays as it is: `literals`, the variables named, units and numbers
        for literal in re.findall(r"`[^`]+`", s.help):
            assert literal in zh, (s.name, literal)
        for name in re.findall(r"\b(?:OPENDATA_)?[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", s.help):
            assert name.rstrip("_") in zh, (s.name, name)


def test_settings_prints_the_help_in_the_chosen_language():
    env = {**PLAIN, "OPENDATA_SECRET_KEY": None, "OPENDATA_BROKER_URL": None}
    zh = _invoke(["--lang", "zh", "settings"], env)
    en = _invoke(["settings"], env)
    for s in settings.SETTINGS:
        assert f"\n    {_zh(s.help)}\n" in f"\n{zh}", s.name
        assert f"\n    {s.help}\n" in f"\n{en}", s.name
    assert "OPENDATA_BROKER_URL=（未设置）" in zh and "OPENDATA_BROKER_URL=(unset)" in en
    assert "OPENDATA_SECRET_KEY=（未设置）" in zh  # a secret that is not set says so, one that is set is hidden
    secret = _invoke(["--lang", "zh", "settings"], {**env, "OPENDATA_SECRET_KEY": "s3cret"})
    assert "OPENDATA_SECRET_KEY=（保密）" in secret and "s3cret" not in secret
    assert "OPENDATA_HARVESTERS=ckan,dcat,datajson,datapackage" in en  # as the variable is written
    assert "OPENDATA_LANG=zh" in _invoke(["settings"], {**env, "OPENDATA_LANG": "zh"})


@pytest.mark.parametrize(("name", "value", "zh", "en"), [
    ("OPENDATA_LOG_FORMAT", "xml", "OPENDATA_LOG_FORMAT：'xml' 不是日志格式（请用 text 或 json）",
     "OPENDATA_LOG_FORMAT: not a log format: 'xml' (use text or json)"),
    ("OPENDATA_PAGE_SIZE", "many", "OPENDATA_PAGE_SIZE：'many' 不是整数",
     "OPENDATA_PAGE_SIZE: not a whole number: 'many'"),
    ("OPENDATA_HTTP_TIMEOUT", "soon", "OPENDATA_HTTP_TIMEOUT：'soon' 不是数字", "not a number: 'soon'"),
    ("OPENDATA_SMTP_SSL", "maybe", "'maybe' 不是布尔值", "not a boolean: 'maybe'"),
    ("OPENDATA_PII_POLICY", "x", "'x' 不是个人信息处理策略", "not a personal-data policy: 'x'"),
    ("OPENDATA_DIGEST_DEFAULT_PERIOD", "x", "'x' 不是摘要周期", "not a digest period: 'x'"),
    # these four ended in a traceback (LOG_LEVEL, DATABASE_URL) or in 500s of the site (PAGE_SIZE, COMPRESS_LEVEL)
    ("OPENDATA_LOG_LEVEL", "LOUD", "OPENDATA_LOG_LEVEL：不是日志级别：'LOUD'", "not a log level: 'LOUD'"),
    ("OPENDATA_DATABASE_URL", "foo://u:pw@host/db", "'foo' 不是本平台能打开的数据库类型",
     "OPENDATA_DATABASE_URL: 'foo' is not a kind of database this platform opens"),
    ("OPENDATA_DATABASE_URL", "catalog.db", "OPENDATA_DATABASE_URL：不是数据库 URL",
     "OPENDATA_DATABASE_URL: not a database URL"),
    ("OPENDATA_PAGE_SIZE", "0", "OPENDATA_PAGE_SIZE：'0' 小于 1", "OPENDATA_PAGE_SIZE: '0' is below 1"),
    ("OPENDATA_COMPRESS_LEVEL", "42", "OPENDATA_COMPRESS_LEVEL：'42' 不在 0 到 9 之间",
     "OPENDATA_COMPRESS_LEVEL: '42' is not between 0 and 9"),
    # a traceback at the app's start (serve); an unknown harvester was taken though the docs say it fails at start
    ("OPENDATA_RATELIMIT_STORAGE_URL", "memcached://127.0.0.1",
     "OPENDATA_RATELIMIT_STORAGE_URL：不是本平台使用的限流存储",
     "OPENDATA_RATELIMIT_STORAGE_URL: not a rate-limit storage this platform uses ('memcached')"),
    ("OPENDATA_HARVESTERS", "ckan,csw", "OPENDATA_HARVESTERS：未知的采集器类型 csw",
     "OPENDATA_HARVESTERS: unknown harvester type(s) csw: installed are ckan, datajson, datapackage, dcat"),
])
def test_a_refused_setting_in_the_chosen_language(name, value, zh, en):
    env = {**PLAIN, name: value}
    said = _invoke(["--lang", "zh", "settings"], env)
    assert zh in said and "错误：" in said, said
    assert en in _invoke(["settings"], env)


def test_the_docs_table_stays_english():
    table = settings.markdown_table()
    assert not _cjk(table) and all(s.help in table for s in settings.SETTINGS)


# --------------------------------------------------------------------------- click's type names (metavars)

#: The metavar click makes from each type name the commands use, and what a zh help page says instead.
TYPE_WORDS = {"TEXT": "文本", "INTEGER": "整数", "INTEGER RANGE": "整数", "FILE": "文件", "DIRECTORY": "目录"}


def _type_metavars() -> dict[str, set[str]]:
    """{metavar made from a type's name: the help pages (command paths) that show it} over the command tree."""
    found: dict[str, set[str]] = {}
    for path, command in _walk(cli.main):
        ctx = click.Context(command, info_name=path)
        for param in command.get_params(ctx):
            if isinstance(param, click.Option) and not param.is_flag and param.metavar is None \
                    and param.type.get_metavar(param=param, ctx=ctx) is None:
                found.setdefault(param.type.name.upper(), set()).add(path)
    return found


def test_the_type_names_a_help_page_shows_are_chinese():
    """The decision: a zh help page names an option's value in Chinese (`--port 整数`), as it says 用法 and 选项
    (GNU's and git's Chinese catalogs do the same); an argument keeps its name (`EMAIL`), which messages and the
    docs write. Every type name the commands use is covered, and the columns stay aligned."""
    used = _type_metavars()
    assert set(used) <= set(TYPE_WORDS), set(used) - set(TYPE_WORDS)  # a new type: add it to TYPE_WORDS
    assert all(has_translation(n) for n in cli_click.TYPE_NAMES)
    for metavar, paths in used.items():
        for path in sorted(paths):
            args = path.split()[1:]
            zh = _invoke(["--lang", "zh", *args, "--help"], PLAIN)
            en = _invoke([*args, "--help"], PLAIN)
            assert f" {TYPE_WORDS[metavar]}" in zh, (path, zh)
            assert not re.search(r"--[a-z-]+ (TEXT|INTEGER|FILE|DIRECTORY|PATH|FILENAME|FLOAT|BOOLEAN)\b", zh), zh
            assert f" {metavar}" in en and not _cjk(en), (path, en)
            assert "[选项]" in zh and "[OPTIONS]" not in zh and "[OPTIONS]" in en
            _aligned(zh)
    top = _invoke(["--lang", "zh", "--help"], PLAIN)
    assert "[选项] 命令 [参数]..." in top and "[OPTIONS] COMMAND [ARGS]..." in _invoke(["--help"], PLAIN)
    assert "EMAIL" in _invoke(["--lang", "zh", "user", "add", "--help"], PLAIN)
    # an option's extras joined as Chinese joins them
    assert "[默认：5；1<=x<=100]" in _invoke(["--lang", "zh", "source", "show", "--help"], PLAIN)
    assert "[default: 5; 1<=x<=100]" in _invoke(["source", "show", "--help"], PLAIN)
    # put back after the invocation: click's classes as they were for the rest of the process
    assert click.types.IntParamType.name == "integer" and "name" not in vars(click.types.Path)
    assert click.Path().name == "path" and click.formatting.term_len("整数") == 2


def _aligned(page: str) -> None:
    """Every option's help in the Options section starts at the same terminal column (a Chinese character takes
    two), when it is on the option's own line."""
    columns = set()
    section = page.split("选项：\n", 1)[1].split("\n\n", 1)[0]
    for line in section.splitlines():
        found = re.match(r"^(  -.*?\S)( {2,})(\S.*)$", line)
        if found:
            columns.add(cli_click.display_width(found.group(1) + found.group(2)))
    assert len(columns) <= 1, (columns, section)


@pytest.mark.parametrize(("args", "zh", "en"), [
    (["serve", "--timeout", "many"], "'many' 不是有效的整数。", "'many' is not a valid integer."),
    (["source", "show", "x", "--jobs", "lots"], "'lots' 不是有效的整数。", "'lots' is not a valid integer range."),
    (["restore", "/no/such/folder"], "目录 '/no/such/folder' 不存在。", "Directory '/no/such/folder' does not exist."),
])
def test_type_names_in_clicks_errors(args, zh, en):
    assert zh in _invoke(["--lang", "zh", *args], PLAIN)
    assert en in _invoke(args, PLAIN)


# --------------------------------------------------------------------------- DuckDB's errors

#: A query DuckDB refuses, the English of ours and what its Chinese keeps (a column, a token, a type, the place).
ENGINE_CASES = [
    ("SELEC district FROM t", "Syntax error at or near \"SELEC\" (line 1, column 1).",
     ["\"SELEC\"", "语法错误", "第 1 行第 1 列"]),
    ("SELECT district FROM t\nWHERE", "Syntax error at or near \"WHERE\"", ["\"WHERE\"", "语法错误", "第 2 行"]),
    ("SELECT 'abc", "A quoted text is not closed (line 1, column 8).", ["缺少结束引号", "第 1 行第 8 列"]),
    ("SELECT nope FROM t", "No column \"nope\" in the tables the query reads (line 1, column 8)",
     ["没有列 \"nope\"", "第 1 行第 8 列"]),
    ("SELECT t.nope FROM t", "Table \"t\" has no column \"nope\"", ["表 \"t\" 中没有列 \"nope\""]),
    ("SELECT amount, count(*) FROM t", "Column \"amount\" must be in the GROUP BY list",
     ["列 \"amount\"", "GROUP BY", "聚合函数"]),
    ("SELECT amount FROM t, t AS u WHERE t.amount = u.amount AND amount > 0", "Column name \"amount\" is ambiguous",
     ["列名 \"amount\" 有歧义"]),
    ("SELECT district + 1 FROM t", "Function +(VARCHAR, INTEGER_LITERAL) does not take arguments of these types",
     ["函数 +(VARCHAR, INTEGER_LITERAL) 不接受这些类型的参数", "CAST("]),
    ("SELECT amount FROM t WHERE district = 5", "Value 'east' of column \"district\" cannot be converted to INT32",
     ["列 \"district\" 的值 'east' 无法转换为 INT32"]),
    ("SELECT district FROM t WHERE day > 'soon'", "\"soon\" is not a valid date: write it as YYYY-MM-DD",
     ["\"soon\" 不是有效的日期", "YYYY-MM-DD"]),
    ("SELECT (SELECT 1 UNION SELECT 2) FROM t", "A subquery used as a value returned more than one row",
     ["子查询返回了多行"]),
    ("SELECT amount + 9223372036854775807 FROM t", "The result of 1 + 9223372036854775807 is too large for INT64.",
     ["1 + 9223372036854775807 的结果超出 INT64 的范围"]),
    ("SELECT nofn(amount) FROM t", "There is no function named nofn", ["没有名为 nofn 的函数"]),
    ("SELECT * FROM nope", "There is no table named nope", ["没有名为 nope 的表"]),
]
#: DuckDB's English that must not be left inside a Chinese sentence.
DUCKDB_ENGLISH = ("Error:", "syntax error", "not found", "does not exist", "Referenced", "must appear", "Ambiguous",
                  "No function", "Could not convert", "Overflow", "More than one row", "unterminated", "Candidate")


@pytest.fixture(scope="module")
def engine():
    con = duckdb.connect(":memory:", config={"memory_limit": "64MB", "threads": 1})
    con.execute("CREATE TABLE t AS SELECT 1::BIGINT AS amount, 'east' AS district, DATE '2024-01-05' AS day")
    yield con
    con.close()


@pytest.mark.parametrize(("sql", "en", "kept"), ENGINE_CASES, ids=[c[0][:40] for c in ENGINE_CASES])
def test_duckdbs_errors_in_our_words(engine, sql, en, kept):
    with pytest.raises(duckdb.Error) as raised:
        engine.execute(sql).fetchall()
    said = engine_errors.explain(str(raised.value))
    assert said is not None, str(raised.value)  # DuckDB's wording changed: engine_errors.py follows it
    assert en in said and not _cjk(said)
    zh = said.translate(_zh)
    assert all(k in zh for k in kept), zh
    assert not [w for w in DUCKDB_ENGLISH if w in zh], zh


def test_the_memory_limit_and_what_is_not_recognised(engine):
    engine.execute("SET memory_limit = '16MB'")
    try:
        with pytest.raises(duckdb.Error) as raised:
            engine.execute("SELECT string_agg(x::VARCHAR) FROM range(50000000) r(x)").fetchall()
    finally:
        engine.execute("SET memory_limit = '64MB'")
    said = engine_errors.explain(str(raised.value), memory_limit="16MB")
    assert said is not None and "16MB" in said
    assert "查询所需内存超过允许的 16MB" in said.translate(_zh)
    # not a kind recognised here: None (the caller quotes DuckDB's first line in a sentence of its own)
    assert engine_errors.explain("Invalid Input Error: something new\n\nmore") is None
    assert engine_errors.detail("Invalid Input Error: something new\n\nmore") == "something new"
    # a line DuckDB cut ("...") no longer starts where the query's does: the line only
    cut = 'Parser Error: syntax error at or near "x"\n\nLINE 3: ...aaaa x\n            ^'
    assert engine_errors.explain(cut) == 'Syntax error at or near "x" (line 3).'


# --------------------------------------------------------------------------- what commands print


def test_harvest_words_in_chinese(db_url, tmp_path):
    """A job's status and a source's schedule are said in the command's language (the JSON keeps the values), and
    app.jobs's refusals are texts the command says in zh."""
    from tests.app.test_cli_lang import _here, _opendata

    missing = tmp_path / "gone" / "datapackage.json"
    missing.parent.mkdir()
    missing.write_text("{}", "utf-8")  # there when the source is added (add refuses a path that is not) ...
    assert _here(db_url, "source", "add", "local", "--type", "datapackage", "--url", str(missing)).returncode == 0
    missing.unlink()  # ... and gone by the harvest
    listed = _here(db_url, "--lang", "zh", "source", "list")
    assert "手动" in listed.stdout and "从未采集" in listed.stdout and "manual" not in listed.stdout
    assert "manual" in _here(db_url, "source", "list").stdout
    ran = _opendata(db_url, "--lang", "zh", "harvest", "local", OPENDATA_LOG_LEVEL="ERROR")
    assert ran.returncode == 1 and "失败：新增 0" in ran.stdout and "failed" not in ran.stdout, ran.stdout
    # the last job's time to the minute, as `source show` says it (it was 2026-12-05T22:49:16.892152+00:00)
    assert re.search(r" 失败 \d{4}-\d\d-\d\d \d\d:\d\d  ", _here(db_url, "--lang", "zh", "source", "list").stdout)
    shown = _here(db_url, "--lang", "zh", "source", "show", "local")
    assert "计划=手动" in shown.stdout and " 失败 " in shown.stdout
    nope = _here(db_url, "--lang", "zh", "harvest", "nope")
    assert nope.returncode == 1 and "没有名为 'nope' 的采集源（见 `opendata source list`）" in nope.stderr
    assert "no harvest source named 'nope'" in _here(db_url, "harvest", "nope").stderr


def test_every_help_page_fits_the_terminal_in_both_languages():
    """click counts characters and breaks lines at spaces; a Chinese character takes two columns and Chinese has no
    spaces: the help pages are measured in terminal columns, break between Chinese characters (not before a
    closing mark), and a command's short help in a group's list is its first sentence cut to the column."""
    wide = []
    for path, command in _walk(cli.main):
        args = path.split()[1:]
        for lang in ("zh", "en"):
            page = _invoke(["--lang", lang, *args, "--help"], PLAIN)
            wide += [(lang, path, line) for line in page.splitlines() if cli_click.display_width(line) > 80]
            if lang == "zh":
                assert not re.search(r"^\s+[，。、；：）]", page, re.M), page
        if isinstance(command, click.Group):
            listed = _invoke(["--lang", "zh", *args, "--help"], PLAIN).split("命令：\n", 1)[1]
            assert not re.search(r"^  \S+ +\.\.\.$", listed, re.M), listed  # not "..." alone
    assert not wide, wide
    top = _invoke(["--lang", "zh", "--help"], PLAIN)
    assert "  prune      删除超出保留设置" in top and "  source     采集源。" in top


def test_settings_hides_the_passwords_in_urls():
    """`opendata settings` printed OPENDATA_DATABASE_URL and the broker's URL with their passwords, in output that
    is pasted into tickets; the rest of the URL stays, to see where it points."""
    env = {**PLAIN, "OPENDATA_DATABASE_URL": "postgresql://opendata:hunter2@db.internal:5432/opendata",
           "OPENDATA_BROKER_URL": "redis://:tops3cret@127.0.0.1:6379/0"}
    for said in (_invoke(["settings"], env), _invoke(["--lang", "zh", "settings"], env)):
        assert "hunter2" not in said and "tops3cret" not in said
        assert "OPENDATA_DATABASE_URL=postgresql://opendata:***@db.internal:5432/opendata\n" in said
        assert "OPENDATA_BROKER_URL=redis://:***@127.0.0.1:6379/0\n" in said
        assert "OPENDATA_RESULT_BACKEND=redis://:***@127.0.0.1:6379/0\n" in said
        assert "OPENDATA_SITE_URL=http://127.0.0.1:5000\n" in said
