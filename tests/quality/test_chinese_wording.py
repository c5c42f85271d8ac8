"""A finding said in Chinese follows the platform's one rule of spacing (plumbing.cjk.cjk_spaced, which the
translations follow too): no space between Chinese text and a value made of Chinese words, spaces beside a number,
a code or a Latin name. A column, a sheet, a ZIP member named by its name is quoted (列“电子邮箱”): the quotes set
the name apart, whatever its script, and no space stands beside them."""

from __future__ import annotations

from quality.findings import make_finding


def _zh(slug: str, **evidence) -> tuple[str, str]:
    return make_finding(slug, **evidence).localised("zh")


def test_a_place_named_in_chinese_takes_no_spaces_and_a_latin_value_keeps_them():
    assert _zh("pii-email", column="电子邮箱", count=20)[0] == "列“电子邮箱”含有 20 个电子邮件地址。"
    message, fix = _zh("pii-phone", within="sheet", part="名单", count=12, beside_table=True)
    assert message == "工作表“名单”含有 12 个手机号码（在所检查的表格之外）。"
    assert "位于工作簿的工作表“名单”中，" in fix
    assert _zh("pii-email", column="email", count=20)[0] == "列“email”含有 20 个电子邮件地址。"
    assert _zh("pii-phone", within="member", part="b.csv", count=2)[0] == "压缩包成员“b.csv”含有 2 个手机号码。"
    assert _zh("pii-phone", column_position=3, count=5)[0] == "第 3 列含有 5 个手机号码。"
    typed = _zh("type-error", count=4, columns=["金额", 5])[0]
    assert typed == "有 4 个单元格与所在列的类型不符，主要在“金额”、第 5 列。"
    # the rule itself: a value of Chinese words loses the template's spaces, a code or a Latin name keeps them
    stale = _zh("stale", dated="modified", age_days=400, frequency="MONTHLY", expected_days=30, periods_late=12.3)[0]
    assert stale == "最近一次更新在 400 天前，声明的更新频率为每月（30 天），已滞后 12.3 个周期。"
    assert _zh("format-mismatch", declared="CSV", sniffed="XLSX")[0] == "声明的格式为 CSV，但文件实际为 Excel XLSX。"
    # the English is as it was
    assert make_finding("pii-email", column="电子邮箱", count=20).message == \
        "Column 电子邮箱 holds 20 e-mail addresses."
