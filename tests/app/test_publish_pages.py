"""The agency's pages, driven as a browser would: sign in with the CSRF token of the form, upload,
read the pre-publication check, fix what it says, publish, find the dataset in search with its stars."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from catalog_schema.models import Assessment, AuditEvent, Dataset
from tests.support.publishing import GBK_CSV, PII_CSV, build_world, csrf_from, form_post, sign_in


@pytest.fixture
def world(snapshot, app):
    """Two agencies, their people and tokens, harvested, published and draft datasets: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def test_the_agency_story(app, client, world):
    """Done when: sign in, upload a GBK CSV, see its check, fix what it says, publish, find it with its stars."""
    assert client.get("/publish").headers["Location"].startswith("/login")
    sign_in(client, world.emails["editor_a"])
    page = client.get("/publish?lang=en").get_data(as_text=True)
    assert "Draft of A" in page and "Draft of B" not in page and 'id="new-dataset"' in page

    created = form_post(client, "/publish", "/publish", {"publisher": "agency-a", "title": "GDP by province",
                                                          "description": "Gross domestic product by province."})
    assert created.status_code == 303
    edit_url = created.headers["Location"]
    slug = edit_url.rsplit("/", 1)[-1]
    uploaded = form_post(client, edit_url, f"/publish/{slug}/distributions",
                         {"file": (io.BytesIO(GBK_CSV.read_bytes()), "国内生产总值.csv")},
                         content_type="multipart/form-data")
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[:500]

    check = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert "Pre-publication check" in check and "北京市" in check and "地区" in check  # GBK decoded right
    assert 'data-type="licence-missing"' in check and 'data-type="encoding-not-utf8"' in check
    score_before = int(re.search(r'id="check-score">(\d+)<', check).group(1))
    assert check.count("☆") and "0 of 5 stars" in check

    # the check says: no licence. Fix it (and add keywords), then read the check again
    fixed = form_post(client, edit_url, f"/publish/{slug}", {"title": "GDP by province", "license": "CC-BY-4.0",
                                                            "keywords": "GDP, 国内生产总值", "themes_sent": "1",
                                                            "themes": "ECON"})
    assert fixed.status_code == 303
    check = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'data-type="licence-missing"' not in check and "3 of 5 stars" in check
    score_after = int(re.search(r'id="check-score">(\d+)<', check).group(1))
    assert score_after > score_before

    published = form_post(client, edit_url, f"/publish/{slug}/publish", {})
    assert published.status_code == 303
    assert "is in search with its stars" in client.get(edit_url + "?lang=en").get_data(as_text=True)
    found = client.get("/dataset?q=GDP&lang=en").get_data(as_text=True)
    assert f'href="/dataset/{slug}"' in found and "3 of 5 stars" in found
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        a = s.scalar(select(Assessment).where(Assessment.dataset_id == ds.id))
        assert ds.state == "active" and ds.stars == a.stars == 3 and ds.score == a.score == score_after
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ds.id)
                            .order_by(AuditEvent.id)).all()
        assert actions == ["publish.create", "publish.upload", "publish.update", "publish.publish"]
        dist_url = ds.distributions[0].download_url
        dist_id = ds.distributions[0].id
    # the data dictionary: the unit read from the file's notes is the placeholder; the agency names a column
    edit = client.get(edit_url + "?lang=en").get_data(as_text=True)
    column = re.search(r'name="column:(\d+)" value="2017年"', edit).group(1)
    assert re.search(rf'name="unit:{column}"[^>]*value=""[^>]*placeholder="亿元"', edit)
    saved = form_post(client, edit_url, f"/publish/{slug}/distributions/{dist_id}/dictionary",
                      {"column:0": "地区", "title:0": "Province", "unit:0": "", "description:0": "",
                       f"column:{column}": "2017年", f"title:{column}": "", f"unit:{column}": "",
                       f"description:{column}": "GDP, current prices"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#dictionary-{dist_id}")
    fields = {f["name"]: f for f in client.get(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary")
              .get_json()["fields"]}
    assert fields["地区"]["title"] == "Province" and fields["2017年"]["unit"] == "亿元"
    assert fields["2017年"]["description"] == "GDP, current prices"
    page = client.get(f"/dataset/{slug}?lang=en").get_data(as_text=True)
    assert "Province" in page and "GDP, current prices" in page
    converted = client.get(f"/dataset/{slug}/resource/{dist_id}/data.csv")  # the upload served as UTF-8 CSV
    assert converted.status_code == 200 and "北京市" in converted.data.decode("utf-8")
    # the uploaded file is downloadable from its URL, as a download
    got = client.get(dist_url.split("5000", 1)[-1])
    assert got.status_code == 200 and got.data == GBK_CSV.read_bytes()
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_pii_is_blocked_until_an_admin_overrides(app, client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    form_post(client, edit_url, f"{edit_url}/distributions", {"file": (io.BytesIO(PII_CSV.read_bytes()),
                                                                       "hotline.csv")},
              content_type="multipart/form-data")
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="pii"' in page and 'id="override-form"' not in page  # editors cannot override
    refused = form_post(client, edit_url, f"{edit_url}/publish", {})
    assert refused.status_code == 303
    assert "Personal data was found" in client.get(edit_url + "?lang=en").get_data(as_text=True)
    zh = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    box = zh[zh.index('id="pii"'):zh.index("</ul>", zh.index('id="pii"'))]
    assert "居民身份证号码" in box and "Column" not in box  # the personal-data box in the reader's language
    not_admin = form_post(client, edit_url, f"{edit_url}/override", {"reason": "I say it is fine, really"})
    assert not_admin.status_code == 403
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as s:
        assert s.scalar(select(Dataset.state).where(Dataset.slug == world.draft_a)) == "draft"
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action == "publish.pii_override")).all()

    client.post("/logout", data={"csrf_token": csrf_from(client.get("/publish").get_data(as_text=True))})
    sign_in(client, world.emails["admin_a"])
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="override-form"' in page
    reason = "The numbers are the offices' public hotline lines, published by law."
    assert form_post(client, edit_url, f"{edit_url}/override", {"reason": reason}).status_code == 303
    assert form_post(client, edit_url, f"{edit_url}/publish", {}).status_code == 303
    with factory() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == world.draft_a))
        assert ds.state == "active"
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "publish.pii_override"))
        assert event.detail["reason"] == reason and event.object_id == ds.id
        assert "pii-phone" in event.detail["findings"] and event.after["extras"]["publishing"]["pii_override"]
        assert event.publisher_id == ds.publisher_id


