"""`opendata source delete NAME`: a source added by mistake or whose agency closed goes from the lists, the runs and
the edits, while its jobs, their record rows and an audit entry of the deletion stay for the record; its datasets are
never lost silently (withdrawn with a reason naming the source, or kept as their publisher's own)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest
from sqlalchemy import func, select

from app.services import access, datasets
from app.services.context import Actor
from app.services.errors import Forbidden
from catalog_schema.models import AuditEvent, Dataset, HarvestJob, HarvestRecord, HarvestSource, Membership, User
from tests.support.cli import opendata

PAGE = {"Accept": "text/html"}


def _env(db_url, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                "OPENDATA_ASSESS_AFTER_HARVEST": "0", "OPENDATA_INSTANCE_DIR": str(tmp_path),
                "OPENDATA_ARCHIVE_DIR": str(tmp_path / "archive")})
    return env


def _catalog(tmp_path, n: int = 3):
    """A data.json of `n` datasets on disk (a local path is a source a harvest reads)."""
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [
        {"identifier": f"ds-{i}", "title": f"Bus stops {i}", "description": "Where the buses stop.",
         "keyword": ["transport"], "modified": "2024-01-01", "publisher": {"name": "jh-transport"},
         "contactPoint": {"fn": "Data desk", "hasEmail": "mailto:data@transport.example"}, "accessLevel": "public",
         "license": "https://creativecommons.org/licenses/by/4.0/",
         "distribution": [{"downloadURL": f"http://127.0.0.1:9/stops-{i}.csv", "mediaType": "text/csv"}]}
        for i in range(n)]}))
    return path


def _harvested(db_url, tmp_path, name: str = "transport", n: int = 3) -> dict:
    """A source harvested once (`n` datasets, one job), and a sysadmin the command line acts as."""
    env = _env(db_url, tmp_path)
    for args in (("user", "add", "root@example.org", "--role", "sysadmin"),
                 ("source", "add", name, "--type", "datajson", "--url", str(_catalog(tmp_path, n)), "--publisher",
                  "jh-transport"),
                 ("harvest", name)):
        ran = opendata(*args, env=env)
        assert ran.returncode == 0, (args, ran.stdout, ran.stderr)
    return env


def _deletion(session) -> AuditEvent | None:
    """The audit entry of a source's deletion (its addition is one too)."""
    return session.scalar(select(AuditEvent).where(AuditEvent.object_type == "harvest_source",
                                                   AuditEvent.action == "harvest.source_delete"))


def _counts(session, name: str) -> tuple[int, int, int, int]:
    """The source (0 or 1), its jobs, all record rows, the datasets tied to a source."""
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(HarvestSource).where(HarvestSource.name == name)),
            session.scalar(select(func.count()).select_from(HarvestJob)),
            session.scalar(select(func.count()).select_from(HarvestRecord)),
            session.scalar(select(func.count()).select_from(Dataset).where(Dataset.source_id.is_not(None))))


def test_a_source_with_a_job_queued_or_running_is_not_deleted(db_url, tmp_path, session):
    env = _harvested(db_url, tmp_path)
    src = session.scalar(select(HarvestSource).where(HarvestSource.name == "transport"))
    session.add(HarvestJob(source_id=src.id, status="running", worker=f"{os.uname().nodename}:{os.getpid()}",
                           started_at=dt.datetime.now(dt.UTC), heartbeat_at=dt.datetime.now(dt.UTC)))
    session.commit()
    before = _counts(session, "transport")
    busy = opendata("source", "delete", "transport", "--datasets", "withdraw", env=env)
    assert busy.returncode == 1 and "running; delete it when the job has ended" in busy.stderr, busy.stderr
    zh = opendata("--lang", "zh", "source", "delete", "transport", "--datasets", "keep", env=env)
    assert zh.returncode == 1 and "请在任务结束后再删除" in zh.stderr, zh.stderr
    assert _counts(session, "transport") == before


