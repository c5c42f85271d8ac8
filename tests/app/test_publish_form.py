"""The publish form that can reach 405 of 405 (issue 17, item 1): every scored field has an input, bad values
are refused next to their field with the input kept, non-data files are refused with what was found, the
check reads as an agency needs it, and it is stored with the draft (re-run only when the draft or its files
change)."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from app.web import check_view
from catalog_schema import gazetteer
from catalog_schema.models import Dataset
from catalog_schema.store import to_record
from tests.support.publishing import CLEAN_CSV, GBK_CSV, XLSX, build_world, form_post, sign_in
from tests.support.typography import paragraph_gaps

FULL = {"title": "Population by district 2024", "name": "population-2024",
        "description": "Resident population of each district at the end of 2024, from the annual sample "
                       "survey of the statistics bureau; one row per district, counts in persons.",
        "license": "CC-BY-4.0", "keywords": "population, 人口", "themes_sent": "1", "themes": "SOCI",
        "frequency": "IRREG", "access_rights": "PUBLIC", "language_sent": "1", "language": "zh",
        "spatial": "浙江省金华市 (330700)", "temporal_start": "2024-01-01", "temporal_end": "2024-12-31",
        "issued": "2025-01-15", "modified": "2025-02-01", "contact_name": "Statistics office",
        "contact_email": "stats@jinhua.gov.cn",
        "rights": "Free to reuse with attribution to the Jinhua statistics bureau."}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200


@pytest.fixture
def world(snapshot, app):
    """Two agencies, their people and tokens, harvested, published and draft datasets: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _upload(client, edit_url, data: bytes, name: str, lang: str = "en", **extra):
    return form_post(client, edit_url, f"{edit_url}/distributions?lang={lang}",
                     {"file": (io.BytesIO(data), name), **extra}, content_type="multipart/form-data")


def _draft_with_file(client, world, fields=FULL):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    up = _upload(client, edit_url, CLEAN_CSV.read_bytes(), "population-2024.csv", title="Population")
    assert up.status_code == 303, up.get_data(as_text=True)[:800]
    saved = form_post(client, edit_url, edit_url, dict(fields))
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]
    return saved.headers["Location"]


def _dataset(app, slug):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return to_record(s.scalar(select(Dataset).where(Dataset.slug == slug)))


# --------------------------------------------------------------------------- 405 of 405


def test_the_full_form_reaches_405_and_the_public_page_shows_what_was_entered(app, client, world):
    edit_url = _draft_with_file(client, world)
    assert edit_url.endswith("/publish/population-2024")  # the name in the URL is a field of the form too
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'id="metadata-points">405</strong>/405' in page
    assert 'data-type="missing-' not in page  # no metadata indicator lost
    assert "Nothing blocks publishing" in page and re.search(r'id="publish-button"\s*>', page)
    # the form shows what is stored, in the pickers' words
    assert 'value="浙江省金华市 (330700)"' in page and 'placeholder="2024-05-31" value="2024-01-01"' in page
    assert '<option value="PUBLIC" selected>public</option>' in page
    ds = _dataset(app, "population-2024")
    assert ds["spatial"] == ["urn:gb2260:330700"] and ds["access_rights"] == "PUBLIC" and ds["language"] == ["zh"]
    assert ds["distributions"][0]["rights"] == FULL["rights"]  # the dataset's rights statement is each file's

    assert form_post(client, edit_url, edit_url + "/publish", {}).status_code == 303
    public = client.get("/dataset/population-2024?lang=en").get_data(as_text=True)
    contact = re.search(r'<tr id="contact-point">.*?</tr>', public, re.S).group(0)
    assert "Statistics office" in contact and 'href="mailto:stats@jinhua.gov.cn"' in contact
    assert "浙江省金华市" in public and "2024-01-01 – 2024-12-31" in public and ">public<" in public
    zh = client.get("/dataset/population-2024?lang=zh").get_data(as_text=True)
    assert ">公开<" in zh and ">中文<" in zh


def test_the_gazetteer_names_places_by_code_name_and_uri():
    assert gazetteer.place("330702").full_name == "浙江省金华市婺城区"
    assert gazetteer.place("浙江省金华市").code == "330700"
    assert gazetteer.place("urn:gb2260:110000").name == "北京市"
    assert gazetteer.place("金华市 (330700)").code == "330700"
    assert gazetteer.place("朝阳区") is None  # Beijing's and Changchun's: ambiguous, refused
    assert gazetteer.place("Atlantis") is None
    assert len(gazetteer.places(1)) == 34 and len(gazetteer.places(3)) > 3000


# --------------------------------------------------------------------------- validation next to the field

BAD = [
    ("contact_email", "not-an-email", "is not an e-mail address", "m-contact-email"),
    ("issued", "2026-13-45", "is not a date", "m-issued"),
    ("modified", "yesterday", "is not a date", "m-modified"),
    ("temporal_start", "2024-02-30", "is not a date", "m-temporal-start"),
    ("spatial", "Atlantis", "is not a place the gazetteer knows", "m-spatial"),
    ("description", "长" * 20_001, "20,001 characters long; at most 20,000", "m-description"),  # one past
    ("title", "题" * 501, "501 characters long; at most 500", "m-title"),
    ("landing_page", "javascript:alert(1)", "starts with http://", "m-landing-page"),
    ("access_rights", "whatever", "Choose one of the values", "m-access-rights"),
]


