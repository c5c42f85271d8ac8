"""Every archived copy of a file is kept: listed with when, how big, its stars and how its rows changed,
downloadable through the serving gate (a copy that held personal data is not served to the public)."""

from __future__ import annotations

import io

from app.services import accounts, datasets, distributions, lifecycle
from app.services.context import Actor, Runtime
from catalog_schema.models import User
from tests.support.accounts import make_user
from tests.support.cli import opendata
from tests.support.personal import HEADER, ROWS, csv_bytes

V1 = csv_bytes(["区县", "人口"], [["临江区", "120000"], ["白沙县", "56000"], ["东港区", "98000"]])
V2 = csv_bytes(["区县", "人口", "面积"], [["临江区", "121000", "80"], ["白沙县", "56000", "95"],
                                     ["北湖区", "30000", "40"]])  # one changed, one removed, one added, a column


def _replace(app, slug: str, dist_id: str, data: bytes) -> None:
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            user = s.query(User).filter_by(email="editor@a.example").one()
            ds, _ = lifecycle.find(s, slug)
            distributions.replace(Actor(s, user, "test", runtime=runtime, lang="en"), ds, dist_id,
                                  stream=io.BytesIO(data), filename="districts.csv")
    finally:
        runtime.close()


def _published_districts(app) -> tuple[str, str, str]:
    """Agency A's editor publishes "districts" with V1 uploaded: (its distribution's id, the copy's sha256, the
    editor's API token)."""
    make_user(app, "editor@a.example", editor_of="agency-a")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            user = s.query(User).filter_by(email="editor@a.example").one()
            actor = Actor(s, user, "test", runtime=runtime, lang="en")
            ds = datasets.create(actor, "agency-a", {"title": "Districts", "license": "CC-BY-4.0"}, slug="districts")
            dist = distributions.add_upload(actor, ds, io.BytesIO(V1), "districts.csv")
            datasets.publish(actor, ds)
            found = dist.id, dist.archive_hash, accounts.create_token(s, user)
            s.commit()
    finally:
        runtime.close()
    return found


def test_versions_are_kept_compared_and_served_through_the_gate(app, client):
    dist_id, first, token = _published_districts(app)
    url = f"/api/v1/datasets/districts/distributions/{dist_id}/versions"
    listed = client.get(url).get_json()["versions"]
    assert [(v["sha256"], v["current"], v["change"]) for v in listed] == [(first, True, None)]

    _replace(app, "districts", dist_id, V2)
    listed = client.get(url).get_json()["versions"]
    assert len(listed) == 2 and listed[0]["current"] and not listed[1]["current"] and listed[1]["sha256"] == first
    change = listed[0]["change"]
    assert change == {"compared": True, "rows_before": 3, "rows_after": 3, "rows_added": 1, "rows_removed": 1,
                      "rows_changed": 1, "columns_added": ["面积"], "columns_removed": [], "key": "区县"}
    assert listed[0]["stars"] == 3 and listed[0]["personal_data"] is False
    old = client.get(listed[1]["links"]["download"].split("5000", 1)[-1])
    assert old.status_code == 200 and old.data == V1 and old.headers["X-Data-Gate"] == "serve"
    assert old.headers["Content-Disposition"].startswith("attachment;")
    page = client.get("/dataset/districts?lang=en").get_data(as_text=True)
    assert "Versions kept: 2" in page and "1 rows added, 1 removed, 1 changed" in page and "面积" in page

    # a copy with personal data: withheld from the public, and so is every copy while the current one holds it
    _replace(app, "districts", dist_id, csv_bytes(HEADER, ROWS))
    listed = client.get(url).get_json()["versions"]
    assert len(listed) == 3 and listed[0]["personal_data"] is True
    for v in listed:
        path = v["links"]["download"].split("5000", 1)[-1]
        public = client.get(path)
        assert public.status_code == 451 and public.headers["X-Data-Gate"] == "withhold", v
        assert ROWS[0][2].encode() not in public.data
        editor = client.get(path, headers={"Authorization": token})
        assert editor.status_code == 200 and editor.headers["X-Data-Gate"] == "serve"
    # back to a clean file: the clean copies are served again, the one with personal data never
    _replace(app, "districts", dist_id, V1)
    listed = client.get(url).get_json()["versions"]
    assert len(listed) == 3  # V1's copy is the same bytes: one version, now current again
    served = {v["sha256"]: client.get(v["links"]["download"].split("5000", 1)[-1]).status_code for v in listed}
    assert sorted(served.values()) == [200, 200, 451]
    held = next(v for v in listed if served[v["sha256"]] == 451)
    refused = client.get(held["links"]["download"].split("5000", 1)[-1])  # as every other 451 (docs/api.md)
    error = refused.get_json()["error"]
    assert refused.headers["Link"].endswith('rel="blocked-by"') and error["code"] == "personal-data"
    assert error["dataset"] == "districts" and error["distribution"] == dist_id and error["kinds"]
    assert error["message_zh"] and ROWS[0][2] not in refused.get_data(as_text=True)
    assert client.get(f"/dataset/districts/resource/{dist_id}/version/{'0' * 64}").status_code == 404
    assert client.get(f"/dataset/districts/resource/{dist_id}/version/not-a-hash").status_code == 404


