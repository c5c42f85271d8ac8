"""The audit log pages (`/audit`, `/audit.json`): real writes through the CKAN API, seen by the right people only."""

from __future__ import annotations

from app.web.audit import PER_PAGE, diff
from catalog_schema.models import AuditEvent, Publisher
from tests.support.accounts import make_user, page_token, sign_in


def _token(app, email: str) -> str:
    client = app.test_client()
    sign_in(client, email)
    html = client.post("/account/tokens", data={"csrf_token": page_token(client), "expires_days": "30"})
    return html.get_data(as_text=True).split('id="new-token-value">')[1].split("<")[0]


def _writes(app) -> None:
    """Roads' editor creates and patches a dataset; parks' editor creates one."""
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "boss@roads.example", admin_of="roads")
    make_user(app, "ed@roads.example", editor_of="roads")
    make_user(app, "ed@parks.example", editor_of="parks")
    api = app.test_client()
    roads, parks = _token(app, "ed@roads.example"), _token(app, "ed@parks.example")
    for token, body in ((roads, {"name": "potholes", "title": "Potholes", "owner_org": "roads"}),
                        (parks, {"name": "benches", "title": "Park benches", "owner_org": "parks"})):
        resp = api.post("/api/3/action/package_create", json={**body, "license_id": "cc-by"},
                        headers={"Authorization": token})
        assert resp.status_code == 200, resp.json
    patched = api.post("/api/3/action/package_patch", json={"id": "potholes", "title": "Potholes <b>2026</b>"},
                       headers={"Authorization": roads})
    assert patched.status_code == 200, patched.json


def _signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def test_sysadmin_sees_every_event_with_who_what_and_the_diff(app):
    _writes(app)
    root = _signed_in(app, "root@example.gov")
    data = root.get("/audit.json").json
    datasets = [e for e in data["events"] if e["object_type"] == "dataset"]
    assert [(e["action"], e["detail"]["name"], e["user"], e["publisher"]) for e in datasets] == [
        ("ckan.package_patch", "potholes", "ed@roads.example", "roads"),
        ("ckan.package_create", "benches", "ed@parks.example", "parks"),
        ("ckan.package_create", "potholes", "ed@roads.example", "roads")]
    assert {e["action"] for e in data["events"]} >= {"token.create"}  # token events: sysadmins only
    patch = datasets[0]
    assert patch["at"].endswith("+00:00") and patch["ip"] == "127.0.0.1"
    title = [c for c in patch["changes"] if c["field"] == "title"]
    assert title == [{"field": "title", "before": {"": "Potholes"}, "after": {"": "Potholes <b>2026</b>"}}]
    html = root.get("/audit?lang=en").get_data(as_text=True)
    assert "ckan.package_patch" in html and "ed@roads.example" in html and 'href="/dataset/potholes"' in html
    # the title's change, marked inside the text and escaped
    assert "<code>title</code></dt>\n          <dd>Potholes<ins> &lt;b&gt;2026&lt;/b&gt;</ins>" in html
    assert "<b>2026</b>" not in html
    assert root.get("/audit?lang=zh_CN").get_data(as_text=True).count("<h1>审计日志") == 1


def test_publisher_admin_sees_only_their_publisher(app):
    _writes(app)
    boss = _signed_in(app, "boss@roads.example")
    data = boss.get("/audit.json").json
    assert data["total"] == 2 and {e["publisher"] for e in data["events"]} == {"roads"}
    assert boss.get("/audit.json?publisher=roads").json["total"] == 2
    assert boss.get("/audit.json?publisher=parks").status_code == 403
    assert boss.get("/audit?publisher=parks").status_code == 403
    assert boss.get("/audit.json?publisher=nowhere").status_code == 404
    html = boss.get("/audit").get_data(as_text=True)
    assert "benches" not in html and "potholes" in html and "token.create" not in html
    assert '<option value="parks"' not in html and '<option value="roads"' in html


def test_editors_and_anonymous_visitors_are_refused(app):
    _writes(app)
    editor = _signed_in(app, "ed@roads.example")
    assert editor.get("/audit.json").status_code == 403
    page = editor.get("/audit")
    assert page.status_code == 403 and "无权访问" in page.get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get("/audit.json").status_code == 403
    resp = anonymous.get("/audit?publisher=roads")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/audit?publisher%3Droads"


def test_pages_of_events(app, session):
    make_user(app, "root@example.gov", sysadmin=True)
    pub = Publisher(slug="bulk", name={"en": "Bulk"})
    session.add(pub)
    session.flush()
    session.add_all([AuditEvent(action=f"test.{i}", object_type="dataset", object_id=str(i), publisher_id=pub.id,
                                before=None, after={"n": i}) for i in range(PER_PAGE + 3)])
    session.commit()
    root = _signed_in(app, "root@example.gov")
    first = root.get("/audit.json?publisher=bulk").json
    assert first["total"] == PER_PAGE + 3 and first["pages"] == 2 and len(first["events"]) == PER_PAGE
    second = root.get("/audit.json?publisher=bulk&page=2").json
    assert len(second["events"]) == 3 and not {e["id"] for e in first["events"]} & {e["id"] for e in second["events"]}
    assert second["events"][0]["user"] is None and second["events"][0]["changes"] == [
        {"field": "n", "before": None, "after": 2}]
    html = root.get("/audit?publisher=bulk&lang=en").get_data(as_text=True)
    assert "Page 1 of 2" in html and "/audit?page=2&amp;publisher=bulk" in html and "(deleted user)" in html
    assert root.get("/audit.json?page=x").json["page"] == 1


