"""A published table's data dictionary edited through /api/v1, and refused: the JSON error names the field in the
reader's language and nothing is saved. SQLite and PostgreSQL (a NUL, taken by SQLite, failed PostgreSQL's JSON
with a 500)."""

from __future__ import annotations

import html
import io
import re

import pytest

from tests.support.publishing import GBK_CSV, build_world

LONG = "长" * 2001


@pytest.fixture
def world(app):
    return build_world(app.extensions["opendata"]["sessionmaker"])


def _published(client, world, body: bytes = GBK_CSV.read_bytes(), name: str = GBK_CSV.name) -> tuple[str, str]:
    token = {"Authorization": world.tokens["editor_a"]}
    slug = client.post("/api/v1/datasets", headers=token, json={
        "publisher": "agency-a", "title": "GDP by province", "lang": "en", "license": "cc-by",
        "description": "GDP of each province.", "keywords": ["GDP"], "publish": False}).get_json()["slug"]
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=token, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(body), name)}).get_json()
    assert client.post(f"/api/v1/datasets/{slug}/publish", headers=token).status_code == 200
    return slug, up["distributions"][0]["id"]


def _fields(client, slug: str, dist_id: str) -> dict:
    doc = client.get(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary").get_json()
    return {f["name"]: f for f in doc["fields"]}


def _form(page: str, dist_id: str) -> str:
    start = page.index(f'id="dictionary-{dist_id}"')
    return page[start:page.index("</details>", start)]


def _index(form: str, column: str) -> str:
    return re.search(rf'name="column:(\d+)" value="{re.escape(html.escape(column))}"', form).group(1)


def _input(form: str, fid: str) -> str:
    return re.search(rf'<input[^>]*id="{re.escape(fid)}"[^>]*>', form).group(0)


def test_the_api_names_the_refused_field_in_the_readers_language(client, world):
    slug, dist_id = _published(client, world)
    token = {"Authorization": world.tokens["editor_a"]}
    url = f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary"
    before = _fields(client, slug, dist_id)
    cases = [({"地区": {"title": "a\x00b"}}, "fields.地区.title", "控制字符"),
             ({"地区": {"unit": "u" * 2001}}, "fields.地区.unit", "2,001"),
             ({"地区": {"type": "geopoint"}}, "fields.地区.type", "列类型"),
             ({"省份": {"title": "x"}}, "fields.省份", "没有此列")]
    for fields, where, zh_words in cases:
        en = client.patch(url, headers=token, json={"fields": fields})
        assert en.status_code == 422 and en.get_json()["error"]["message"].startswith(where + ":"), en.get_json()
        zh = client.patch(url + "?lang=zh", headers=token, json={"fields": fields})
        message = zh.get_json()["error"]["message"]
        assert zh.status_code == 422 and message.startswith(where) and zh_words in message, message
    assert _fields(client, slug, dist_id) == before
