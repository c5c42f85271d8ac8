"""Chinese (GBK/GB18030) or Korean (EUC-KR/CP949): the same bytes decode cleanly in both, and a short table
gave charset-normalizer too little to tell them apart. A GBK table of Beijing districts was read as Korean
(区名,面积 -> 정츰,충생: the preview and the row store showed Hangul garbage) and a Korean table of Seoul's
districts as GBK (구,인구 -> 掘,牢掘). Real phrases, written here as text and encoded here."""

from __future__ import annotations

import io

import pytest

from plumbing.textencoding import detect_encoding
from quality.sniff import sniff, sniff_file
from quality.tabular import detect_encoding as table_encoding
from quality.tabular import read_table

BEIJING = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区", "顺义区",
           "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"]
SHANGHAI = ["黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区",
            "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区"]
SEOUL = ["종로구", "중구", "용산구", "성동구", "광진구", "동대문구", "중랑구", "성북구", "강북구", "도봉구",
         "노원구", "은평구", "서대문구", "마포구", "양천구", "강서구", "구로구", "금천구", "영등포구", "동작구",
         "관악구", "서초구", "강남구", "송파구", "강동구"]
CHINESE_HEADERS = ["区,人口", "地区,人口", "区名,面积", "街道,户数", "指标,数值", "名称,金额", "区县,常住人口",
                   "单位,数量"]
KOREAN_HEADERS = ["구,인구", "자치구,인구수", "지역,면적", "구,세대수", "이름,나이", "시군구,인구", "구명,합계"]

SHORT_CHINESE = [
    "区,人口\n东城区,708829\n西城区,1106214\n",
    "区名,面积\n西城区,50.7\n",
    "街道,面积\n朝阳门,2.3\n",
    "单位,金额\n财政局,100\n",
    "县,乡镇数\n密云区,20\n延庆区,15\n",
    "指标,数值\n地区生产总值,36102\n",
    "区\n东城区\n",
]
SHORT_KOREAN = [
    "구,인구\n종로구,149384\n중구,125725\n",
    "구,인구\n종로구,149384\n",
    "구\n중구\n",
    "이름,나이\n김철수,30\n",
    "자치구,인구수\n강남구,537800\n서초구,413076\n",
    "시도,인구\n서울특별시,9668465\n부산광역시,3391946\n",
    "동,세대수\n청운효자동,5678\n사직동,4523\n",
]


def _table(header: str, names: list[str]) -> str:
    return header + "\n" + "".join(f"{name},{100_000 + 7919 * i}\n" for i, name in enumerate(names))


LONG_CHINESE = [
    _table("区,常住人口(人)", BEIJING),
    _table("年份,区,户籍人口(万人)", [f"2023,{d}" for d in SHANGHAI]),
    _table("地区,面积(平方公里)", BEIJING + SHANGHAI) * 20,
]
LONG_KOREAN = [
    _table("구,인구", SEOUL),
    _table("연도,자치구,세대수", [f"2023,{d}" for d in SEOUL]),
    _table("서울특별시 자치구별 인구,합계", SEOUL) * 20,
]


def _chinese(data: bytes, text: str, encoding: str | None) -> bool:
    return encoding in ("gbk", "gb18030") and data.decode(encoding) == text


def _korean(data: bytes, text: str, encoding: str | None) -> bool:
    return encoding in ("cp949", "euc_kr") and data.decode(encoding) == text


@pytest.mark.parametrize("text", SHORT_CHINESE + LONG_CHINESE)
@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_chinese_is_chinese(text, codec):
    data = text.encode(codec)
    assert _chinese(data, text, detect_encoding(data)[0])


@pytest.mark.parametrize("text", SHORT_KOREAN + LONG_KOREAN)
@pytest.mark.parametrize("codec", ["euc_kr", "cp949"])
def test_korean_is_korean(text, codec):
    data = text.encode(codec)
    assert _korean(data, text, detect_encoding(data)[0])


def test_korean_outside_euc_kr_is_cp949():
    text = "상호,주소\n똠방각하,서울특별시 종로구\n"  # 똠 is not in KS X 1001: only CP949 encodes it
    data = text.encode("cp949")
    assert detect_encoding(data)[0] == "cp949" and data.decode("cp949") == text


def test_every_short_table_of_one_or_two_districts():
    """Each header with one district, and with two neighbours: the short tables where the bytes say least."""
    wrong = []
    for header in CHINESE_HEADERS:
        for i, name in enumerate(BEIJING + SHANGHAI):
            for names in ([name], (BEIJING + SHANGHAI)[i:i + 2]):
                text = _table(header, names)
                data = text.encode("gbk")
                if not _chinese(data, text, detect_encoding(data)[0]):
                    wrong.append(text)
    for header in KOREAN_HEADERS:
        for i, name in enumerate(SEOUL):
            for names in ([name], SEOUL[i:i + 2]):
                text = _table(header, names)
                data = text.encode("euc_kr")
                if not _korean(data, text, detect_encoding(data)[0]):
                    wrong.append(text)
    assert wrong == []


@pytest.mark.parametrize(("text", "codec", "chinese"), [
    (SHORT_CHINESE[1], "gbk", True), (SHORT_CHINESE[2], "gbk", True),
    (SHORT_KOREAN[1], "euc_kr", False), (SHORT_KOREAN[3], "cp949", False),
])
def test_the_sniffer_the_upload_and_the_table_reader_agree(tmp_path, text, codec, chinese):
    """Every door that decides an encoding: the sniffer (assessment, upload), the table reader (preview, row store,
    profile)."""
    data = text.encode(codec)
    ok = _chinese if chinese else _korean
    assert ok(data, text, sniff(data, filename="t.csv").encoding)
    assert ok(data, text, sniff_file(io.BytesIO(data), data, filename="t.csv").encoding)
    codec_read, label = table_encoding(data)
    assert ok(data, text, label) and data.decode(codec_read) == text
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    first = next(read_table(str(path), format="csv"))  # no encoding given: the reader decides, as the row store's
    lines = [line.split(",") for line in text.splitlines()]
    assert first.schema.names == lines[0] and first.column(0).to_pylist()[0] == lines[1][0]
