"""The doors that describe a table's columns ask the personal-data gate too.

A table the gate withholds keeps its personal data from every door that describes it, not only from those that
hand out its rows: the data dictionary (/api/v1 and the dataset page), the Table Schema, the CSVW metadata, the
Croissant document, CKAN's datastore_info, package_show and resource_show, the dataset's record, and the 451 the
gate answers itself. Column names, types and the publisher's own descriptions are shown; what the file says beyond
them (its notes rows) is left out for the public, and the answer says so and why, in English and Chinese. A file
without a header row has its first row of data read as its column names: those names are personal data, and the
public is shown ``[redacted]`` for them. The publisher's own editor sees everything, as at the data doors.

The same names are said without personal data wherever else a column is named: the quality findings (by the
column's position, "Column 3", and as ``[redacted]`` in findings stored before rules said so), the list of a file's
versions (columns added and removed), and under ``PII_POLICY=redact`` such a table is withheld rather than served
masked (its header cannot be masked: it names the columns of every conversion).

Real HTTP through the Flask test client on a real database; the files are uploaded through the services to a
published dataset (personal data found in a file added to a published dataset withholds it from the public). The
headerless file replaced a copy with a header, so it has two versions, the second adding its personal names.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.services import accounts
from catalog_schema.models import Assessment, Dataset, User
from tests.support.accounts import make_user, sign_in
from tests.support.personal import HEADER, IDS, PHONES, PII_CSV, ROWS, csv_bytes, leaked, on_page
from tests.support.publishing import DOOR_TABLE, publish_uploads

OWN = "editor@described.example"
OTHER = "editor@elsewhere.example"
NOTE = "说明：市民热线工单，热线办提供"
#: The table of made-up citizens under a notes row (the file's text, beyond its columns).
HOTLINE = f"{NOTE}\r\n".encode() + PII_CSV
#: The same rows without their header: the first citizen's ID number and phone are read as column names.
HEADERLESS = csv_bytes(ROWS[0], ROWS[1:])

DOORS = {
    "dictionary": "/api/v1/datasets/{slug}/distributions/{dist}/dictionary",
    "table-schema": "/dataset/{slug}/resource/{dist}/schema.json",
    "csvw": "/dataset/{slug}/resource/{dist}/data.csv-metadata.json",
    "data.csv": "/dataset/{slug}/resource/{dist}/data.csv",
    "croissant": "/dataset/{slug}/croissant.json",
    "datastore_info": "/api/3/action/datastore_info?id={dist}",
    "record": "/api/v1/datasets/{slug}",
    "package_show": "/api/3/action/package_show?id={slug}",
    "resource_show": "/api/3/action/resource_show?id={dist}",
    "page-zh": "/dataset/{slug}?lang=zh_CN",
    "page-en": "/dataset/{slug}?lang=en",
    "quality-en": "/api/v1/datasets/{slug}/quality?lang=en",
    "quality-zh": "/api/v1/datasets/{slug}/quality?lang=zh",
    "versions": "/api/v1/datasets/{slug}/distributions/{dist}/versions",
    "finding-id": "/dashboard/finding/pii-id-number?lang=zh_CN",
    "finding-phone": "/dashboard/finding/pii-phone.json",
    "finding-phone-csv": "/dashboard/finding/pii-phone.csv",
}
#: The doors of a table's data and description that a masked table (PII_POLICY=redact) answers.
MASKED_DOORS = ("data.csv", "csvw", "table-schema", "dictionary", "datastore_info", "page-en")
DATA_DOORS = {"data.json": "/dataset/{slug}/resource/{dist}/data.json",
              "datastore_search": "/api/3/action/datastore_search?resource_id={dist}"}


def _build(app) -> dict[str, dict[str, str]]:
    """{"hotline": {"slug", "dist"}, "headerless": {...}}: two published datasets of the same publisher, each with a
    clean table and a withheld one."""
    make_user(app, OTHER, editor_of="agency-elsewhere")
    out = {}
    for slug, body in (("hotline", HOTLINE), ("headerless", PII_CSV)):
        ids = publish_uploads(app, f"{slug}.{OWN}" if slug != "hotline" else OWN, "agency-described", slug,
                              slug.title(), {"clean.csv": DOOR_TABLE}, added={f"{slug}.csv": body})
        out[slug] = {"slug": slug, "dist": ids[f"{slug}.csv"]}
    _replace(app, f"headerless.{OWN}", "headerless", out["headerless"]["dist"], HEADERLESS)
    return out


def _replace(app, editor: str, slug: str, dist_id: str, body: bytes) -> None:
    """A new copy of a file, uploaded through the services by its editor (checked and assessed as an added one)."""
    from app.services import distributions
    from app.services.context import Actor, Runtime

    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        actor = Actor(s, s.query(User).filter_by(email=editor).one(), "test",
                      runtime=Runtime(factory, app.config["OPENDATA"]), lang="en")
        distributions.replace(actor, s.scalar(select(Dataset).where(Dataset.slug == slug)), dist_id,
                              stream=io.BytesIO(body), filename=f"{slug}.csv")
        s.commit()


@pytest.fixture
def world(snapshot, app) -> dict[str, dict[str, str]]:
    return snapshot.once(lambda: _build(app))


def _client(app, who: str):
    """A browser signed in as `who` that also sends their API token (pages know the session, the APIs the token)."""
    client = app.test_client()
    email = {"other-editor": OTHER, "own-editor": OWN}.get(who)
    if email is not None:
        assert sign_in(client, email).status_code == 302
        with app.extensions["opendata"]["sessionmaker"]() as s:
            token = accounts.create_token(s, s.scalar(select(User).where(User.email == email)), name="described")
            s.commit()
        client.environ_base["HTTP_AUTHORIZATION"] = token
    return client


def _get(client, door: str, table: dict[str, str]):
    return client.get(DOORS[door].format(**table))


@pytest.mark.parametrize("who", ["anonymous", "other-editor"])
@pytest.mark.parametrize("file", ["hotline", "headerless"])
@pytest.mark.parametrize("door", list(DOORS))
def test_no_door_that_describes_a_withheld_table_gives_its_personal_data(app, world, door, file, who):
    resp = _get(_client(app, who), door, world[file])
    assert resp.status_code in (200, 404, 451), (door, resp.status_code)
    body = resp.get_data(as_text=True)
    if door.startswith("page-"):
        assert 'class="dictionary"' in body  # the page describes the table's columns
        assert 'id="findings"' in body  # and lists the quality findings
    assert leaked(body) == [], door
    if file == "headerless":  # the first row's other cells: a citizen's name and her work order, read as names
        assert "居民0" not in body and "GD0000" not in body, door


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_quality_findings_of_a_headerless_table_say_its_personal_names_by_position(app, world, lang):
    doc = _get(_client(app, "anonymous"), f"quality-{lang}", world["headerless"]).get_json()
    mine = [f for f in doc["findings"] if f["distribution"] == world["headerless"]["dist"]]
    assert not [f for f in mine if "part" in f["evidence"] and f["type"].startswith("pii-")]  # its first row: named
    found = {f["type"]: f for f in mine if not f["evidence"].get("header_row")}  # in its columns' cells
    assert found["pii-id-number"]["evidence"] == {"column_position": 3, "count": 11}
    assert found["pii-id-number"]["message"].startswith("Column 3 holds" if lang == "en" else "第 3 列含有")
    assert found["pii-phone"]["evidence"] == {"column_position": 4, "count": 11}
    named = {f["type"]: f for f in mine if f["evidence"].get("header_row")}  # the names themselves
    assert named["pii-id-number"]["evidence"] == {"column_position": 3, "header_row": True, "count": 1}
    assert named["pii-phone"]["evidence"] == {"column_position": 4, "header_row": True, "count": 1}
    said = "The name of column 4 holds" if lang == "en" else "第 4 列的列名含有"
    assert named["pii-phone"]["message"].startswith(said)


def _stored_before(app, slug: str) -> None:
    """The latest assessment of `slug` as one stored before the rules said a personal name by position: its
    personal-data findings name the column by its name (an ID number), in their evidence and English message."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        a = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                      .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())).first()
        old = []
        for f in a.findings:
            f = dict(f)
            position = (f.get("evidence") or {}).get("column_position")
            if position:
                name = ROWS[0][position - 1]
                f["evidence"] = {"column": name, "count": f["evidence"]["count"]}
                f["message"] = f"Column {name} holds {f['evidence']['count']} numbers."
            old.append(f)
        assert any(leaked(str(f)) for f in old)
        a.findings = old
        s.commit()