def test_diff_lists_changed_added_and_removed_fields():
    assert diff({"a": 1, "b": [1], "c": "x"}, {"a": 1, "b": [1, 2], "d": {"k": 1}}) == [
        {"field": "b", "before": [1], "after": [1, 2]},
        {"field": "c", "before": "x", "after": None},
        {"field": "d", "before": None, "after": {"k": 1}}]
    assert diff(None, None) == [] and diff(None, {"a": 1}) == [{"field": "a", "before": None, "after": 1}]


def test_filters_date_range_and_streamed_exports_of_the_filtered_set(app):
    import csv
    import datetime as dt
    import io
    import json

    _writes(app)
    with app.extensions["opendata"]["sessionmaker"]() as s:  # one old event, to fall outside a date range
        s.add(AuditEvent(action="ckan.package_create", object_type="dataset", object_id="old", before=None,
                         after={"n": 1}, at=dt.datetime(2020, 5, 1, 12, tzinfo=dt.UTC), detail={"name": "old-one"}))
        s.commit()
    root = _signed_in(app, "root@example.gov")
    assert root.get("/audit.json?who=ed@roads").json["total"] == 4  # 2 writes, its token, its sign-in
    assert root.get("/audit.json?action=ckan.package_create").json["total"] == 3
    assert root.get("/audit.json?action=ckan.").json["total"] == 4
    assert root.get("/audit.json?dataset=potholes").json["total"] == 2
    assert root.get("/audit.json?from=2020-05-01&to=2020-05-01").json["total"] == 1
    assert root.get("/audit.json?to=2020-12-31&action=ckan.package_create").json["total"] == 1
    assert root.get("/audit.json?from=2021-01-01&action=ckan.package_create").json["total"] == 2
    assert root.get("/audit.json?from=not-a-date&action=ckan.package_create").json["total"] == 3  # ignored
    html = root.get("/audit?lang=en&dataset=potholes").get_data(as_text=True)
    assert 'href="/audit/export.csv?dataset=potholes"' in html and "2 events" in html
    assert 'value="potholes"' in html  # the filter stays in its field
    csv_resp = root.get("/audit/export.csv?dataset=potholes")
    assert csv_resp.is_streamed and csv_resp.mimetype == "text/csv"
    assert csv_resp.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    body = csv_resp.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["action"] for r in rows] == ["ckan.package_patch", "ckan.package_create"]
    assert rows[0]["dataset"] == "potholes" and rows[0]["user"] == "ed@roads.example"
    assert "title: " in rows[0]["changes"] and "Potholes <b>2026</b>" in rows[0]["changes"]
    data = json.loads(root.get("/audit/export.json?action=ckan.").get_data(as_text=True))
    assert len(data["events"]) == 4 and data["events"][0]["after"]["title"] == {"": "Potholes <b>2026</b>"}
    # a publisher admin exports their publisher's events only; editors and visitors nothing
    boss = _signed_in(app, "boss@roads.example")
    boss_rows = json.loads(boss.get("/audit/export.json").get_data(as_text=True))["events"]
    assert {e["publisher"] for e in boss_rows} == {"roads"} and len(boss_rows) == 2
    assert boss.get("/audit/export.csv?publisher=parks").status_code == 403
    assert _signed_in(app, "ed@roads.example").get("/audit/export.csv").status_code == 403
    assert app.test_client().get("/audit/export.json").status_code == 403


def test_readable_diff_walks_into_nested_fields_and_marks_text_changes():
    from app.web.audit import marked, readable

    before = {"title": {"zh": "公交站点", "en": "Bus stops"}, "extras": {"publishing": {"state": "draft"}},
              "distributions": [{"title": "a.csv", "format": "CSV"}], "keywords": ["bus"]}
    after = {"title": {"zh": "公交站点（2026）", "en": "Bus stops"},
             "extras": {"publishing": {"state": "draft", "pii_override": {"by": "x@y.example", "reason": "law"}}},
             "distributions": [{"title": "a.csv", "format": "XLSX"}, {"title": "b.csv"}], "keywords": ["bus", "stop"]}
    assert [(c["field"], c["before"], c["after"]) for c in readable(before, after)] == [
        ("distributions[0].format", "CSV", "XLSX"), ("distributions[1].title", None, "b.csv"),
        ("extras.publishing.pii_override.by", None, "x@y.example"),
        ("extras.publishing.pii_override.reason", None, "law"),
        ("keywords", ["bus"], ["bus", "stop"]), ("title.zh", "公交站点", "公交站点（2026）")]
    assert readable({"title": {"": "A"}}, {"title": {"": "B"}}) == [{"field": "title", "before": "A", "after": "B"}]
    assert marked("公交站点", "公交站点（2026）") == [("same", "公交站点"), ("ins", "（2026）")]
    parts = marked("Bus stops", "Bus halts")
    assert parts[0] == ("same", "Bus ") and {k for k, _t in parts} == {"same", "del", "ins"}
    assert "".join(t for k, t in parts if k != "ins") == "Bus stops"  # the old text: what stayed and what went
    assert "".join(t for k, t in parts if k != "del") == "Bus halts"  # the new text: what stayed and what came
    assert marked(1, 2) is None and marked("x" * 5000, "y") is None
