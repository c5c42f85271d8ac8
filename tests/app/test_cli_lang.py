"""The `opendata` command in zh and en (issue 17, "Everywhere"): the language's sources and their order, every help
text and every message of every command translated (the command tree and the commands' source are walked), and
commands answering in both languages on both backends."""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from app import cli, cli_click, cli_lang
from app.cli_lang import from_environment, has_translation, parse_lang
from catalog_schema.store import ensure_publisher

ROOT = Path(__file__).resolve().parents[2]
COMMAND_SOURCES = [ROOT / "app" / "cli.py", *sorted((ROOT / "app" / "commands").glob("*.py"))]
#: Calls whose first argument a person reads.
SHOWN = {"echo", "secho", "ClickException", "UsageError", "BadParameter", "write", "append"}
#: The calls that translate (app/cli_lang.py) or print a machine format.
TRANSLATING = {"_", "ngettext", "N_", "dumps"}


#: No language in the environment: English unless a test says otherwise.
PLAIN = {"OPENDATA_LANG": None, "LANG": None, "LC_ALL": None, "LC_MESSAGES": None}


def _invoke(args: list[str], env: dict) -> str:
    """The command in this process (help pages only: nothing opens a database); the root logger as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return CliRunner().invoke(cli.main, args, env=env).output
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


def _opendata(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The command in a process of its own, as a user runs it."""
    base = {k: v for k, v in os.environ.items() if k not in PLAIN}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**base, "OPENDATA_DATABASE_URL": db_url, **env}, timeout=120)


def _here(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The command in this process (a second each saved: the suite runs dozens), with the environment a
    process of its own would have; what it prints and its exit status as `_opendata` gives them."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        result = CliRunner().invoke(cli.main, list(args), env={**PLAIN, "OPENDATA_DATABASE_URL": db_url, **env})
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def _walk(command: click.Command, path: str = "opendata"):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, f"{path} {name}")


# --------------------------------------------------------------------------- the language's sources


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # the first variable set decides, as in POSIX
    ({"LC_MESSAGES": "zh_CN", "LANG": "C"}, "zh"),
    ({"OPENDATA_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    ({"OPENDATA_LANG": "zh-CN", "LANG": "C"}, "zh"),
])
def test_the_language_of_an_environment(environ, expected):
    assert from_environment(environ) == expected


def test_the_setting_parses_and_refuses():
    assert parse_lang("zh_CN") == "zh" and parse_lang("EN-gb") == "en" and parse_lang("zh") == "zh"
    with pytest.raises(ValueError):
        parse_lang("fr")
    assert "OPENDATA_LANG: expected zh or en" in _invoke(["settings"], {**PLAIN, "OPENDATA_LANG": "fr"})


def test_lang_option_wins_and_reaches_every_help_page():
    zh_env = {**PLAIN, "OPENDATA_LANG": "zh"}
    assert "Government open-data platform" in _invoke(["--help"], PLAIN)
    top = _invoke(["--help"], zh_env)
    assert "政府开放数据平台" in top and "用法：" in top and "显示此帮助并退出。" in top and "采集源。" in top
    assert "政府开放数据平台" in _invoke(["--help"], {**PLAIN, "LANG": "zh_CN.UTF-8"})
    sub = _invoke(["--lang", "zh", "user", "add", "--help"], PLAIN)
    assert "创建用户账户。" in sub and "从标准输入的第一行读取密码" in sub
    assert "Create a user account." in _invoke(["--lang=en", "user", "add", "--help"], zh_env)
    # the next invocation in the same process chooses again
    assert "Create a user account." in _invoke(["user", "add", "--help"], PLAIN)


def test_every_help_text_is_translated():
    missing = []
    for path, command in _walk(cli.main):
        for text in (command.help, command.short_help):
            if text and not has_translation(text):
                missing.append((path, text))
        for param in command.params:
            if getattr(param, "help", None) and not has_translation(param.help):
                missing.append((path, param.name, param.help))
    missing += [w for w in cli_lang.CLICK_WORDS if not has_translation(w)]
    missing += [w for w in cli_click.WORDS + tuple(s for s, _p in cli_click.PLURALS) if not has_translation(w)]
    assert not missing, missing