@pytest.mark.parametrize("door", ["quality-en", "quality-zh", "page-en", "page-zh", "finding-id", "finding-phone",
                                  "finding-phone-csv"])
def test_findings_stored_before_name_no_personal_data(app, world, door):
    _stored_before(app, "headerless")
    resp = _get(_client(app, "anonymous"), door, world["headerless"])
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert leaked(body) == [], door
    assert on_page("[redacted]", "zh" if "zh_CN" in DOORS[door] else "en") in body, door


def test_a_column_named_by_personal_data_is_one_place_of_it_for_the_dashboards(app, world):
    """The dashboards and the weekly report count the places personal data is in (serving.exposed_personal_data):
    the file's facts name a column by its name, its finding by its position; they are the same column."""
    from app.services import serving

    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == "headerless"))
        a = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                      .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())).first()
        assert any("column_position" in f["evidence"] for f in a.findings)
        places = serving.exposed_personal_data(ds, a.findings)[world["headerless"]["dist"]]
    # the first row, read as names, is counted in the columns it names (not again beside the table's cells)
    assert places == {IDS[0]: {"id_number": 12}, PHONES[0]: {"phone": 12}, "已办结": {"email": 1}}


def test_the_versions_of_a_headerless_table_say_its_personal_names_by_position(app, world):
    """The change is kept with the version without them (tests/app/test_personal_names_at_rest.py): each door says
    such a column by its position, the editor's as the public's, and every other name of that first row of data too
    (居民0 is a citizen's name: no detector tells it from a word)."""
    public = _get(_client(app, "anonymous"), "versions", world["headerless"])
    change = public.get_json()["versions"][0]["change"]
    assert change["columns_added"] == [1, 2, 3, 4, 5]
    assert change["columns_removed"] == HEADER
    assert public.headers["Cache-Control"].startswith("public")
    editor = _get(_client(app, "own-editor"), "versions", world["headerless"])
    assert editor.get_json()["versions"][0]["change"] == change
    assert editor.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("file", ["hotline", "headerless"])
