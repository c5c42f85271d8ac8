"""`opendata datastore status` lists each loaded table's fields. Of a file without a header row the names are its first
row of data (a citizen's phone and ID number), which every other door says as ``[redacted]`` or by position; the
command printed them as they are to the operator's terminal and whatever log keeps it. Real upload, real command."""

from __future__ import annotations

import json
import os

from tests.support.cli import opendata
from tests.support.personal import HEADERLESS_CSV, leaked
from tests.support.published import published, upload


def test_datastore_status_does_not_print_a_first_row_of_data(app, app_config, client, local_server):
    own = published(app, client, local_server, "hotline", "Hotline")
    upload(client, own, "hotline", HEADERLESS_CSV, "headerless.csv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app_config["DATABASE_URL"],
                "OPENDATA_INSTANCE_DIR": app_config["INSTANCE_DIR"], "OPENDATA_ARCHIVE_DIR": app_config["ARCHIVE_DIR"]})
    done = opendata("datastore", "status", "--dataset", "hotline", env=env)
    assert done.returncode == 0, done.stderr
    assert leaked(done.stdout) == []
    tables = {len(t["fields"]): t["fields"] for t in json.loads(done.stdout) if t["status"] == "loaded"}
    assert [f["id"] for f in tables[2]] == ["区县", "人口"]  # a header row: its names as they are
    headerless = tables[6]
    assert [f["id"] for f in headerless] == ["[redacted]"] * 6 and [f["position"] for f in headerless] == [*range(1, 7)]
