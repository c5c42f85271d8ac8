"""ID and mobile numbers as Chinese documents also write them: in full-width digits (３７０２８１…, typed with a Chinese
input method's full-width mode, ＩＤ numbers ending in Ｘ) and an ID number grouped 6-8-4 by spaces or hyphens
(370281 19800105 2005, as forms print it). The detector read neither, so a table of them was profiled clean and
served to the public whole by every door, under both policies. Real upload through /api/v1 to a published dataset,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from quality import pii
from tests.support.personal import IDS, PHONES, csv_bytes
from tests.support.published import download_path, published, upload

FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


def grouped(number: str, sep: str) -> str:
    return sep.join((number[:6], number[6:14], number[14:]))


ROWS = [[f"GD{n:04d}", full_width(IDS[n]), full_width(PHONES[n]), grouped(IDS[(n + 6) % 12], " " if n % 2 else "-")]
        for n in range(12)]
TABLE = csv_bytes(["工单编号", "身份证号", "联系电话", "监护人身份证号"], ROWS)
SECRETS = [v for row in ROWS for v in row[1:]]


def test_the_detector_reads_them():
    assert pii.scan_values([r[1] for r in ROWS]) == {"id_number": 12}
    assert pii.scan_values([r[2] for r in ROWS]) == {"phone": 12}
    assert pii.scan_values([r[3] for r in ROWS]) == {"id_number": 12}
    assert pii.scan_values([f"监护人身份证 {ROWS[0][3]}，电话 {ROWS[0][2]}"]) == {"id_number": 1, "phone": 1}
    assert pii.mask_array(__import__("pyarrow").array([ROWS[0][1], ROWS[1][3], "１２３４５", "2024-01-05 2005"])
                          ).tolist() == [True, True, False, False]


def _leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def uploaded(app, client, local_server):
    own = published(app, client, local_server, "hotline", "Hotline")
    dist = upload(client, own, "hotline", TABLE, "forms.csv")
    return {"id": dist["id"], "upload": download_path(dist), "own": own}


def test_no_door_serves_them(app, client, uploaded):
    dist = uploaded["id"]
    doors = [uploaded["upload"], f"/dataset/hotline/resource/{dist}/data.csv",
             f"/dataset/hotline/resource/{dist}/data.json", f"/api/3/action/datastore_search?resource_id={dist}",
             f"/api/v1/datasets/hotline/distributions/{dist}/rows", "/dataset/hotline?lang=en"]
    for door in doors[:-1]:
        resp = client.get(door)
        assert resp.status_code == 451, (door, resp.status_code)
    assert _leaked(client.get(doors[-1]).get_data(as_text=True)) == []
    app.config["OPENDATA"]["PII_POLICY"] = "redact"
    for door in doors:
        body = client.get(door).get_data(as_text=True)
        assert _leaked(body) == [], door
    masked = client.get(doors[1]).get_data(as_text=True)
    assert masked.count("[redacted]") == 36 and "GD0011" in masked
    # the publisher's editor gets the file as it was sent
    assert ROWS[0][1] in client.get(doors[0], headers=uploaded["own"]).get_data(as_text=True)
