"""History retention (app/services/history.py): harvest jobs and assessments past their retention go, the
trends and the job lists keep working, and `opendata prune` / `opendata schedule` run it."""

from __future__ import annotations

import datetime as dt
import json
import os

from sqlalchemy import func, select

from app import activity
from app.assessment import assess_datasets
from app.commands.prune import prune_if_due
from app.dashboard_data import trends
from app.jobs import harvest
from app.services import history
from app.services.context import Actor
from app.services.usage import usage_series
from catalog_schema.models import Assessment, AuditEvent, Dataset, HarvestJob, HarvestRecord, UsageCounter
from tests.support.cli import opendata
from tests.support.sources import serve_source

START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)  # a Monday
WEEKS = 16  # June to mid-September, one assessment a week


def _build(runtime, add_source, local_server, fixtures_dir, tmp_path) -> list[str]:
    kind, url = serve_source("datajson", local_server, fixtures_dir, tmp_path)
    add_source("src", kind, url)
    for _ in range(4):
        assert harvest(runtime, "src").status == "finished"
    with runtime.sessionmaker() as session:
        ids = sorted(session.scalars(select(Dataset.id).where(Dataset.state == "active")))[:5]
    for week in range(WEEKS):
        assess_datasets(runtime, ids, now=START + dt.timedelta(weeks=week), check_links=False)
    return ids


def _counts(runtime) -> tuple[int, int, int]:
    with runtime.sessionmaker() as session:
        return tuple(session.scalar(select(func.count()).select_from(m))
                     for m in (HarvestJob, HarvestRecord, Assessment))


def _times(runtime, dataset_id: str) -> list[dt.date]:
    with runtime.sessionmaker() as session:
        return [t.date() for t in session.scalars(select(Assessment.assessed_at).where(
            Assessment.dataset_id == dataset_id).order_by(Assessment.assessed_at))]


def test_prune_keeps_the_newest_the_last_of_each_month_and_the_jobs_retention_says(
        runtime, add_source, local_server, fixtures_dir, tmp_path):
    ids = _build(runtime, add_source, local_server, fixtures_dir, tmp_path)
    jobs, records, assessments = _counts(runtime)
    assert (jobs, assessments) == (4, 5 * WEEKS) and records > 0
    with runtime.sessionmaker() as session:
        weeks_before = {row["period"] for row in trends(session) if row["publisher"] == ""}
    retention = history.HistoryRetention(jobs=2, assessments=3)
    with runtime.sessionmaker() as session:
        dry = history.prune(Actor(session, None, "test"), retention, dry_run=True)
    # jobs 1 and 2 are past the retention; job 1 added the datasets (their public activity): it stays, with
    # those rows only
    assert dry.to_dict()["harvest_jobs"] == 1 and _counts(runtime) == (jobs, records, assessments)
    with runtime.sessionmaker() as session:
        news_before = [c.dataset_id for c in activity.page(session, limit=1000)]

    seen = []
    with runtime.sessionmaker() as session:
        report = history.prune(Actor(session, None, "test"), retention,
                               progress=lambda kind, done, total: seen.append((kind, done, total)))
    assert report.to_dict() == {**dry.to_dict(), "dry_run": False}
    # the newest 3 (Aug 31, Sep 7 and 14) and, older, the last of each month (June's, July's; August's is
    # among the newest already, so Aug 24 goes)
    assert _times(runtime, ids[0]) == [dt.date(2026, 6, 29), dt.date(2026, 7, 27), dt.date(2026, 8, 31),
                                       dt.date(2026, 9, 7), dt.date(2026, 9, 14)]
    assert report.assessments == 5 * (WEEKS - 5)
    jobs_after, records_after, _ = _counts(runtime)
    assert jobs_after == 3 and records_after == records - report.harvest_records
    assert seen[-1] == ("assessments", report.assessments, report.assessments)
    with runtime.sessionmaker() as session:
        kept_jobs = session.scalars(select(HarvestJob.id).order_by(HarvestJob.id)).all()
        assert kept_jobs == [1, 3, 4]  # the newest two, and the one the datasets' activity names
        assert set(session.scalars(select(HarvestRecord.status).where(HarvestRecord.job_id == 1))) == {"added"}
        assert session.scalar(select(func.count()).select_from(HarvestRecord).where(
            HarvestRecord.job_id == 1, HarvestRecord.payload.is_not(None))) == 0  # kept without their payload
        assert [c.dataset_id for c in activity.page(session, limit=1000)] == news_before  # activity unchanged
        assert news_before
        weeks_after = {row["period"] for row in trends(session) if row["publisher"] == ""}
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "history.prune"))
    assert weeks_after <= weeks_before and len(weeks_after) == 5  # a point a month, then weekly at the end
    assert event.detail["assessments"] == report.assessments and event.detail["harvest_jobs"] == 1
    # a harvest after the prune still finds its datasets unchanged
    summary = harvest(runtime, "src")
    assert summary.status == "finished" and summary.added == 0 and summary.unchanged > 0


