"""A source's address may carry credentials (a password, an api_key in the query) and a failed job's error repeats
the address: every public door that shows a source or its jobs says them as *** (found by a security audit: the
REST sources, the report, the job and the pages showed them verbatim, while the source's config was masked)."""

from __future__ import annotations

import json

from app.jobs import harvest

SECRETS = ("s3cretPW", "TOPSECRET")


def test_a_sources_credentials_are_hidden_at_every_door(client, runtime, add_source, local_server):
    local_server.add_route("/catalog", lambda req: (500, {"Content-Type": "text/plain"}, b"boom"))
    url = local_server.url("/catalog").replace("http://", "http://editor:s3cretPW@") + "?api_key=TOPSECRET"
    add_source("secret", "dcat", url, config={"api_key": "CFGSECRET"})
    job = harvest(runtime, "secret")
    assert job.status == "failed" and any(s in job.error for s in SECRETS), job.error  # stored whole, for operators

    answers = {door: client.get(door) for door in (
        "/api/v1/harvest/sources", "/api/v1/harvest/sources/secret", "/api/v1/harvest/sources/secret/report",
        f"/api/v1/harvest/jobs/{job.job_id}", "/harvest", "/harvest/source/secret", f"/harvest/job/{job.job_id}",
        "/harvest/source/secret?lang=zh_CN", f"/harvest/job/{job.job_id}?lang=zh_CN")}
    for door, resp in answers.items():
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200, door
        assert not any(s in text for s in (*SECRETS, "CFGSECRET")), (door, text[:2000])
    source = answers["/api/v1/harvest/sources/secret"].get_json()
    assert source["url"].startswith("http://editor:***@127.0.0.1:") and source["url"].endswith("?api_key=***")
    assert "editor:***@" in source["jobs"][0]["error"] or "api_key=***" in source["jobs"][0]["error"]
    report = answers["/api/v1/harvest/sources/secret/report"].get_json()
    assert "***" in json.dumps(report["jobs"][0]["error"])
    assert "editor:***@" in answers["/harvest/source/secret"].get_data(as_text=True)