def test_a_source_that_never_imported_a_dataset_is_deleted_with_its_jobs(db_url, tmp_path, session):
    env = _env(db_url, tmp_path)
    assert opendata("source", "add", "typo", "--type", "datajson", "--url", str(tmp_path / "nowhere.json"),
                    env=env).returncode == 1  # refused at once: a path that does not exist
    (tmp_path / "empty.json").write_text("[]")
    assert opendata("source", "add", "typo", "--type", "datajson", "--url", str(tmp_path / "empty.json"),
                    env=env).returncode == 0
    assert opendata("harvest", "typo", env=env).returncode == 1  # it lists nothing: the job failed
    assert _counts(session, "typo")[:2] == (1, 1)

    gone = opendata("source", "delete", "typo", env=env)  # no sysadmin needed: no dataset to account for
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout.strip() == "deleted source typo: no datasets, 1 job kept for the record"
    assert _counts(session, "typo") == (1, 1, 0, 0)  # kept, marked deleted, with its job
    assert json.loads(opendata("source", "list", "--json", env=env).stdout) == []
    entry = _deletion(session)
    assert entry.action == "harvest.source_delete" and entry.object_id == "typo" and entry.after is None
    assert entry.before["url"] == str(tmp_path / "empty.json") and entry.detail["jobs"] == 1
    assert entry.detail["last_jobs"][0]["status"] == "failed"
    again = opendata("--lang", "zh", "source", "delete", "typo", env=env)
    assert again.returncode == 1 and "没有名为 'typo' 的采集源" in again.stderr, again.stderr


def test_a_source_with_datasets_says_how_many_and_the_two_choices(db_url, tmp_path, session):
    env = _harvested(db_url, tmp_path)
    before = _counts(session, "transport")
    assert before == (1, 1, 3, 3)
    asked = opendata("source", "delete", "transport", env=env)
    assert asked.returncode == 1, asked.stdout
    assert "source 'transport' still has datasets (3, 3 of them published): nothing was deleted" in asked.stderr
    assert "--datasets withdraw" in asked.stderr and "--datasets keep" in asked.stderr
    zh = opendata("--lang", "zh", "source", "delete", "transport", env=env)
    assert zh.returncode == 1 and "采集源 'transport' 仍有数据集（3 个，其中 3 个已发布）" in zh.stderr, zh.stderr
    wrong = opendata("source", "delete", "transport", "--datasets", "drop", env=env)
    assert wrong.returncode == 2 and "withdraw" in wrong.stderr
    assert _counts(session, "transport") == before


def test_a_dry_run_says_what_would_be_done_and_changes_nothing(db_url, tmp_path, session):
    env = _harvested(db_url, tmp_path)
    before = _counts(session, "transport")
    states = sorted(session.scalars(select(Dataset.state)))
    dry = opendata("source", "delete", "transport", "--datasets", "withdraw", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == ("would delete source transport: 3 datasets withdrawn, 1 job kept for the record "
                                  "(nothing changed: --dry-run)")
    zh = opendata("--lang", "zh", "source", "delete", "transport", "--datasets", "keep", "--dry-run", env=env)
    assert zh.returncode == 0 and "将删除采集源 transport" in zh.stdout and "3 个数据集" in zh.stdout, zh.stdout
    as_json = json.loads(opendata("source", "delete", "transport", "--datasets", "keep", "--dry-run", "--json",
                                  env=env).stdout)
    assert as_json == {"source": "transport", "publisher": "jh-transport", "datasets": 3, "states": {"active": 3},
                       "choice": "keep", "withdrawn": 0, "kept": 3, "jobs": 1, "records": 3, "dry_run": True}
    assert _counts(session, "transport") == before and sorted(session.scalars(select(Dataset.state))) == states
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action != "harvest.source_add")) == 0  # only the source's addition


