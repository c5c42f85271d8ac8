"""Logs as text lines or one JSON object per line (LOG_FORMAT), from the app and from the CLI."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from app import settings
from app.logs import configure

ROOT = Path(__file__).resolve().parents[2]


def test_json_lines_carry_the_request_and_the_traceback(app):
    out = io.StringIO()
    handler = configure("INFO", "json", stream=out)
    try:
        with app.test_request_context("/dataset/x", headers={"X-Request-Id": "abc-123"}):
            logging.getLogger("opendata.test").info("查看 %s", "数据集")
        try:
            raise ValueError("broken")
        except ValueError:
            logging.getLogger("opendata.test").exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "查看 数据集" and first["level"] == "INFO" and first["logger"] == "opendata.test"
    assert (first["method"], first["path"], first["request_id"]) == ("GET", "/dataset/x", "abc-123")
    assert first["time"].endswith("+00:00") and first["pid"] == os.getpid()
    assert "ValueError: broken" in second["exception"] and "path" not in second


def test_configuring_twice_does_not_double_the_lines():
    out = io.StringIO()
    configure("INFO", "text", stream=io.StringIO())
    handler = configure("INFO", "text", stream=out)
    try:
        logging.getLogger("opendata.test").warning("once")
        assert out.getvalue().count("once") == 1
        assert sum(1 for h in logging.getLogger().handlers if getattr(h, "_opendata_handler", False)) == 1
    finally:
        logging.getLogger().removeHandler(handler)


def test_a_source_s_literal_rdflib_cannot_read_is_no_traceback_in_the_log():
    """Harvesting Bremen's DCAT printed a whole rdflib traceback per dct:modified "2021-01-28 GMT 01:51:03"."""
    import rdflib

    out = io.StringIO()
    handler = configure("INFO", "text", stream=out)
    try:
        literal = rdflib.Literal("2021-01-28 GMT 01:51:03.34919300", datatype=rdflib.XSD.dateTime)
        assert literal.value is None and str(literal) == "2021-01-28 GMT 01:51:03.34919300"
        assert "Traceback" not in out.getvalue() and "Failed to convert" not in out.getvalue()
    finally:
        logging.getLogger().removeHandler(handler)


