"""The error classes of the harvest report (catalog_schema/harvest_report.py): what varies from record to
record is taken out, what says which problem it is stays; a running job and a deleted dataset on SQLite and
PostgreSQL. (The report of real harvests is tested through its three doors: tests/app/test_rest.py,
test_dashboard.py, test_harvest_cli.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from catalog_schema import harvest_report, harvest_store
from catalog_schema.harvest_report import KIND_CHARS, error_kind, job_report, source_report, to_json
from catalog_schema.models import HarvestJob, HarvestSource
from catalog_schema.record import new_record

SAME = [
    ("ValueError: record does not match the catalog schema: license_raw: 5 is not of type 'string', 'null'",
     "ValueError: record does not match the catalog schema: license_raw: 77 is not of type 'string', 'null'; "
     "title: {} should be non-empty"),
    ("ValueError: record.title.en holds a NUL character (\\u0000), which is not text",
     "ValueError: record.distributions[3].title. holds a NUL character (\\u0000), which is not text"),
    ("http://127.0.0.1:8080/api/3/action/package_show?id=a: 404 Not Found",
     "https://data.example.org/api/3/action/package_show?id=b: 500 Not Found"),
    ("KeyError: 'resources'", 'KeyError: "extras"'),
    ("no dataset 00000000-0000-0000-0000-000000000001", "no dataset 5f0c6a3e-1b2c-4d5e-8f90-a1b2c3d4e5f6"),
    ("checksum deadbeef00 differs", "checksum 0123abcd4567 differs"),
    ("Expecting value: line 1 column 1 (char 0)", "Expecting value: line 12 column 7 (char 301)\nmore"),
]
DIFFERENT = [
    ("ValueError: package is a str, not an object", "ValueError: record has no title"),
    ("ValueError: record does not match the catalog schema: license_raw: 5 is not of type 'string', 'null'",
     "ValueError: record does not match the catalog schema: issued: 5 is not of type 'string', 'null'"),
    ("the source's page is gone", "the source's page moved"),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_messages_that_differ_only_in_values_are_one_kind(one, other):
    assert error_kind(one) == error_kind(other)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_problems_are_different_kinds(one, other):
    assert error_kind(one) != error_kind(other)


def test_kinds_read_as_their_messages():
    assert error_kind("http://127.0.0.1:8080/x?id=3: 404 Not Found") == "<url>: <n> Not Found"
    assert error_kind("ValueError: record.title.en holds a NUL") == "ValueError: record.… holds a NUL"
    assert error_kind("KeyError: 'resources'") == "KeyError: '…'"
    assert error_kind("the source's page") == "the source's page"  # an apostrophe is not a quote
    # a quoted URL keeps its closing quote: it read "no file '<url> in this source"
    assert error_kind("no file 'http://x.example/a.csv' in this source") == "no file '…' in this source"
    assert error_kind("'http://x.example/a.csv': only http(s) URLs") == "'…': only http(s) URLs"
    assert error_kind(None) == error_kind("  ") == "(no message)"
    assert len(error_kind("x" * 5000)) == KIND_CHARS


def test_to_json_writes_times_as_rfc3339():
    at = dt.datetime(2026, 12, 2, 22, 0, tzinfo=dt.UTC)
    assert to_json({"jobs": [{"started_at": at, "n": 1, "title": {"en": "x"}}], "latest": None}) == {
        "jobs": [{"started_at": "2026-12-02T22:00:00+00:00", "n": 1, "title": {"en": "x"}}], "latest": None}


def test_a_running_job_counts_its_rows_and_a_deleted_dataset_keeps_its_remote_id(session):
    """A job still running has no counts of its own yet: the report counts its rows. A dataset deleted since
    the job is listed by its remote id (the row's link to it is gone)."""
    src = HarvestSource(name="live", type="ckan", url="http://127.0.0.1:9/")
    session.add(src)
    session.flush()
    done = harvest_store.create_job(session, src)
    harvest_store.start_job(done, since=None, worker="test")
    kept, _ = harvest_store.import_record(session, done.id, src.id, "a", new_record(title={"en": "Kept"}),
                                          payload_text="{}", payload={}, stage="import")
    gone, _ = harvest_store.import_record(session, done.id, src.id, "b", new_record(title={"en": "Gone"}),
                                          payload_text="{}", payload={}, stage="import")
    session.flush()
    harvest_store.finish_job(session, done.id, "finished")
    running = harvest_store.create_job(session, src)
    harvest_store.start_job(running, since=None, worker="test")
    harvest_store.import_record(session, running.id, src.id, "a", new_record(title={"en": "Kept again"}),
                                payload_text="{}", payload={}, stage="import")
    harvest_store.record_error(session, running.id, "c", payload="{", stage="fetch", error="timed out after 30 s")
    session.delete(gone)
    session.commit()

    report = source_report(session, "live")
    assert [(j["id"], j["status"], j["added"], j["updated"], j["errored"]) for j in report["jobs"]] == [
        (running.id, "running", 0, 1, 1), (done.id, "finished", 2, 0, 0)]
    assert report["latest"]["updated"]["items"] == [
        {"remote_id": "a", "status": "updated", "dataset": kept.slug, "title": {"en": "Kept again"},
         "state": "active"}]
    assert report["latest"]["errors"]["kinds"] == [
        {"stage": "fetch", "kind": "timed out after <n> s", "count": 1,
         "example": {"remote_id": "c", "error": "timed out after 30 s"}}]
    first = job_report(session, session.get(HarvestJob, done.id))
    assert [(i["remote_id"], i["dataset"], i["title"]) for i in first["added"]["items"]] == [
        ("a", kept.slug, {"en": "Kept again"}), ("b", None, {})]
    assert source_report(session, "nothing") is None


def test_a_kind_of_sheet_row_errors_names_its_first_problem_in_every_language():
    """Two rows, one with a bad licence and a bad date, one with a bad licence: one kind (the first problem), and
    its Chinese label said that kind too (it was the first example's whole list, a date the other row lacked)."""
    from harvesters.files import match_rows

    rows = [(4, {"文件": "a.csv", "许可协议": "坏许可A", "发布日期": "明天"}),
            (5, {"文件": "b.csv", "许可协议": "坏许可B"})]
    _found, errors = match_rows("metadata.csv", rows, ["a.csv", "b.csv"])
    first, second = (harvest_report.kind_detail(e.error.detail()) for e in errors)
    assert harvest_report.error_kind(str(errors[0].error)) == harvest_report.error_kind(str(errors[1].error))
    assert first == second
    assert "发布日期" not in json.dumps(first, ensure_ascii=False)