def test_a_job_that_has_not_ended_is_never_pruned(runtime, add_source, local_server, fixtures_dir, tmp_path):
    kind, url = serve_source("datajson", local_server, fixtures_dir, tmp_path)
    add_source("src", kind, url)
    harvest(runtime, "src")
    with runtime.sessionmaker() as session:
        source_id = session.scalar(select(HarvestJob.source_id))
        old = START - dt.timedelta(days=400)
        session.add(HarvestJob(source_id=source_id, status="running", created_at=old, heartbeat_at=old))
        session.commit()
        listed = history.jobs_past_retention(session, history.HistoryRetention(jobs=1, job_days=30),
                                             now=dt.datetime.now(dt.UTC))
    assert listed == []  # the finished job is the newest; the running one is not ended


def test_opendata_prune_and_the_schedule_run_it_once_a_day(runtime, add_source, local_server, fixtures_dir,
                                                            tmp_path, db_url):
    _build(runtime, add_source, local_server, fixtures_dir, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path / "cli"),
                "OPENDATA_RECHECK_PERIOD_DAYS": "0"})  # no re-check adding assessments between count and prune
    nothing = opendata("prune", "--dry-run", env=env)
    assert nothing.returncode == 0 and "every job, assessment, version and usage count is kept" in nothing.stderr
    assert json.loads(nothing.stdout)["assessments"] == 0
    env.update({"OPENDATA_HARVEST_JOB_RETENTION_COUNT": "1", "OPENDATA_ASSESSMENT_RETENTION_COUNT": "2"})
    dry = opendata("prune", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    counted = json.loads(dry.stdout)
    assert counted["dry_run"] and counted["harvest_jobs"] == 2 and counted["assessments"] > 0  # job 1: activity
    assert counted["versions"]["versions"] == 0
    assert _counts(runtime)[0] == 4  # a dry run removes nothing
    done = opendata("schedule", env=env)
    assert done.returncode == 0, done.stderr
    pruned = [json.loads(line)["prune"] for line in done.stdout.splitlines() if '"prune"' in line]
    assert len(pruned) == 1 and pruned[0]["harvest_jobs"] == 2 and not pruned[0]["dry_run"]
    assert pruned[0]["assessments"] == counted["assessments"]
    assert _counts(runtime)[0] == 2
    again = opendata("schedule", env=env)
    assert again.returncode == 0 and '"prune"' not in again.stdout  # not again within the day
    settings = {**runtime.settings, "HARVEST_JOB_RETENTION_COUNT": 1}
    assert prune_if_due(settings, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)) is not None