def test_withdraw_hides_the_datasets_with_a_reason_naming_the_source(db_url, tmp_path, session, client):
    env = _harvested(db_url, tmp_path)
    done = opendata("source", "delete", "transport", "--datasets", "withdraw", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "deleted source transport: 3 datasets withdrawn, 1 job kept for the record"
    assert _counts(session, "transport") == (1, 1, 3, 0)
    rows = list(session.scalars(select(Dataset).order_by(Dataset.slug)))
    assert [(d.state, d.withdrawn_reason, d.remote_id) for d in rows] == [
        ("withdrawn", "Its harvest source transport was deleted.", f"ds-{i}") for i in range(3)]
    # each dataset's history says it: the withdrawal (who, why) and the detachment from the deleted source
    actions = sorted(e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "dataset")))
    assert actions == ["harvest.source_deleted"] * 3 + ["publish.detach"] * 3
    root = session.scalar(select(User).where(User.email == "root@example.org"))
    assert {e.user_id for e in session.scalars(select(AuditEvent))} == {root.id}
    assert _deletion(session).detail["withdrawn"] == 3
    slug = rows[0].slug
    en = client.get(f"/dataset/{slug}?lang=en", headers=PAGE)
    assert en.status_code == 410
    en = en.get_data(as_text=True)
    assert "Its harvest source transport was deleted." in en and "The source it was harvested from was deleted" in en
    zh = client.get(f"/dataset/{slug}?lang=zh_CN", headers=PAGE).get_data(as_text=True)
    assert "其采集源 transport 已被删除。" in zh and "发布部门已撤回" not in zh, zh
    error = client.get(f"/dataset/{slug}", headers={"Accept": "application/json"}).get_json()["error"]
    assert "the source it was harvested from was deleted" in error["message"]
    assert "采集源已被删除" in error["message_zh"]
    # restorable, by its publisher's people now: no source harvests it any more
    assert opendata("user", "add", "ed@transport.example", env=env).returncode == 0
    assert opendata("user", "grant", "ed@transport.example", "jh-transport", "editor", env=env).returncode == 0
    ed = session.scalar(select(User).where(User.email == "ed@transport.example"))
    datasets.restore(Actor(session, ed, "test", lang="en"), access.dataset_for_edit(session, ed, slug))
    session.expire_all()
    assert session.get(Dataset, rows[0].id).state == "active"


def test_keep_leaves_the_datasets_published_as_the_publishers_own(db_url, tmp_path, session):
    env = _harvested(db_url, tmp_path)
    assert opendata("user", "add", "ed@transport.example", env=env).returncode == 0
    assert opendata("user", "grant", "ed@transport.example", "jh-transport", "editor", env=env).returncode == 0
    ed = session.scalar(select(User).where(User.email == "ed@transport.example"))
    ds = session.scalar(select(Dataset).order_by(Dataset.slug).limit(1))
    with pytest.raises(Forbidden) as refused:  # harvested: read-only to its publisher's editor
        access.dataset_for_edit(session, ed, ds.slug)
    assert refused.value.code == "harvested"

    done = opendata("--lang", "zh", "source", "delete", "transport", "--datasets", "keep", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "已删除采集源 transport：3 个数据集保留为其发布部门自有，保留 1 个采集任务备查", \
        done.stdout
    assert _counts(session, "transport") == (1, 1, 3, 0)
    rows = list(session.scalars(select(Dataset).order_by(Dataset.slug)))
    assert [(d.state, d.source_id, d.remote_id) for d in rows] == [("active", None, f"ds-{i}") for i in range(3)]
    assert rows[0].extras["publishing"]["detached_from"]["source"] == "transport"
    assert rows[0].extras["publishing"]["detached_from"]["source_deleted"] is True
    assert session.scalar(select(func.count()).select_from(Membership)) == 1
    # now the publisher's own: its editor edits it
    ds = access.dataset_for_edit(session, ed, rows[0].slug)
    datasets.update(Actor(session, ed, "test", lang="en"), ds, {"title": {"en": "Bus stops (ours now)"}})
    session.expire_all()
    assert session.get(Dataset, rows[0].id).title["en"] == "Bus stops (ours now)"
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "dataset")
                                                  .order_by(AuditEvent.id))]
    assert actions[:3] == ["publish.detach"] * 3


