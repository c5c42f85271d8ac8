"""The settings registry: parsing, defaults, and docs/configuration.md kept in step."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_docs_table_matches_registry():
    text = DOCS.read_text("utf-8")
    table = text.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0].strip()
    assert table == settings.markdown_table(), "run the snippet in docs/configuration.md's test to regenerate"


def test_every_setting_has_help_and_prefix():
    names = [s.name for s in settings.SETTINGS]
    assert len(names) == len(set(names))
    for s in settings.SETTINGS:
        assert s.help.strip(), s.name
        assert s.env.startswith("OPENDATA_")


def test_load_parses_types_and_defaults(tmp_path):
    values = settings.load({"OPENDATA_INSTANCE_DIR": str(tmp_path), "OPENDATA_ALLOW_HOSTS": "127.0.0.1, ::1",
                            "OPENDATA_MAX_DOWNLOAD_BYTES": "1000", "OPENDATA_REQUIRE_SERVICES": "yes"})
    assert values["ALLOW_HOSTS"] == ["127.0.0.1", "::1"]
    assert values["MAX_DOWNLOAD_BYTES"] == 1000
    assert values["REQUIRE_SERVICES"] is True
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path}/catalog.db"
    assert values["ARCHIVE_DIR"] == f"{tmp_path}/archive"
    assert values["BROKER_URL"] is None


def test_bad_value_names_the_variable():
    with pytest.raises(ValueError, match="OPENDATA_MAX_DOWNLOAD_BYTES"):
        settings.load({"OPENDATA_MAX_DOWNLOAD_BYTES": "lots"})
    with pytest.raises(ValueError, match="OPENDATA_REQUIRE_SERVICES"):
        settings.load({"OPENDATA_REQUIRE_SERVICES": "maybe"})


def test_redis_broker_is_also_result_backend():
    values = settings.load({"OPENDATA_BROKER_URL": "redis://127.0.0.1:6379/0"})
    assert values["RESULT_BACKEND"] == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("name", ["VERSION_RETENTION_COUNT", "VERSION_RETENTION_DAYS", "HARVEST_JOB_RETENTION_COUNT",
                                  "HARVEST_JOB_RETENTION_DAYS", "ASSESSMENT_RETENTION_COUNT",
                                  "USAGE_DAILY_RETENTION_DAYS"])
def test_a_negative_retention_is_refused_not_read_as_keep_everything(name):
    with pytest.raises(ValueError, match=f"OPENDATA_{name}: '-3' is below 0"):
        settings.load({f"OPENDATA_{name}": "-3"})
    with pytest.raises(ValueError, match=f"OPENDATA_{name}: not a whole number: 'a week'"):
        settings.load({f"OPENDATA_{name}": "a week"})
    assert settings.load({f"OPENDATA_{name}": " 40 "})[name] == 40
    assert settings.load({f"OPENDATA_{name}": "0"})[name] == 0


def test_too_few_days_of_daily_usage_are_refused_not_raised_to_31_without_a_word():
    with pytest.raises(ValueError, match="OPENDATA_USAGE_DAILY_RETENTION_DAYS: '7' days is too few: at least 31"):
        settings.load({"OPENDATA_USAGE_DAILY_RETENTION_DAYS": "7"})
    assert settings.load({"OPENDATA_USAGE_DAILY_RETENTION_DAYS": "31"})["USAGE_DAILY_RETENTION_DAYS"] == 31


def test_a_negative_recheck_period_is_refused():
    with pytest.raises(ValueError, match="OPENDATA_RECHECK_PERIOD_DAYS: '-1' is below 0"):
        settings.load({"OPENDATA_RECHECK_PERIOD_DAYS": "-1"})


def test_a_log_level_is_read_in_any_case_and_an_unknown_one_refused():
    """"debug" was handed to logging as written: every command and the app's start ended in a traceback."""
    assert settings.load({"OPENDATA_LOG_LEVEL": "debug"})["LOG_LEVEL"] == "DEBUG"
    assert settings.load({"OPENDATA_LOG_LEVEL": " warn "})["LOG_LEVEL"] == "WARNING"
    with pytest.raises(ValueError, match="OPENDATA_LOG_LEVEL: not a log level: 'LOUD'"):
        settings.load({"OPENDATA_LOG_LEVEL": "LOUD"})


