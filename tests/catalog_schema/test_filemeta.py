"""catalog_schema/filemeta.py: a metadata sheet's row or a source's defaults <-> record fields."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog_schema import dates, filemeta
from catalog_schema.record import new_record, validation_errors


@pytest.mark.parametrize("header, field", [
    ("文件", "file"), (" File ", "file"), ("FILE_NAME", "file"), ("标题", "title"), ("Title", "title"),
    ("说明", "description"), ("描述", "description"), ("License", "licence"), ("licence", "licence"),
    ("许可协议", "licence"), ("关键词", "keywords"), ("主题", "theme"), ("更新频率", "frequency"),
    ("Update Frequency", "frequency"), ("时间范围", "temporal"), ("空间范围", "spatial"),
    ("发布机构", "publisher"), ("Language", "language"), ("联系方式", "contact_point"), ("更新日期", "modified"),
    # a BOM, a full-width colon, full-width letters
    ("\ufeff文件", "file"), ("标题：", "title"), ("ｔｉｔｌｅ", "title"),
    ("备注", None), ("", None), (None, None),
])
def test_headers_in_chinese_or_english_whatever_the_case_and_spaces(header, field):
    assert filemeta.field_for_header(header) == field


@pytest.mark.parametrize("text, expected", [
    ("2020-01-01/2023-12-31", {"start": "2020-01-01", "end": "2023-12-31"}),
    ("2020—2023", {"start": "2020", "end": "2023"}),
    ("2020–2023", {"start": "2020", "end": "2023"}),
    ("2020-2023", {"start": "2020", "end": "2023"}),
    ("2020 - 2023", {"start": "2020", "end": "2023"}),
    ("2020年至2023年", {"start": "2020", "end": "2023"}),
    ("2020年1月—2023年12月", {"start": "2020-01", "end": "2023-12"}),
    ("2020.1.1~2020.12.31", {"start": "2020-01-01", "end": "2020-12-31"}),
    ("2020-06/2020", {"start": "2020-06", "end": "2020"}),  # the second half of 2020
    ("2023", {"start": "2023", "end": "2023"}),
    ("2023-03", {"start": "2023-03", "end": "2023-03"}),
    # as Chinese statistical sheets write them: two dates joined by a hyphen, a quarter, a statistical year
    ("2020年1月-2023年12月", {"start": "2020-01", "end": "2023-12"}),
    ("2020年3月1日-2023年12月31日", {"start": "2020-03-01", "end": "2023-12-31"}),
    ("2020.01.01-2023.12.31", {"start": "2020-01-01", "end": "2023-12-31"}),
    ("2016.01-2025.12", {"start": "2016-01", "end": "2025-12"}),
    ("2016/01-2025/12", {"start": "2016-01", "end": "2025-12"}),
    ("2023年第一季度", {"start": "2023-01", "end": "2023-03"}),
    ("2023年第4季度", {"start": "2023-10", "end": "2023-12"}),
    ("2023Q2", {"start": "2023-04", "end": "2023-06"}),
    ("2020年度", {"start": "2020", "end": "2020"}),
])
def test_date_ranges_in_the_forms_sheets_write_them(text, expected):
    assert filemeta.parse_range(text) == expected


@pytest.mark.parametrize("text, why", [
    ("2023/2020", "ends before it starts"), ("2023-2020", "ends before it starts"),
    ("2020-13/2021", "its start is not a date"), ("2020/2021-13", "its end is not a date"),
    ("2020-02-30", "not a date"), ("next year", "not a date"),
    ("2020/2021/2022", "not a date range"), ("", "empty"),
    ("2023年12月-2020年1月", "ends before it starts"), ("2023年第5季度", "not a date"),
    ("2020年2月30日-2021年", "not a date"),
])
def test_what_is_not_a_date_range_says_why(text, why):
    with pytest.raises(ValueError, match=why):
        filemeta.parse_range(text)


def test_a_sheet_reads_a_date_as_every_door_publishes_it():
    """A sheet's row dated "1 March 2021" or "March 2021" (as UK and US portals write a date) was "not a date",
    flagged and left out, while every door published the same words as 2021-03-01 and 2021-03: the sheet had a
    reader of its own. It reads them with the one rule (catalog_schema.dates), so the two cannot drift apart."""
    file, fields, problems = filemeta.from_row({"file": "a.csv", "modified": "1 March 2021", "issued": "March 2021",
                                                "temporal": "1 March 2021 - 31 March 2021"})
    assert (file, problems) == ("a.csv", [])
    assert (fields["modified"], fields["issued"]) == ("2021-03-01", "2021-03")
    assert fields["temporal"] == {"start": "2021-03-01", "end": "2021-03-31"}
    _file, fields, problems = filemeta.from_row({"file": "b.csv", "更新日期": "31 February 2021"})
    assert "modified" not in fields and [p[:2] for p in problems] == [("modified", "31 February 2021")]
    for written in ("2021年3月1日", "2021.03.01", "2021-3", "2021", "01-Mar-2021", "Sept 2021", "2021-03-01 10:00",
                    "2021-13-01", "next year"):
        assert filemeta.parse_date(written) == dates.published_text(written), written
    assert filemeta.parse_date(dt.datetime(2021, 3, 1)) == filemeta.parse_date(dt.date(2021, 3, 1)) == "2021-03-01"
    # a date and time cell, as openpyxl gives it and as the harvester's text of it: one date and time
    assert filemeta.parse_date(dt.datetime(2021, 3, 1, 8, 15)) == filemeta.parse_date("2021-03-01T08:15:00")
    assert filemeta.parse_date("2021-03-01T08:15:00") == "2021-03-01T08:15:00"


def test_spreadsheet_cells_are_text_as_written():
    assert filemeta.cell_text(2023.0) == "2023"
    assert filemeta.cell_text(dt.datetime(2024, 6, 30)) == "2024-06-30"
    assert filemeta.cell_text(dt.datetime(2024, 6, 30, 8, 15)) == "2024-06-30T08:15:00"
    assert filemeta.cell_text("  two\n lines ") == "two lines"
    assert filemeta.cell_text("   ") is None and filemeta.cell_text(None) is None


def test_a_chinese_row_through_the_vocabularies():
    file, fields, problems = filemeta.from_row({
        "文件": "gdp.csv", "标题": "地区生产总值", "许可协议": "知识共享署名 4.0", "关键词": "统计，经济、GDP；核算",
        "主题": "经济和金融", "更新频率": "每年", "时间范围": "2004—2023", "空间范围": "京海市",
        "发布机构": "京海市统计局",
        "语言": "中文", "联系方式": "tj@jinghai.example", "备注": "内部"})
    assert file == "gdp.csv" and problems == []
    assert fields["license"] == "CC-BY-4.0" and fields["license_raw"] == "知识共享署名 4.0"
    assert fields["keywords"] == ["统计", "经济", "GDP", "核算"]
    assert fields["themes"] == ["ECON"] and fields["frequency"] == "ANNUAL" and fields["language"] == ["zh"]
    assert fields["publisher"] == {"slug": None, "name": {"": "京海市统计局"}, "extras": {}}
    assert fields["contact_point"]["email"] == "tj@jinghai.example"
    assert fields["extras"] == {"file_metadata": {"备注": "内部"}}


def test_values_not_understood_are_kept_where_the_record_keeps_raw_values_and_reported():
    fields, problems = filemeta.from_values({"licence": "Jinghai Open Licence", "theme": "Budgets, ECON",
                                             "frequency": "now and then", "temporal": "soon", "modified": "x"})
    assert fields["license"] is None and fields["license_raw"] == "Jinghai Open Licence"
    assert fields["themes"] == ["Budgets", "ECON"] and fields["frequency"] == "now and then"
    assert "temporal" not in fields and "modified" not in fields
    assert [p[0] for p in problems] == ["license", "themes", "frequency", "temporal", "modified"]


def test_a_language_no_code_or_name_says_is_reported_not_published():
    """A made-up language went out in DCAT as <http://id.loc.gov/vocabulary/iso639-1/火星语>."""
    fields, problems = filemeta.from_values({"语言": "中文、English、火星语"})
    assert fields["language"] == ["zh", "en"]
    assert [(p[0], p[1]) for p in problems] == [("language", "火星语")] and "not recognised" in problems[0][2]
    fields, problems = filemeta.from_values({"language": "klingon"})
    assert "language" not in fields and problems[0][:2] == ("language", "klingon")  # the defaults' one stands
    assert filemeta.from_values({"language": "en-US; de"}) == ({"language": ["en-US", "de"]}, [])