def test_without_a_sysadmin_the_refusal_says_how_to_make_one_and_as_names_who_did_it(db_url, tmp_path, session):
    """The demo has no sysadmin: deleting its sources said only "only a sysadmin may ..." with no way forward.
    It now says how to make one (as `opendata licence` does), and `--as` names the sysadmin the audit log keeps."""
    env = _env(db_url, tmp_path)
    for args in (("source", "add", "transport", "--type", "datajson", "--url", str(_catalog(tmp_path, 2)),
                  "--publisher", "jh-transport"), ("harvest", "transport")):
        assert opendata(*args, env=env).returncode == 0
    refused = opendata("--lang", "zh", "source", "delete", "transport", "--datasets", "withdraw", env=env)
    assert refused.returncode == 1 and "opendata user add EMAIL --role sysadmin" in refused.stderr, refused.stderr
    assert _counts(session, "transport") == (1, 1, 2, 2)  # nothing deleted
    for email in ("first@example.org", "second@example.org"):
        assert opendata("user", "add", email, "--role", "sysadmin", env=env).returncode == 0
    unknown = opendata("source", "delete", "transport", "--datasets", "keep", "--as", "nobody@example.org", env=env)
    assert unknown.returncode == 1 and "nobody@example.org" in unknown.stderr
    done = opendata("source", "delete", "transport", "--datasets", "keep", "--as", "second@example.org", env=env)
    assert done.returncode == 0, done.stderr
    second = session.scalar(select(User.id).where(User.email == "second@example.org"))
    deleted = _deletion(session)
    assert deleted.user_id == second


