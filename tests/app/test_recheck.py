"""Links re-checked on a schedule spread over the week (app/recheck.py), cheaply.

Each dataset's moment comes from a hash of its id; over a simulated week of hourly scheduler runs every
dataset is re-checked exactly once and no hour takes a burst. A re-check sends the validators of the last
check, so an unchanged file costs a 304 and no reading; a link that keeps failing builds a failure history
(first failure, count, last status) that a success clears.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from collections import Counter

from sqlalchemy import select

from app import recheck
from app.assessment import assess_datasets
from catalog_schema import search
from catalog_schema.models import Assessment, Dataset, Distribution, DistributionVersion
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from quality import tabular
from tests.support.cli import opendata
from tests.support.httpserver import LocalServer

WEEK = dt.timedelta(days=7)
T0 = dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
SCORES = {"metadata_points": 200, "metadata_rating": "good"}
CSV = ("id,name\n" + "".join(f"{i},row {i}\n" for i in range(30))).encode()


def _datasets(runtime, base: str, n: int, *, ids: list[str] | None = None) -> list[str]:
    out = []
    with runtime.sessionmaker() as session:
        for k in range(n):
            rec = new_record(slug=f"recheck-{k}", title={"en": f"Recheck {k}"}, license="CC-BY-4.0",
                             publisher={"slug": "dept", "name": {"en": "Department"}},
                             distributions=[new_distribution(format="CSV", download_url=f"{base}/f{k}.csv")])
            if ids:
                rec["id"] = ids[k]
            ds, _ = save_record(session, rec)
            search.index_dataset(session, ds)
            out.append(ds.id)
        session.commit()
    return out


def test_moments_spread_evenly_and_stay_put():
    ids = [str(uuid.UUID(int=k * 7919 + 1)) for k in range(16_800)]
    hours = Counter(int(recheck.offset(i, WEEK).total_seconds() // 3600) for i in ids)
    assert len(hours) == 168 and max(hours.values()) < 2 * 100 and min(hours.values()) > 100 // 2
    now = T0 + dt.timedelta(days=3, hours=5)
    for i in ids[:200]:
        moment = recheck.latest_moment(i, WEEK, now)
        assert now - WEEK < moment <= now
        assert recheck.latest_moment(i, WEEK, moment) == moment  # the same moment, seen from itself
        assert recheck.latest_moment(i, WEEK, moment + WEEK) == moment + WEEK


def test_a_simulated_week_of_hourly_runs_checks_each_dataset_once(runtime):
    n = 400
    ids = _datasets(runtime, "http://127.0.0.1:9", n, ids=[str(uuid.UUID(int=k * 104729 + 17)) for k in range(n)])
    with runtime.sessionmaker() as session:  # all of them assessed at once, as after the harvest that brought them
        for i in ids:
            session.add(Assessment(dataset_id=i, assessed_at=T0, stars=3, score=50, rule_version="1.0", **SCORES))
        session.commit()
    seen: Counter = Counter()
    per_hour = []
    for hour in range(1, 2 * 168 + 1):
        now = T0 + dt.timedelta(hours=hour)
        with runtime.sessionmaker() as session:
            due = recheck.due(session, WEEK, now)
            for i in due:  # stand in for the re-assessment: an assessment as of now
                session.add(Assessment(dataset_id=i, assessed_at=now, stars=3, score=50, rule_version="1.0", **SCORES))
            session.commit()
        seen.update(due)
        per_hour.append(len(due))
    assert set(seen) == set(ids) and set(seen.values()) == {2}  # once in each of the two weeks
    assert max(per_hour) <= 4 * n / 168  # spread, never a burst
    with runtime.sessionmaker() as session:  # a second run in the same hour finds them all done
        assert recheck.due(session, WEEK, T0 + dt.timedelta(hours=2 * 168)) == []


def test_a_scheduler_down_for_days_does_not_catch_up_in_a_burst(runtime):
    ids = _datasets(runtime, "http://127.0.0.1:9", 300)
    with runtime.sessionmaker() as session:
        for i in ids:
            session.add(Assessment(dataset_id=i, assessed_at=T0, stars=3, score=50, rule_version="1.0", **SCORES))
        session.commit()
        later = T0 + dt.timedelta(days=10)  # the scheduler comes back after ten days
        due = recheck.due(session, WEEK, later)
    expected = [i for i in ids if later - recheck.latest_moment(i, WEEK, later) <= recheck.GRACE]
    assert sorted(due) == sorted(expected) and 0 < len(due) < len(ids) / 3


def test_withdrawn_datasets_and_a_period_of_zero_are_left_alone(runtime):
    ids = _datasets(runtime, "http://127.0.0.1:9", 40)
    with runtime.sessionmaker() as session:
        for ds in session.scalars(select(Dataset).where(Dataset.id.in_(ids[:20]))):
            ds.state = "withdrawn"
        session.commit()
        never_assessed = recheck.due(session, WEEK, T0 + WEEK)
    assert set(never_assessed) <= set(ids[20:])
    assert recheck.run(type("Rt", (), {"settings": {"RECHECK_PERIOD_DAYS": 0}})()) == {"due": 0, "period_days": 0}


class Validated:
    """A file server that answers If-None-Match with 304, counts full downloads, and can break."""

    def __init__(self, srv: LocalServer, n: int):
        self.bodies = {f"/f{k}.csv": CSV + f"{k},file {k}\n".encode() for k in range(n)}
        self.full = Counter()
        self.conditional = Counter()
        self.broken: set[str] = set()
        for path in self.bodies:
            srv.add_route(path, self.answer)

    def answer(self, request):
        if request.path in self.broken:
            return 404, {"Content-Type": "text/plain"}, b"gone"
        body = self.bodies[request.path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.conditional[request.path] += 1
            return 304, {"ETag": etag}, b""
        self.full[request.path] += 1
        return 200, {"Content-Type": "text/csv", "ETag": etag}, body


def test_a_recheck_costs_a_304_and_no_reading_and_keeps_the_failure_history(runtime, monkeypatch):
    with LocalServer() as srv:
        files = Validated(srv, 4)
        ids = _datasets(runtime, srv.url("").rstrip("/"), 4)
        assess_datasets(runtime, ids, now=T0)
        assert sum(files.full.values()) == 4
        profiles = []
        real_profile = tabular.profile_file
        monkeypatch.setattr(tabular, "profile_file", lambda *a, **kw: profiles.append(a) or real_profile(*a, **kw))
        files.bodies["/f1.csv"] += b"99,changed\n"  # one file changed at the source
        files.broken.add("/f2.csv")  # one link broke
        assess_datasets(runtime, ids, now=T0 + WEEK)
        assert sum(files.conditional.values()) == 2 and files.full["/f1.csv"] == 2
        assert len(profiles) == 1  # only the changed file is read again
        with runtime.sessionmaker() as session:
            first = session.scalar(select(Distribution.first_failure).where(Distribution.download_url.like("%/f2.csv")))
        assess_datasets(runtime, ids, now=T0 + 2 * WEEK)
        with runtime.sessionmaker() as session:
            row = session.scalar(select(Distribution).where(Distribution.download_url.like("%/f2.csv")))
            assert (row.check_status, row.http_status, row.failure_count) == ("broken", 404, 2)
            assert first is not None and row.first_failure == first  # when it first failed stays
            assert row.archive_path  # the last good copy stays
            # ... and is what it was: its format (data.csv answered "not a table" for it), its version's stars (a
            # copy of 3 stars read 0 in its history); the file's stars now are the broken link's
            assert (row.detected_format, row.detected_media_type, row.stars) == ("CSV", "text/csv", 0)
            version = session.scalar(select(DistributionVersion).where(DistributionVersion.distribution_id == row.id,
                                                                       DistributionVersion.sha256 == row.archive_hash))
            assert version.stars == 3
        files.broken.clear()
        assess_datasets(runtime, ids, now=T0 + 3 * WEEK)
        with runtime.sessionmaker() as session:
            row = session.scalar(select(Distribution).where(Distribution.download_url.like("%/f2.csv")))
            assert (row.check_status, row.failure_count, row.first_failure) == ("unchanged", 0, None)


def test_opendata_schedule_rechecks_the_datasets_whose_moment_has_come(runtime, db_url, tmp_path):
    now = dt.datetime.now(dt.UTC)
    chosen = []  # ids whose moment fell in the last hour, and some whose moment is days away
    while len(chosen) < 3:
        candidate = str(uuid.uuid4())
        if now - recheck.latest_moment(candidate, WEEK, now) < dt.timedelta(hours=1):
            chosen.append(candidate)
    later = []
    while len(later) < 3:
        candidate = str(uuid.uuid4())
        if now - recheck.latest_moment(candidate, WEEK, now) > dt.timedelta(days=2):
            later.append(candidate)
    with LocalServer() as srv:
        files = Validated(srv, 6)
        ids = _datasets(runtime, srv.url("").rstrip("/"), 6, ids=chosen + later)
        assess_datasets(runtime, ids, now=now - dt.timedelta(days=8))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
        env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path / "cli"),
                    "OPENDATA_ARCHIVE_DIR": runtime.settings["ARCHIVE_DIR"], "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                    "OPENDATA_WEEKLY_EVALUATION": "false"})
        done = opendata("schedule", env=env)
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines() if '"recheck"' in line]
        assert lines == [{"recheck": {"due": 3, "period_days": 7}}]
        assert sum(files.conditional.values()) == 3 and sum(files.full.values()) == 6
        again = opendata("schedule", env=env)
        assert [json.loads(line) for line in again.stdout.splitlines() if '"recheck"' in line] == [
            {"recheck": {"due": 0, "period_days": 7}}]
    with runtime.sessionmaker() as session:
        counts = Counter(session.scalars(select(Assessment.dataset_id)))
    assert {i: counts[i] for i in ids} == {**{i: 2 for i in chosen}, **{i: 1 for i in later}}


def test_the_failure_history_is_on_the_page_the_apis_and_the_broken_links_list(app, client):
    from app.jobs import Runtime

    runtime = Runtime(app.config["OPENDATA"])
    try:
        with LocalServer() as srv:
            files = Validated(srv, 2)
            ids = _datasets(runtime, srv.url("").rstrip("/"), 2)
            assess_datasets(runtime, ids, now=T0)
            files.broken.add("/f1.csv")
            for week in (1, 2, 3):
                assess_datasets(runtime, ids, now=T0 + week * WEEK)
    finally:
        runtime.close()
    with app.extensions["opendata"]["sessionmaker"]() as session:
        broken = session.scalar(select(Distribution).where(Distribution.download_url.like("%/f1.csv")))
        broken_id, first = broken.id, broken.first_failure
    first_day = first.date().isoformat()

    doc = client.get("/api/v1/datasets/recheck-1").get_json()
    assert doc["link_checks"][broken_id] | {"last_checked": None, "last_success": None, "first_failure": None} == {
        "status": "broken", "broken": True, "http_status": 404, "error": doc["link_checks"][broken_id]["error"],
        "failure_count": 3, "last_checked": None, "last_success": None, "first_failure": None}
    assert doc["link_checks"][broken_id]["first_failure"].startswith(first_day)
    working = client.get("/api/v1/datasets/recheck-0").get_json()["link_checks"]
    assert [(c["status"], c["failure_count"], c["first_failure"]) for c in working.values()] == [("unchanged", 0, None)]

    pkg = client.get("/api/3/action/package_show?id=recheck-1").get_json()["result"]
    archiver = pkg["resources"][0]["archiver"]
    assert (archiver["is_broken"], archiver["status_id"], archiver["failure_count"]) == (True, 404, 3)
    assert archiver["first_failure"].startswith(first_day) and archiver["last_success"]

    for lang, words in (("en", ("Link broken", "3 checks in a row failed since", "HTTP 404")),
                        ("zh", ("链接失效", "连续 3 次检查失败", "HTTP 404"))):
        page = client.get(f"/dataset/recheck-1?lang={lang}").get_data(as_text=True)
        assert all(w in page for w in words), (lang, [w for w in words if w not in page])
        assert ("it works" if lang == "en" else "可以访问") in client.get(f"/dataset/recheck-0?lang={lang}").get_data(
            as_text=True)

    listed = client.get("/dashboard/finding/link-broken.json").get_json()
    assert listed["columns"][-3:] == ["first_failure", "failure_count", "last_status"]
    assert [(r["slug"], r["failure_count"], r["last_status"]) for r in listed["rows"]] == [("recheck-1", 3, 404)]
    assert listed["rows"][0]["first_failure"].startswith(first_day)
    table = client.get("/dashboard/finding/link-broken?lang=zh").get_data(as_text=True)
    assert "失效起始" in table and re.search(r'<td class="link-failures"[^>]*>3</td>', table)
    csv_text = client.get("/dashboard/finding/link-broken.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].endswith("first_failure,failure_count,last_status")


def test_assess_says_when_the_guard_refused_this_machines_links(runtime):
    """`opendata assess` on the demo's catalog without OPENDATA_ALLOW_HOSTS (the demo sets it for itself) marked
    every link broken, 127.0.0.1 being a local address, without a word as to why."""
    from click.testing import CliRunner

    from app.cli import main

    _datasets(runtime, "http://127.0.0.1:9", 2)
    env = {f"OPENDATA_{k}": str(runtime.settings[k]) for k in ("DATABASE_URL", "INSTANCE_DIR", "ARCHIVE_DIR")}
    said = CliRunner().invoke(main, ["assess", "--all"], env={**env, "OPENDATA_ALLOW_HOSTS": ""})
    assert said.exit_code == 0, said.output
    assert "warning: 2 links were refused as private or local addresses (127.0.0.1)" in said.output
    allowed = CliRunner().invoke(main, ["assess", "--all"], env={**env, "OPENDATA_ALLOW_HOSTS": "127.0.0.1"})
    assert allowed.exit_code == 0 and "refused" not in allowed.output


def test_a_link_the_guard_refused_reads_the_same_on_the_broken_links_list_as_in_its_finding(runtime, client):
    """The broken links' list said a link to an address the portal does not fetch from (a local one here) was
    "refused the connection" by the server, with its own table of words, beside the finding that said otherwise."""

    from click.testing import CliRunner

    from app.cli import main

    _datasets(runtime, "http://127.0.0.1:9", 1)
    env = {f"OPENDATA_{k}": str(runtime.settings[k]) for k in ("DATABASE_URL", "INSTANCE_DIR", "ARCHIVE_DIR")}
    assert CliRunner().invoke(main, ["assess", "--all"], env={**env, "OPENDATA_ALLOW_HOSTS": ""}).exit_code == 0
    for lang, words in (("en", "the address is on a network the portal does not fetch from"),
                        ("zh", "该地址位于门户不访问的网络中")):
        table = client.get(f"/dashboard/finding/link-broken?lang={lang}").get_data(as_text=True)
        said = re.findall(r'<td class="prose-short"[^>]*>(.*?)</td>', table)
        assert said[-1] == words, (lang, said)  # the last column: the link's last answer
        finding = client.get(f"/api/v1/datasets/recheck-0/quality?lang={lang}").get_json()["findings"]
        assert any(words in f["message"] for f in finding if f["type"] == "link-broken"), finding