def test_defaults_take_lists_and_objects_too():
    fields, problems = filemeta.from_values({
        "keywords": ["a", "b, c"], "themes": ["TRAN"], "language": ["en", "zh"],
        "publisher": {"slug": "jh-stats", "name": {"zh": "京海市统计局"}},
        "contact_point": {"name": "Data desk", "email": "data@example.org"},
        "temporal": {"start": "2020-01-01", "end": "2020-12-31"}})
    assert problems == []
    assert fields["keywords"] == ["a", "b", "c"] and fields["themes"] == ["TRAN"]
    assert fields["publisher"]["slug"] == "jh-stats" and fields["publisher"]["name"] == {"zh": "京海市统计局"}
    assert fields["contact_point"] == {"name": "Data desk", "email": "data@example.org", "url": None, "phone": None}
    assert fields["temporal"] == {"start": "2020-01-01", "end": "2020-12-31"}


def test_applied_fields_make_a_valid_record_and_problems_become_flags():
    fields, problems = filemeta.from_values({"title": "GDP", "licence": "nope", "publisher": "jh-stats"})
    rec = filemeta.apply(new_record(title={"": "gdp"}), fields, problems, where="metadata.csv row 2")
    assert validation_errors(rec) == []
    assert rec["title"] == {"": "GDP"} and rec["publisher"]["slug"] == "jh-stats"
    assert rec["flags"] == [{"field": "license", "value": "nope",
                             "reason": "metadata.csv row 2: licence not recognised"}]