def test_a_database_url_that_cannot_be_opened_is_refused_without_its_password():
    for bad in ("foo://admin:hunter2@db/x", "admin:hunter2@db/catalog"):
        with pytest.raises(ValueError, match="OPENDATA_DATABASE_URL") as caught:
            settings.load({"OPENDATA_DATABASE_URL": bad})
        assert "hunter2" not in str(caught.value)
    url = "postgresql://opendata@127.0.0.1:5432/opendata"
    assert settings.load({"OPENDATA_DATABASE_URL": url})["DATABASE_URL"] == url
    assert settings.load({"OPENDATA_DATABASE_URL": "", "OPENDATA_INSTANCE_DIR": "/srv/od"})["DATABASE_URL"] \
        == "sqlite:////srv/od/catalog.db"


@pytest.mark.parametrize(("name", "bad", "good"), [("PAGE_SIZE", ["0", "-1"], ["1", "100"]),
                                                   ("COMPRESS_LEVEL", ["-1", "10", "42"], ["0", "9"])])
def test_numbers_out_of_their_range_are_refused(name, bad, good):
    """PAGE_SIZE=0 answered /dataset with a 500; COMPRESS_LEVEL=42 broke every compressed response."""
    for value in bad:
        with pytest.raises(ValueError, match=f"OPENDATA_{name}: '{value}' is"):
            settings.load({f"OPENDATA_{name}": value})
    for value in good:
        assert settings.load({f"OPENDATA_{name}": value})[name] == int(value)


def test_the_rate_limit_storage_and_the_harvesters_are_checked_when_read():
    """A storage Flask-Limiter cannot open ended `opendata serve` in a traceback; an unknown harvester type was
    taken and only its harvests failed, though the docs promise a failure at start."""
    for bad in ("bogus://x", "memcached://127.0.0.1:11211", "127.0.0.1:6379"):
        with pytest.raises(ValueError, match="OPENDATA_RATELIMIT_STORAGE_URL: not a rate-limit storage"):
            settings.load({"OPENDATA_RATELIMIT_STORAGE_URL": bad})
    with pytest.raises(ValueError) as caught:
        settings.load({"OPENDATA_RATELIMIT_STORAGE_URL": "mongodb://admin:hunter2@db/x"})
    assert "hunter2" not in str(caught.value)
    for good in ("memory://", "redis://:pw@127.0.0.1:6379/1", "rediss://cache.internal:6380/0"):
        assert settings.load({"OPENDATA_RATELIMIT_STORAGE_URL": good})["RATELIMIT_STORAGE_URL"] == good
    with pytest.raises(ValueError, match="OPENDATA_HARVESTERS: unknown harvester type.s. csw"):
        settings.load({"OPENDATA_HARVESTERS": "ckan, csw"})
    assert settings.load({"OPENDATA_HARVESTERS": "ckan, dcat"})["HARVESTERS"] == ["ckan", "dcat"]


def test_an_unknown_opendata_variable_is_warned_about_with_the_setting_it_meant(tmp_path, monkeypatch):
    """OPENDATA_DATABASE=postgresql://... (not _URL) was ignored without a word: every command then used the default
    SQLite file. Each command warns on standard error, in the command's language; the benchmarks' own variables and
    Kubernetes' service links for a service named "opendata" are not warned about."""
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("OPENDATA_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("OPENDATA_DATABASE", "postgresql://opendata@db/opendata")
    monkeypatch.setenv("OPENDATA_NO_SUCH_THING", "1")
    for quiet in ("OPENDATA_BENCH_POSTGRES_URL", "OPENDATA_DIST_DATASETS", "OPENDATA_SERVICE_HOST",
                  "OPENDATA_PORT_5000_TCP_ADDR", "OPENDATA_PORT"):
        monkeypatch.setenv(quiet, "1")
    for lang, said in (("en", ("warning: OPENDATA_DATABASE is not a setting and is ignored: did you mean "
                               "OPENDATA_DATABASE_URL?",
                               "warning: OPENDATA_NO_SUCH_THING is not a setting and is ignored (`opendata settings` "
                               "lists them)")),
                       ("zh", ("警告：OPENDATA_DATABASE 不是设置项，已忽略：您是否想写 OPENDATA_DATABASE_URL？",
                               "警告：OPENDATA_NO_SUCH_THING 不是设置项"))):
        result = CliRunner().invoke(main, ["--lang", lang, "settings"])
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.stderr.splitlines() if line]
        assert len(warnings) == 2 and all(s in result.stderr for s in said), result.stderr
        assert "OPENDATA_DATABASE_URL=" in result.stdout  # the command still runs


