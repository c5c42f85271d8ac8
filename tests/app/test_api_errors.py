"""406 and 416 at the API doors (app/api/errors.py, app/web/datasets.py): the API's JSON error shape, in the reader's
language, status and headers kept, wherever under /api/ werkzeug raises them: a REST route (the blueprint's handler)
or any other address of the APIs (the app's). No route of ours raises either under /api/ today (the one real 416 is
a download's range, tests/app/test_serving.py), so routes that raise them are added to the real app for the test,
before its first request, named as the REST blueprint's or the CKAN blueprint's would be. Outside /api/ a browser's
406 is the site's error page (the negotiated doors, tests/app/test_exports.py, answer other clients in JSON)."""

from __future__ import annotations

import pytest
from flask import abort
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from app.export import routes as exports

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


BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def raising_outside_the_api(app):
    """Routes outside /api/ that refuse every type: a page's address, and a machine door (a feed's path) raising the
    negotiated doors' own 406 (app/export/routes.py, naming the types they answer in)."""
    app.add_url_rule("/raises/406", "datasets.raises_406", _not_acceptable)
    app.add_url_rule("/feeds/raises-406.atom", "feeds.raises_406", exports._not_acceptable)
    return app.test_client()


def test_a_browsers_406_is_the_sites_error_page_in_its_language(raising_outside_the_api):
    """A browser given a 406 outside /api/ got werkzeug's English page ("Not Acceptable ... The resource identified
    by the request ..."), without the site's navigation or language: now the platform's error page, in zh or en
    as every page is (`?lang`, the session, Accept-Language), saying why in the reader's language. It still
    varies by Accept (a client naming no HTML gets the JSON error there)."""
    client = raising_outside_the_api
    for url in ("/raises/406", "/feeds/raises-406.atom"):
        en = client.get(url, headers={**BROWSER, "Accept-Language": "en"})
        zh = client.get(url, headers={**BROWSER, **ZH})
        for resp in (en, zh):
            html = resp.get_data(as_text=True)
            assert resp.status_code == 406 and resp.mimetype == "text/html", (url, html[:200])
            assert "The resource identified by the request" not in html and '<main id="main"' in html, url
            assert "Accept" in {v.strip() for v in resp.headers["Vary"].split(",")}, url
        assert "<h1>Not available in the format asked for</h1>" in en.get_data(as_text=True), url
        zh_html = zh.get_data(as_text=True)
        assert '<html lang="zh-CN">' in zh_html and "<h1>无法以所要求的格式提供</h1>" in zh_html, url
        assert "lang=en" in zh_html, url  # the language switch, as on every page
        # ?lang=zh, as the site's switch sends it (a client of its own: a page remembers the language asked)
        switched = client.application.test_client().get(url + "?lang=zh", headers=BROWSER)
        assert "<h1>无法以所要求的格式提供</h1>" in switched.get_data(as_text=True), url
    # the reason in the reader's language: werkzeug's own sentence said in ours, the door's own translated
    bare = client.get("/raises/406", headers={**BROWSER, **ZH}).get_data(as_text=True)
    assert "无法以请求所接受的任何格式作答。" in bare
    door = client.get("/feeds/raises-406.atom", headers={**BROWSER, **ZH}).get_data(as_text=True)
    assert "此地址无法以请求的 Accept 头所列的任何类型作答" in door and "text/turtle" in door
    en_door = client.get("/feeds/raises-406.atom", headers={**BROWSER, "Accept-Language": "en"})
    assert "This address cannot answer in any type" in en_door.get_data(as_text=True)
    # a client naming no HTML keeps the JSON error (unchanged)
    machine = client.get("/feeds/raises-406.atom", headers={"Accept": "image/png"})
    assert machine.status_code == 406 and machine.mimetype == "application/json"
    assert "Accept" in machine.headers["Vary"]


def test_a_browsers_406_under_the_apis_stays_the_json_error(raising):
    for prefix in ("/api/v1/raises", "/api/3/action/raises"):
        resp = raising.get(f"{prefix}/406", headers=BROWSER)
        assert resp.status_code == 406 and resp.mimetype == "application/json", prefix