@pytest.mark.parametrize(("field", "value", "said", "input_id"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_value_is_refused_next_to_its_field_and_the_input_is_kept(app, client, world, field, value, said,
                                                                          input_id):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    before = _dataset(app, world.draft_a)
    sent = {"title": "A new title typed", "description": "Typed before the mistake.", field: value}
    resp = form_post(client, edit_url + "?lang=en", edit_url + "?lang=en", sent)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Nothing was saved: correct the fields marked below" in page
    error = re.search(rf'<span class="usa-error-message" id="{field}-error" role="alert">(.*?)</span>\s*'
                      rf'<(input|textarea|select)[^>]*id="{input_id}"', page, re.S)
    assert error, f"no error right before #{input_id}"
    assert said in html.unescape(error.group(1))
    assert "某个字段" not in page and "A field has a value" not in page  # no generic banner
    kept = html.escape(value, quote=True) if field == "title" else "A new title typed"
    assert f'value="{kept}"' in page  # what was typed stays
    if field in ("title", "description"):  # a browser cuts a longer paste short without a word: the server says it
        assert "maxlength" not in re.search(rf'<(input|textarea)[^>]*id="{input_id}"[^>]*>', page).group(0)
    if field not in ("description", "access_rights"):  # a picker shows its own values only
        assert "Typed before the mistake." in page
        assert html.escape(value, quote=True) in page or value in page
    after = _dataset(app, world.draft_a)
    assert after["title"] == before["title"] and after["description"] == before["description"]  # nothing saved


def test_the_error_reads_in_chinese_too(client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url + "?lang=zh", {"title": "标题", "contact_email": "not-an-email"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "不是电子邮箱地址" in page and "未保存任何内容" in page


def test_a_period_that_ends_before_it_starts_is_refused(client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url + "?lang=en",
                     {"temporal_start": "2024-12-31", "temporal_end": "2024-01-01"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert re.search(r'id="temporal_end-error" role="alert">The period ends before it starts', page)


def test_a_taken_url_name_says_so_next_to_the_name(client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url + "?lang=en", {"title": "Kept title", "name": world.draft_b})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(rf'id="name-error" role="alert">The name “{world.draft_b}” is taken by another dataset: '
                     r'choose another\.</span>\s*<input[^>]*id="m-name"', page)
    assert "present state" not in page and 'value="Kept title"' in page
    created = form_post(client, "/publish", "/publish?lang=en", {"publisher": "agency-a", "title": "Typed",
                                                                 "name": world.draft_b, "description": "Kept"})
    page = created.get_data(as_text=True)
    assert created.status_code == 422 and "is taken by another dataset" in page
    assert 'value="Typed"' in page and ">Kept</textarea>" in page


def test_the_draft_preview_masks_personal_data_in_the_pages_language(client, world):
    """The draft's preview printed the mask as the downloads write it, "[redacted]", on the Chinese page."""
    from tests.support.publishing import PII_CSV

    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert _upload(client, edit_url, PII_CSV.read_bytes(), "hotline.csv", lang="zh").status_code == 303
    page = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    preview = re.search(r'<table class="usa-table usa-table--compact preview".*?</table>', page, re.S).group(0)
    assert "[已遮盖]" in preview and "[redacted]" not in preview


def test_a_withdrawal_with_an_unknown_successor_says_which_field_and_keeps_what_was_typed(app, client, world):
    """"Replaced by" naming no dataset gave "A field has a value the catalog cannot take." in a banner, with the
    reason and the successor typed gone."""
    edit_url = _draft_with_file(client, world)
    assert form_post(client, edit_url, edit_url + "/publish", {}).status_code == 303
    slug = edit_url.rsplit("/", 1)[-1]
    resp = form_post(client, edit_url, f"{edit_url}/withdraw?lang=zh",
                     {"reason": "数据已合并", "successor": "jh-pop-2023"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="successor-error" role="alert">“jh-pop-2023”不是本目录中另一个已发布的数据集', page)
    assert 'value="数据已合并"' in page and 'value="jh-pop-2023"' in page
    assert _dataset(app, slug)["state"] == "active"
    # the message that nothing was withdrawn stands in the withdraw form, which the page opens at; the metadata form's
    # "Nothing was saved" (far above, with nothing marked below it) is not shown
    form = page[page.index('id="withdraw-form"'):]
    assert 'id="withdraw-form-errors"' in form[:form.index("</form>")] and 'id="form-errors"' not in page


def test_the_new_dataset_form_sent_twice_makes_one_draft(app, client, world):
    """Back, then Create again, made a second draft of the same title with no word."""
    sign_in(client, world.emails["editor_a"])
    page = client.get("/publish?lang=en").get_data(as_text=True)
    form_id = re.search(r'name="form_id" value="([0-9a-f]{32})"', page).group(1)
    body = {"publisher": "agency-a", "title": "Links", "form_id": form_id}
    first = form_post(client, "/publish", "/publish", body)
    again = form_post(client, "/publish", "/publish?lang=en", body)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    with app.extensions["opendata"]["sessionmaker"]() as s:
        titled = select(func.count()).select_from(Dataset).where(Dataset.title["en"].as_string() == "Links")
        assert s.scalar(titled) == 1
    other = form_post(client, "/publish", "/publish", {**body, "form_id": "f" * 32})  # another form: another draft
    assert other.status_code == 303 and other.headers["Location"] != first.headers["Location"]


def test_every_refused_field_is_marked_at_once(client, world):
    """A bad date, a bad e-mail and an ftp:// landing page: one Save showed only one of them, the next the next."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url + "?lang=en", {"title": "T", "issued": "2024/13/45",
                                                               "contact_email": "nobody", "landing_page": "ftp://x/y"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert {m for m in re.findall(r'id="([a-z_]+)-error" role="alert"', page)} >= {"issued", "contact_email",
                                                                                  "landing_page"}


def test_an_uploaded_file_is_replaced_in_place_from_the_form(app, client, world):
    """The form could only remove a file (its id, address and title lost, the old address 404): a new version
    goes in its place now."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert _upload(client, edit_url, CLEAN_CSV.read_bytes(), "population.csv", title="人口表").status_code == 303
    before = _dataset(app, world.draft_a)["distributions"][0]
    page = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    assert f'id="replace-{before["catalog_id"]}"' in page and "上传此文件的新版本" in page
    newer = CLEAN_CSV.read_bytes() + "新区,1000\n".encode()
    replaced = form_post(client, edit_url, f"{edit_url}/distributions/{before['catalog_id']}/replace?lang=en",
                         {"file": (io.BytesIO(newer), "population-2.csv")}, content_type="multipart/form-data")
    assert replaced.status_code == 303, replaced.get_data(as_text=True)[:500]
    after = _dataset(app, world.draft_a)["distributions"]
    assert len(after) == 1 and after[0]["catalog_id"] == before["catalog_id"]
    assert after[0]["title"] == before["title"] and after[0]["download_url"] != before["download_url"]
    empty = form_post(client, edit_url, f"{edit_url}/distributions/{before['catalog_id']}/replace", {},
                      content_type="multipart/form-data")
    assert empty.status_code == 303 and len(_dataset(app, world.draft_a)["distributions"]) == 1


def test_keywords_split_at_the_chinese_enumeration_comma(app, client, world):
    """人口，京海、统计 was two keywords, "人口" and "京海、统计": 、 separates a Chinese list as the comma does."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert form_post(client, edit_url, edit_url, {"title": "表", "keywords": "人口，京海、统计",
                                                  "spatial": "北京"}).status_code == 303
    ds = _dataset(app, world.draft_a)
    assert ds["keywords"] == ["人口", "京海", "统计"] and ds["spatial"] == ["urn:gb2260:110000"]


def test_a_refused_field_saves_nothing_not_even_a_new_name(app, client, world):
    """A new URL name beside a bad e-mail: the page said "Nothing was saved" while the rename was saved, and the
    old address sent the publisher to the sign-in page."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url + "?lang=en", {"title": "Kept title", "name": "a-new-name",
                                                               "contact_email": "not an address"})
    assert resp.status_code == 422 and "Nothing was saved" in resp.get_data(as_text=True)
    assert _dataset(app, world.draft_a)["slug"] == world.draft_a and client.get(edit_url).status_code == 200
    saved = form_post(client, edit_url, edit_url + "?lang=en", {"title": "Kept title", "name": "a-new-name"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/publish/a-new-name")
    assert _dataset(app, "a-new-name")["title"]["en"] == "Kept title"


def test_saving_in_english_does_not_copy_the_chinese_title_it_showed(app, client, world):
    """A dataset with only a Chinese title shows it in the English form; saved untouched (another field changed), it
    became the English title, and English readers never saw the Chinese one's later changes."""
    from sqlalchemy import update

    sign_in(client, world.emails["editor_a"])
    with app.extensions["opendata"]["sessionmaker"]() as s:
        s.execute(update(Dataset).where(Dataset.slug == world.draft_a).values(
            title={"zh": "人口统计"}, description={"zh": "各区常住人口。"}))
        s.commit()
    edit_url = f"/publish/{world.draft_a}"
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'value="人口统计"' in page  # shown, as the title to start from
    saved = form_post(client, edit_url, edit_url + "?lang=en", {"title": "人口统计", "description": "各区常住人口。",
                                                                "keywords": "population"})
    assert saved.status_code == 303
    ds = _dataset(app, world.draft_a)
    assert ds["title"] == {"zh": "人口统计"} and ds["description"] == {"zh": "各区常住人口。"}
    assert ds["keywords"] == ["population"]
    form_post(client, edit_url, edit_url + "?lang=en", {"title": "Population"})  # typed: English from then on
    assert _dataset(app, world.draft_a)["title"] == {"zh": "人口统计", "en": "Population"}


def test_good_dates_and_addresses_are_taken(app, client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url, {"issued": "2024-02-29", "modified": "2025-03",
                                                  "contact_email": "李@例子.中国"})
    assert resp.status_code == 303
    ds = _dataset(app, world.draft_a)
    assert (ds["issued"], ds["modified"], ds["contact_point"]["email"]) == ("2024-02-29", "2025-03", "李@例子.中国")


# --------------------------------------------------------------------------- files that are no data


@pytest.mark.parametrize(("name", "data", "said"), [
    ("chart.png", PNG, "is an image (PNG), not data. Upload the data itself"),
    ("setup.exe", EXE, "is a program (executable code) (EXE), not data: programs are never published"),
    ("blob.csv", bytes(range(256)) * 8, "is binary content that no data reader recognises, not data"),
    # what the sniffer knows the unreadable file to be is said (it was "binary content ..." alone)
    ("fares.csv", b"7z\xbc\xaf\x27\x1c" + bytes(200),
     "is binary content that no data reader recognises (7z), not data"),
])
def test_a_file_that_is_no_data_is_refused_saying_what_it_is(app, client, world, name, data, said):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = _upload(client, edit_url, data, name)
    assert resp.status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert f"The file {name} {said}" in html.unescape(page)
    assert "an unrecognised file" not in page
    assert _dataset(app, world.draft_a)["distributions"] == []


def test_an_image_is_taken_as_documentation_when_the_agency_says_so(app, client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert _upload(client, edit_url, PNG, "chart.png", documentation="1").status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert re.search(r'id="dist-[^"]+">chart\.png .*?<span class="usa-tag">documentation</span>', page)
    assert _upload(client, edit_url, EXE, "setup.exe", documentation="1").status_code == 303  # never a program
    assert "programs are never published" in client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert _upload(client, edit_url, PNG, "图.png", lang="zh").status_code == 303
    assert "文件 图.png 是图片（PNG），不是数据。请上传数据本身" in client.get(edit_url).get_data(as_text=True)
    assert len(_dataset(app, world.draft_a)["distributions"]) == 1


# --------------------------------------------------------------------------- how the check reads


def test_the_check_groups_by_severity_names_files_and_links_to_the_fix(app, client, world, local_server):
    local_server.add_bytes("/a.csv", b"x,y\n1,2\n", "text/csv")
    local_server.add_bytes("/b.csv", b"x,y\n3,4\n", "text/csv")
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    for path, title in (("/a.csv", "Table A"), ("/b.csv", "Table B"), ("/gone.csv", "Table C")):
        assert form_post(client, edit_url, edit_url + "/distributions",
                         {"url": local_server.url(path), "title": title}).status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    findings = page[page.index('id="check-findings"'):page.index('id="preview-1"')]
    headings = re.findall(r'id="findings-(\w+)"', findings)
    assert headings == sorted(headings, key=["error", "warning", "info"].index) and headings[0] == "error"
    # the missing licence is told once, naming every file it concerns, with a link to the licence picker
    licence = re.findall(r'<li class="finding[^"]*" data-type="licence-missing">(.*?)</li>', findings, re.S)
    assert len(licence) == 1
    assert all(t in licence[0] for t in ("Table A", "Table B", "Table C")) and 'href="#m-license"' in licence[0]
    broken = re.search(r'data-type="link-broken">(.*?)</li>', findings, re.S).group(1)
    assert "the server answered HTTP 404" in broken and "Table C" in broken and 'href="#dist-' in broken
    assert "?" not in re.sub(r"https?://\S+", "", findings.replace("(?", "")) or "?</" not in findings
    assert 'disabled' not in re.search(r'<button[^>]*id="publish-button"[^>]*>', page).group(0)
    zh = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    assert "错误：请先修正" in zh and "修正：许可协议" in zh


def _points(page: str) -> int:
    return int(re.search(r'id="metadata-points">(\d+)</strong>', page).group(1))


def test_a_links_media_type_is_declared_on_the_page_and_a_bad_one_refused_beside_it(app, client, world,
                                                                                       local_server):
    """A link whose address names no format (an API's download address) got no media type, and the page had no box
    for one: "Declare an IANA media type" (10 metadata points) could not be followed on the web. The file's media
    type box takes it through the APIs' service and rule, and both findings lead to it."""
    local_server.add_bytes("/download", b"x,y\n1,2\n", "text/csv")
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert form_post(client, edit_url, edit_url + "/distributions",
                     {"url": local_server.url("/download"), "title": "Counts"}).status_code == 303
    dist = _dataset(app, world.draft_a)["distributions"][0]["catalog_id"]
    box = f"media-type-{dist}"
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    missing = re.search(r'data-type="missing-media-type">(.*?)</li>', page, re.S).group(1)
    assert f'href="#{box}"' in missing and "Fix it: Media type" in missing
    assert 'value=""' in _beside(page, box)
    before = _points(page)
    action = f"{edit_url}/distributions/{dist}/media-type"

    # a value the exports leave out is kept as written, and its own finding leads to the same box
    assert form_post(client, edit_url, action, {"media_type": "binary/octet-stream"}).status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    unread = re.search(r'data-type="media-type-not-recognised">(.*?)</li>', page, re.S).group(1)
    assert f'href="#{box}"' in unread and 'value="binary/octet-stream"' in _beside(page, box)
    assert _points(page) == before

    for lang, said in (("en", "“comma separated” is not a media type: write it as type/subtype"),
                       ("zh", "“comma separated”不是媒体类型")):
        refused = form_post(client, edit_url, f"{action}?lang={lang}", {"media_type": "comma separated"})
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        summary = {"en": "Nothing was saved: correct the fields marked below", "zh": "未保存任何内容"}[lang]
        assert re.search(rf'id="media-{dist}-errors">.*?{summary}', page, re.S)
        beside = html.unescape(_beside(page, box))
        assert f'id="media_type-{dist}-error" role="alert">{said}' in beside
        assert 'value="comma separated"' in beside and 'aria-invalid="true"' in beside  # what was typed is kept
        assert _dataset(app, world.draft_a)["distributions"][0]["media_type"] == "binary/octet-stream"

    assert form_post(client, edit_url, action, {"media_type": "text/csv"}).status_code == 303
    saved = _dataset(app, world.draft_a)["distributions"][0]
    assert saved["media_type"] == "text/csv" and saved["format"] == "CSV"  # as the APIs take a mimetype
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert 'data-type="missing-media-type"' not in page and 'data-type="media-type-not-recognised"' not in page
    assert 'value="text/csv"' in _beside(page, box)  # the box shows what is stored
    assert _points(page) >= before + 10


def _form_of(page: str, element_id: str) -> str:
    """The whole <form> that holds the element of `element_id` (or is it)."""
    at = page.index(f'id="{element_id}"')
    return page[page.rindex("<form", 0, at + 1):page.index("</form>", at)]


@pytest.mark.parametrize(("lang", "label", "said", "summary"), [
    ("en", "Media type (optional)", "“comma separated” is not a media type: write it as type/subtype",
     "Nothing was saved: correct the fields marked below"),
    ("zh", "媒体类型（可选）", "“comma separated”不是媒体类型", "未保存任何内容"),
], ids=["en", "zh"])
def test_the_link_form_takes_a_media_type_for_an_address_that_names_no_format(app, client, world, local_server, lang,
                                                                               label, said, summary):
    """A link to an API's export (…/api/export?id=3) got no format and no media type, and lost the format's points
    until a media type was saved in the file's own box, after the link was added: the link form takes it at once, by
    the rule and service step of that box. A value that is no media type is refused beside its box, with the form's
    summary and every box as typed, and nothing is added."""
    local_server.add_file("/api/export", CLEAN_CSV, "application/octet-stream")
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    page = client.get(f"{edit_url}?lang={lang}").get_data(as_text=True)
    form = _form_of(page, "link-form")
    assert f'<label class="usa-label" for="link-media-type">{label}</label>' in form
    assert re.search(r'<input class="usa-input" id="link-media-type" name="media_type" maxlength="200"[^>]*'
                     r'aria-describedby="link-media-type-hint"', form) and 'id="link-media-type-hint"' in form
    url = local_server.url("/api/export") + "?id=3"
    sent = {"url": url, "title": "Export 表", "media_type": "comma separated"}
    refused = form_post(client, edit_url, f"{edit_url}/distributions?lang={lang}", sent)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("#link-form")
    assert _dataset(app, world.draft_a)["distributions"] == []  # nothing added
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    form = _form_of(page, "link-form")
    assert re.search(rf'id="link-form-errors"[^>]*>.*?{summary}', form, re.S)
    beside = _beside(form, "link-media-type")
    assert f'id="link-media-type-error" role="alert">{said}' in beside
    assert 'value="comma separated"' in beside and 'aria-invalid="true"' in beside
    assert 'link-media-type-error' in re.search(r'<input[^>]*id="link-media-type"[^>]*>', form).group(0)
    assert f'value="{url}"' in _beside(form, "link-url") and 'id="link-url-error"' not in form  # not the URL's fault
    assert 'id="link-title" name="title" value="Export 表"' in form
    again = client.get(f"{edit_url}?lang={lang}").get_data(as_text=True)
    assert 'id="link-form-errors"' not in again and 'comma separated' not in again  # said once

    added = form_post(client, edit_url, f"{edit_url}/distributions?lang={lang}", {**sent, "media_type": "text/csv"})
    assert added.status_code == 303
    dist = _dataset(app, world.draft_a)["distributions"][0]
    assert dist["media_type"] == "text/csv" and dist["format"] == "CSV"  # as the file's own box takes it
    page = client.get(f"{edit_url}?lang={lang}").get_data(as_text=True)
    assert 'data-type="missing-media-type"' not in page and 'data-type="missing-format"' not in page


@pytest.mark.parametrize(("lang", "says", "button"), [
    ("en", "The server says this file is text/csv (CSV).", "Save text/csv as its media type"),
    ("zh", "服务器声明此文件为 text/csv（CSV）。", "将 text/csv 保存为其媒体类型"),
], ids=["en", "zh"])
def test_a_links_content_type_is_offered_beside_its_media_type_box_and_saved_only_when_taken(app, client, world,
                                                                                             local_server, lang, says,
                                                                                             button):
    """A link added without a media type, whose server sends it as a format the catalog knows: what the server said is
    offered beside the file's media type box once the link is fetched, not saved until the publisher takes it with
    one submit (a form of its own: no script needed), which saves it as the box would."""
    local_server.add_file("/api/export", CLEAN_CSV, "text/csv; charset=utf-8")
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    url = local_server.url("/api/export") + "?id=3"
    assert form_post(client, edit_url, f"{edit_url}/distributions?lang={lang}",
                     {"url": url, "title": "Export"}).status_code == 303
    dist = _dataset(app, world.draft_a)["distributions"][0]["catalog_id"]
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))  # its check fetches the link
    assert _dataset(app, world.draft_a)["distributions"][0]["media_type"] is None  # offered, not saved
    offer = _form_of(page, f"media-suggest-{dist}")
    media = page[page.index(f'id="media-{dist}"'):page.index("</details>", page.index(f'id="media-{dist}"'))]
    assert offer in media and re.search(rf'<details class="dist-media" id="media-{dist}" open>', page)
    assert f'id="media-suggest-{dist}-text">{says}<' in offer
    assert '<input type="hidden" name="media_type" value="text/csv">' in offer
    assert re.search(rf'<button [^>]*aria-describedby="media-suggest-{dist}-text"[^>]*>{button}</button>', offer)
    box = re.search(rf'<input[^>]*id="media-type-{dist}"[^>]*>', page).group(0)
    assert f"media-suggest-{dist}-text" in box and 'value=""' in box  # the box says it too, and holds nothing
    before = _points(page)

    action = re.search(r'action="([^"]+)"', offer).group(1)
    sent = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', offer))
    sent.pop("csrf_token")
    taken = form_post(client, edit_url, f"{action}?lang={lang}", sent)
    assert taken.status_code == 303
    saved = _dataset(app, world.draft_a)["distributions"][0]
    assert saved["media_type"] == "text/csv" and saved["format"] == "CSV"
    page = client.get(f"{edit_url}?lang={lang}").get_data(as_text=True)
    assert f'id="media-suggest-{dist}"' not in page and 'data-type="missing-media-type"' not in page
    assert _points(page) >= before + 80  # the media type, and the format it names: its vocabulary, open, readable


def test_no_media_type_is_offered_when_the_server_names_none_or_the_bytes_belie_it(app, client, world, local_server):
    """A server that sends a file as bytes (application/octet-stream) names no format; one that sends a CSV as
    text/plain names the wrong one, which taken would cost the points a CSV earns: neither is offered, beside a link
    whose server names its format rightly."""
    local_server.add_file("/export/a", CLEAN_CSV, "application/octet-stream")
    local_server.add_file("/export/b", GBK_CSV, "text/plain")
    local_server.add_file("/export/c", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    for path in ("/export/a", "/export/b", "/export/c"):
        assert form_post(client, edit_url, f"{edit_url}/distributions",
                         {"url": local_server.url(path)}).status_code == 303
    page = client.get(f"{edit_url}?lang=en").get_data(as_text=True)
    files = _dataset(app, world.draft_a)["distributions"]
    assert [d["media_type"] for d in files] == [None, None, None]
    assert re.findall(r'id="media-suggest-([\w-]+)-text"', page) == [files[2]["catalog_id"]]


def test_publish_is_disabled_with_the_reason_when_blocked(client, world):
    sign_in(client, world.emails["editor_a"])
    page = client.get(f"/publish/{world.draft_a}?lang=en").get_data(as_text=True)
    button = re.search(r'<button[^>]*id="publish-button"[^>]*>', page).group(0)
    assert "disabled" in button and 'aria-describedby="check-needs"' in button
    assert re.search(r'id="check-needs"[^>]*>To publish: add at least one data file or link\.<', page)


def test_saving_the_form_untouched_keeps_a_sources_years_places_and_dates(app, client, world):
    """A harvested period of years (2016/2025) showed empty in the form's date pickers, so saving the form deleted
    it; a place its source named (京海市) was refused, so nothing could be saved until it was deleted; a date
    written 2024年3月1日 was refused too. Saved untouched, the form now keeps all three."""
    from sqlalchemy import update

    sign_in(client, world.emails["editor_a"])
    with app.extensions["opendata"]["sessionmaker"]() as s:
        s.execute(update(Dataset).where(Dataset.slug == world.draft_a).values(
            temporal={"start": "2016", "end": "2025-06"}, spatial=["京海市"], issued="2024年3月1日",
            modified="2025-02-01T08:30:00Z"))
        s.commit()
    edit_url = f"/publish/{world.draft_a}"
    page = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    assert "日期：可填年份（2024）、月份（2024-05）或具体日期（2024-05-31）。" in page
    shown = {name: html.unescape(re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1))
             for name in ("title", "spatial", "temporal_start", "temporal_end", "issued", "modified")}
    assert (shown["temporal_start"], shown["temporal_end"], shown["spatial"]) == ("2016", "2025-06", "京海市")
    saved = form_post(client, edit_url, edit_url, shown)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    ds = _dataset(app, world.draft_a)
    assert ds["temporal"] == {"start": "2016", "end": "2025-06"} and ds["spatial"] == ["京海市"]
    assert (ds["issued"], ds["modified"]) == ("2024-03-01", "2025-02-01T08:30:00Z")
    # a place typed anew still has to be one the gazetteer knows
    refused = form_post(client, edit_url, edit_url + "?lang=en", {**shown, "spatial": "京海市, Atlantis"})
    body = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and "“Atlantis” is not a place the gazetteer knows" in body


def test_evidence_reads_in_words_rounded(app):
    with app.test_request_context("/?lang=zh"):
        stale = check_view.display_evidence("stale", {"age_days": 3198.66, "frequency": "ANNUAL",
                                                      "expected_days": 365.25, "periods_late": 7.7612}, "zh")
        assert stale == {"age_days": "3,199", "frequency": "每年", "expected_days": "365", "periods_late": "7.8"}
        assert check_view.display_evidence("licence-unknown", {"licence": None}, "zh")["licence"] == "（未提供）"
        assert check_view.display_evidence("format-mismatch", {"sniffed": "an unrecognised file",
                                                               "declared": "CSV"}, "zh")["sniffed"] == "未知类型的文件"
        # what the unknown file was found to be is kept (the page said "a file of unknown type" beside a finding
        # that named the 7z), and an archive's member is said as the finding says it
        seven = {"sniffed": "an unrecognised file (7z)", "declared": "CSV"}
        assert check_view.display_evidence("format-mismatch", seven, "zh")["sniffed"] == "未知类型的文件（7z）"
        zipped = {"sniffed": "ZIP of XLSX", "declared": "CSV"}
        assert check_view.display_evidence("format-mismatch", zipped, "zh")["sniffed"] == "ZIP 压缩包中的 Excel XLSX"
    with app.test_request_context("/?lang=en"):
        assert check_view.display_evidence("format-mismatch", seven, "en")["sniffed"] == "a file of unknown type (7z)"
        assert check_view.display_evidence("format-mismatch", zipped, "en")["sniffed"] == "Excel XLSX in a ZIP archive"
    with app.test_request_context("/?lang=zh"):
        dns = check_view.display_evidence("link-broken", {"url": "http://x.invalid/a.csv", "problem":
                                          "[Errno -2] Name or service not known"}, "zh")["problem"]
        assert dns == "找不到服务器的域名"
        ftp = check_view.display_evidence("link-broken", {"url": "ftp://x/a.csv", "problem":
                                          "no http(s) URL to check"}, "zh")["problem"]
        assert ftp == "该地址不是网址（http 或 https）"
        table = check_view.display_evidence("table-unreadable", {"error": "TableError: The JSON is not an array"},
                                            "zh")["error"]
        assert "TableError" not in table
        # what a finding's text derives from other evidence is not "(not given)": a parser's problem, a date's kind
        from quality.findings import FINDING_TYPES

        parse = check_view.display_evidence("not-parseable", {"format": "JSON", "problem": "Expecting value",
                                                              "where": "line 1", "where_zh": "第 1 行"}, "zh")
        said = FINDING_TYPES["not-parseable"].message("zh", parse)
        assert "此处应为一个值" in said and "未提供" not in said  # the parser's problem in Chinese
        assert FINDING_TYPES["stale"].message("zh", stale).startswith("最近一次更新在 3,199 天前")
        # where personal data was found is worded from its column (or the part of the file): the check page read
        # "（未提供） 含有 30 个手机号码（未提供）" once the finding's text said where (rule set 1.1)
        phone = check_view.display_evidence("pii-phone", {"column": "手机", "count": 30}, "zh")
        said = FINDING_TYPES["pii-phone"].message("zh", phone) + FINDING_TYPES["pii-phone"].fix("zh", phone)
        assert said == "列“手机”含有 30 个手机号码。发布前删除或脱敏手机号码。", said
        sheet = check_view.display_evidence("pii-id-number", {"part": "名单", "within": "sheet", "count": 12}, "zh")
        assert "未提供" not in FINDING_TYPES["pii-id-number"].message("zh", sheet)


# --------------------------------------------------------------------------- the stored check


def test_the_check_is_stored_and_rerun_only_when_the_draft_or_its_files_change(app, client, world, local_server):
    local_server.add_bytes("/data.csv", b"x,y\n1,2\n", "text/csv")
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert form_post(client, edit_url, edit_url + "/distributions",
                     {"url": local_server.url("/data.csv"), "title": "Data"}).status_code == 303
    fetches = lambda: sum(1 for r in local_server.requests if r.path == "/data.csv")  # noqa: E731
    assert fetches() == 0  # a draft's link is checked when the check is shown, not when it is added
    client.get(edit_url)
    first = fetches()
    assert first >= 1  # the page shown after adding the link checked it
    for _ in range(3):
        page = client.get(edit_url + "?lang=en").get_data(as_text=True)
        assert "not yet assessed" not in page and 'id="checked-at"' in page
    assert fetches() == first  # viewing the draft fetches nothing
    assert form_post(client, edit_url, edit_url, {"keywords": "changed"}).status_code == 303
    client.get(edit_url)
    assert fetches() == first + 1  # the draft changed: checked again, once
    client.get(edit_url)
    assert fetches() == first + 1
    assert form_post(client, edit_url, edit_url + "/recheck", {}).status_code == 303
    assert fetches() == first + 2  # asked for: fetched anew
    index = client.get("/publish?lang=en").get_data(as_text=True)
    row = re.search(rf'<tr class="state-draft">(?:(?!</tr>).)*?/publish/{world.draft_a}".*?</tr>', index, re.S).group(0)
    assert "of 5 stars" in row


# --------------------------------------------------------------------------- the same rules through the API


def test_the_api_refuses_the_same_values_and_files_and_keeps_the_check(app, client, world, local_server):
    token = {"Authorization": world.tokens["editor_a"]}
    url = f"/api/v1/datasets/{world.draft_a}"
    for body in ({"contact_point": {"email": "not-an-email"}}, {"issued": "2026-13-45"}, {"modified": "yesterday"},
                 {"description": "x" * 20_001}, {"spatial": ["Atlantis"]}):
        resp = client.patch(url, json=body, headers=token)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "invalid", (body, resp.get_json())
    ok = client.patch(url, json={"spatial": ["330700"], "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
                                 "access_rights": "public", "language": ["Chinese"]}, headers=token)
    assert ok.status_code == 200, ok.get_json()
    png = client.post(url + "/distributions", data={"file": (io.BytesIO(PNG), "chart.png")}, headers=token,
                      content_type="multipart/form-data")
    assert png.status_code == 400 and png.get_json()["error"]["code"] == "not-data"
    assert "is an image (PNG), not data" in png.get_json()["error"]["message"]
    doc = client.post(url + "/distributions", data={"file": (io.BytesIO(PNG), "chart.png"), "documentation": "1"},
                      headers=token, content_type="multipart/form-data")
    assert doc.status_code == 201, doc.get_json()
    local_server.add_bytes("/data.csv", b"x,y\n1,2\n", "text/csv")
    assert client.post(url + "/distributions", json={"url": local_server.url("/data.csv")},
                       headers=token).status_code == 201
    fetches = lambda: sum(1 for r in local_server.requests if r.path == "/data.csv")  # noqa: E731
    first = client.get(url + "/check", headers=token).get_json()
    assert fetches() == 1 and first["checked_at"]
    second = client.get(url + "/check", headers=token).get_json()
    assert fetches() == 1 and second["checked_at"] == first["checked_at"]
    client.get(url + "/check?again=1", headers=token)
    assert fetches() == 2


def test_a_link_that_is_no_web_address_says_so(client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    resp = form_post(client, edit_url, edit_url + "/distributions?lang=en", {"url": "file:///etc/passwd"})
    assert resp.status_code == 303
    page = client.get(edit_url + "?lang=en").get_data(as_text=True)
    assert "Give an address that starts with http:// or https://." in page and "catalog cannot take" not in page


@pytest.mark.parametrize(("lang", "said"), [("en", "This is required."), ("zh", "此项为必填。")])
def test_a_new_dataset_without_a_title_says_the_title_is_required(client, world, lang, said):
    """An empty title on the new-dataset form said "A field has a value the catalog cannot take." beside the
    title (a title of spaces said "This is required."), with the name and keywords typed kept."""
    sign_in(client, world.emails["editor_a"])
    resp = form_post(client, "/publish", f"/publish?lang={lang}",
                     {"publisher": "agency-a", "title": "", "name": "gdp-2024", "keywords": "GDP, 统计"})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422
    assert re.search(r'id="new-title-error" role="alert">' + re.escape(said), page)
    assert 'value="gdp-2024"' in page and 'value="GDP, 统计"' in page


def _beside(page: str, input_id: str) -> str:
    """The form group of an input: its label, its error message and the input itself."""
    start = page.rindex('<div class="usa-form-group', 0, page.index(f'id="{input_id}"'))
    return page[start:page.index(">", page.index(f'id="{input_id}"'))]


@pytest.mark.parametrize(("lang", "html_said", "empty_said", "url_said"), [
    ("en", "The file is an HTML web page, not a data file.", "The file is empty.",
     "Give an address that starts with http:// or https://."),
    ("zh", "该文件是 HTML 网页，不是数据文件。", "文件为空。", "请填写以 http:// 或 https:// 开头的地址。"),
])
def test_a_refused_file_or_link_is_said_beside_its_input(client, world, lang, html_said, empty_said, url_said):
    """An HTML page, an empty file or a bad link was refused in a banner at the top of the page, while the form
    sits below the check and the files (a phone's whole screen-lengths away), and the address typed was gone."""
    from tests.support.publishing import HTML_CSV

    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    refused = _upload(client, edit_url, HTML_CSV.read_bytes(), "parking.csv", lang=lang)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("#upload-form")
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    beside = _beside(page, "upload-file")
    assert f'id="upload-file-error" role="alert">{html_said}' in beside and 'aria-invalid="true"' in beside
    assert 'id="flash-' not in page  # not in the banner too
    _upload(client, edit_url, b"", "empty.csv", lang=lang)
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    assert f'id="upload-file-error" role="alert">{empty_said}' in _beside(page, "upload-file")
    linked = form_post(client, edit_url, f"{edit_url}/distributions?lang={lang}",
                       {"url": "www.stats.example/gdp.csv", "title": "GDP 表"})
    assert linked.status_code == 303 and linked.headers["Location"].endswith("#link-form")
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    beside = _beside(page, "link-url")
    assert f'id="link-url-error" role="alert">{url_said}' in beside and 'value="www.stats.example/gdp.csv"' in beside
    assert re.search(r'id="link-title" name="title" value="GDP 表"', page)
    again = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    assert 'id="link-url-error"' not in again and 'value="www.stats' not in again  # said once


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "This file is already in the dataset, as GDP 表: replace that file to publish a new version, or upload a "
           "different one."),
    ("zh", "该文件已在本数据集中（GDP 表）：如要发布新版本，请替换那个文件，或上传另一个文件。"),
], ids=["en", "zh"])
def test_the_same_file_uploaded_twice_on_the_page_says_which_file_has_it(client, world, lang, said):
    """A file uploaded a second time on the publish page said only "The change was not made." beside the upload
    (the API says which file of the dataset has those bytes already and what to do): the refusal the service gives
    is said in the reader's language whenever the page has no sentence of its own for its code."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert _upload(client, edit_url, CLEAN_CSV.read_bytes(), "gdp.csv", lang=lang, title="GDP 表").status_code == 303
    again = _upload(client, edit_url, CLEAN_CSV.read_bytes(), "gdp-again.csv", lang=lang)
    assert again.status_code == 303 and again.headers["Location"].endswith("#upload-form")
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    assert f'id="upload-file-error" role="alert">{said}' in _beside(page, "upload-file")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_table_thousands_of_columns_wide_gives_a_page_of_reasonable_size(app, client, world, lang):
    """A file whose one line held four million cells made the publish page 135 MB (20 s to render): every column in
    the preview and three inputs a column in the data dictionary's form. The preview shows the first 100 columns and
    the form the first 200, each saying how many the table has; the check the API gives is cut the same way."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    wide = ",".join(f"c{i}" for i in range(3000)) + "\n" + ",".join(str(i) for i in range(3000)) + "\n"
    assert _upload(client, edit_url, wide.encode(), "wide.csv", lang=lang).status_code == 303
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    preview = page[page.index('id="preview-1"'):page.index("</table>", page.index('id="preview-1"'))]
    assert preview.count('<th scope="col">') == 100 and "<th scope=\"col\">c99<" in preview
    assert ("The first 100 of its 3,000 columns." if lang == "en" else "仅显示其 3,000 列中的前 100 列。") in page
    assert len(re.findall(r'name="title:\d+"', page)) == 200
    assert ("The form shows the first 200 of the 3,000 columns" if lang == "en"
            else "表单仅显示 3,000 列中的前 200 列") in page
    assert len(page) < 400_000
    check = client.get(f"/api/v1/datasets/{world.draft_a}/check",
                       headers={"Authorization": world.tokens["editor_a"]}).get_json()
    assert check["preview"][0]["columns"] == 3000 and len(check["preview"][0]["header"]) == 100
    assert all(len(r) == 100 for r in check["preview"][0]["sample"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_dataset_page_of_a_table_thousands_of_columns_wide_is_of_reasonable_size(app, client, world, lang):
    """The dataset page showed every column of the preview's rows and one dictionary row a column (a table of four
    million columns: a page of that many cells, kept by the process). It shows the first 100 columns of the preview
    and the first 200 of the dictionary, each saying how many the table has."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    wide = ",".join(f"c{i}" for i in range(3000)) + "\n" + ",".join(str(i) for i in range(3000)) + "\n"
    assert _upload(client, edit_url, wide.encode(), "wide.csv", lang=lang).status_code == 303
    saved = form_post(client, edit_url, edit_url, dict(FULL))
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]
    edit_url = saved.headers["Location"]
    assert form_post(client, edit_url, edit_url + "/publish", {}).status_code == 303
    page = html.unescape(client.get(f"/dataset/population-2024?lang={lang}").get_data(as_text=True))
    start = page.index('class="usa-table usa-table--striped usa-table--compact preview"')
    preview = page[start:page.index("</table>", start)]
    assert preview.count('<th scope="col">') == 100 and '<th scope="col">c99<' in preview
    assert ("The first 100 of its 3,000 columns." if lang == "en" else "仅显示其 3,000 列中的前 100 列。") in page
    start = page.index('class="usa-table usa-table--compact dictionary-table"')
    assert page[start:page.index("</table>", start)].count('<th scope="row">') == 200
    assert ("The first 200 of the 3,000 columns; the Table Schema lists them all." if lang == "en"
            else "仅列出 3,000 列中的前 200 列；表结构（Table Schema）列出全部列。") in page
    assert len(page) < 400_000


def test_every_table_on_a_dataset_page_and_the_publishers_list_is_named(app, client, world):
    """Screen readers list a page's tables by their captions: the metadata, dictionary, versions, metadata points
    and score history tables had none, nor had /publisher's (WCAG 1.3.1)."""
    _draft_with_file(client, world)
    assert form_post(client, "/publish/population-2024", "/publish/population-2024/publish", {}).status_code == 303
    for lang in ("en", "zh"):
        for url in ("/dataset/population-2024", "/publisher"):
            page = client.get(f"{url}?lang={lang}").get_data(as_text=True)
            tables = re.findall(r"<table\b.*?</table>", page, re.S)
            assert len(tables) >= (6 if url.startswith("/dataset") else 1), (url, len(tables))
            for table in tables:
                caption = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.S)
                assert caption and caption.group(1).strip(), (url, lang, table[:200])


@pytest.mark.parametrize("role", ["editor_a", "admin_a"])
def test_the_signed_in_pages_keep_chinese_punctuation(client, world, role):
    """The pages only a signed-in person sees, read in Chinese as tests/app/test_pages.py reads the public ones: the
    account page said "甲局: 管理员" and a file on the publish page "（已上传, 535 B)" mixed with "(…)"; the audit log
    "下载这些事件： CSV"."""
    sign_in(client, world.emails[role])
    edit_url = f"/publish/{world.draft_a}"
    assert _upload(client, edit_url, CLEAN_CSV.read_bytes(), "population-2024.csv").status_code == 303
    for url in ("/account", edit_url, "/publish", "/audit"):
        zh = re.sub(r"<[^>]+>", "", client.get(f"{url}?lang=zh").get_data(as_text=True))
        misprints = re.findall(r"[\u4e00-\u9fff）][:;,]\s|\S{0,6}：\s+\S{0,6}|\S{0,6}[。，][ \t]+\S{0,6}|"
                               r"\S{0,6}[\u4e00-\u9fff] \([^)]{0,20}\)", html.unescape(zh))
        assert not misprints, (url, misprints[:5])
        # within a paragraph a line break reads as a space: "…如何挽回失分。 检查于 2026-12-06" (seen on the walk)
        misprints = paragraph_gaps(client.get(f"{url}?lang=zh").get_data(as_text=True))
        assert not misprints, (url, misprints[:5])
        if url == edit_url:
            assert re.search(r"（已上传，[\d,]+ B）", zh), zh[:3000]
            # the check's groups and the preview: "警告（4）", "预览：population-2024.csv（CSV，utf-8，10 行）";
            # a finding whose message is its title says it once ("缺少关键词：缺少关键词" read twice)
            assert re.search(r"(警告|建议|错误)（\d+）", zh), zh[:3000]
            assert re.search(r"预览：\S+（CSV，[\w-]+，\d+ 行）", zh), zh[:3000]
            assert not re.findall(r"(\w{2,12})：\1\s*\n", html.unescape(zh)), zh[:3000]
    en = re.sub(r"<[^>]+>", "", client.get(f"{edit_url}?lang=en").get_data(as_text=True))
    assert re.search(r" \(uploaded, [\d,]+ B\)", en)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_check_says_what_a_licence_less_draft_would_be_and_what_a_published_one_is(app, client, world, lang):
    """A draft with a file and no licence: "Nothing blocks publishing: the findings below only cost points" stood
    above "Errors: fix these first: No licence", and the dataset went out with 0 stars. Now the line says it would be
    published with 0 stars. Once published, the section is the dataset's quality check, not a pre-publication one,
    and no longer says that nothing blocks publishing."""
    sign_in(client, world.emails["editor_a"])
    edit_url = f"/publish/{world.draft_a}"
    assert _upload(client, edit_url, CLEAN_CSV.read_bytes(), "population-2024.csv").status_code == 303
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    said = re.search(r'id="check-needs" role="status">([^<]*)<', page).group(1)
    assert ("0 stars" in said) if lang == "en" else ("0 星" in said), said
    assert form_post(client, edit_url, f"{edit_url}/publish", {}).status_code == 303
    page = html.unescape(client.get(f"{edit_url}?lang={lang}").get_data(as_text=True))
    heading = re.search(r'<h2 id="check-h">([^<]*)<', page).group(1)
    assert heading == ("Quality check" if lang == "en" else "质量检查"), heading
    said = re.search(r'id="check-needs" role="status">([^<]*)<', page).group(1)
    assert said.startswith("Published." if lang == "en" else "已发布。"), said
    assert "once published" not in page and "Nothing blocks publishing" not in page