@pytest.mark.parametrize(("lang", "needs", "withheld"), [
    ("en", "Published, but the files with personal data are withheld from the public",
     "The files with personal data are withheld from the public (the dataset's other files stay public)"),
    ("zh", "已发布，但含有个人信息的文件暂停向公众提供",
     "含有个人信息的文件暂停向公众提供（数据集的其他文件仍然公开）"),
])
def test_a_published_dataset_whose_new_file_holds_personal_data_says_it_is_withheld(app, client, world, lang, needs,
                                                                                   withheld):
    """A file with personal data put in place of a published one: the check said "To publish: remove the personal
    data ..." and "Publishing is blocked", as if the dataset had been taken off the portal; it is still published and
    only that file is withheld."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    form_post(client, edit_url, f"{edit_url}/distributions", {"file": (io.BytesIO(GBK_CSV.read_bytes()), "gdp.csv")},
              content_type="multipart/form-data")
    assert form_post(client, edit_url, f"{edit_url}/publish", {}).status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    dist_id = re.search(r'id="dist-([0-9a-f-]{36})"', page).group(1)
    replaced = form_post(client, edit_url, f"{edit_url}/distributions/{dist_id}/replace",
                         {"file": (io.BytesIO(PII_CSV.read_bytes()), "hotline.csv")},
                         content_type="multipart/form-data")
    assert replaced.status_code == 303
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    said = re.search(r'id="check-needs" role="status">([^<]*)<', page).group(1)
    assert said.startswith(needs), said
    assert f'id="pii-withheld">{withheld}' in page
    assert ("Publishing is blocked" if lang == "en" else "发布被阻止") not in page
    assert app.test_client().get(f"/uploads/{dist_id}/hotline.csv").status_code == 451  # to the public


def test_pages_in_chinese_and_forms_need_their_token(client, world):
    sign_in(client, world.emails["editor_a"])
    page = client.get(f"/publish/{world.draft_a}?lang=zh_CN").get_data(as_text=True)
    assert "发布前检查" in page and "元数据" in page
    no_token = client.post(f"/publish/{world.draft_a}", data={"title": "Hijack"})
    assert no_token.status_code == 400


def test_an_admin_detaches_a_harvested_dataset_then_editors_edit_it(app, client, world):
    slug = f"/publish/{world.harvested}"
    sign_in(client, world.emails["editor_a"])
    page = client.get(slug + "?lang=en").get_data(as_text=True)
    assert 'id="harvested"' in page and 'id="detach"' not in page and 'id="upload-form"' not in page
    assert form_post(client, slug, f"{slug}/detach", {}).status_code == 403
    admin = app.test_client()
    sign_in(admin, world.emails["admin_a"])
    assert 'id="detach"' in admin.get(slug).get_data(as_text=True)
    assert form_post(admin, slug, f"{slug}/detach", {}).status_code == 303
    edited = form_post(client, slug, slug, {"title": "Ours now"})
    assert edited.status_code == 303
    with app.extensions["opendata"]["sessionmaker"]() as s:
        from catalog_schema.models import HarvestSource

        ds = s.scalar(select(Dataset).where(Dataset.slug == world.harvested))
        assert ds.source_id is None and ds.title["en"] == "Ours now"  # the language the page was in
        assert s.scalar(select(HarvestSource)).config["detached"] == ["remote-1"]
        assert [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_id == ds.id)
                                            .order_by(AuditEvent.id))] == ["publish.detach", "publish.update"]


def test_a_form_opened_before_another_editors_change_saves_nothing_and_shows_both(app, client, world):
    """Two editors: A opens the form, B changes the description and the licence through the API, A saves a new
    title. The form posted every box it showed, so A's save put B's description and licence back without a word.
    A stale form now saves nothing (409): A's typing comes back, each box that differs from the saved dataset shows
    the saved value, and A's second save, on the new version, goes through."""
    sign_in(client, world.emails["editor_a"])
    slug = world.draft_a
    opened = client.get(f"/publish/{slug}?lang=en").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', opened).group(1)
    other = client.application.test_client()
    assert other.patch(f"/api/v1/datasets/{slug}", headers={"Authorization": world.tokens["admin_a"]},
                       json={"description": "Counted by B.", "license": "CC0-1.0"}).status_code == 200
    mine = {"title": "Draft of A, by A", "description": "", "license": "", "version": version,
            "csrf_token": csrf_from(opened)}
    stale = client.post(f"/publish/{slug}?lang=en", data=mine)
    assert stale.status_code == 409
    page = html.unescape(stale.get_data(as_text=True))
    assert 'id="form-conflict"' in page and "changed after you opened this page" in page
    assert 'value="Draft of A, by A"' in page  # what A typed, kept
    assert "Saved now: Counted by B." in page and "Saved now: CC0-1.0" in page
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        assert pick(ds.title) == "Draft of A" and ds.license_id == "CC0-1.0"  # nothing of A's saved
    again = re.search(r'name="version" value="([^"]+)"', page).group(1)
    assert again != version
    saved = client.post(f"/publish/{slug}", data={**mine, "description": "Counted by B.", "license": "CC0-1.0",
                                                  "version": again})
    assert saved.status_code == 303
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        assert pick(ds.title) == "Draft of A, by A" and ds.license_id == "CC0-1.0"
    zh = client.post(f"/publish/{slug}?lang=zh", data={**mine, "version": again})
    assert zh.status_code == 409 and "您打开此页面后，该数据集已被修改" in zh.get_data(as_text=True)