# --------------------------------------------------------------------------- retention: opendata versions prune


def test_versions_prune_keeps_what_retention_says_and_files_still_in_use(app, client, tmp_path):
    """`opendata versions prune` (a real process on the test database): the newest N and the last D days are
    kept, the current copy always; a pruned version's row and archive file go, unless another distribution's
    copy is the same file; --dry-run changes nothing; each prune is audited."""
    import datetime as dt
    import json
    import os
    from pathlib import Path

    from sqlalchemy import select

    from catalog_schema.models import AuditEvent, DistributionVersion
    from plumbing.archive import address

    make_user(app, "editor@a.example", editor_of="agency-a")
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    copies = [csv_bytes(["区县", "人口"], [["临江区", str(120000 + n)]]) for n in range(4)]
    with factory() as s:
        user = s.query(User).filter_by(email="editor@a.example").one()
        actor = Actor(s, user, "test", runtime=runtime, lang="en")
        ds = datasets.create(actor, "agency-a", {"title": "Districts", "license": "CC-BY-4.0"}, slug="districts")
        dist_id = distributions.add_upload(actor, ds, io.BytesIO(copies[0]), "districts.csv").id
        datasets.publish(actor, ds)
        other = datasets.create(actor, "agency-a", {"title": "Same file", "license": "CC-BY-4.0"}, slug="same")
        distributions.add_upload(actor, other, io.BytesIO(copies[0]), "same.csv")  # shares copy 0's file
        datasets.publish(actor, other)
    runtime.close()
    for data in copies[1:]:
        _replace(app, "districts", dist_id, data)
    now = dt.datetime.now(dt.UTC)
    ages = [100, 50, 10, 0]  # days since each copy was archived, oldest first
    with factory() as s:
        rows = s.scalars(select(DistributionVersion).where(DistributionVersion.distribution_id == dist_id)
                         .order_by(DistributionVersion.id)).all()
        assert len(rows) == 4
        for row, days in zip(rows, ages, strict=True):
            row.archived_at = now - dt.timedelta(days=days)
        hashes = [r.sha256 for r in rows]
        s.commit()
    archive = app.config["OPENDATA"]["ARCHIVE_DIR"]
    files = [address(archive, h) for h in hashes]
    assert all(f.is_file() for f in files)

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app.config["OPENDATA"]["DATABASE_URL"], "OPENDATA_ARCHIVE_DIR": archive,
                "OPENDATA_INSTANCE_DIR": str(tmp_path / "cli"), "OPENDATA_VERSION_RETENTION_COUNT": "2"})

    def prune(*args: str) -> dict:
        done = opendata("versions", "prune", *args, env=env, cwd=root)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def kept() -> list[str]:
        listed = client.get(f"/api/v1/datasets/districts/distributions/{dist_id}/versions").get_json()["versions"]
        return [v["sha256"] for v in listed]

    dry = prune("--dry-run")
    assert (dry["dry_run"], dry["versions"], dry["retention"]) == (True, 2, {"count": 2, "days": 0})
    assert [v["sha256"] for v in dry["removed"]] == hashes[:2]
    assert dry["files"] == 1 and dry["bytes"] == len(copies[1])  # copy 0's file is the other dataset's copy
    assert kept() == hashes[::-1] and all(f.is_file() for f in files)

    def facts_of(digest: str) -> list[Path]:  # what reading a copy found (quality.facts_cache)
        return list((Path(archive) / "facts" / digest[:2]).glob(f"{digest}.*.json"))

    assert all(facts_of(h) for h in hashes)
    done = prune()
    assert (done["dry_run"], done["versions"], done["files"]) == (False, 2, 1)
    assert kept() == [hashes[3], hashes[2]]
    assert files[0].is_file() and not files[1].exists() and files[2].is_file() and files[3].is_file()
    assert not facts_of(hashes[1]) and facts_of(hashes[0]) and facts_of(hashes[2])
    gone = client.get(f"/dataset/districts/resource/{dist_id}/version/{hashes[1]}")
    assert gone.status_code == 404
    assert client.get("/dataset/same/resource/" + _only_dist(app, "same") + "/data.csv").status_code == 200
    with factory() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "versions.prune")).all()
        assert len(events) == 1 and events[0].detail["via"] == "cli"
        assert [v["sha256"] for v in events[0].detail["versions"]] == hashes[:2]
    assert prune()["versions"] == 0

    # by age: the last 5 days keep only the current copy; an old current copy is never pruned
    assert prune("--keep", "0", "--keep-days", "5")["versions"] == 1
    assert kept() == [hashes[3]] and not files[2].exists() and files[3].is_file()
    with factory() as s:
        s.scalars(select(DistributionVersion).where(DistributionVersion.sha256 == hashes[3])).one().archived_at = \
            now - dt.timedelta(days=400)
        s.commit()
    assert prune("--keep", "0", "--keep-days", "1")["versions"] == 0 and kept() == [hashes[3]]

    # no retention set: nothing is pruned
    env["OPENDATA_VERSION_RETENTION_COUNT"] = "0"
    assert prune()["versions"] == 0


