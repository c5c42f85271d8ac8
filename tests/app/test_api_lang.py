"""The APIs' error messages in the reader's language (issue 17, "Everywhere"): /api/v1 and the CKAN Action API
answer in Chinese when the request prefers zh (Accept-Language, or ?lang=zh) and in English otherwise, with the
codes, `__type`s, field names and HTTP statuses unchanged; ckanapi raises the same exception classes."""

from __future__ import annotations

import pickle

import pytest
import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import NotAuthorized, NotFound, ValidationError

from app.api.lang import localise
from app.cli_lang import has_translation
from app.texts import T_, Text, join
from tests.support.publishing import build_world
from tests.support.wsgiserver import ServedApp

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN_PREFERRED = {"Accept-Language": "en-GB,en;q=0.9,zh;q=0.3"}
ZH_PREFERRED = {"Accept-Language": "en;q=0.4, zh-CN;q=0.8"}


@pytest.fixture
def world(snapshot, app):
    """Two agencies, their people and tokens, harvested, published and draft datasets: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --------------------------------------------------------------------------- the text type (pure)


def test_a_text_is_its_english_and_translates_with_its_parameters():
    text = T_("No dataset with slug %(slug)s.", slug="'x'")
    assert text == "No dataset with slug 'x'." and isinstance(text, str)
    assert text.translate(lambda m: {"No dataset with slug %(slug)s.": "没有 %(slug)s。"}[m]) == "没有 'x'。"
    nested = T_("Access denied: %(why)s", why=T_("Sign-in is required."))
    assert nested == "Access denied: Sign-in is required."
    table = {"Access denied: %(why)s": "拒绝：%(why)s", "Sign-in is required.": "需要登录。"}
    assert nested.translate(lambda m: table.get(m, m)) == "拒绝：需要登录。"
    joined = join("; ", [Text("%(field)s: %(why)s", field="name", why=join(" ", [T_("Missing value")]))])
    assert joined == "name: Missing value"
    assert joined.translate(lambda m: {"Missing value": "缺少值"}.get(m, m)) == "name: 缺少值"
    again = pickle.loads(pickle.dumps(nested))
    assert again == nested and again.msgid == nested.msgid and again.params == nested.params


def test_every_api_text_has_chinese():
    """The texts the doors translate are all in the catalog (the pages' test checks the catalog as a whole)."""
    from app.api import errors

    assert all(has_translation(t.msgid) for t in errors.GENERIC.values())


# --------------------------------------------------------------------------- /api/v1


def test_rest_errors_follow_accept_language(client, db_url):
    url = "/api/v1/datasets/no-such-thing"
    en = client.get(url)
    assert en.status_code == 404
    assert en.get_json() == {"error": {"status": 404, "code": "not-found",
                                       "message": "No dataset with slug 'no-such-thing'."}}
    for headers, query in ((ZH, ""), (ZH_PREFERRED, ""), ({}, "?lang=zh"), ({"Accept-Language": "zh-TW"}, "")):
        zh = client.get(url + query, headers=headers)
        assert zh.status_code == 404
        body = zh.get_json()["error"]
        assert body["code"] == "not-found" and body["status"] == 404
        assert body["message"] == "没有短名称为 'no-such-thing' 的数据集。", (headers, query)
    assert client.get(url, headers=EN_PREFERRED).get_json() == en.get_json()
    assert client.get(url + "?lang=en", headers=ZH).get_json() == en.get_json()
    # a language remembered for the pages does not change an API's answer
    client.get("/?lang=zh")
    assert client.get(url).get_json() == en.get_json()


def test_rest_parameter_and_generic_errors(client, db_url):
    bad = client.get("/api/v1/datasets?per_page=1000", headers=ZH)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad-request"
    assert bad.get_json()["error"]["message"] == "参数“per_page”不能大于 100。"
    assert client.get("/api/v1/datasets?per_page=1000").get_json()["error"]["message"] == \
        "Parameter 'per_page' must be at most 100."
    endpoint = client.get("/api/v1/nothing-here", headers=ZH).get_json()["error"]
    assert endpoint["code"] == "not-found" and endpoint["message"].startswith("没有这个端点")


def test_rest_write_refusals_in_both_languages(client, world):
    missing = client.post("/api/v1/datasets", json={"title": "x"}, headers=ZH)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "unauthorized"
    assert missing.get_json()["error"]["message"] == "需要 API 令牌：请以“Authorization: <令牌>”发送。"
    token = {"Authorization": world.tokens["editor_a"]}
    body = {"title": "Bad dates", "publisher": "agency-a", "issued": "2026-13-45"}
    en = client.post("/api/v1/datasets", json=body, headers=token)
    zh = client.post("/api/v1/datasets", json=body, headers={**token, **ZH})
    assert en.status_code == zh.status_code == 422
    assert en.get_json()["error"]["code"] == zh.get_json()["error"]["code"] == "invalid"
    assert "is not a date" in en.get_json()["error"]["message"]
    assert "不是日期" in zh.get_json()["error"]["message"] and "2026-13-45" in zh.get_json()["error"]["message"]
    taken = {"title": "Taken", "publisher": "agency-a", "name": world.draft_a}
    en = client.post("/api/v1/datasets", json=taken, headers=token).get_json()["error"]
    zh = client.post("/api/v1/datasets", json=taken, headers={**token, **ZH}).get_json()["error"]
    assert en["code"] == zh["code"] == "conflict"
    assert en["message"] == "The name 'draft-a' is taken by another dataset."
    assert zh["message"] == "名称 'draft-a' 已被另一个数据集使用。"


# --------------------------------------------------------------------------- CKAN Action API


def test_ckan_errors_follow_accept_language(client, world):
    en = client.get("/api/3/action/package_show?id=no-such-dataset")
    zh = client.get("/api/3/action/package_show?id=no-such-dataset", headers=ZH)
    assert en.status_code == zh.status_code == 404
    assert en.get_json()["error"] == {"__type": "Not Found Error", "message": "Not found"}
    assert zh.get_json()["error"] == {"__type": "Not Found Error", "message": "未找到"}
    rows = client.get("/api/3/action/package_search?rows=-1", headers=ZH).get_json()
    assert rows["success"] is False and rows["error"]["__type"] == "Validation Error"
    assert rows["error"]["rows"] == ["不能小于 0"] and rows["error"]["message"] == "rows: 不能小于 0"
    assert client.get("/api/3/action/package_search?rows=-1").get_json()["error"]["rows"] == ["Must be at least 0"]
    unknown = client.get("/api/3/action/no_such_action?lang=zh").get_json()["error"]
    assert unknown["__type"] == "Bad Request" and unknown["message"] == "错误的请求 - 未知的操作名称：no_such_action"
    denied = client.post("/api/3/action/package_create", json={"name": "x"}, headers=ZH).get_json()["error"]
    assert denied["__type"] == "Authorization Error" and denied["message"].startswith("拒绝访问：")


@pytest.mark.parametrize("headers", [{}, ZH], ids=["en", "zh"])
def test_package_search_says_a_bad_rows_the_same_by_get_and_by_post(client, world, headers):
    """`rows=-1` by GET was CKAN's Validation Error, the same URL POSTed (curl -X POST, a form with its action's
    query) a 200 with the first page: a read's query arguments were dropped from a POST. CKAN reads them for its
    side-effect-free actions; now every door says the one error, the same message and status."""
    url = "/api/3/action/package_search"
    answers = {"GET": client.get(f"{url}?rows=-1", headers=headers),
               "POST, in the URL": client.post(f"{url}?rows=-1", headers=headers),
               "POST, a JSON body": client.post(url, json={"rows": -1}, headers=headers),
               "POST, a JSON string": client.post(url, json={"rows": "-1"}, headers=headers),
               "POST, a form": client.post(url, data={"rows": "-1"}, headers=headers)}
    said = "不能小于 0" if headers else "Must be at least 0"
    for door, resp in answers.items():
        assert resp.status_code == 409, (door, resp.get_data(as_text=True)[:300])
        assert resp.get_json() == answers["GET"].get_json(), door
        assert resp.get_json()["error"] == {"__type": "Validation Error", "message": f"rows: {said}", "rows": [said]}
    body_wins = client.post(f"{url}?rows=-1", json={"rows": 2}, headers=headers)  # the body over the URL
    assert body_wins.status_code == 200 and len(body_wins.get_json()["result"]["results"]) <= 2


def test_ckanapi_raises_the_same_exceptions_in_both_languages(app, world):
    served = ServedApp(app, threads=2)
    try:
        app.config["OPENDATA"]["SITE_URL"] = served.url
        for headers in ({}, ZH):
            with requests.Session() as http:
                http.headers.update(headers)
                anonymous = RemoteCKAN(served.url, session=http)
                editor = RemoteCKAN(served.url, apikey=world.tokens["editor_a"], session=http)
                with pytest.raises(NotFound) as nf:
                    anonymous.action.package_show(id="no-such-dataset")
                with pytest.raises(ValidationError) as invalid:
                    anonymous.action.package_search(rows=-1)
                with pytest.raises(NotAuthorized) as denied:
                    anonymous.action.package_create(name="nope", owner_org="agency-a")
                with pytest.raises(ValidationError) as taken:
                    editor.action.package_create(name=world.draft_a, title="Taken", owner_org="agency-a")
                said = [str(nf.value), str(invalid.value), str(denied.value), str(taken.value)]
                assert all(_han(s) for s in said) if headers else not any(_han(s) for s in said), said
                assert "name" in taken.value.error_dict
    finally:
        served.close()


def test_werkzeug_sentences_become_ours_in_chinese(app):
    """An HTTP error raised without a sentence of ours carries werkzeug's English: kept for English, ours in zh."""
    from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge

    from app.api.errors import error_response

    with app.test_request_context("/api/v1/datasets"):
        english = error_response(413, "too-large", RequestEntityTooLarge.description).get_json()["error"]
        assert english == {"status": 413, "code": "too-large", "message": RequestEntityTooLarge.description}
    with app.test_request_context("/api/v1/datasets", headers=ZH):
        zh = error_response(413, "too-large", RequestEntityTooLarge.description).get_json()["error"]
        assert zh == {"status": 413, "code": "too-large", "message": "请求过大。"}
        assert error_response(405, "method-not-allowed", MethodNotAllowed.description).get_json()["error"][
            "message"] == "此地址不允许使用该方法。"
        assert error_response(400, "bad-request", "our own words").get_json()["error"]["message"] == "our own words"


def test_localise_keeps_english_strings_unchanged(app):
    with app.test_request_context("/api/v1/x"):
        value = {"message": T_("Missing value"), "name": [T_("Invalid integer"), "plain"], "n": 3}
        assert localise(value) == {"message": "Missing value", "name": ["Invalid integer", "plain"], "n": 3}
        assert all(type(v) is str for v in localise(value)["name"])
    with app.test_request_context("/api/v1/x?lang=zh"):
        assert localise(value) == {"message": "缺少值", "name": ["无效的整数", "plain"], "n": 3}


def test_a_facet_field_that_is_no_json_list_is_refused_in_the_readers_language(client, world):
    """`facet.field=tags` (the usual slip: CKAN takes a JSON list) was refused with the JSON parser's English
    ("Expecting value: line 1 column 1 (char 0)") inside the Chinese message."""
    zh = client.get("/api/3/action/package_search?facet.field=tags", headers=ZH)
    assert zh.status_code == 409
    error = zh.get_json()["error"]
    assert error["__type"] == "Search Query Error"
    assert error["message"] == "搜索查询无效：facet.field 必须是字段名的 JSON 列表，例如 [\"tags\"]，而不是 'tags'"
    en = client.get("/api/3/action/package_search?facet.field=tags").get_json()["error"]["message"]
    assert "Expecting value" not in en and 'such as ["tags"]' in en
