"""The serving gate at the edges of HTTP, door by door: a read the CKAN clients POST, a query over several tables
asked conditionally, a dataset's old name, ranges and resumed downloads, the cache headers of a refusal and of a 304.

Every door of a distribution's bytes or rows answers through app.services.serving.serve, which decides (serve,
mask, withhold; 404 for a draft, 410 withdrawn, 301 from an old name as every read door answers), counts the
download once and sets the validators. Real HTTP through the Flask test client on a real database (SQLite and
PostgreSQL): a published dataset of two clean tables with a table of phone numbers added (withheld), a withdrawn
dataset and a draft, all uploaded through the services.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.services import datasets, distributions
from app.services.context import Actor, Runtime
from catalog_schema.models import Dataset, Distribution, UsageCounter, User
from tests.support.accounts import make_user
from tests.support.personal import IDS, PHONES, leaked
from tests.support.publishing import DOOR_PHONES, DOOR_TABLE, publish_uploads, withdraw_dataset

EDITOR = "editor@edges.example"
OTHER_TABLE = b"district,area\r\neast,12.5\r\nwest,7.25\r\nnorth,3\r\n"
SQL = "/api/3/action/datastore_search_sql"
SEARCH = "/api/3/action/datastore_search"
NOTES = f"来源：热线办 经办人身份证 {IDS[0]}\r\n".encode() + DOOR_TABLE  # a clean table under a notes row with an ID
#: A table whose columns read as dates and booleans for more rows than types are inferred from (100), then hold
#: resident ID numbers and mobile numbers.
LATE = ("区县,受理日期,已办结\r\n" + "".join(f"d{i},2024-01-{i % 28 + 1:02d},true\r\n" for i in range(150))
        + "".join(f"x{i},{IDS[i]},{PHONES[i]}\r\n" for i in range(12))).encode()


def _build(app) -> dict[str, str]:
    """{"a", "b", "phones", "notes", "late", "old", "draft"}: distribution ids. "tables" holds a, b (clean), phones
    (withheld), notes (its table clean, the file withheld for the ID number in its notes row) and late (personal data
    below a hundred dates), "old-tables" is withdrawn, "draft-tables" a draft of the same publisher."""
    ids = publish_uploads(app, EDITOR, "agency-edges", "tables", "Tables", {"a.csv": DOOR_TABLE, "b.csv": OTHER_TABLE},
                          added={"phones.csv": DOOR_PHONES.encode(), "notes.csv": NOTES, "late.csv": LATE})
    old = publish_uploads(app, "archivist@edges.example", "agency-edges", "old-tables", "Old tables",
                          {"old.csv": DOOR_TABLE + b"south,3\r\n"})
    withdraw_dataset(app, "archivist@edges.example", "old-tables", reason="Replaced by Tables.", successor="tables")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            actor = Actor(s, s.scalar(select(User).where(User.email == EDITOR)), "test", runtime=runtime, lang="en")
            draft = datasets.create(actor, "agency-edges", {"title": "Draft tables", "license": "CC-BY-4.0"},
                                    slug="draft-tables")
            draft_id = distributions.add_upload(actor, draft, io.BytesIO(DOOR_TABLE + b"up,4\r\n"), "draft.csv").id
    finally:
        runtime.close()
    return {"a": ids["a.csv"], "b": ids["b.csv"], "phones": ids["phones.csv"], "notes": ids["notes.csv"],
            "late": ids["late.csv"], "old": old["old.csv"], "draft": draft_id}


@pytest.fixture
def world(snapshot, app) -> dict[str, str]:
    return snapshot.once(lambda: _build(app))


def _downloads(app, slug: str) -> int:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds_id = s.scalar(select(Dataset.id).where(Dataset.slug == slug))
        return sum(r.downloads for r in s.scalars(select(UsageCounter).where(UsageCounter.dataset_id == ds_id)))


def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


def _rename(app, slug: str, new: str) -> None:
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        actor = Actor(s, s.scalar(select(User).where(User.email == EDITOR)), "test", lang="en")
        datasets.rename(actor, s.scalar(select(Dataset).where(Dataset.slug == slug)), new)


def _sha(app, dist_id: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return s.get(Distribution, dist_id).archive_hash


# --------------------------------------------------------------------------- counting


def test_a_posted_datastore_read_is_a_download_as_its_get_is(app, client, world):
    """ckanapi, and CKAN's own data explorers, POST every action: datastore_search and datastore_search_sql POSTed
    hand out the rows their GET does and count once, as it does (they counted nothing). HEAD and datastore_info,
    which hands out no row, count nothing either way."""
    app.config["OPENDATA"]["DATASTORE_SQL_ENABLED"] = True
    a = world["a"]
    asks = [
        (lambda: client.get("/api/3/action/datastore_search", query_string={"resource_id": a}), 1),
        (lambda: client.post("/api/3/action/datastore_search", json={"resource_id": a}), 1),
        (lambda: client.post("/api/action/datastore_search", data={"resource_id": a}), 1),  # a form, as curl -d
        (lambda: client.head("/api/3/action/datastore_search", query_string={"resource_id": a}), 0),
        (lambda: client.get("/api/3/action/datastore_info", query_string={"resource_id": a}), 0),
        (lambda: client.post("/api/3/action/datastore_info", json={"resource_id": a}), 0),
        (lambda: client.get(SQL, query_string={"sql": f'SELECT * FROM "{a}"'}), 1),
        (lambda: client.post(SQL, json={"sql": f'SELECT * FROM "{a}"'}), 1),
        (lambda: client.post(SQL, json={"sql": f'SELECT * FROM "{a}"'},
                             headers={"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}), 0),
    ]
    for ask, counted in asks:
        before = _downloads(app, "tables")
        resp = ask()
        assert resp.status_code == 200 and resp.headers["X-Data-Gate"] == "serve", resp.get_data()[:300]
        assert _downloads(app, "tables") - before == counted, (resp.request.method, resp.request.path, counted)


def test_a_query_over_two_tables_of_one_dataset_is_one_download_of_it(app, client, world):
    app.config["OPENDATA"]["DATASTORE_SQL_ENABLED"] = True
    sql = f'SELECT a.district FROM "{world["a"]}" a JOIN "{world["b"]}" b ON a.district = b.district'
    for ask in (lambda: client.get(SQL, query_string={"sql": sql}), lambda: client.post(SQL, json={"sql": sql})):
        before = _downloads(app, "tables")
        resp = ask()
        assert resp.status_code == 200 and resp.get_json()["result"]["records"], resp.get_data()[:300]
        assert _downloads(app, "tables") - before == 1


# --------------------------------------------------------------------------- conditional requests


def test_a_query_over_several_tables_is_never_answered_304(app, client, world):
    """datastore_search_sql answers with no ETag (one table's cannot vouch for the others), so no If-None-Match
    matches it: `*` was answered 304 by the first table's gate before the second was asked, for a join with a
    withheld table (451 without it) and with a withdrawn one (410)."""
    app.config["OPENDATA"]["DATASTORE_SQL_ENABLED"] = True
    a = world["a"]
    cases = {f'SELECT * FROM "{a}" x, "{world["phones"]}" y': 451,
             f'SELECT * FROM "{a}" x, "{world["old"]}" y': 410,
             f'SELECT * FROM "{world["phones"]}" y, "{a}" x': 451,
             f'SELECT * FROM "{a}"': 200}
    for sql, status in cases.items():
        for resp in (client.get(SQL, query_string={"sql": sql}, headers={"If-None-Match": "*"}),
                     client.post(SQL, json={"sql": sql}, headers={"If-None-Match": "*"})):
            assert resp.status_code == status, (sql, resp.status_code)
            assert "ETag" not in resp.headers
            assert resp.headers["X-Data-Gate"] == ("serve" if status == 200 else "withhold")
            assert "13812345670" not in resp.get_data(as_text=True)


def test_a_304_sends_the_vary_its_200_does(client, world):
    """RFC 9110 15.4.5: a cache keys the copy it keeps by the Vary of the 304 that revalidated it. The CKAN
    actions' answers vary by Accept-Language; their 304 said only Cookie."""
    a = world["a"]
    doors = [f"/dataset/tables/resource/{a}/data.csv", f"/dataset/tables/resource/{a}/data.json",
             f"/uploads/{a}/a.csv", f"/datastore/dump/{a}", f"/api/v1/datasets/tables/distributions/{a}/rows",
             f"/api/3/action/datastore_search?resource_id={a}", f"/api/action/datastore_info?resource_id={a}"]
    for url in doors:
        full = client.get(url)
        assert full.status_code == 200 and full.headers["ETag"], url
        again = client.get(url, headers={"If-None-Match": full.headers["ETag"]})
        assert again.status_code == 304, url
        assert _vary(again) == _vary(full), (url, again.headers.get("Vary"), full.headers.get("Vary"))
        assert again.headers["Cache-Control"] == full.headers["Cache-Control"], url


# --------------------------------------------------------------------------- an old name


def test_an_old_name_of_the_dataset_moves_at_every_data_door(app, client, world):
    """A dataset's page, its documents and /api/v1 answer its old name 301 to the new one (app/services/lifecycle.py:
    every read door answers what `resolve` says); its data doors answered 404, so every data.csv link a script or
    another portal kept broke at the rename."""
    a, phones = world["a"], world["phones"]
    sha = _sha(app, a)
    _rename(app, "tables", "tables-2024")
    doors = [f"/dataset/tables/resource/{a}/data.csv?bom=1", f"/dataset/tables/resource/{a}/data.json?limit=1",
             f"/dataset/tables/resource/{a}/data.xml", f"/dataset/tables/resource/{a}/data.ttl",
             f"/dataset/tables/resource/{a}/data.csv-metadata.json", f"/dataset/tables/resource/{a}/schema.json",
             f"/dataset/tables/resource/{a}/version/{sha}",
             f"/api/v1/datasets/tables/distributions/{a}/rows?page=1&page_size=2",
             f"/api/v1/datasets/tables/distributions/{a}/rows/openapi.json"]
    before = _downloads(app, "tables-2024")
    for url in doors:
        moved = client.get(url)
        assert moved.status_code == 301, (url, moved.status_code)
        assert moved.headers["Location"] == url.replace("/tables/", "/tables-2024/"), url
        assert moved.headers["X-Data-Gate"] == "withhold" and moved.headers["Cache-Control"].startswith("public")
        landed = client.get(moved.headers["Location"])
        assert landed.status_code == 200 and landed.headers["X-Data-Gate"] == "serve", url
    # the 301s counted nothing; each door's data landed on once (the CSVW, the schema and the OpenAPI are no data)
    assert _downloads(app, "tables-2024") - before == 6
    # the gate decides at the new address: the withheld table is still withheld there
    moved = client.get(f"/dataset/tables/resource/{phones}/data.csv")
    assert moved.status_code == 301 and client.get(moved.headers["Location"]).status_code == 451
    # an old name of a draft is no more found than the draft is
    _rename(app, "draft-tables", "draft-tables-2")
    for slug in ("draft-tables", "draft-tables-2"):
        assert client.get(f"/dataset/{slug}/resource/{world['draft']}/data.csv").status_code == 404
    # a name the dataset never had, for a real file of it, stays 404
    assert client.get(f"/dataset/old-tables/resource/{a}/data.csv").status_code == 404


# --------------------------------------------------------------------------- ranges


def _range_doors(app, world) -> list[str]:
    a = world["a"]
    return [f"/uploads/{a}/a.csv", f"/dataset/tables/resource/{a}/version/{_sha(app, a)}"]


def test_a_resumed_download_is_one_download(app, client, world):
    """A browser resumes an interrupted download with `Range: bytes=N-` and `If-Range: <the ETag it got>`: the rest of
    the file (206), not counted again. The gate's ETag was not what werkzeug compared If-Range with, so every resumed
    download started over (200) and was counted a second time."""
    for url in _range_doors(app, world):
        before = _downloads(app, "tables")
        full = client.get(url)
        assert full.status_code == 200 and _downloads(app, "tables") - before == 1
        tag = full.headers["ETag"]
        rest = client.get(url, headers={"Range": "bytes=10-", "If-Range": tag})
        assert rest.status_code == 206, (url, rest.status_code)
        assert rest.get_data() == full.get_data()[10:] and rest.headers["ETag"] == tag
        assert rest.headers["X-Data-Gate"] == "serve"
        assert _downloads(app, "tables") - before == 1, url
        # a copy that changed since (another tag): the whole file again, and that is a download
        stale = client.get(url, headers={"Range": "bytes=10-", "If-Range": '"0123456789abcdef"'})
        assert stale.status_code == 200 and stale.get_data() == full.get_data()
        assert _downloads(app, "tables") - before == 2, url


def test_ranges_the_gate_does_not_serve_as_asked_still_answer_through_it(app, client, world):
    """Several ranges at once (which a server may ignore, RFC 9110 14.2) are the whole file, a download, where they
    were refused 416; a range past the end is 416, marked by the gate like its other answers (it was not)."""
    for url in _range_doors(app, world):
        full = client.get(url).get_data()
        before = _downloads(app, "tables")
        several = client.get(url, headers={"Range": "bytes=0-4,10-14"})
        assert several.status_code == 200 and several.get_data() == full, (url, several.status_code)
        assert several.headers["X-Data-Gate"] == "serve" and several.headers["ETag"]
        assert _downloads(app, "tables") - before == 1
        past = client.get(url, headers={"Range": f"bytes={len(full) + 100}-{len(full) + 200}"})
        assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(full)}", url
        assert past.headers["X-Data-Gate"] == "serve", url
        assert _downloads(app, "tables") - before == 1
        # withheld: 451 whatever the range asks
        phones = client.get(url.replace(world["a"], world["phones"]),
                            headers={"Range": "bytes=0-4,10-14"})
        assert phones.status_code in (404, 451) and "13812345670" not in phones.get_data(as_text=True)


