"""What CKAN clients ask a portal that the Action API did not answer as CKAN does, asked by ckanapi's RemoteCKAN of
the app served on 127.0.0.1 (tests/support/wsgiserver.py) over a real catalog (tests/support/publishing.build_world:
two agencies, their editors, a sysadmin, a draft of each agency), on SQLite and PostgreSQL.

- package_search's `include_private` and `include_drafts` (CKAN 2.9+): an editor's drafts (CKAN's private datasets
  here) to them, every draft to a sysadmin, none to anyone else; they were ignored."""

from __future__ import annotations

import pytest
from ckanapi import RemoteCKAN

from tests.support.publishing import build_world
from tests.support.wsgiserver import ServedApp


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


@pytest.fixture
def live(app, world):
    served = ServedApp(app)
    yield served
    served.close()


def _ckan(live, world, who: str | None = None) -> RemoteCKAN:
    return RemoteCKAN(live.url, apikey=world.tokens[who] if who else None)


PUBLISHED = ["active-a-1", "active-a-2", "active-a-3", "harvested-a"]


def _walk(ck: RemoteCKAN, **params) -> list[str]:
    """Every name package_search gives, a page of two at a time."""
    names, start = [], 0
    while True:
        page = ck.action.package_search(rows=2, start=start, **params)["results"]
        if not page:
            return names
        names += [p["name"] for p in page]
        start += len(page)


def test_package_search_include_private_gives_an_editor_their_drafts_and_nobody_else_any(live, world):
    anonymous, editor_a, sysadmin = _ckan(live, world), _ckan(live, world, "editor_a"), _ckan(live, world, "sysadmin")
    for ck in (anonymous, editor_a):  # not asked for: what is published, to everyone
        assert sorted(p["name"] for p in ck.action.package_search(rows=50)["results"]) == PUBLISHED
    # asked for by anyone but a publisher's people: nothing more
    found = anonymous.action.package_search(include_private=True, include_drafts=True, rows=50)
    assert found["count"] == 4 and sorted(p["name"] for p in found["results"]) == PUBLISHED
    assert sorted(p["name"] for p in _ckan(live, world, "editor_b").action.package_search(
        include_private=True, fq="organization:agency-a", rows=50)["results"]) == PUBLISHED
    # agency A's editor: A's draft beside the published datasets, as CKAN's private dataset (B's draft is not theirs)
    for flag in ("include_private", "include_drafts"):
        found = editor_a.action.package_search(rows=50, sort="name asc", **{flag: True},
                                               **{"facet.field": '["organization"]'})
        assert found["count"] == 5
        assert [p["name"] for p in found["results"]] == sorted([*PUBLISHED, "draft-a"])
        draft = next(p for p in found["results"] if p["name"] == "draft-a")
        assert draft["private"] is True and draft["state"] == "draft" and draft["organization"]["name"] == "agency-a"
        assert found["facets"]["organization"] == {"agency-a": 5}
    # walked a page at a time, in either order, each dataset once, in its place
    assert _walk(editor_a, include_private=True, sort="name asc") == sorted([*PUBLISHED, "draft-a"])
    assert _walk(editor_a, include_private=True, sort="name desc") == sorted([*PUBLISHED, "draft-a"], reverse=True)
    assert len(set(_walk(editor_a, include_private=True))) == 5  # the default order: the latest change first
    # words: the drafts that match, first
    found = editor_a.action.package_search(q="draft", include_private=True)
    assert [p["name"] for p in found["results"]] == ["draft-a"] and found["count"] == 1
    assert editor_a.action.package_search(q="published", include_private=True)["count"] == 3
    assert editor_a.action.package_search(fq="organization:agency-b", include_private=True)["count"] == 0
    # a sysadmin: every draft
    found = sysadmin.action.package_search(include_drafts="true", rows=50, sort="name asc")
    assert [p["name"] for p in found["results"]] == sorted([*PUBLISHED, "draft-a", "draft-b"])
    assert sysadmin.action.package_search(include_drafts="true", rows=2, start=4, sort="name asc")["results"][0][
        "name"] == "draft-b"
