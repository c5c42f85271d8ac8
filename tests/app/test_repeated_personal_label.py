"""A personal value repeated in a first row read as column names is still withheld, and never said.

A file without a header row has its first row of data read as its column names. When the same value (a citizen's
phone or ID number) is in that row twice, the reader makes the second name unique by appending its occurrence
number (frictionless: ``13812345678`` again is ``138123456782``), and the name no longer looked like a phone number:
under ``PII_POLICY=redact`` the table was served masked with it as a header (data.csv, the Table Schema,
datastore_search's fields, the preview) and the quality findings that name a column by its name (type-error,
missing-cells) printed it. A name that is a personal value with an occurrence number is personal data
(quality.pii.is_personal): the table cannot be served masked, and every door says the column by its position.

Real HTTP through the Flask test client on a real database; the file is uploaded through the services to a
published dataset (a file added to a published dataset is checked, and withheld by the serving gate).
"""

from __future__ import annotations

import pytest

from quality.pii import is_personal
from tests.support.personal import IDS, PHONES, TABLE_DOORS, leaked
from tests.support.publishing import DOOR_TABLE, publish_uploads

OWN = "editor@repeated-label.example"
#: The first row repeats a phone and an ID number; the second "phone" column holds numbers, one of them not a
#: number (a type error) and one blank (a missing cell), so findings name that column.
ROWS = [f"区{n},{'无' if n == 28 else '' if n == 5 else 1000 + n},{n}" for n in range(30)]
REPEATED = (f"{PHONES[0]},{PHONES[0]},{IDS[0]},{IDS[0]}\r\n"
            + "".join(f"{r},{2000 + n}\r\n" for n, r in enumerate(ROWS))).encode()
SECRETS = [PHONES[0], IDS[0]]

DOORS = TABLE_DOORS


def _seen(body: str) -> list[str]:
    """The repeated values, said as the file wrote them or with an occurrence number appended."""
    return [s for s in SECRETS if s in body] + leaked(body)


@pytest.fixture
def world(snapshot, app) -> dict[str, str]:
    def build():
        ids = publish_uploads(app, OWN, "agency-repeated-label", "repeated-label", "Repeated label",
                              {"clean.csv": DOOR_TABLE}, added={"repeated.csv": REPEATED})
        return {"slug": "repeated-label", "dist": ids["repeated.csv"]}
    return snapshot.once(build)


@pytest.mark.parametrize("name", [PHONES[0] + "2", PHONES[0] + "_2", IDS[0] + "2", IDS[0] + "12",
                                  "6222021234567890128" + "2", "zhang.san@example.cn2"])
def test_a_personal_value_with_an_occurrence_number_is_personal(name):
    assert is_personal(name)


@pytest.mark.parametrize("name", ["人口2", "field3", "2023", "year2023", "1000"])
def test_an_ordinary_name_with_a_number_is_not(name):
    assert not is_personal(name)


@pytest.mark.parametrize("policy", ["withhold", "redact"])
@pytest.mark.parametrize("door", list(DOORS))
def test_a_repeated_personal_label_is_said_at_no_door(app, world, door, policy):
    app.config["OPENDATA"]["PII_POLICY"] = policy
    resp = app.test_client().get(DOORS[door].format(**world))
    assert resp.status_code in (200, 451), (door, resp.status_code)
    assert _seen(resp.get_data(as_text=True)) == [], (door, resp.status_code)
    if door in ("data.csv", "data.json"):
        assert resp.status_code == 451, resp.status_code
        assert resp.get_json()["error"]["code"] == ("personal-data" if policy == "withhold" else "not-maskable")


def test_the_findings_name_the_repeated_column_by_its_position(app, world):
    doc = app.test_client().get("/api/v1/datasets/repeated-label/quality?lang=en").get_json()
    mine = {f["type"]: f for f in doc["findings"] if f["distribution"] == world["dist"]}
    assert {"type-error", "missing-cells", "duplicate-header"} <= set(mine), sorted(mine)
    assert 2 in mine["type-error"]["evidence"]["columns"], mine["type-error"]["evidence"]
    assert "column 2" in mine["type-error"]["message"]
