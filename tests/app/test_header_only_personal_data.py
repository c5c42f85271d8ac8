"""A file whose only personal data is its first row, read as its column names, is withheld like any other.

A file without a header row has its first row of data read as the column names. When no cell below that row holds
personal data (a two-column file of a citizen's ID number and phone number followed by rows of ordinary values, or a
file of that single row), the profile found none in the table's cells: the gate served the table as it was, under
``PII_POLICY=withhold`` and ``redact`` alike, and every conversion (data.csv, its CSVW metadata, the Table Schema,
datastore_search's fields, the page's preview) gave the ID number out as a column name. The names are personal data
found in the file: the quality finding says so ("in the header row"), the gate counts them, and the file is withheld
until it is fixed (or an admin overrides it, as any personal data). The whole-file scan does not count them a second
time as personal data "beside the table".

Real HTTP through the Flask test client on a real database; the files are uploaded through the services to a
published dataset (a file added to a published dataset is checked, and withheld by the serving gate).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog_schema.models import Dataset, Distribution
from tests.support.personal import IDS, PHONES, TABLE_DOORS, leaked
from tests.support.publishing import DOOR_TABLE, publish_uploads

OWN = "editor@header-only.example"
#: The first row holds a citizen's ID number and phone; the rows below are ordinary values of other shapes.
HEADER_ONLY = (f"{IDS[0]},{PHONES[0]}\r\n" + "".join(f"临江区{n},{120000 + n * 7}\r\n" for n in range(12))).encode()
#: The same first row and nothing else.
SINGLE_ROW = f"{IDS[0]},{PHONES[0]}\r\n".encode()
FILES = {"header-only": HEADER_ONLY, "single-row": SINGLE_ROW}

DOORS = {name: url for name, url in TABLE_DOORS.items() if not name.startswith("quality")}


def _build(app) -> dict[str, dict[str, str]]:
    out = {}
    for name, body in FILES.items():
        ids = publish_uploads(app, f"{name}.{OWN}", "agency-header-only", name, name.title(),
                              {"clean.csv": DOOR_TABLE}, added={f"{name}.csv": body})
        out[name] = {"slug": name, "dist": ids[f"{name}.csv"]}
    return out


@pytest.fixture
def world(snapshot, app) -> dict[str, dict[str, str]]:
    return snapshot.once(lambda: _build(app))


@pytest.mark.parametrize("policy", ["withhold", "redact"])
@pytest.mark.parametrize("file", list(FILES))
@pytest.mark.parametrize("door", list(DOORS))
def test_a_file_whose_first_row_is_personal_data_gives_it_out_at_no_data_door(app, world, door, file, policy):
    app.config["OPENDATA"]["PII_POLICY"] = policy
    resp = app.test_client().get(DOORS[door].format(**world[file]))
    body = resp.get_data(as_text=True)
    assert leaked(body) == [], (door, resp.status_code)
    if door in ("data.csv", "data.json"):
        assert resp.status_code == 451, resp.status_code
        assert resp.get_json()["error"]["code"] == ("personal-data" if policy == "withhold" else "not-maskable")


def test_the_gate_counts_the_personal_names_as_personal_data_found(app, world):
    """The facts the serving gate decides on (Distribution.pii, written from the profile) hold the names."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        for file in FILES:
            dist = s.get(Distribution, world[file]["dist"])
            assert dist.pii["columns"] == {IDS[0]: {"id_number": 1}, PHONES[0]: {"phone": 1}}, file


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_finding_says_the_header_row_holds_personal_data_and_not_beside_the_table(app, world, lang):
    doc = app.test_client().get(f"/api/v1/datasets/header-only/quality?lang={lang}").get_json()
    mine = [f for f in doc["findings"] if f["distribution"] == world["header-only"]["dist"]
            and f["type"].startswith("pii-")]
    assert sorted((f["type"], f["evidence"].get("column_position"), f["evidence"].get("header_row")) for f in mine) \
        == [("pii-id-number", 1, True), ("pii-phone", 2, True)]  # none "outside the table", none of its cells
    by_type = {f["type"]: f for f in mine}
    assert by_type["pii-id-number"]["evidence"] == {"column_position": 1, "header_row": True, "count": 1}
    message, fix = by_type["pii-id-number"]["message"], by_type["pii-id-number"]["fix"]
    if lang == "en":
        assert message == "The name of column 1 holds 1 valid resident identity number (in the header row)."
        assert "seems to have no header row" in fix and "Add a header row" in fix
    else:
        assert message == "第 1 列的列名含有 1 个有效的居民身份证号码（位于表头行）。"
        assert "似乎没有表头行" in fix and "添加表头行" in fix
    assert "notes rows" not in fix and "说明行" not in fix
    assert leaked(str(doc)) == []


def test_the_dataset_is_counted_as_exposing_personal_data_once_per_column(app, world):
    from app.services import serving
    from catalog_schema.models import Assessment

    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == "header-only"))
        a = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                      .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())).first()
        places = serving.exposed_personal_data(ds, a.findings)
    assert places == {world["header-only"]["dist"]: {IDS[0]: {"id_number": 1}, PHONES[0]: {"phone": 1}}}


@pytest.mark.parametrize("policy", ["withhold", "redact"])
@pytest.mark.parametrize("door", ["data.csv", "datastore_search", "preview", "schema.json"])
def test_facts_recorded_before_names_counted_withhold_it_too(app, world, door, policy):
    """Facts recorded by a profile that did not count the names (before rule set 1.3, kept until the copy's next
    re-check) say nothing was found: the gate reads the names the profile read (the data dictionary) as well."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        dist = s.get(Distribution, world["header-only"]["dist"])
        dist.pii = {**dist.pii, "columns": {}}
        s.commit()
    app.config["OPENDATA"]["PII_POLICY"] = policy
    resp = app.test_client().get(DOORS[door].format(**world["header-only"]))
    assert leaked(resp.get_data(as_text=True)) == [], (door, resp.status_code)
    if door == "data.csv":
        assert resp.status_code == 451


def test_a_draft_whose_only_personal_data_is_its_first_row_is_not_published(app, snapshot):
    """The names are personal-data findings like any: they block publishing until fixed or overridden. The check
    says they are in the header row, not around the table."""
    from app.services import accounts
    from app.services.errors import Conflict
    from catalog_schema.models import User
    from tests.support.accounts import sign_in

    editor = f"draft.{OWN}"
    with pytest.raises(Conflict) as refused:
        publish_uploads(app, editor, "agency-header-only", "draft", "Draft", {"first-row.csv": HEADER_ONLY})
    assert refused.value.code == "pii-blocked"
    client = app.test_client()
    assert sign_in(client, editor).status_code == 302
    with app.extensions["opendata"]["sessionmaker"]() as s:
        token = accounts.create_token(s, s.scalar(select(User).where(User.email == editor)), name="draft")
        s.commit()
    got = client.get("/api/v1/datasets/draft/check?lang=en", headers={"Authorization": token}).get_json()
    assert sorted((f["type"], f["evidence"].get("header_row")) for f in got["pii"]) \
        == [("pii-id-number", True), ("pii-phone", True)]
    assert got["blocked_by"] == ["pii"]
