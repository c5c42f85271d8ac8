"""`opendata datastore status` lists each loaded table's fields. Of a file without a header row the names are its first
row of data (a citizen's phone and ID number), which every other door says as ``[redacted]`` or by position; the
command printed them as they are to the operator's terminal and whatever log keeps it. Real upload, real command."""

from __future__ import annotations

import io
import json
import os

from sqlalchemy import select

from app.services import accounts
from catalog_schema.models import User
from tests.support.accounts import make_user
from tests.support.cli import opendata
from tests.support.personal import CLEAN_CSV, HEADERLESS_CSV, leaked


def test_datastore_status_does_not_print_a_first_row_of_data(app, app_config, client, local_server):
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, "editor@a.example", editor_of="agency-a")
    with app.extensions["opendata"]["sessionmaker"]() as s:
        own = {"Authorization": accounts.create_token(s, s.scalar(select(User).where(User.email == "editor@a.example")),
                                                      name="cli")}
        s.commit()
    made = client.post("/api/v1/datasets", headers=own, json={
        "publisher": "agency-a", "name": "hotline", "title": "Hotline", "license": "CC-BY-4.0",
        "distributions": [{"url": local_server.url("/clean.csv"), "format": "CSV"}], "publish": True})
    assert made.status_code == 201, made.get_json()
    up = client.post("/api/v1/datasets/hotline/distributions", headers=own,
                     data={"file": (io.BytesIO(HEADERLESS_CSV), "headerless.csv")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
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
