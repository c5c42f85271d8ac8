"""The hostile input corpus (tests/corpus/manifest.toml): every case fed the way it arrives for real.

Harvest cases go through a real local HTTP server and the real harvesters; distribution files
through `opendata quality file` (assess_file); API parameters through the Flask test client on a
small catalog. Each case checks its expected outcome (a clear error or a finding), that nothing
hangs (short timeouts, a time bound per case) and that the catalog changed only where it should.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.jobs import Runtime, harvest
from app.settings import load as load_settings
from catalog_schema import search
from catalog_schema.models import Base, Dataset, HarvestJob, HarvestRecord, HarvestSource
from catalog_schema.record import new_record
from catalog_schema.store import ensure_publisher, save_record, to_record
from tests.corpus.generators import generate
from tests.support.httpserver import LocalServer

HERE = Path(__file__).parent
FILES = HERE / "files"
MANIFEST = tomllib.loads((HERE / "manifest.toml").read_text("utf-8"))
CASES = MANIFEST["case"]
MAX_SECONDS = 30.0  # no case may take longer (on a loaded 2-core machine): a hang is a failure
CAP = 4 * 1024 * 1024
DRIP_DELAY = 0.05
HANG_SECONDS = 3.0


def _params(kind: str) -> list:
    return [pytest.param(c, id=c["id"]) for c in CASES if c["kind"] == kind]


def _settings(extra: dict) -> dict:
    values = load_settings({})
    values.update({"ALLOW_HOSTS": ["127.0.0.1"], "HTTP_TIMEOUT": 0.5, "HTTP_RETRIES": 0, "HTTP_TOTAL_TIMEOUT": 1.5,
                   "MAX_DOWNLOAD_BYTES": CAP, "ASSESS_AFTER_HARVEST": False, **extra})
    return values


def input_bytes(case: dict, server: LocalServer | None = None) -> bytes:
    if "generator" in case:
        return generate(case["generator"])
    if "file" in case:
        data = (FILES / case["file"]).read_bytes()
        return data.replace(b"{server}", server.url("").encode()) if server else data
    if "body" in case:
        return bytes.fromhex(case["body"]) if case.get("body_hex") else case["body"].encode("utf-8")
    return b""


def serve(server: LocalServer, path: str, case: dict, data: bytes) -> None:
    """Answer `path` the way the case says (after a first, good answer was served from it)."""
    server.routes.handlers.pop(path, None)
    server.routes.raw.pop(path, None)
    mode = case.get("serve", "body")
    ctype = case.get("content_type", "application/octet-stream")
    if mode == "body":
        server.add_bytes(path, data, ctype, status=case.get("status", 200))
    elif mode == "drip":
        server.add_drip(path, data, delay=DRIP_DELAY, content_type=ctype)
    elif mode == "wrong_length":
        server.add_wrong_length(path, data, claimed=case["claimed"], content_type=ctype)
    elif mode == "redirect_loop":
        server.add_redirect_loop(path, path + "-elsewhere")
    elif mode == "hang":
        server.add_hang(path, HANG_SECONDS)
    elif mode == "gzip":
        server.add_bytes(path, data, ctype, headers={"Content-Encoding": "gzip"})
    else:
        raise AssertionError(f"unknown serve mode {mode!r}")


def _catalog_rows(sessionmaker, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """Every row of every catalog table (usage counters and tables starting with `skip` left out), in order."""
    out = {}
    with sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith(("usage", *skip)):
                continue
            rows = session.execute(select(table)).all()
            out[table.name] = sorted(json.dumps([str(v) for v in r], ensure_ascii=False) for r in rows)
    return out


# --------------------------------------------------------------------------- harvest sources

BASELINE = {
    "datajson": (b'{"dataset": [{"title": "Baseline dataset", "identifier": "baseline", "description": "Kept",'
                 b' "keyword": ["base"], "modified": "2024-01-01"}]}', "application/json"),
    "ckan": (b'{"help": "", "success": true, "result": {"count": 1, "results": [{"id": "baseline", "name": "baseline",'
             b' "title": "Baseline dataset", "notes": "Kept"}]}}', "application/json"),
    "dcat": (b'@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n'
             b'<http://example.org/ds/baseline> a dcat:Dataset ; dct:title "Baseline dataset"@en ;'
             b' dct:identifier "baseline" ; dct:description "Kept"@en .\n', "text/turtle"),
    "datapackage": (b'{"name": "baseline", "title": "Baseline dataset", "resources": [{"name": "r", "path": "r.csv",'
                    b' "format": "csv"}]}', "application/json"),
}
SOURCE_PATH = {"ckan": "/api/action/package_search", "datajson": "/data.json", "dcat": "/catalog",
               "datapackage": "/datapackage.json"}


@pytest.fixture
def corpus_runtime(db_url, tmp_path):
    rt = Runtime(_settings({"DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path),
                            "ARCHIVE_DIR": str(tmp_path / "archive")}))
    yield rt
    rt.close()


def _source_state(rt: Runtime, name: str) -> tuple[list[tuple], list[str]]:
    """(slug, state) of the source's datasets, and their records as JSON text."""
    with rt.sessionmaker() as session:
        sid = session.scalar(select(HarvestSource.id).where(HarvestSource.name == name))
        datasets = session.scalars(select(Dataset).where(Dataset.source_id == sid).order_by(Dataset.slug)).all()
        return ([(d.slug, d.state) for d in datasets],
                [json.dumps(to_record(d), ensure_ascii=False, default=str) for d in datasets])