def pick(langmap) -> str:
    return next(iter(v for v in (langmap or {}).values() if v), "")


def test_an_assessment_between_opening_and_saving_the_form_is_no_conflict(app, client, world):
    """The version a form carries is the dataset's content and name: its files checked again, its stars and
    score moved by an assessment, the form still saves."""
    sign_in(client, world.emails["editor_a"])
    created = form_post(client, "/publish", "/publish", {"publisher": "agency-a", "title": "GDP"})
    edit_url = created.headers["Location"]
    slug = edit_url.rsplit("/", 1)[-1]
    assert form_post(client, edit_url, f"/publish/{slug}/distributions",
                     {"file": (io.BytesIO(GBK_CSV.read_bytes()), "gdp.csv")},
                     content_type="multipart/form-data").status_code == 303
    assert form_post(client, edit_url, f"/publish/{slug}/publish", {}).status_code == 303
    opened = client.get(edit_url + "?lang=en").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', opened).group(1)
    assert form_post(client, edit_url, f"/publish/{slug}/recheck", {}).status_code == 303  # fetched and assessed
    client.get(edit_url)  # the page's own check, run again
    saved = client.post(f"/publish/{slug}", data={"title": "GDP by province", "version": version,
                                                  "csrf_token": csrf_from(opened)})
    assert saved.status_code == 303, html.unescape(saved.get_data(as_text=True))[:300]