#: click's own words as click writes them in English: none may be left under --lang zh.
CLICK_ENGLISH = ("Usage:", "Options:", "Commands:", "Error:", "[required]", "required]", "Missing option",
                 "Missing argument", "No such command", "No such option", "Try '", "for help.",
                 "Show this message and exit.", "Invalid value", "is not one of", "Choose from", "Did you mean",
                 "Got unexpected extra argument", "requires an argument", "is not a valid")
#: Invocations that make click speak: help pages and each kind of usage error.
CLICK_CASES = [
    (["--help"], ["用法：", "选项：", "命令：", "显示此帮助并退出。"]),
    (["source", "add", "--help"], ["用法：", "[必填]"]),
    (["nosuch"], ["错误：没有命令 'nosuch'。", "运行 '", "查看帮助。"]),
    (["--nope"], ["错误：没有选项 '--nope'。"]),
    (["user", "add"], ["错误：缺少参数 'EMAIL'。"]),  # click's own full stop, in zh too
    (["source", "add", "city"], ["错误：缺少选项 '--type'。", "请从以下选择"]),
    (["source", "add", "city", "--type", "nope", "--url", "x"],
     ["值无效", "不是 'ckan', 'dcat', 'datajson', 'datapackage' 之一。"]),
    (["user", "add", "a@example.org", "b@example.org"], ["收到多余的参数（b@example.org）"]),
    (["user", "add", "--rol", "sysadmin", "a@example.org"], ["没有选项 '--rol'", "您是否要用 '--role'？"]),
    # two suggestions: both named (Chinese has one plural form, which showed the first only)
    (["source", "add", "x", "--type", "ckan", "--url", "x", "--publishr", "a"],
     ["没有选项 '--publishr'", "您是否要用 '--new-publisher', '--publisher'？"]),
    (["user", "add", "a@example.org", "--role"], ["选项 '--role' 需要 1 个值。"]),
    (["demo", "--port", "many"], ["值无效", "不是有效的"]),
]


@pytest.mark.parametrize(("args", "says"), CLICK_CASES, ids=[" ".join(a) for a, _s in CLICK_CASES])
def test_clicks_own_words_in_chinese(args, says):
    import gettext

    import click.core
    import click.exceptions

    zh = _invoke(["--lang", "zh", *args], PLAIN)
    left = [w for w in CLICK_ENGLISH if w in zh]
    assert not left, (left, zh)
    assert all(s in zh for s in says), zh
    en = _invoke(args, PLAIN)
    assert any(w in en for w in CLICK_ENGLISH) and not any(s in en for s in says), en  # English without --lang
    assert click.core._ is gettext.gettext and click.exceptions.ngettext is gettext.ngettext  # put back after
    assert click.exceptions.MissingParameter.format_message.__module__ == "click.exceptions"


def _literal(node: ast.AST) -> list[str]:
    """The text written in a string expression (not the names and keys inside its placeholders)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    if isinstance(node, ast.BinOp):
        return _literal(node.left) + _literal(node.right)
    if isinstance(node, ast.IfExp):
        return _literal(node.body) + _literal(node.orelse)
    return []


def _untranslated(tree: ast.AST) -> list[tuple[int, str]]:
    """Text for people given straight to echo / an exception / the progress line, not through `_`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in TRANSLATING:
            msgid = node.args[0] if node.args else None  # ngettext: the singular, the catalog's key
            if isinstance(msgid, ast.Constant) and name != "dumps" and not has_translation(msgid.value):
                found.append((node.lineno, f"no Chinese for {msgid.value!r}"))
            continue
        if name not in SHOWN or not node.args or not isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp,
                                                                                 ast.IfExp)):
            continue  # a variable, a dict or a list (a report row): not a sentence written here
        for part in ast.walk(node.args[0]):
            if isinstance(part, ast.Call) and (getattr(part.func, "id", "") in TRANSLATING
                                               or getattr(part.func, "attr", "") in TRANSLATING):
                break
        else:
            parts = _literal(node.args[0])
            if parts and parts[0].startswith("-"):
                continue  # an option for another program's command line (celery's argv)
            words = [w for w in parts if any(c.isalpha() for c in w)]
            if words:
                found.append((node.lineno, " ".join(words)))
    return found