def test_every_opendata_variable_the_docs_name_is_a_setting():
    import re

    root = DOCS.parents[1]
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        named = set(re.findall(r"OPENDATA_[A-Z0-9_]*[A-Z0-9]", doc.read_text("utf-8")))
        assert not settings.unknown(dict.fromkeys(named, "")), doc.name


@pytest.mark.parametrize(("raw", "said"), [("20", "'20' is not a share from 0 to 1"), ("-1", "'-1' is not a share"),
                                           ("1.5", "'1.5' is not a share"), ("a fifth", "not a number: 'a fifth'")])
def test_the_withdrawal_share_is_a_share_from_0_to_1(raw, said):
    """OPENDATA_HARVEST_MAX_WITHDRAW_SHARE=20 (meant as 20%) turned the withdrawal guard off (a source went from 11
    datasets to 1 and withdrew 10, unasked), and -1 was said as "more than the -100%"."""
    with pytest.raises(ValueError, match=f"OPENDATA_HARVEST_MAX_WITHDRAW_SHARE: {said}"):
        settings.load({"OPENDATA_HARVEST_MAX_WITHDRAW_SHARE": raw})
    assert settings.load({"OPENDATA_HARVEST_MAX_WITHDRAW_SHARE": " 0.25 "})["HARVEST_MAX_WITHDRAW_SHARE"] == 0.25
    assert settings.load({"OPENDATA_HARVEST_MAX_WITHDRAW_SHARE": "1"})["HARVEST_MAX_WITHDRAW_SHARE"] == 1.0


def test_the_instance_folders_settings_file_is_read_under_the_environment(tmp_path, monkeypatch):
    """`opendata demo` writes its catalog's settings in `<instance>/settings.env`; every process that reads the
    environment reads them too, a variable set in the environment wins, and a line that sets no setting is refused."""
    for name in [k for k in os.environ if k.startswith("OPENDATA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPENDATA_INSTANCE_DIR", str(tmp_path))
    assert settings.load()["ALLOW_HOSTS"] == []  # no file: the environment alone
    written = settings.write_instance_settings(tmp_path, {"OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                                                          "OPENDATA_SITE_URL": "http://127.0.0.1:5077"}, "the demo")
    settings.write_instance_settings(tmp_path, {"OPENDATA_SITE_URL": "http://127.0.0.1:5080"}, "the demo again")
    assert written.read_text("utf-8").count("OPENDATA_SITE_URL=") == 1
    monkeypatch.setenv("OPENDATA_HTTP_RETRIES", "1")
    values = settings.load()
    assert (values["ALLOW_HOSTS"], values["SITE_URL"], values["HTTP_RETRIES"]) == (
        ["127.0.0.1"], "http://127.0.0.1:5080", 1)
    monkeypatch.setenv("OPENDATA_ALLOW_HOSTS", "")
    assert settings.load()["ALLOW_HOSTS"] == []  # the environment wins, even empty
    assert settings.load({"OPENDATA_INSTANCE_DIR": str(tmp_path)})["ALLOW_HOSTS"] == []  # an environment given: alone
    written.write_text("OPENDATA_ALLOW_HOST=127.0.0.1\n", "utf-8")
    with pytest.raises(ValueError, match="line 1: not a setting"):
        settings.load()