@pytest.mark.parametrize(("lang", "sep"), [("en", ": "), ("zh", "：")])
def test_the_personal_data_box_names_the_file_of_each_finding(client, world, lang, sep):
    """Two files with personal data gave the publish page's "Personal data found" box the same line twice
    ("Column 手机号码 holds 30 mobile phone numbers.") and never said which file held it, so the officer could not
    tell which file to clean or whether the box was repeating itself. Each line now starts with its file's title."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    data = PII_CSV.read_bytes()
    for title, body in (("投诉记录", data), ("投诉记录二", data + b"\n")):
        resp = form_post(client, edit_url, f"{edit_url}/distributions",
                         {"file": (io.BytesIO(body), "hotline.csv"), "title": title},
                         content_type="multipart/form-data")
        assert resp.status_code == 303
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    box = page[page.index('id="pii"'):]
    box = box[:box.index("</ul>")]
    lines = re.findall(r"<li>([^<]*)</li>", box)
    assert lines and len(set(lines)) == len(lines), lines
    assert {line.split(sep, 1)[0] for line in lines} == {"投诉记录", "投诉记录二"}, lines


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "at least 10 letters, or 5 Chinese characters"),
    ("zh", "至少 5 个汉字或 10 个字母"),
])
def test_an_override_with_too_short_a_reason_says_how_long_it_must_be(app, client, world, lang, says):
    """The override's reason was refused with "A field has a value the catalog cannot take.": the admin learnt
    neither which field nor what to write; the service's sentence says both, beside the reason's box. The page
    then came back (303) with the box empty: what was typed is kept, escaped, to be lengthened."""
    sign_in(client, world.emails["admin_a"])
    edit_url = f"/publish/{world.draft_a}"
    form_post(client, edit_url, f"{edit_url}/distributions", {"file": (io.BytesIO(PII_CSV.read_bytes()),
                                                                       "hotline.csv")},
              content_type="multipart/form-data")
    typed = '<i>"&</i>'  # nine characters: too short, and markup that must come back as text
    refused = form_post(client, f"{edit_url}?lang={lang}", f"{edit_url}/override", {"reason": typed})
    assert refused.status_code == 422
    raw = refused.get_data(as_text=True)
    assert typed not in raw  # escaped, never markup of the page
    box = re.search(r'<textarea[^>]*id="override-reason"([^>]*)>([^<]*)</textarea>', raw)
    assert box and html.unescape(box.group(2)) == typed
    assert 'aria-describedby="override-reason-error"' in box.group(1) and 'aria-invalid="true"' in box.group(1)
    error = re.search(r'id="override-reason-error"[^>]*>([^<]*)<', raw)
    assert error and says in html.unescape(error.group(1))
    page = html.unescape(raw)
    assert "A field has a value the catalog cannot take." not in page and "某个字段的值不被目录接受" not in page
    form = raw[raw.index('id="override-form"'):]
    assert 'id="override-form-errors"' in form[:form.index("</form>")] and 'id="form-errors"' not in raw
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action.like("publish.pii_override%"))).all()
    long_enough = "The numbers are the offices' public hotline lines."
    assert form_post(client, edit_url, f"{edit_url}/override", {"reason": long_enough}).status_code == 303


def test_check_again_that_fetches_a_new_file_of_a_published_dataset_assesses_it_again(app, client, world,
                                                                                      local_server):
    """"Check again" fetches a linked file anew; when the file changed at its source, the archived copy the doors
    serve became the new file, while the published dataset kept the stars and score of the file before (its page,
    the search, the API): no assessment ran, as any other new file of a published dataset gets. Now it does."""
    local_server.add_bytes("/stops.csv", b"stop,lines\nEast Gate,3\nWest Gate,5\nNorth Gate,2\n", "text/csv")
    sign_in(client, world.emails["editor_a"])
    created = form_post(client, "/publish", "/publish", {"publisher": "agency-a", "title": "Bus stops",
                                                         "license": "CC-BY-4.0"})
    edit_url = created.headers["Location"]
    slug = edit_url.rsplit("/", 1)[-1]
    assert form_post(client, edit_url, f"{edit_url}/distributions",
                     {"url": local_server.url("/stops.csv"), "title": "Stops"}).status_code == 303
    assert form_post(client, edit_url, f"{edit_url}/publish", {}).status_code == 303
    history = lambda: client.get(f"/api/v1/datasets/{slug}/quality/history").get_json()["items"]  # noqa: E731
    assert [item["stars"] for item in history()] == [3]
    local_server.add_bytes("/stops.csv", b"<!DOCTYPE html><html><body><h1>Moved</h1></body></html>", "text/html")
    assert form_post(client, edit_url, f"{edit_url}/recheck", {}).status_code == 303
    items = history()
    assert len(items) == 2 and items[-1]["stars"] < 3, items
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.scalar(select(Dataset.stars).where(Dataset.slug == slug)) == items[-1]["stars"]
    found = client.get("/api/v1/datasets?q=bus+stops").get_json()["items"]
    assert [(d["slug"], d["stars"]) for d in found] == [(slug, items[-1]["stars"])], found
    assert client.get("/api/v1/datasets?q=bus+stops&stars_min=3").get_json()["items"] == []
    assert form_post(client, edit_url, f"{edit_url}/recheck", {}).status_code == 303
    assert len(history()) == 2  # the same file fetched again: nothing new to assess