ROWS = [
    {"文件": "gdp.csv", "标题": "地区生产总值", "说明": "历年", "许可协议": "CC-BY-4.0", "关键词": "统计、经济",
     "主题": "ECON, SOCI", "更新频率": "每季度", "时间范围": "2004/2023", "空间范围": "京海市、北区",
     "发布机构": "jh-stats", "语言": "zh", "联系方式": "tj@jinghai.example", "更新日期": "2024年3月31日",
     "备注": "x"},
    {"file": "a/b.csv", "slug": "b-table", "title": "B", "licence": "Not known", "theme": "Other",
     "frequency": "sometimes"},
    {"file": "c.csv", "publisher": "京海市统计局", "contact": "https://jinghai.example/contact", "issued": "2020"},
]


@pytest.mark.parametrize("row", ROWS)
def test_to_row_and_from_row_round_trip(row):
    file, fields, _problems = filemeta.from_row(row)
    rec = filemeta.apply(new_record(), fields, [])
    again_file, again, _ = filemeta.from_row(filemeta.to_row(rec, file))
    assert again_file == file
    assert again == fields


@pytest.mark.parametrize("header", ["Contact email", "联系邮箱", " *CONTACT_EMAIL: "])
def test_a_column_that_promises_an_address_says_when_it_holds_none(header):
    fields, problems = filemeta.from_values({header: "Zhang Wei"})
    assert fields["contact_point"]["name"] == "Zhang Wei" and fields["contact_point"]["email"] is None
    assert [(p[0], p[1]) for p in problems] == [("contact_point", "Zhang Wei")]
    assert "not an e-mail address" in problems[0][2]
    for other in ("contact", "联系人", "联系方式"):  # a name is what these may hold
        assert filemeta.from_values({other: "Zhang Wei"})[1] == []
    assert filemeta.from_values({header: "zw@stats.example.gov.cn"})[1] == []
    assert filemeta.from_values({header: {"name": "数据处", "email": "d@x.cn"}})[1] == []
