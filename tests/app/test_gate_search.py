"""Searching by a redacted value finds nothing. A dataset's title, description and keywords, and its files' titles
and descriptions, are said with each run of personal data ``[redacted]`` at every door
(tests/app/test_gate_dataset_texts.py); a search that matched the texts as they are would still answer "yes, this
number is in that dataset". So the search index holds the texts as the public reads them (app/services/searchable.py),
and every door that searches (the search page, /api/v1, CKAN's package_search, package_autocomplete, resource_search
and tags, the search feed) finds a dataset by its public words only: not by a redacted mobile or ID number, while a
contact's declared phone, public, still finds it (docs/security.md, "Personal data in a dataset's own metadata")."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from catalog_schema import search
from tests.support.accounts import make_user, sign_in, token_headers
from tests.support.personal import CLEAN_CSV, IDS, PHONES

SLUG = "subsidy-list"
DECLARED_PHONE = "13700001111"  # the contact's: public as declared, so it finds the dataset
TITLE_PHONE, DESCRIPTION_ID, KEYWORD_PHONE, FILE_PHONE, FILE_ID = PHONES[5], IDS[7], PHONES[3], PHONES[6], IDS[8]
REDACTED = (TITLE_PHONE, DESCRIPTION_ID, KEYWORD_PHONE)


def _build(app, local_server) -> dict:
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    own = token_headers(app, "editor@a.example")
    made = app.test_client().post("/api/3/action/package_create", headers=own, json={
        "name": SLUG, "title": f"Subsidy list 2024 张三 {TITLE_PHONE}", "owner_org": "agency-a",
        "license_id": "cc-by", "notes": f"补贴发放名单，经办人身份证 {DESCRIPTION_ID}，咨询 {DECLARED_PHONE}。",
        "tags": [{"name": "subsidy"}, {"name": KEYWORD_PHONE}], "maintainer": f"王五 {DECLARED_PHONE}",
        "resources": [{"url": local_server.url("/clean.csv"), "format": "CSV", "name": f"名单 {FILE_PHONE}",
                       "description": f"经办人身份证 {FILE_ID}"}]})
    assert made.status_code == 200, made.get_json()
    return {"own": own}


@pytest.fixture
def world(snapshot, app, local_server) -> dict:
    return snapshot.once(lambda: _build(app, local_server))


def _found(client, term: str, headers: dict | None = None) -> dict[str, bool]:
    """Whether each door that searches finds the dataset by `term`."""
    q = quote(term)
    headers = headers or {}
    out = {}
    out["page"] = f'href="/dataset/{SLUG}' in client.get(f"/dataset?q={q}", headers=headers).get_data(as_text=True)
    out["api/v1"] = SLUG in json.dumps(client.get(f"/api/v1/datasets?q={q}", headers=headers).get_json())
    out["package_search"] = client.get(f"/api/3/action/package_search?q={q}",
                                       headers=headers).get_json()["result"]["count"] > 0
    out["package_autocomplete"] = client.get(f"/api/3/action/package_autocomplete?q={q}",
                                             headers=headers).get_json()["result"] != []
    out["feed"] = f"/dataset/{SLUG}" in client.get(f"/feeds/custom.atom?q={q}", headers=headers).get_data(as_text=True)
    return out


def test_no_door_finds_a_dataset_by_a_redacted_value(client, world):
    for term in REDACTED:
        assert _found(client, term) == dict.fromkeys(
            ("page", "api/v1", "package_search", "package_autocomplete", "feed"), False), term
    # by the rest of its words, and by its contact's declared phone (public as declared), it is found
    for term in ("subsidy 2024", "张三", DECLARED_PHONE):
        assert all(_found(client, term).values()), term


def test_resource_search_matches_the_files_public_names(client, world):
    for query in (f"name:{FILE_PHONE}", f"description:{FILE_ID}"):
        found = client.get(f"/api/3/action/resource_search?query={quote(query)}").get_json()["result"]
        assert found["count"] == 0, query
    found = client.get(f"/api/3/action/resource_search?query={quote('name:名单')}").get_json()["result"]
    assert found["count"] == 1 and found["results"][0]["name"] == "名单 [redacted]"


def test_a_redacted_keyword_is_no_tag(client, world):
    """A keyword that is personal data is said ``[redacted]``: it is no tag to list, show, facet or filter by."""
    assert KEYWORD_PHONE not in client.get("/api/3/action/tag_list").get_data(as_text=True)
    assert client.get(f"/api/3/action/tag_show?id={KEYWORD_PHONE}").status_code == 404
    facets = client.get('/api/3/action/package_search?facet.field=["tags"]').get_json()["result"]["search_facets"]
    assert [item["name"] for item in facets["tags"]["items"]] == ["subsidy"]
    assert client.get(f"/api/3/action/package_search?fq=tags:{KEYWORD_PHONE}").get_json()["result"]["count"] == 0
    assert f'href="/dataset/{SLUG}' not in client.get(f"/dataset?keyword={KEYWORD_PHONE}").get_data(as_text=True)
    assert f'href="/dataset/{SLUG}' in client.get("/dataset?keyword=subsidy").get_data(as_text=True)


def test_a_redacted_keyword_is_shown_as_text_not_a_link(app, client, world):
    """The dataset's page links each of its tags to the datasets with it; a keyword said ``[redacted]`` is none: a
    link to a search for ``[redacted]`` finds nothing of it (and, to its editors, a link by the number itself would
    search by a value no search holds)."""
    page = client.get(f"/dataset/{SLUG}").get_data(as_text=True)
    assert 'href="/dataset?keyword=subsidy"' in page and "[redacted]" in page
    assert "keyword=%5Bredacted%5D" not in page and "keyword=[redacted]" not in page
    signed_in = app.test_client()
    sign_in(signed_in, "editor@a.example")
    mine = signed_in.get(f"/dataset/{SLUG}").get_data(as_text=True)
    assert KEYWORD_PHONE in mine and f"keyword={KEYWORD_PHONE}" not in mine
    assert 'href="/dataset?keyword=subsidy"' in mine


def test_the_editors_own_drafts_are_searched_by_their_public_words_too(app, client, world):
    """CKAN's include_private adds the drafts the token's user edits, searched in an index made for the call: it holds
    them as the public would read them (the editor reads them whole on their pages, and finds them by the rest)."""
    draft = client.post("/api/3/action/package_create", headers=world["own"], json={
        "name": "draft-list", "title": f"Draft list {TITLE_PHONE}", "owner_org": "agency-a", "private": True})
    assert draft.status_code == 200, draft.get_json()
    for term, count in ((TITLE_PHONE, 0), ("draft list", 1)):
        found = client.get(f"/api/3/action/package_search?q={quote(term)}&include_private=true",
                           headers=world["own"]).get_json()["result"]
        assert found["count"] == count, term


def test_an_index_built_before_the_texts_were_redacted_is_built_again(app, client, world, monkeypatch):
    """The index is a cache kept on disk between runs: one a release before this wrote holds the raw texts, and is
    built again when a process that reads them as the public does opens it."""
    url = app.config["OPENDATA"]["DATABASE_URL"]
    folder = Path(app.config["OPENDATA"]["INSTANCE_DIR"]) / "search-old"
    with app.extensions["opendata"]["sessionmaker"]() as session:
        monkeypatch.setattr(search, "_public_texts", None)  # a process of the release before
        search.configure(url, folder)
        assert search.search(session, search.SearchQuery(q=TITLE_PHONE)).total == 1
        state = json.loads((folder / (folder / "CURRENT").read_text() / "state.json").read_text())
        assert state.get("texts") is None
        monkeypatch.undo()
        search.forget(url)  # a new process, the same folder
        search.configure(url, folder)
        assert search.search(session, search.SearchQuery(q=TITLE_PHONE)).total == 0
        assert search.search(session, search.SearchQuery(q="subsidy")).total == 1


def test_a_process_without_the_public_reading_never_rebuilds_a_shared_index_with_raw_texts(app, client, world,
                                                                                           monkeypatch):
    """The folder is shared by every server of the catalog: a script that searched it without the app's reading of the
    texts would build it again with the texts as they are, and every server would then find datasets by their redacted
    values. It is refused, saying what to call, and the folder is left as it was."""
    url = app.config["OPENDATA"]["DATABASE_URL"]
    folder = Path(app.config["OPENDATA"]["INSTANCE_DIR"]) / "search-shared"
    with app.extensions["opendata"]["sessionmaker"]() as session:
        search.configure(url, folder)  # built by a server, with the reading
        assert search.search(session, search.SearchQuery(q="subsidy")).total == 1
        built = (folder / "CURRENT").read_text()
        search.forget(url)
        monkeypatch.setattr(search, "_public_texts", None)  # a bare script, in a process of its own
        search.configure(url, folder)
        with pytest.raises(RuntimeError, match="searchable.register"):
            search.search(session, search.SearchQuery(q=TITLE_PHONE))
        assert (folder / "CURRENT").read_text() == built
        monkeypatch.undo()
        search.forget(url)
        search.configure(url, folder)
        assert search.search(session, search.SearchQuery(q=TITLE_PHONE)).total == 0