def _only_dist(app, slug: str) -> str:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds, _ = lifecycle.find(s, slug)
        return ds.distributions[0].id


def test_a_failed_comparisons_reason_quotes_no_personal_data_to_the_public(app, client):
    """A comparison that failed keeps the reader's error (`reason`, str(exc)), which may quote a row of the file (a
    CSV parse error names the line): the public is told it with the personal data ``[redacted]``, as the rest of
    the change; the publisher's editors as it came."""
    from sqlalchemy import select

    from catalog_schema.models import DistributionVersion
    from tests.support.personal import IDS, PHONES

    factory = app.extensions["opendata"]["sessionmaker"]
    dist_id, _, token = _published_districts(app)
    _replace(app, "districts", dist_id, V2)
    reason = f"CSV parse error: Expected 3 columns, got 4: 'GD0001,{IDS[1]},{PHONES[1]},x'"
    with factory() as s:
        version = s.scalars(select(DistributionVersion).where(DistributionVersion.distribution_id == dist_id)
                            .order_by(DistributionVersion.id.desc())).first()
        version.change = {"compared": False, "reason": reason}
        s.commit()
    url = f"/api/v1/datasets/districts/distributions/{dist_id}/versions"
    public = client.get(url)
    said = public.get_json()["versions"][0]["change"]["reason"]
    assert IDS[1] not in public.get_data(as_text=True) and PHONES[1] not in public.get_data(as_text=True), said
    assert said.startswith("CSV parse error: Expected 3 columns, got 4") and "[redacted]" in said
    editor = client.get(url, headers={"Authorization": token}).get_json()["versions"][0]["change"]
    assert editor["reason"] == reason