def test_daily_usage_older_than_the_retention_is_added_up_per_month(runtime):
    """USAGE_DAILY_RETENTION_DAYS: the daily rows of the months before the cutoff become one row per dataset per
    month (on its first day, the one a month already had included), every total stays the same, the recent days
    stay daily, a dry run only counts, and a second run finds nothing to do."""
    from catalog_schema.record import new_record
    from catalog_schema.store import save_record

    with runtime.sessionmaker() as session:
        ids = [save_record(session, new_record(slug=f"used-{n}", title={"en": f"Used {n}"}))[0].id for n in range(2)]
        session.flush()  # the datasets first: the usage rows' foreign key is not a relationship the flush orders
        day = dt.date(2026, 3, 10)
        while day <= dt.date(2026, 6, 20):
            for n, dataset_id in enumerate(ids):
                session.add(UsageCounter(dataset_id=dataset_id, day=day, views=1 + (day.day + n) % 3,
                                         downloads=day.day % 2, api_calls=n + 1))
            day += dt.timedelta(days=1)
        session.commit()

    def rows() -> dict[tuple[str, dt.date], tuple[int, int, int]]:
        with runtime.sessionmaker() as session:
            return {(r.dataset_id, r.day): (r.views, r.downloads, r.api_calls)
                    for r in session.scalars(select(UsageCounter))}

    def totals(table) -> dict[str, list[int]]:
        out = {i: [0, 0, 0] for i in ids}
        for (dataset_id, _day), counts in table.items():
            out[dataset_id] = [a + b for a, b in zip(out[dataset_id], counts, strict=True)]
        return out

    before = rows()
    retention = history.HistoryRetention(usage_days=30)
    now = dt.datetime(2026, 6, 25, 12, tzinfo=dt.UTC)  # 30 days before: May 26th, so May stays daily
    assert history.usage_cutoff(retention, now) == dt.date(2026, 5, 1)
    with runtime.sessionmaker() as session:
        dry = history.prune(Actor(session, None, "test"), retention, now=now, dry_run=True)
    assert dry.usage_rows == 2 * (22 + 29)  # March 10-31, April 2-30 (April 1st is the month's row)
    assert rows() == before
    with runtime.sessionmaker() as session:
        report = history.prune(Actor(session, None, "test"), retention, now=now)
        detail = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "history.prune")).one()
    assert report.usage_rows == dry.usage_rows == detail["usage_rows"]
    after = rows()
    assert totals(after) == totals(before)
    for dataset_id in ids:
        for month in (3, 4):
            first = dt.date(2026, month, 1)
            days = [d for (i, d) in before if i == dataset_id and d.month == month]
            assert after[(dataset_id, first)] == tuple(
                sum(before[(dataset_id, d)][k] for d in days) for k in range(3))
            assert [d for (i, d) in after if i == dataset_id and d.month == month] == [first]
    assert {k: v for k, v in after.items() if k[1] >= dt.date(2026, 5, 1)} == \
        {k: v for k, v in before.items() if k[1] >= dt.date(2026, 5, 1)}
    def entry(day: dt.date) -> dict:
        return {"day": day.isoformat(), **dict(zip(("views", "downloads", "api_calls"), after[(ids[0], day)],
                                                   strict=True))}

    with runtime.sessionmaker() as session:  # the API's series: a month's entry, then the days kept daily
        assert usage_series(session, ids[0])[:3] == [entry(dt.date(2026, m, 1)) for m in (3, 4, 5)]
        again = history.prune(Actor(session, None, "test"), retention, now=now)
    assert again.usage_rows == 0 and rows() == after
    # a retention shorter than the dashboards' window of daily downloads keeps that window daily
    from app.dashboard_data import RECENT_DAYS

    assert history.HistoryRetention.of({"USAGE_DAILY_RETENTION_DAYS": 7}).usage_days == history.USAGE_MIN_DAYS
    assert history.usage_cutoff(history.HistoryRetention.of({"USAGE_DAILY_RETENTION_DAYS": 1}), now) <= \
        now.date() - dt.timedelta(days=RECENT_DAYS - 1)
