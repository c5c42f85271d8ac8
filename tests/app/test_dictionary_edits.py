"""A published table's data dictionary edited from the publish page and /api/v1, and refused: a refused edit
says which column and which box is wrong, in the reader's language; the page comes back (422) holding everything
typed, the refused box marked (aria-invalid, its message linked by aria-describedby); nothing is saved, and the API
names the field in its JSON error. SQLite and PostgreSQL (a NUL, taken by SQLite, failed PostgreSQL's JSON with a
500)."""

from __future__ import annotations

import html
import io
import re

import pytest

from tests.support.publishing import GBK_CSV, build_world, form_post, sign_in

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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_box_comes_back_marked_with_everything_typed(client, world, lang):
    slug, dist_id = _published(client, world)
    sign_in(client, world.emails["editor_a"])
    edit = f"/publish/{slug}?lang={lang}"
    action = f"/publish/{slug}/distributions/{dist_id}/dictionary?lang={lang}"
    before = _fields(client, slug, dist_id)
    page = client.get(edit).get_data(as_text=True)
    i, j = _index(page, "地区"), _index(page, "2017年")
    refused = form_post(client, edit, action, {
        f"column:{i}": "地区", f"title:{i}": "Province", f"unit:{i}": "", f"description:{i}": "省级行政区",
        f"column:{j}": "2017年", f"title:{j}": "GDP 2017", f"unit:{j}": "亿元", f"description:{j}": LONG,
        f"column:{int(j) + 1}": "2016年", f"title:{int(j) + 1}": "GDP\x00 2016"})
    assert refused.status_code == 422  # the page again, not a redirect that drops the form
    form = _form(refused.get_data(as_text=True), dist_id)
    assert 'open' in form.split(">", 1)[0]  # the dictionary is shown open, at its errors
    # what was typed, every box of it
    assert 'value="Province"' in _input(form, f"title-{dist_id}-{i}")
    assert 'value="省级行政区"' in _input(form, f"description-{dist_id}-{i}")
    assert 'value="GDP 2017"' in _input(form, f"title-{dist_id}-{j}")
    assert f'value="{LONG}"' in _input(form, f"description-{dist_id}-{j}")
    # each refused box marked, its message linked, naming the column and the box
    k = str(int(j) + 1)
    for fid in (f"description-{dist_id}-{j}", f"title-{dist_id}-{k}"):
        box = _input(form, fid)
        assert 'aria-invalid="true"' in box and f'aria-describedby="{fid}-error"' in box
        assert f'id="{fid}-error"' in form and f'href="#{fid}"' in form
    assert 'aria-invalid' not in _input(form, f"title-{dist_id}-{i}")
    long_message = re.search(rf'id="description-{dist_id}-{j}-error"[^>]*>([^<]*)<', form).group(1)
    nul_message = re.search(rf'id="title-{dist_id}-{k}-error"[^>]*>([^<]*)<', form).group(1)
    assert "“2017年”" in long_message and "2,001" in long_message and "2,000" in long_message
    assert "“2016年”" in nul_message
    if lang == "en":
        assert "Description" in long_message and "Title" in nul_message and "control character" in nul_message
        assert "Nothing was saved" in form
    else:
        assert "描述" in long_message and "字符" in long_message and "标题" in nul_message and "控制字符" in nul_message
        assert "未保存" in form and "Nothing was saved" not in form
    assert _fields(client, slug, dist_id) == before  # nothing saved, not even the good boxes


def test_a_form_for_columns_the_file_no_longer_has_keeps_what_was_typed(client, world):
    """A stale form (the file replaced by one with other columns since the page was opened): the columns it
    names that the table lacks are listed with what was typed for them; the rest stays in the form."""
    slug, dist_id = _published(client, world)
    sign_in(client, world.emails["editor_a"])
    edit = f"/publish/{slug}?lang=en"
    before = _fields(client, slug, dist_id)
    refused = form_post(client, edit, f"/publish/{slug}/distributions/{dist_id}/dictionary?lang=en", {
        "column:0": "地区", "title:0": "Province", "column:1": "省份", "title:1": "Province (old)",
        "description:1": "The old column"})
    assert refused.status_code == 422
    form = _form(refused.get_data(as_text=True), dist_id)
    assert "no longer has the columns" in form and "<code>省份</code>" in form
    assert "Province (old)" in form and "The old column" in form
    assert 'value="Province"' in _input(form, f"title-{dist_id}-{_index(form, '地区')}")
    assert _fields(client, slug, dist_id) == before
    zh = form_post(client, edit, f"/publish/{slug}/distributions/{dist_id}/dictionary?lang=zh",
                   {"column:0": "省份", "title:0": "x"})
    assert zh.status_code == 422 and "表格已没有下列列" in _form(zh.get_data(as_text=True), dist_id)


def test_a_column_whose_name_holds_a_line_break_is_found_as_a_browser_posts_it(client, world):
    """A header cell with a line break ("年末常住人口\\n(万人)"): a browser posts the hidden column name's line
    end as CR LF, and the edit was refused as a column the table lacks."""
    body = '地区,"年末常住人口\n(万人)"\n北京市,2154\n天津市,1560\n河北省,7556\n'.encode()
    slug, dist_id = _published(client, world, body, "population.csv")
    sign_in(client, world.emails["editor_a"])
    edit = f"/publish/{slug}?lang=en"
    saved = form_post(client, edit, f"/publish/{slug}/distributions/{dist_id}/dictionary",
                      {"column:1": "年末常住人口\r\n(万人)", "title:1": "Resident population"})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:300]
    assert _fields(client, slug, dist_id)["年末常住人口\n(万人)"]["title"] == "Resident population"


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


def test_a_file_that_is_no_table_any_more_has_no_dictionary(client, world):
    """A CSV replaced by a Turtle file kept the CSV's columns on the page and in schema.json (the /rows door said
    "not a table"): a copy that is no table has no dictionary; the agency's edits stay for a table that comes back."""
    slug, dist_id = _published(client, world)
    assert _fields(client, slug, dist_id)
    schema = f"/dataset/{slug}/resource/{dist_id}/schema.json"
    assert client.get(schema).status_code == 200
    turtle = (b"@prefix dct: <http://purl.org/dc/terms/> .\n"
              b"<http://127.0.0.1/province/1> dct:title \"Beijing\" .\n")
    token = {"Authorization": world.tokens["editor_a"]}
    resp = client.patch(f"/api/v1/datasets/{slug}/distributions/{dist_id}", headers=token,
                        content_type="multipart/form-data", data={"file": (io.BytesIO(turtle), "provinces.ttl")})
    assert resp.status_code == 200, resp.get_json()
    assert client.get(schema).status_code == 404
    assert client.get(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary").status_code == 404
    page = client.get(f"/dataset/{slug}?lang=en").get_data(as_text=True)
    assert "地区" not in page  # the CSV's first column