# --------------------------------------------------------------------------- what a refusal may be kept for


def test_every_refusal_of_the_gate_says_how_long_it_may_be_kept(app, client, world):
    """The gate's 451 says `no-cache`, its 410 is public for five minutes; its 404s (a draft for a stranger, an unknown
    id, a file not archived) said nothing, which lets a shared cache keep them as long as it likes (a CDN keeps a
    404 minutes by default): a draft published since stayed 404 there."""
    draft, a = world["draft"], world["a"]
    refusals = [f"/dataset/draft-tables/resource/{draft}/data.csv", f"/uploads/{draft}/draft.csv",
                f"/api/v1/datasets/draft-tables/distributions/{draft}/rows",
                f"/datastore/dump/{draft}", f"/api/3/action/datastore_search?resource_id={draft}",
                f"/dataset/tables/resource/{a}-nothing/data.csv", f"/dataset/tables/resource/{a}/data.geojson",
                f"/dataset/tables/resource/{a}/version/{'0' * 64}",
                f"/dataset/tables/resource/{world['phones']}/data.csv"]
    for url in refusals:
        resp = client.get(url)
        assert resp.status_code in (404, 451) and resp.headers["X-Data-Gate"] == "withhold", (url, resp.status_code)
        assert resp.headers.get("Cache-Control") == "no-cache", (url, resp.headers.get("Cache-Control"))
    # the publisher's editor gets the draft, privately
    make_user(app, "other.editor@edges.example", editor_of="agency-edges")
    token = _token(app, "other.editor@edges.example")
    own = client.get(f"/dataset/draft-tables/resource/{draft}/data.csv", headers={"Authorization": token})
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-store"