def test_every_message_of_every_command_goes_through_the_catalog():
    problems = {str(p.relative_to(ROOT)): _untranslated(ast.parse(p.read_text("utf-8"))) for p in COMMAND_SOURCES}
    assert not {k: v for k, v in problems.items() if v}


def test_the_walker_finds_an_untranslated_message():
    tree = ast.parse('import click\nclick.echo(f"user {email} created")\nclick.echo(_("never harvested"))\n'
                     'raise click.ClickException("no such file")\nclick.echo(_("no such msgid in the catalog"))\n')
    assert [line for line, _ in _untranslated(tree)] == [2, 4, 5]


# --------------------------------------------------------------------------- commands, both languages, both backends


def test_user_commands_in_both_languages(db_url, session):
    ensure_publisher(session, {"slug": "jh-transport", "name": {"en": "Transport"}})
    session.commit()
    made = _opendata(db_url, "--lang", "zh", "user", "add", "root@example.org", "--role", "sysadmin")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "已创建用户 root@example.org（系统管理员）"
    assert _here(db_url, "user", "add", "ed@example.org").stdout.strip() == "user ed@example.org created"
    again = _here(db_url, "user", "add", "ed@example.org", OPENDATA_LANG="zh")
    assert again.returncode == 1 and "用户 ed@example.org 已存在" in again.stderr
    assert "opendata user grant ed@example.org PUBLISHER editor|admin" in again.stderr
    granted = _here(db_url, "user", "grant", "ed@example.org", "jh-transport", "editor", LANG="zh_CN.UTF-8")
    assert granted.stdout.strip() == "ed@example.org 现为 jh-transport 的编辑"
    nobody = _here(db_url, "--lang", "zh", "user", "grant", "x@example.org", "jh-transport", "admin")
    assert nobody.returncode == 1 and "没有用户 x@example.org（请用 `opendata user add` 创建）" in nobody.stderr
    nobody = _here(db_url, "user", "grant", "x@example.org", "jh-transport", "admin")
    assert "no user x@example.org (create it with `opendata user add`)" in nobody.stderr
    token = _here(db_url, "--lang", "zh", "token", "create", "ed@example.org", "--name", "ci")
    lines = token.stdout.strip().splitlines()
    assert lines[0] == "ed@example.org 的令牌（ci）；仅显示这一次：" and len(lines) == 2  # the token: as it is


def test_quality_and_licence_commands_in_both_languages(db_url):
    zh = _here(db_url, "--lang", "zh", "quality", "show", "no-such")
    assert zh.returncode == 1 and "没有数据集 'no-such'" in zh.stderr
    assert "no dataset 'no-such'" in _here(db_url, "quality", "show", "no-such").stderr
    usage = _here(db_url, "--lang", "zh", "assess")
    assert usage.returncode == 2 and "请在 --dataset SLUG、--all、--changed 中恰好给出一个" in usage.stderr
    listed = _here(db_url, "--lang", "zh", "licence", "list")
    assert listed.returncode == 0 and "0 条映射" in listed.stdout
    assert "0 条原始许可文本尚无对应许可协议" in listed.stdout
    listed = _here(db_url, "licence", "list")
    assert "0 mappings" in listed.stdout and "0 raw licence texts without a licence" in listed.stdout
    source = ("source", "add", "city", "--type", "ckan", "--url", "http://127.0.0.1:9/")
    assert _here(db_url, *source).stdout.strip() == "added source city (ckan) http://127.0.0.1:9/"
    twice = _here(db_url, "--lang", "zh", *source)  # a service's refusal, said in the command's language
    assert twice.returncode == 1 and "已有名为 'city' 的采集源" in twice.stderr
    assert "a source named 'city' exists already" in _here(db_url, *source).stderr
    checked = _opendata(db_url, "db", "check", OPENDATA_LANG="zh")
    assert checked.returncode == 0 and checked.stdout.strip().endswith("模型与迁移一致")  # after alembic's own line
