"""406 and 416 at the API doors (app/api/errors.py, app/web/datasets.py): the API's JSON error shape, in the reader's
language, status and headers kept, wherever under /api/ werkzeug raises them: a REST route (the blueprint's handler)
or any other address of the APIs (the app's). No route of ours raises either under /api/ today (the one real 416 is
a download's range, tests/app/test_serving.py), so routes that raise them are added to the real app for the test,
before its first request, named as the REST blueprint's or the CKAN blueprint's would be."""

from __future__ import annotations

import pytest
from flask import abort
from werkzeug.exceptions import RequestedRangeNotSatisfiable

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _not_acceptable():
    abort(406)


def _out_of_range():
    raise RequestedRangeNotSatisfiable(length=67)


@pytest.fixture
def raising(app):
    """The app with routes that raise 406 and 416 under the REST API and under the CKAN Action API."""
    for prefix, blueprint in (("/api/v1/raises", "api_rest"), ("/api/3/action/raises", "api_ckan_action")):
        app.add_url_rule(f"{prefix}/406", f"{blueprint}.raises_406", _not_acceptable)
        app.add_url_rule(f"{prefix}/416", f"{blueprint}.raises_416", _out_of_range)
    return app.test_client()


@pytest.mark.parametrize("prefix", ["/api/v1/raises", "/api/3/action/raises"])
def test_406_under_the_apis_is_the_json_error_in_the_readers_language(raising, prefix):
    en = raising.get(f"{prefix}/406", headers={"Accept": "image/png"})
    zh = raising.get(f"{prefix}/406", headers={"Accept": "image/png", **ZH})
    for resp in (en, zh):
        assert resp.status_code == 406 and resp.mimetype == "application/json", resp.get_data()[:200]
        assert resp.get_json()["error"]["status"] == 406 and resp.get_json()["error"]["code"] == "not-acceptable"
        assert "Accept-Language" in resp.headers["Vary"]
    assert en.get_json()["error"]["message"].startswith("The resource identified by the request")
    assert zh.get_json()["error"]["message"] == "无法以请求所接受的任何格式作答。"


@pytest.mark.parametrize("prefix", ["/api/v1/raises", "/api/3/action/raises"])
def test_416_under_the_apis_is_the_json_error_with_its_content_range(raising, prefix):
    en = raising.get(f"{prefix}/416", headers={"Range": "bytes=9999-"})
    zh = raising.get(f"{prefix}/416", headers={"Range": "bytes=9999-", **ZH})
    for resp in (en, zh):
        assert resp.status_code == 416 and resp.mimetype == "application/json", resp.get_data()[:200]
        assert resp.headers["Content-Range"] == "bytes */67"
        assert resp.get_json()["error"] == {"status": 416, "code": "range-not-satisfiable",
                                            "message": resp.get_json()["error"]["message"]}
    assert en.get_json()["error"]["message"] == "The server cannot provide the requested range."
    assert zh.get_json()["error"]["message"] == "请求的字节范围不在文件之内。"