def _token(app, email: str) -> str:
    from app.services import accounts

    with app.extensions["opendata"]["sessionmaker"]() as s:
        token = accounts.create_token(s, s.scalar(select(User).where(User.email == email)), name="edges")
        s.commit()
    return token


# --------------------------------------------------------------------------- what points at a door


def test_the_croissant_document_lists_only_files_their_door_serves(app, client, world):
    """croissant.json tells an ML tool which files to download, each at its archived copy's door: it asked the gate
    about the file's table only, so it listed a file that door withholds for personal data in a notes row (451)."""
    site = app.config["OPENDATA"]["SITE_URL"].rstrip("/")
    doc = client.get("/dataset/tables/croissant.json").get_json()
    urls = {d["@id"].removeprefix("file-"): d["contentUrl"].removeprefix(site) for d in doc["distribution"]}
    assert urls, doc
    for url in urls.values():
        assert client.get(url).status_code == 200, url
    assert world["a"] in urls and world["notes"] not in urls and world["phones"] not in urls
    # the notes file's table is clean, and is served as data.csv; the file itself is not
    assert client.get(f"/dataset/tables/resource/{world['notes']}/data.csv").status_code == 200
    assert client.get(f"/uploads/{world['notes']}/notes.csv").status_code == 451


def test_an_edit_of_the_data_dictionary_moves_the_tags_of_what_it_describes(app, client, world):
    """The ETag named the archived copy and how it was served, not the description it was read with: after the agency
    titled a column, schema.json, the CSVW metadata and datastore_info said the new title, and a client (or a shared
    cache) revalidating with the tag it held was told 304 and kept the old."""
    a = world["a"]
    doors = [f"/dataset/tables/resource/{a}/schema.json", f"/dataset/tables/resource/{a}/data.csv-metadata.json",
             f"/api/3/action/datastore_info?resource_id={a}"]
    held = {url: client.get(url) for url in doors}
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        actor = Actor(s, s.scalar(select(User).where(User.email == EDITOR)), "test", lang="en")
        distributions.edit_dictionary(actor, s.scalar(select(Dataset).where(Dataset.slug == "tables")), a,
                                      {"amount": {"title": "金额（万元）", "description": "全年合计"}})
    for url, before in held.items():
        again = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
        assert again.status_code == 200 and "金额（万元）" in again.get_data(as_text=True), (url, again.status_code)
        assert again.headers["ETag"] != before.headers["ETag"], url
        assert client.get(url, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304, url


# --------------------------------------------------------------------------- what the facts missed


def _late_doors(did: str) -> list[str]:
    base = f"/dataset/tables/resource/{did}"
    return [*(f"{base}/data.{ext}" for ext in ("csv", "json", "xml", "ttl")), f"{base}/data.csv-metadata.json",
            f"/uploads/{did}/late.csv", f"/api/3/action/datastore_search?resource_id={did}&limit=500",
            f"/datastore/dump/{did}", f"/api/v1/datasets/tables/distributions/{did}/rows?page_size=500"]


@pytest.mark.parametrize("policy", ["withhold", "redact"])
def test_personal_data_below_the_rows_types_are_inferred_from_is_withheld_at_every_door(app, client, world, policy):
    """A column read as dates (or booleans) from its first hundred rows was not scanned at all: the ID numbers and
    mobile numbers below them were in no fact, and data.csv, data.json, data.xml and data.ttl served them while the
    upload and the row API withheld them (the whole-file scan and the row store's scan read every cell). The profile
    now scans a typed column's cells that are not of its type."""
    app.config["OPENDATA"]["PII_POLICY"] = policy
    late = world["late"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.get(Distribution, late).pii["columns"] == {"受理日期": {"id_number": 12}, "已办结": {"phone": 12}}
    for url in _late_doors(late):
        resp = client.get(url)
        assert resp.status_code in (200, 451), (url, resp.status_code)
        assert resp.headers["X-Data-Gate"] in ("redact", "withhold") and not leaked(resp.get_data(as_text=True)), url
        if policy == "withhold":
            assert resp.status_code == 451, url
    assert not leaked(client.get("/dataset/tables?lang=en").get_data(as_text=True))


def test_facts_that_missed_what_the_row_store_found_do_not_let_the_conversions_serve_it(app, client, world):
    """Facts recorded before the profile scanned those cells (or by any reading that passes cells over) say the
    table is clean; the row store's scan of the same table, which the row API withholds by, holds the data doors
    back too, as it does for the tables the profile does not read (GeoJSON, a table in a ZIP)."""
    late = world["late"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        row = s.get(Distribution, late)
        row.pii = {**row.pii, "columns": {}}  # what the profile recorded before
        s.commit()
    for url in _late_doors(late):
        resp = client.get(url)
        assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold", (url, resp.status_code)
        assert not leaked(resp.get_data(as_text=True)), url
    app.config["OPENDATA"]["PII_POLICY"] = "redact"
    for url in _late_doors(late):
        resp = client.get(url)
        assert not leaked(resp.get_data(as_text=True)), (url, resp.status_code)


def test_paging_through_a_table_is_one_download(app, client, world):
    """A client that pages through a table (data.json's `next`, the row API's pages, datastore_search's `_links.next`,
    the dump's offset) reads it once: each page after the first was counted a download of its own, so a ckanapi
    dump of a table at CKAN's 100 rows a page counted hundreds, and topped the dashboard's most downloaded. The
    first page counts, as a range from the first byte does; a later page, as a later range, does not; nor does a
    page of no row (`ckanapi dump datasets --datastore-fields` asked every table for one: a download each)."""
    a = world["a"]
    base = f"/dataset/tables/resource/{a}"
    rows = f"/api/v1/datasets/tables/distributions/{a}/rows"
    asks = [(lambda: client.get(f"{base}/data.json?limit=1&offset=0"), 1),
            (lambda: client.get(f"{base}/data.json?limit=1&offset=1"), 0),
            (lambda: client.get(f"{base}/data.json?limit=1"), 1),
            (lambda: client.get(f"{rows}?page_size=1"), 1),
            (lambda: client.get(f"{rows}?page_size=1&page=1"), 1),
            (lambda: client.get(f"{rows}?page_size=1&page=2"), 0),
            (lambda: client.get("/api/3/action/datastore_search", query_string={"resource_id": a, "limit": 1}), 1),
            (lambda: client.get("/api/3/action/datastore_search",
                                query_string={"resource_id": a, "limit": 1, "offset": 1}), 0),
            (lambda: client.post(SEARCH, json={"resource_id": a, "limit": 1, "offset": 0}), 1),
            (lambda: client.post(SEARCH, json={"resource_id": a, "limit": 1, "offset": 1}), 0),
            (lambda: client.get(f"/datastore/dump/{a}?limit=1&offset=1"), 0),
            (lambda: client.get(f"/datastore/dump/{a}?limit=1"), 1),
            # no row asked (the fields and the total: ckanapi's --datastore-fields asks so of every table): no download
            (lambda: client.post(SEARCH, json={"resource_id": a, "limit": 0}), 0),
            (lambda: client.get(SEARCH, query_string={"resource_id": a, "limit": "0"}), 0),
            (lambda: client.get(f"{base}/data.json?limit=0"), 0),
            (lambda: client.get(f"/datastore/dump/{a}?limit=0"), 1)]  # the dump's 0 is "no limit": every row
    for ask, counted in asks:
        before = _downloads(app, "tables")
        resp = ask()
        assert resp.status_code == 200, (resp.request.url, resp.status_code, resp.get_data()[:200])
        resp.get_data()
        assert _downloads(app, "tables") - before == counted, (resp.request.url, counted)
    # following datastore_search's own links from the start: one download however many pages
    before = _downloads(app, "tables")
    page = client.get("/api/3/action/datastore_search", query_string={"resource_id": a, "limit": 1}).get_json()
    while page["result"]["records"]:
        page = client.get(page["result"]["_links"]["next"]).get_json()
    assert _downloads(app, "tables") - before == 1
