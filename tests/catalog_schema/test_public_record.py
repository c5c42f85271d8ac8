"""A record as public documents give it (catalog_schema.record.public_record): the platform's people and its
undecided overrides left out of the platform extras, the record itself untouched."""

from __future__ import annotations

import copy

from catalog_schema.record import new_record, public_record


def test_the_platforms_people_and_undecided_overrides_are_left_out():
    rec = new_record(title={"zh": "热线"}, extras={"ckan": {"author": "kept"}, "publishing": {
        "iri_slug": "hotline",
        "pii_override": {"by": "admin@jh.gov.cn", "user_id": 7, "at": "2026-12-06T07:00:00+00:00",
                         "reason": "Office numbers, public by regulation.", "confirmed_by": "second@jh.gov.cn",
                         "confirmed_user_id": 9, "confirm_reason": "Checked.", "files": ["ab"]},
        "pii_override_pending": {"by": "admin@jh.gov.cn", "user_id": 7, "reason": "Asked."},
        "detached_from": {"source": "jh-ckan", "remote_id": "r1", "at": "2026-12-01", "by": "boss@jh.gov.cn"},
        "series": ["s1"]}})
    before = copy.deepcopy(rec)
    shown = public_record(rec)
    assert rec == before  # the catalog's own record keeps who it was, for the audit
    assert shown["extras"]["publishing"] == {
        "iri_slug": "hotline",
        "pii_override": {"at": "2026-12-06T07:00:00+00:00", "reason": "Office numbers, public by regulation.",
                         "confirm_reason": "Checked.", "files": ["ab"]},
        "detached_from": {"source": "jh-ckan", "remote_id": "r1", "at": "2026-12-01"},
        "series": ["s1"]}
    assert shown["extras"]["ckan"] == {"author": "kept"} and shown["title"] == {"zh": "热线"}


def test_a_record_without_platform_extras_is_given_back_as_it_is():
    for extras in ({}, {"ckan": {"x": 1}}, {"publishing": {}}, {"publishing": None}):
        rec = new_record(title={"en": "x"}, extras=extras)
        assert public_record(rec) is rec
