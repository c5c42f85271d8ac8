"""`set_pii_facts`: what a scan found, kept on the distribution row as the serving gate reads it."""

from __future__ import annotations

from catalog_schema.models import Distribution
from catalog_schema.store import set_pii_facts


def test_facts_keep_personal_kinds_only_and_say_which_copy():
    row = Distribution(id="d1", archive_hash="ab" * 32)
    set_pii_facts(row, sha256="ab" * 32, checked_at="2026-11-23T12:00:00+00:00",
                  columns={"身份证号": {"id_number": 20}, "统一社会信用代码": {"uscc": 5},
                           "备注": {"uscc": 1, "email": 2}, "空": {"phone": 0}})
    assert row.pii == {"sha256": "ab" * 32, "checked_at": "2026-11-23T12:00:00+00:00",
                       "columns": {"身份证号": {"id_number": 20}, "备注": {"email": 2}}}


def test_nothing_found_and_a_file_that_is_not_a_table_are_both_empty():
    row = Distribution(id="d2")
    set_pii_facts(row, sha256="cd" * 32, columns={}, checked_at="2026-11-23T12:00:00+00:00")
    assert row.pii["columns"] == {} and row.pii["sha256"] == "cd" * 32
    set_pii_facts(row, sha256="ef" * 32, columns=None, checked_at="2026-11-24T12:00:00+00:00")
    assert row.pii == {"sha256": "ef" * 32, "checked_at": "2026-11-24T12:00:00+00:00", "columns": {}}


def test_the_same_facts_of_the_same_copy_keep_when_they_were_found():
    """A re-check that kept a copy's facts finds what the row holds: the row is not written again (a new
    `checked_at` would rewrite every distribution on every re-check); other findings or another copy are."""
    row = Distribution(id="d3")
    set_pii_facts(row, sha256="ab" * 32, columns={"email": {"email": 3}}, checked_at="2026-11-23T12:00:00+00:00")
    first = row.pii
    set_pii_facts(row, sha256="ab" * 32, columns={"email": {"email": 3}, "note": {"uscc": 2}},
                  checked_at="2026-11-30T12:00:00+00:00")
    assert row.pii is first and row.pii["checked_at"] == "2026-11-23T12:00:00+00:00"
    set_pii_facts(row, sha256="ab" * 32, columns={"email": {"email": 4}}, checked_at="2026-12-01T12:00:00+00:00")
    assert row.pii == {"sha256": "ab" * 32, "checked_at": "2026-12-01T12:00:00+00:00",
                       "columns": {"email": {"email": 4}}}
    set_pii_facts(row, sha256="cd" * 32, columns={"email": {"email": 4}}, checked_at="2026-12-02T12:00:00+00:00")
    assert row.pii["sha256"] == "cd" * 32 and row.pii["checked_at"] == "2026-12-02T12:00:00+00:00"
