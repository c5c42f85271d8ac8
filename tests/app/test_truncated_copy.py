"""A linked file larger than the portal downloads (OPENDATA_MAX_DOWNLOAD_BYTES) is archived as its first part, enough
to sniff. That copy was loaded into the row store and served as the file's data (data.csv, datastore_search) as if
whole, with no word of the cut (a security audit, 2026-12-07). Now the copy is marked cut on the distribution, the
assessment says so (file-truncated, with how to publish it), and no door serves it as a table; when the file is
small enough again, its next check archives it whole and every door serves it. Real bytes over a real local server."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.jobs import assess, harvest
from catalog_schema.models import Assessment, Dataset, Distribution

LIMIT = 20_000


def _table(rows: int) -> bytes:
    return ("区县,年份,数量\n" + "".join(f"东湖区,{2000 + i % 20},{i}\n" for i in range(rows))).encode()


def _serve(local_server, body: bytes) -> str:
    local_server.add_bytes("/pkg/big.csv", body, "text/csv")
    descriptor = {"name": "big", "title": "A big table", "licenses": [{"name": "CC-BY-4.0"}],
                  "resources": [{"name": "big", "path": "big.csv", "format": "csv"}]}
    local_server.add_bytes("/pkg/datapackage.json", json.dumps(descriptor).encode(), "application/json")
    return local_server.url("/pkg/datapackage.json")


def _state(runtime) -> tuple[Distribution, list[dict]]:
    with runtime.sessionmaker() as s:
        dist = s.scalar(select(Distribution))
        s.expunge(dist)
        findings = s.scalar(select(Assessment.findings).order_by(Assessment.id.desc()).limit(1)) or []
    return dist, findings


def test_a_file_cut_at_the_download_limit_is_said_so_and_not_served_as_a_table(app, client, runtime, add_source,
                                                                              local_server):
    big = _table(3000)
    assert len(big) > LIMIT
    add_source("big", "datapackage", _serve(local_server, big), publisher="agency")
    assert harvest(runtime, "big").added == 1
    runtime.settings["MAX_DOWNLOAD_BYTES"] = LIMIT
    with runtime.sessionmaker() as s:
        dataset_id, slug = s.execute(select(Dataset.id, Dataset.slug)).one()
    assess(runtime, [dataset_id])
    dist, findings = _state(runtime)
    assert dist.archive_truncated is True and dist.archive_size == LIMIT and dist.check_status == "ok"
    cut = [f for f in findings if f["type"] == "file-truncated"]
    assert len(cut) == 1 and cut[0]["distribution"] == dist.id and cut[0]["evidence"]["limit_mb"] == "0.02"
    assert cut[0]["message"].startswith("Only the first 0.02 MB of the file were downloaded")

    # no door serves the first part as the file's rows
    base = f"/dataset/{slug}/resource/{dist.id}"
    for door in (f"{base}/data.csv", f"{base}/data.json", f"/api/v1/datasets/{slug}/distributions/{dist.id}/rows"):
        resp = client.get(door, headers={"Accept": "application/json"})
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "file-truncated", (door, resp.status)
    search = client.get("/api/3/action/datastore_search", query_string={"resource_id": dist.id})
    assert search.status_code == 404 and "only its first part was archived" in search.get_json()["error"]["message"]
    shown = client.get("/api/3/action/package_show", query_string={"id": dataset_id}).get_json()["result"]
    assert shown["resources"][0]["datastore_active"] is False
    page = client.get(f"/dataset/{slug}?lang=zh_CN").get_data(as_text=True)
    assert "只下载了文件的前 0.02 MB" in page and '/data.csv"' not in page  # the finding, and no link to the rows

    # the file is small enough again: its next check archives it whole, and every door serves it
    local_server.add_bytes("/pkg/big.csv", _table(100), "text/csv")
    assess(runtime, [dataset_id])
    dist, findings = _state(runtime)
    assert dist.archive_truncated is False and not [f for f in findings if f["type"] == "file-truncated"]
    rows = client.get("/api/3/action/datastore_search", query_string={"resource_id": dist.id}).get_json()
    assert rows["result"]["total"] == 100
    assert client.get(f"{base}/data.csv").status_code == 200