def _harvest_params() -> list:
    """Every harvest case on SQLite; on PostgreSQL too when records reach the database (a failed fetch or
    parse never does, and is the same on both)."""
    out = []
    for c in CASES:
        if c["kind"] != "harvest":
            continue
        out.append(pytest.param(c, "sqlite", id=f"sqlite-{c['id']}"))
        if c["expect"]["status"] == "finished":
            out.append(pytest.param(c, "postgresql", id=f"postgresql-{c['id']}", marks=pytest.mark.postgres))
    return out


@pytest.mark.parametrize(("case", "db_url"), _harvest_params(), indirect=["db_url"])
def test_harvest_case(case, corpus_runtime, db_url, tmp_path):
    rt = corpus_runtime
    source = case["source"]
    with rt.sessionmaker() as session:  # a bystander of no source, and the hostile source itself
        bystander, _ = save_record(session, new_record(slug="bystander", title={"en": "Bystander"}))
        session.flush()
        search.index_dataset(session, bystander)
        session.add(HarvestSource(name="hostile", type=source, url="http://127.0.0.1:9/"))
        session.commit()
    path = SOURCE_PATH[source]
    with LocalServer() as server:
        url = server.url("") if source == "ckan" else server.url(path)
        with rt.sessionmaker() as session:
            session.scalar(select(HarvestSource).where(HarvestSource.name == "hostile")).url = url
            session.commit()
        good, ctype = BASELINE[source]
        server.add_bytes(path, good, ctype)
        first = harvest(rt, "hostile", full=True).to_dict()
        assert first["status"] == "finished" and first["added"] == 1, first

        before = _catalog_rows(rt.sessionmaker, skip=("harvest_",))
        serve(server, path, case, input_bytes(case, server))
        started = time.monotonic()
        summary = harvest(rt, "hostile", full=True).to_dict()
        took = time.monotonic() - started
        requested = [r.path for r in server.requests]
    after = _catalog_rows(rt.sessionmaker, skip=("harvest_",))
    expect = case["expect"]

    assert took < MAX_SECONDS, f"{case['id']} took {took:.1f} s"
    assert summary["status"] == expect["status"], summary
    with rt.sessionmaker() as session:
        job = session.get(HarvestJob, summary["job_id"])
        record_errors = list(session.scalars(select(HarvestRecord.error).where(
            HarvestRecord.job_id == job.id, HarvestRecord.status == "errored")))
        job_error = job.error or ""
    if expect["status"] == "failed":
        assert re.search(expect["error"], job_error), job_error
        assert after == before, "a failed harvest changed the catalog"
    else:
        assert summary["added"] == expect["added"] and summary["errored"] == expect["errored"], (summary, record_errors)
        assert all(err and len(err) < 5000 for err in record_errors), record_errors
        if expect.get("record_error"):
            assert all(re.search(expect["record_error"], err) for err in record_errors), record_errors
        states, _ = _source_state(rt, "hostile")
        assert sum(1 for _slug, state in states if state == "active") == expect["added"], states
        for table in ("publishers",):  # what was there stays
            assert set(before.get(table, [])) <= set(after.get(table, []))
    with rt.sessionmaker() as session:
        kept = session.scalar(select(Dataset).where(Dataset.slug == "bystander"))
        assert kept.state == "active" and kept.title == {"en": "Bystander"}

    _, records = _source_state(rt, "hostile")
    stored = "\n".join([*records, job_error, *[e or "" for e in record_errors]])
    if expect.get("flags"):  # what the mapper could not take is flagged on the record, not lost silently
        flagged = {f["field"].split("[")[0] for r in records for f in json.loads(r).get("flags") or []}
        assert set(expect["flags"]) <= flagged, flagged
    if case.get("must_not_contain"):
        assert case["must_not_contain"] not in stored
    if case.get("never_requested"):
        assert case["never_requested"] not in requested, requested
    if case.get("no_local_urls"):
        with rt.sessionmaker() as session:
            for ds in session.scalars(select(Dataset).where(Dataset.state == "active")):
                for dist in ds.distributions:
                    for link in (dist.download_url, dist.access_url):
                        assert not link or link.startswith(("http://", "https://")), link
    if case.get("page_escapes"):
        _assert_pages_escape(db_url, tmp_path)


