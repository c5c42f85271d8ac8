"""The harvest commands as a user types them: source add, list, show, harvest --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREASURY = ROOT / "tests/fixtures/real/datajson/treasury_data.json"


def _run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_source_commands_and_harvest_json(db_url, tmp_path, local_server):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                "OPENDATA_ASSESS_AFTER_HARVEST": "0", "OPENDATA_INSTANCE_DIR": str(tmp_path)})
    local_server.add_file("/data.json", TREASURY, "application/json")
    added = _run(env, "source", "add", "treasury", "--type", "datajson", "--url", local_server.url("/data.json"),
                 "--publisher", "us-treasury", "--schedule", "weekly")
    assert added.returncode == 0, added.stderr
    assert _run(env, "source", "add", "treasury", "--type", "datajson", "--url", "x").returncode != 0  # unique
    bad = _run(env, "source", "add", "odd", "--type", "ckan", "--url", "http://127.0.0.1/", "--config", "[1]")
    assert bad.returncode != 0 and "JSON object" in bad.stderr

    result = _run(env, "harvest", "treasury", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"source", "job_id", "status", "added", "updated", "unchanged", "withdrawn", "errored"}
    assert (summary["source"], summary["status"], summary["added"]) == ("treasury", "finished", 233)
    assert json.loads(_run(env, "harvest", "treasury", "--json").stdout)["unchanged"] == 233

    listed = json.loads(_run(env, "source", "list", "--json").stdout)
    assert [(s["name"], s["type"], s["schedule"], s["publisher"]) for s in listed] == [
        ("treasury", "datajson", "weekly", "us-treasury")]
    assert listed[0]["last_job"]["unchanged"] == 233
    shown = _run(env, "source", "show", "treasury")
    assert "job 2 finished" in shown.stdout and "job 1 finished" in shown.stdout

    missing = _run(env, "harvest", "nope")
    assert missing.returncode != 0 and "no harvest source named 'nope'" in missing.stderr