def test_the_cli_logs_json_and_refuses_an_unknown_format(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update(OPENDATA_INSTANCE_DIR=str(tmp_path), OPENDATA_LOG_FORMAT="json",
               OPENDATA_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    done = subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert not [line for line in lines if line["logger"] == "alembic.runtime.plugins"]  # alembic's internals
    assert any("Running upgrade 0017 -> 0018" in line["message"] for line in lines)  # the migrations it ran
    from catalog_schema.db import head_revision

    assert done.stdout.strip().endswith(f"is at revision {head_revision()}")  # not "head"
    env["OPENDATA_LOG_FORMAT"] = "xml"
    bad = subprocess.run([sys.executable, "-m", "app.cli", "settings"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "not a log format: 'xml'" in bad.stderr
    assert settings.load({"OPENDATA_LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"


def _logged_until(args: list[str], env: dict, log, done, *, stdout: bool = True, timeout: float = 90) -> list[str]:
    """The non-blank lines a long-running `opendata ARGS` logs on stderr (and prints on stdout, with `stdout`)
    until `done(text)`, then it and its children are stopped."""
    import time

    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                                stdout=out if stdout else subprocess.DEVNULL,
                                stderr=subprocess.STDOUT if stdout else out, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not done(log.read_text("utf-8", "replace")):
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text("utf-8", "replace")[-2000:]
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker still booting on a loaded machine: gunicorn waits for
                os.killpg(proc.pid, 9)  # it up to its graceful timeout; what was logged is what is read here
                proc.wait(timeout=30)
    return [line for line in log.read_text("utf-8").splitlines() if line.strip()]


def test_a_worker_logs_json_lines_too(tmp_path):
    from tests.support import services

    if not services.port_open("127.0.0.1", 6379):
        services.missing("Redis on 127.0.0.1:6379")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update(OPENDATA_INSTANCE_DIR=str(tmp_path), OPENDATA_LOG_FORMAT="json",
               OPENDATA_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
               OPENDATA_BROKER_URL="redis://127.0.0.1:6379/8")  # this test's own database
    lines = _logged_until(["worker", "--concurrency", "1", "--name", "logs"], env, tmp_path / "worker.log",
                          lambda text: "ready." in text)
    ready = [json.loads(line) for line in lines if line.startswith("{") and "ready." in line]
    assert ready and ready[0]["logger"].startswith("celery")  # Celery's own lines, in the JSON handler


def test_gunicorn_s_own_lines_are_json_lines_too(tmp_path):
    """`opendata serve --workers 2` with JSON logs: gunicorn's master wrote "[INFO] Booting worker" as text
    into the stream of JSON lines."""
    import socket

    from catalog_schema.db import upgrade

    upgrade(f"sqlite:///{tmp_path / 'c.db'}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    temp = tmp_path / "tmp"
    temp.mkdir()
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(OPENDATA_INSTANCE_DIR=str(tmp_path), OPENDATA_LOG_FORMAT="json", OPENDATA_SECRET_KEY="k",
               OPENDATA_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", TMPDIR=str(temp))
    lines = _logged_until(["serve", "--workers", "2", "--port", str(port)], env, tmp_path / "serve.log",
                          lambda text: text.count("Booting worker") >= 2, stdout=False)  # the banner is no log
    assert lines and all(line.startswith("{") for line in lines), lines[:5]
    booted = [json.loads(line) for line in lines if "Booting worker" in line]
    assert len(booted) >= 2 and all(b["logger"] == "gunicorn.error" for b in booted)
    assert list(temp.iterdir()) == []  # the metrics folder the run made is gone with it (it stayed, 128 kB a run)


def test_serve_on_a_port_another_program_holds_says_so_in_one_line(tmp_path):
    import socket

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update(OPENDATA_INSTANCE_DIR=str(tmp_path), OPENDATA_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    with socket.create_server(("127.0.0.1", 0)) as held:
        port = held.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr and "serving on" not in done.stdout


def test_a_worker_with_the_beat_keeps_its_schedule_in_the_instance_folder(tmp_path):
    """`opendata worker --beat` wrote celerybeat-schedule.{bak,dat,dir} into whatever folder it was started from
    (here the repository)."""
    from tests.support import services

    if not services.port_open("127.0.0.1", 6379):
        services.missing("Redis on 127.0.0.1:6379")
    before = {p.name for p in ROOT.iterdir() if p.name.startswith("celerybeat-schedule")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update(OPENDATA_INSTANCE_DIR=str(tmp_path), OPENDATA_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
               OPENDATA_BROKER_URL="redis://127.0.0.1:6379/9")  # this test's own database
    _logged_until(["worker", "--concurrency", "1", "--name", "beat", "--beat"], env, tmp_path / "worker.log",
                  lambda text: "ready." in text and "beat: Starting" in text)
    assert {p.name for p in ROOT.iterdir() if p.name.startswith("celerybeat-schedule")} == before
    assert any(p.name.startswith("celerybeat-schedule") for p in tmp_path.iterdir())


def test_serving_without_a_site_url_is_warned_of(app, caplog, monkeypatch):
    """Every absolute link, RDF URI and e-mailed address is made from OPENDATA_SITE_URL (never from a request's Host
    header): a portal served without it names 127.0.0.1:5000 everywhere, so `opendata serve` says so when it starts."""
    import logging

    from app.commands.serve import _ready

    monkeypatch.delenv("OPENDATA_SITE_URL", raising=False)
    with caplog.at_level(logging.WARNING):
        _ready(app)
    assert any("OPENDATA_SITE_URL is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    monkeypatch.setenv("OPENDATA_SITE_URL", "https://data.example.gov")
    with caplog.at_level(logging.WARNING):
        _ready(app)
    assert not any("OPENDATA_SITE_URL" in r.getMessage() for r in caplog.records)