def _assert_pages_escape(db_url: str, tmp_path: Path) -> None:
    from app import create_app

    app = create_app({"DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path / "web"), "SECRET_KEY": "corpus",
                      "ARCHIVE_DIR": str(tmp_path / "archive"), "TESTING": True})
    try:
        client = app.test_client()
        with app.extensions["opendata"]["sessionmaker"]() as session:
            slugs = list(session.scalars(select(Dataset.slug).where(Dataset.state == "active")))
        pages = [f"/dataset/{s}" for s in slugs] + ["/dataset", "/dataset?q=Road", "/"]
        for page in pages:
            resp = client.get(page)
            assert resp.status_code == 200, page
            html = resp.get_data(as_text=True)
            for raw in ("<script>alert(", "<img src=x onerror", "<svg onload", "<b onmouseover",
                        'href="javascript:', "href='javascript:"):
                assert raw not in html, (page, raw)
    finally:
        app.extensions["opendata"]["engine"].dispose()


# --------------------------------------------------------------------------- distribution files


@pytest.mark.parametrize("case", _params("file"))
def test_file_case(case, tmp_path):
    from app.commands.quality import assess_file

    settings = _settings({"INSTANCE_DIR": str(tmp_path), "ARCHIVE_DIR": str(tmp_path / "archive")})
    name = case.get("name") or case.get("file")
    work = tmp_path / "work"
    work.mkdir()
    started = time.monotonic()
    if case.get("feed", "path") == "url":
        with LocalServer() as server:
            serve(server, "/" + name, case, input_bytes(case, server))
            doc = assess_file(settings, server.url("/" + name), case.get("licence"))
    else:
        path = work / name
        path.write_bytes(input_bytes(case))
        doc = assess_file(settings, str(path), case.get("licence"))
    took = time.monotonic() - started
    assert took < MAX_SECONDS, f"{case['id']} took {took:.1f} s"

    expect = case["expect"]
    dist = doc["distributions"][0]
    found = {f["type"] for f in doc["findings"]}
    text_out = json.dumps(doc, ensure_ascii=False, default=str)
    assert 0 <= doc["stars"] <= 5
    if "detected" in expect:
        assert (dist.get("detected_format") or "") == expect["detected"], dist
    for slug in expect.get("finding", []):
        assert slug in found, (slug, sorted(found))
    if "stars" in expect:
        assert doc["stars"] == expect["stars"], (doc["stars"], sorted(found))
    if "where" in expect:
        unparsed = [f for f in doc["findings"] if f["type"] == "not-parseable"]
        assert unparsed and re.search(expect["where"], unparsed[0]["evidence"]["where"]), unparsed
        assert re.search(expect["where"], unparsed[0]["message"])
    if "link_error" in expect:
        assert re.search(expect["link_error"], text_out), text_out[:2000]
    data = doc.get("data") or {}
    if "rows" in expect:
        assert data.get("rows") == expect["rows"], data
    if "columns" in expect:
        assert data.get("columns") == expect["columns"], data
    if case.get("must_not_contain"):
        assert case["must_not_contain"] not in text_out
    for path in case.get("must_not_exist", []):
        assert not Path(path).exists(), path
    # nothing written beside the work folder but the archive
    assert sorted(p.name for p in tmp_path.iterdir()) in (["work"], ["archive", "work"])
    assert [p.name for p in work.iterdir()] in ([], [name])


# --------------------------------------------------------------------------- API parameters


@pytest.fixture
def small_catalog(app):
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as session:
        ensure_publisher(session, {"slug": "city", "name": {"en": "City"}})
        for i, (title, fmt) in enumerate((("Bus stops", "CSV"), ("Road works", "JSON"), ("Air quality", "XLSX"))):
            ds, _ = save_record(session, new_record(
                slug=f"ds-{i}", title={"en": title}, keywords=["transport", f"k{i}"], publisher={"slug": "city"},
                license="CC-BY-4.0", themes=["TRAN"],
                distributions=[{"download_url": f"http://127.0.0.1:9/{i}.{fmt.lower()}", "format": fmt}]))
            session.flush()
            search.index_dataset(session, ds)
        session.commit()
    return factory


