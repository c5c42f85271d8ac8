"""The editable fields' pure checks (app/services/fields.py), as every door uses them."""

from __future__ import annotations

import pytest

from app.services import fields
from app.services.errors import Invalid


def test_a_description_typed_in_a_browser_keeps_its_lines_not_its_carriage_returns():
    """A form posts CRLF: stored as typed, the check counted the CRs as characters of the description."""
    assert fields.langmap("第一行\r\n第二行\r\n", "zh", None) == {"zh": "第一行\n第二行"}
    assert fields.langmap({"en": "one\r\ntwo", "zh": "一\r二"}, "zh", None) == {"en": "one\ntwo", "zh": "一\n二"}
    assert fields.langmap("  ", "zh", {"en": "kept"}) == {"en": "kept"}


def test_a_text_in_no_stated_language_is_the_whole_text_under_the_empty_key():
    """The CKAN door's plain name (UNSTATED): kept under "", never tagged with a language the client did not say, and
    the whole text (a Chinese text kept beside it still showed to Chinese readers); a text in a language said merges
    into the others, as before."""
    from app.services.context import UNSTATED, Actor

    assert Actor(None, None, "ckan_action", lang=UNSTATED).lang == "" and Actor(None, None, "rest", lang="").lang == ""
    assert Actor(None, None, "rest", lang=None).lang == "zh" and Actor(None, None, "web", lang="en-GB").lang == "en"
    assert fields.langmap("各区人口", UNSTATED, None) == {"": "各区人口"}
    assert fields.langmap("新名", UNSTATED, {"zh": "旧名", "en": "Old name", "": "旧"}) == {"": "新名"}
    assert fields.langmap("", UNSTATED, {"zh": "旧名"}) == {}
    assert fields.langmap({"zh": "新名"}, UNSTATED, {"en": "Old"}) == {"zh": "新名"}
    assert fields.langmap("New", "en", {"zh": "旧名", "": "旧"}) == {"zh": "旧名", "": "旧", "en": "New"}


def test_a_whole_record_is_checked_as_the_form_checks_it_and_what_it_held_passes():
    rec = {"issued": "2024年3月1日", "temporal": {"start": "2020", "end": "2024-06"},
           "contact_point": {"email": "data@tjj.example.gov.cn"}}
    fields.check_record(rec)
    assert rec["issued"] == "2024-03-01" and rec["temporal"] == {"start": "2020", "end": "2024-06"}
    for bad in ({"issued": "2024-02-30"}, {"modified": "yesterday"}, {"temporal": {"start": "2024-13"}},
                {"temporal": {"start": "2024-05", "end": "2023-01"}}, {"contact_point": {"email": "not-an-email"}}):
        with pytest.raises(Invalid):
            fields.check_record(dict(bad))
    held = {"issued": "2023-13-01"}  # a harvested value the dataset holds already: a patch of another field passes
    fields.check_record(dict(held), before=held)


def test_an_e_mail_typed_with_a_chinese_keyboard_is_the_address_it_means():
    """A Chinese input method types ＠, full-width letters and 。 as readily as @ and ".": "data＠stats。gov.cn" was
    refused as no e-mail address, and its typist could not see why. What mail would take is kept; what is still
    no address is still refused."""
    import pytest

    from app.services.errors import Invalid

    for typed in ("data＠stats。jinghai．gov．cn", "ｄａｔａ@stats.jinghai.gov.cn", "data@stats｡jinghai.gov.cn",
                  "mailto:data＠stats.jinghai.gov.cn", "data@stats.jinghai.gov.cn"):
        assert fields.contact_point({"email": typed})["email"] == "data@stats.jinghai.gov.cn", typed
    assert fields.contact_point({"email": "李雷@例子.中国"})["email"] == "李雷@例子.中国"  # an address in Chinese stays
    for bad in ("data＠＠stats.gov.cn", "数据处", "data@stats。"):
        with pytest.raises(Invalid):
            fields.contact_point({"email": bad})


def test_a_media_type_is_stored_as_the_exports_read_it():
    """fields.media_type (the CKAN write API, the publish page, REST) stores what vocab.declared_media_type reads, so
    what it stores is what dcat:mediaType and data.json say: a format's label written where a media type belongs
    ("RDF/XML") was stored as "rdf/xml", a type under no IANA top-level type, which the exports would leave out."""
    for value, stored in (("CSV", "text/csv"), ("text/csv; charset=utf-8", "text/csv; charset=utf-8"),
                          ("RDF/XML", "application/rdf+xml"), ("", None), (None, None),
                          ("binary/octet-stream", "binary/octet-stream")):  # a type/subtype, kept as written
        assert fields.media_type(value) == stored, value
    for typed in ("comma separated", "text/*", "*/*", "application/*"):  # a wildcard was stored as text/plain
        with pytest.raises(Invalid) as refused:
            fields.media_type(typed, "mimetype")
        assert refused.value.detail["field"] == "mimetype", typed


def test_a_servers_content_type_is_suggested_only_when_it_names_the_format_the_bytes_are():
    """A link whose address names no format (an API's export address) has no media type until its publisher declares
    one, while the server said it with the file: its Content-Type is offered as the media type to declare, when it
    names a format the catalog knows and the bytes, once read, are of that format. Never over what the publisher gave;
    never a server's guess the file belies (a CSV sent as text/plain, a workbook as the older Excel's type)."""
    suggested = fields.suggested_media_type
    assert suggested(None, "text/csv; charset=utf-8", "CSV") == "text/csv"  # without its parameters
    assert suggested("", "text/csv", None) == "text/csv"  # not read yet: the server's word alone
    assert suggested(None, "application/geo+json", "GEOJSON") == "application/geo+json"
    assert suggested(None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX") == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    for declared, served, read_as in (
            ("text/csv", "text/csv", "CSV"),  # given already
            ("binary/octet-stream", "text/csv", "CSV"),  # given, though no format's: the publisher's word stands
            (None, None, "CSV"),  # the server said nothing
            (None, "application/octet-stream", "CSV"),  # said nothing of a format
            (None, "comma separated", None),  # no media type at all
            (None, "text/plain", "CSV"),  # the bytes are another format's
            (None, "application/vnd.ms-excel", "XLSX")):
        assert suggested(declared, served, read_as) is None, (declared, served, read_as)


def test_a_date_is_taken_as_every_door_publishes_it_and_a_misspelt_one_refused():
    """A form's or an API's date is read by the one rule (catalog_schema.dates): a day with its weekday or with the
    year first is that day; a wrong ordinal, a weekday that is not the day's or a year of two digits is refused
    naming the field, never stored as a guess."""
    for typed in ("Monday, 1 March 2021", "Mon 1 Mar 2021", "2021-Mar-01", "2021-March-01", "1st March 2021"):
        assert fields.date_value(typed, "issued") == "2021-03-01", typed
    for typed in ("1th March 2021", "Tuesday, 1 March 2021", "01-Mar-21", "21-Mar-01"):
        with pytest.raises(Invalid) as refused:
            fields.date_value(typed, "issued")
        assert refused.value.detail["field"] == "issued" and refused.value.detail["why"] == "date", typed