@pytest.mark.parametrize("door", [*MASKED_DOORS, *DATA_DOORS])
def test_a_masked_table_gives_no_personal_data_and_a_headerless_one_is_not_masked(app, world, door, file):
    """Under PII_POLICY=redact a table is served with its personal data masked; a headerless one's column names are
    personal data, which no conversion can mask (they name its columns): it is withheld, as not maskable, and its
    refusal offers no masked conversion."""
    app.config["OPENDATA"]["PII_POLICY"] = "redact"
    url = {**DOORS, **DATA_DOORS}[door].format(**world[file])
    resp = _client(app, "anonymous").get(url)
    body = resp.get_data(as_text=True)
    assert leaked(body) == [], door
    if door in ("data.csv", "data.json"):
        assert resp.status_code == (451 if file == "headerless" else 200)
    if file == "headerless" and resp.status_code == 451:
        error = resp.get_json()["error"]
        assert error["code"] == "not-maskable" and "masked" not in error
        assert "CSV, JSON" not in error["message"]


def test_the_public_dictionary_of_a_withheld_table_keeps_names_and_types_and_says_what_it_left_out(app, world):
    got = _get(_client(app, "anonymous"), "dictionary", world["hotline"])
    assert got.status_code == 200
    doc = got.get_json()
    assert [f["name"] for f in doc["fields"]] == ["工单编号", "姓名", "身份证号", "联系电话", "备注"]
    assert all(f["type"] for f in doc["fields"])
    assert doc["notes"] == {"above": [], "below": []}  # the file's own text: left out
    assert NOTE not in got.get_data(as_text=True)
    gate = doc["withheld"]
    assert gate["code"] == "personal-data" and gate["left_out"] == ["notes"]
    assert "notes rows" in gate["message"] and "withheld" in gate["message"]
    assert "说明行" in gate["message_zh"] and "暂停提供" in gate["message_zh"]
    assert got.headers["Cache-Control"].startswith("public")


def test_the_public_dictionary_of_a_headerless_table_redacts_the_names_of_its_first_row(app, world):
    """Its names are a first row of data: two are personal data by the detector, and the others are a citizen's cells
    as well (居民0 is a name, GD0000 a work order of hers), so every name is ``[redacted]``."""
    doc = _get(_client(app, "other-editor"), "dictionary", world["headerless"]).get_json()
    names = [f["name"] for f in doc["fields"]]
    assert names == ["[redacted]"] * 5
    assert doc["withheld"]["left_out"] == ["names"]
    assert "[redacted]" in doc["withheld"]["message"] and "[redacted]" in doc["withheld"]["message_zh"]


def test_the_publishers_own_editor_gets_the_whole_dictionary(app, world):
    client = _client(app, "own-editor")
    got = _get(client, "dictionary", world["hotline"])
    doc = got.get_json()
    assert doc["notes"]["above"] == [NOTE] and "withheld" not in doc
    assert got.headers["Cache-Control"] == "private, no-store"
    # the leak search finds what is there: a headerless table's editor (of the same publisher) sees its names
    text = _get(client, "dictionary", world["headerless"]).get_data(as_text=True)
    assert IDS[0] in text and PHONES[0] in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dataset_page_says_the_notes_were_left_out_and_shows_them_to_the_editor(app, world, lang):
    dist = world["hotline"]["dist"]
    public = _get(_client(app, "anonymous"), f"page-{lang}", world["hotline"]).get_data(as_text=True)
    section = public[public.index(f'id="dictionary-{dist}"'):]
    assert NOTE not in public
    said = section[section.index('class="dictionary-left-out"'):]
    assert ("notes rows" in said[:600]) if lang == "en" else ("说明行" in said[:600])
    editor = _get(_client(app, "own-editor"), f"page-{lang}", world["hotline"]).get_data(as_text=True)
    assert NOTE in editor and 'class="dictionary-left-out"' not in editor
    # the Table Schema is withheld with the file (451): the public page offers no link that always refuses
    schema = f"/resource/{dist}/schema.json"
    assert schema not in public and schema in editor