def _search_fingerprint(client) -> list:
    body = client.get("/api/v1/datasets?q=bus").get_json()
    return sorted(item["slug"] for item in body["items"])


def _api_groups() -> list:
    """The API cases grouped by endpoint: one catalog per group, every case of it checked (and named) inside."""
    groups: dict[str, list[dict]] = {}
    for c in CASES:
        if c["kind"] == "api":
            groups.setdefault(c["endpoint"], []).append(c)
    return [pytest.param(cases, id=endpoint.strip("/").replace("/", "-").replace("{}", "slug"))
            for endpoint, cases in groups.items()]


@pytest.mark.parametrize("cases", _api_groups())
def test_api_cases(cases, client, small_catalog):
    payloads = list(MANIFEST["api"]["payloads"])
    payloads.append("a" * MANIFEST["api"]["long_repeat"])
    raw = list(MANIFEST["api"]["raw"])
    before = _catalog_rows(small_catalog)
    found_before = _search_fingerprint(client)
    assert found_before == ["ds-0"]
    problems = []
    started = time.monotonic()
    for case in cases:
        allowed = set(case["expect"]["status"])
        endpoint, param = case["endpoint"], case["param"]

        def url_for(value: str, encoded: bool = False, endpoint=endpoint, param=param) -> str:
            value = value if encoded else quote(value, safe="")
            return endpoint.format(value) if param == "path" else f"{endpoint}?{param}={value}"

        for url in [url_for(p) for p in payloads] + [url_for(r, encoded=True) for r in raw]:
            resp = client.get(url, headers={"Accept": "text/html,application/json;q=0.9"})
            body = resp.get_data(as_text=True)
            shown = f"{case['id']}: {url[:100]} -> {resp.status_code}: {body[:200]}"
            if resp.status_code >= 500 or resp.status_code not in allowed:
                problems.append(shown)
            elif resp.mimetype == "application/json":
                try:
                    json.loads(body)
                except ValueError:
                    problems.append(shown + " (not JSON)")
            elif resp.mimetype == "text/html" and ("<script>alert('xss')" in body or "<img src=x onerror" in body):
                problems.append(shown + " (payload not escaped)")
    took = time.monotonic() - started
    assert not problems, "\n".join(problems[:20])
    assert took < MAX_SECONDS * len(cases), f"{took:.1f} s"
    assert _catalog_rows(small_catalog) == before, "a read changed the catalog"
    assert _search_fingerprint(client) == found_before


def test_manifest_is_complete():
    """At least 60 cases, unique ids, every kind of the issue present, every input findable."""
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)
    assert {c["kind"] for c in CASES} == {"harvest", "file", "api", "upload"}
    for c in CASES:
        assert "expect" in c, c["id"]
        if "file" in c:
            assert (FILES / c["file"]).is_file(), c["id"]
        if "generator" in c:
            from tests.corpus.generators import GENERATORS

            assert c["generator"] in GENERATORS, c["id"]
    with_db = {c["endpoint"] for c in CASES if c["kind"] == "api"}
    assert {"/dataset", "/api/v1/datasets", "/api/3/action/package_search"} <= with_db


# --------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("case", _params("upload"))
def test_upload_case(case, tmp_path):
    import io

    from app.services.errors import UploadRejected
    from app.services.uploads import store_upload

    archive = tmp_path / "archive"
    expect = case["expect"]
    started = time.monotonic()
    try:
        stored = store_upload(io.BytesIO(input_bytes(case)), case["name"], archive,
                              max_bytes=case.get("max_bytes", CAP))
    except UploadRejected as exc:
        assert expect.get("rejected") == exc.code, (exc.code, str(exc))
        assert str(exc)
        stored = None
    else:
        assert expect.get("accepted"), f"accepted, expected {expect}"
        assert stored.filename == expect["filename"]
        assert Path(stored.path).parent.parent == archive.resolve()
        assert Path(stored.path).name == stored.sha256
    assert time.monotonic() - started < MAX_SECONDS
    left = sorted(str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file())
    assert left == ([] if stored is None else [str(Path(stored.path).relative_to(archive.resolve()))]), left
    for path in case.get("must_not_exist", []):
        assert not Path(path).exists(), path