def test_a_deleted_source_leaves_its_history_and_an_audit_entry_of_the_deletion(db_url, tmp_path, session, client):
    """Deleting a source removed its jobs and every record row of them: the job pages, the harvest report and the
    public activity of the datasets it had imported (when each was added) went, which an audit of a government
    portal needs. They stay now; the deletion itself is an audit entry naming who, when, the source, its URL and
    how many datasets it held; the source is gone from the lists, cannot be harvested or edited, and its name is
    not given to another source."""
    env = _harvested(db_url, tmp_path)
    slugs = list(session.scalars(select(Dataset.slug).order_by(Dataset.slug)))
    job_id = session.scalar(select(HarvestJob.id))

    def activity(slug):
        body = client.get(f"/api/3/action/package_activity_list?id={slug}").get_json()
        assert body["success"], body
        return [(a["activity_type"], a["timestamp"]) for a in body["result"]]

    before = {slug: activity(slug) for slug in slugs}
    assert all(before.values())  # each dataset's harvest is its public activity ("new package")
    done = opendata("source", "delete", "transport", "--datasets", "keep", env=env)
    assert done.returncode == 0, done.stderr

    # the history: each dataset's activity, the job's page and record rows, the source's report
    assert {slug: activity(slug)[-len(before[slug]):] for slug in slugs} == before
    assert client.get(f"/harvest/job/{job_id}", headers=PAGE).status_code == 200
    assert client.get(f"/api/v1/harvest/jobs/{job_id}").status_code == 200
    assert _counts(session, "transport")[1:3] == (1, 3)
    page = client.get("/harvest/source/transport?lang=en", headers=PAGE).get_data(as_text=True)
    assert "Deleted" in page and "its jobs are kept for the record" in page
    zh = client.get("/harvest/source/transport?lang=zh_CN", headers=PAGE).get_data(as_text=True)
    assert "其采集任务留存备查；不再采集" in zh
    # the brackets the page adds are full-width in Chinese: "UTC（其采集任务…）", "已完成（全量）", not "已完成 (全量)"
    assert "UTC（其采集任务" in zh and not re.findall(r".{0,8}[\u4e00-\u9fff] \(.{0,8}", re.sub(r"<[^>]+>", "", zh))
    report = client.get("/api/v1/harvest/sources/transport/report").get_json()
    assert report["source"]["deleted_at"] and report["jobs_total"] == 1
    # the deletion, audited: who, when, which source, its URL, how many datasets, its jobs' counters
    entry = _deletion(session)
    root = session.scalar(select(User).where(User.email == "root@example.org"))
    assert (entry.action, entry.object_id, entry.user_id) == ("harvest.source_delete", "transport", root.id)
    assert entry.at is not None and entry.before["url"] == str(tmp_path / "data.json")
    assert entry.detail["datasets"] == 3 and entry.detail["choice"] == "keep"
    assert [(j["id"], j["added"]) for j in entry.detail["last_jobs"]] == [(job_id, 3)]
    # gone from every list and run, and from the edits
    assert json.loads(opendata("source", "list", "--json", env=env).stdout) == []
    assert "transport" not in {s["name"] for s in client.get("/api/v1/harvest/sources").get_json()["items"]}
    assert client.get("/api/v1/harvest/sources/transport").status_code == 404
    assert "/harvest/source/transport" not in client.get("/harvest", headers=PAGE).get_data(as_text=True)
    run = opendata("harvest", "transport", env=env)
    assert run.returncode == 1 and "no harvest source named 'transport'" in run.stderr, run.stderr
    edit = opendata("source", "edit", "transport", "--schedule", "daily", env=env)
    assert edit.returncode == 1 and "no harvest source named 'transport'" in edit.stderr, edit.stderr
    again = opendata("--lang", "zh", "source", "add", "transport", "--type", "datajson", "--url",
                     str(tmp_path / "data.json"), env=env)
    assert again.returncode == 1 and "已删除的采集源曾名为 'transport'" in again.stderr, again.stderr
    assert opendata("source", "add", "transport-2", "--type", "datajson", "--url", str(tmp_path / "data.json"),
                    env=env).returncode == 0


def test_a_source_added_and_changed_on_the_command_line_is_audited(db_url, tmp_path, session):
    """A source's deletion was audited, its addition and its changes were not: the audit log could not say since
    when a publisher's datasets came from a source, nor who pointed the source at another URL (whose next harvest
    withdraws what the new address does not list). Each is an entry now, with what the source said before and
    after, naming the sysadmin the command line acts as; a change that changes nothing is no entry."""
    env = _harvested(db_url, tmp_path)
    other = tmp_path / "other.json"
    other.write_text((tmp_path / "data.json").read_text())
    done = opendata("source", "edit", "transport", "--url", str(other), "--schedule", "daily", env=env)
    assert done.returncode == 0, done.stderr
    assert opendata("source", "edit", "transport", "--schedule", "daily", env=env).returncode == 0  # already so
    root = session.scalar(select(User).where(User.email == "root@example.org"))
    entries = session.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id, AuditEvent.before,
                                     AuditEvent.after, AuditEvent.detail, AuditEvent.publisher_id)
                              .where(AuditEvent.object_type == "harvest_source").order_by(AuditEvent.id)).all()
    assert [(e.action, e.object_id, e.user_id) for e in entries] == [
        ("harvest.source_add", "transport", root.id), ("harvest.source_edit", "transport", root.id)]
    added, edited = entries
    assert added.before is None and added.after["url"] == str(tmp_path / "data.json")
    assert added.after["publisher"] == "jh-transport" and added.after["type"] == "datajson"
    assert added.publisher_id is not None and added.detail["via"] == "cli"
    assert (edited.before["url"], edited.after["url"]) == (str(tmp_path / "data.json"), str(other))
    assert (edited.before["schedule"], edited.after["schedule"]) == ("manual", "daily")
    assert edited.detail["changed"] == ["url", "schedule"]
