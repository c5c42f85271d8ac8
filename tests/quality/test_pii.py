"""Personal data detection: checksum-valid identifiers are counted, look-alikes are not, values never leak."""

import json
import random

import pyarrow as pa

from quality import pii

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(body17: str) -> str:
    """A resident identity number with the GB 11643 check character, built independently of pii.py."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, _W, strict=False)) % 11]


def wrong_check(idn: str) -> str:
    return idn[:-1] + ("0" if idn[-1] != "0" else "1")


def luhn_complete(prefix: str, length: int) -> str:
    rnd = random.Random(prefix)
    body = prefix + "".join(str(rnd.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        digits = [int(c) for c in body + d][::-1]
        total = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(digits))
        if total % 10 == 0:
            return body + d
    raise AssertionError


def make_uscc(body17: str) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(chars.index(c) * w for c, w in zip(body17, weights, strict=False))
    return body17 + chars[(31 - total % 31) % 31]


IDS = [make_id("11010519491231002"), make_id("44030619900307123"), make_id("32010220000229456")]


def test_resident_id_checksum_and_birth_date():
    for idn in IDS:
        assert pii.is_valid_resident_id(idn), idn
        assert not pii.is_valid_resident_id(wrong_check(idn))
    assert IDS[0].endswith("X")
    assert pii.is_valid_resident_id(IDS[0].lower())
    assert not pii.is_valid_resident_id(make_id("11010519491332002"))  # month 13
    assert not pii.is_valid_resident_id(make_id("11010519490230002"))  # 30 February
    assert not pii.is_valid_resident_id(make_id("99010519491231002"))  # no such province
    assert not pii.is_valid_resident_id(make_id("11010530001231002"))  # born in the year 3000


def test_luhn_and_uscc_validators():
    assert pii.luhn_ok("4111111111111111")
    assert not pii.luhn_ok("4111111111111112")
    card = luhn_complete("622202", 19)
    assert pii.luhn_ok(card) and pii.luhn_ok(" ".join(card[i:i + 4] for i in range(0, 19, 4)))
    assert not pii.luhn_ok("12345")
    code = make_uscc("91350100M000100Y4")
    assert pii.is_valid_uscc(code)
    assert pii.is_valid_uscc("91110000600037341L")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not pii.is_valid_uscc(bad)


def test_scan_values_counts_only_valid():
    values = IDS + [wrong_check(i) for i in IDS] + [
        "13812345678", "+86 139-1234-5678", "联系电话：15912345678。", "12812345678", "1381234567",
        "zhang.san@example.cn", "not an @ address",
        "4111111111111111", luhn_complete("622848", 19), "4111111111111112", "1234567890123456",
        make_uscc("91350100M000100Y4"), None, "", "12.5",
    ]
    assert pii.scan_values(values) == {"id_number": 3, "phone": 3, "email": 1, "bank_card": 2, "uscc": 1}


def test_an_identity_number_inside_text_is_counted_and_masked():
    """A remarks column ("市民王某（身份证<id>，电话<phone>）") listed the phones only: an identity number was counted
    only as a whole cell of 18 characters."""
    inside = [f"市民王{i}（身份证{idn}，电话1390000100{i}）" for i, idn in enumerate(IDS)]
    english = f"ID {IDS[1].lower()} on file"
    not_ids = [f"身份证{wrong_check(IDS[0])}", f"订单号9{IDS[1]}", f"{IDS[2]}7 是流水号",
               "编号123456789012345678901234"]
    assert pii.scan_values(inside + [english]) == {"id_number": 4, "phone": 3}
    assert pii.scan_values(not_ids) == {}
    cells = inside + [english] + not_ids
    assert pii.mask_array(pa.array(cells, pa.string()), ("id_number",)).tolist() == [True] * 4 + [False] * 4


def test_scan_columns_per_column_and_batches():
    rnd = random.Random(7)
    n = 3000
    ids = [make_id(f"{rnd.choice(['11', '31', '44'])}0105{rnd.randint(1950, 2005)}0{rnd.randint(1, 9)}"
                   f"1{rnd.randint(0, 9)}{rnd.randint(100, 999)}") for _ in range(n)]
    phones = [f"1{rnd.choice('3456789')}{rnd.randint(0, 999999999):09d}" for _ in range(n)]
    table = pa.table({"sfzh": ids, "tel": phones, "amount": [str(rnd.random()) for _ in range(n)],
                      "note": ["x"] * (n - 2) + ["mail me: a.b@gov.cn", wrong_check(ids[0])]})
    expected = {"sfzh": {"id_number": n}, "tel": {"phone": n}, "note": {"email": 1}}
    assert pii.scan_columns(table) == expected
    assert pii.scan_columns(table.to_batches(max_chunksize=700)) == expected
    assert pii.scan_columns(table.to_pandas()) == expected


def test_results_never_contain_values():
    secret_id, secret_phone = IDS[1], "13987654321"
    out = pii.scan_columns(pa.table({"a": [secret_id, secret_phone, "x@y.org"]}))
    text = json.dumps(out)
    assert out == {"a": {"id_number": 1, "phone": 1, "email": 1}}
    for value in (secret_id, secret_phone, "x@y.org"):
        assert value not in text


def _mixed_cells() -> list[str | None]:
    rnd = random.Random(11)
    return IDS + [wrong_check(i) for i in IDS] + [
        "13812345678", "+86 139-1234-5678", "联系电话：15912345678。", "12812345678", "1381234567",
        "zhang.san@example.cn", "not an @ address", "  " + IDS[1] + " ",
        "4111111111111111", luhn_complete("622848", 19), "4111 1111 1111 1111", "4111111111111112",
        "1234567890123456", make_uscc("91350100M000100Y4"), None, "", "12.5", "长" * 20,
        f"备注：身份证{IDS[2]}。", f"备注：{wrong_check(IDS[2])}",
    ] + [str(rnd.randint(0, 10**12)) for _ in range(50)]


def test_mask_array_marks_exactly_the_cells_scan_counts():
    cells = _mixed_cells()
    for kinds in (pii.PERSONAL_KINDS, pii.KINDS, ("phone",), ("uscc",)):
        mask = pii.mask_array(pa.array(cells, pa.string()), kinds)
        expected = [bool(c is not None and set(pii.scan_values([c])) & set(kinds)) for c in cells]
        assert mask.tolist() == expected, kinds
    default = pii.mask_array(pa.array(cells, pa.string()))
    assert default.sum() == 5 + 3 + 1 + 3  # ids (one padded, one in text), phones, e-mail, cards; the USCC is kept
    assert not default[cells.index(make_uscc("91350100M000100Y4"))]


def test_mask_array_chunked_sliced_integer_and_empty():
    cells = _mixed_cells()
    whole = pii.mask_array(pa.array(cells, pa.string()))
    chunked = pa.chunked_array([pa.array(cells[:7], pa.string()), pa.array(cells[7:], pa.string())])
    assert pii.mask_array(chunked).tolist() == whole.tolist()
    assert pii.mask_array(pa.array(cells, pa.string()).slice(5, 9)).tolist() == whole[5:14].tolist()
    assert pii.mask_array(pa.array([13812345678, 42, None], pa.int64())).tolist() == [True, False, False]
    assert pii.mask_array(pa.array([], pa.string())).tolist() == []
    assert pii.mask_array(pa.chunked_array([], pa.string())).tolist() == []


def test_may_hold_is_false_only_where_mask_array_masks_nothing():
    """`may_hold` lets the doors that describe a dataset skip `mask_array` (half a millisecond of array operations
    for a dataset's twenty metadata values, at every package of a search): it may say True of a text holding nothing,
    never False of one `mask_array` masks. Every form the detector reads (grouped, full-width, inside a text), and
    20,000 random texts of digits, separators and letters, of which the detector masks some."""
    from tests.support.personal import EMAIL, IDS, PHONES, make_id

    wide = str.maketrans("0123456789X@-", "０１２３４５６７８９Ｘ＠－")
    born_2005 = make_id("11010520050101002")  # no "1" then 3-9 in it: only the 17 digits in a row tell it
    known = [*IDS, *PHONES, EMAIL, f"身份证{IDS[0]}，电话{PHONES[1]}", born_2005,
             f"经办人身份证号码为{born_2005}，已核实，原件存档案室", f"{IDS[2][:6]} {IDS[2][6:14]} {IDS[2][14:]}",
             f"{IDS[3][:6]}-{IDS[3][6:14]}-{IDS[3][14:]}", IDS[4].translate(wide), PHONES[2].translate(wide),
             f"+86 {PHONES[3][:3]}-{PHONES[3][3:7]}-{PHONES[3][7:]}", EMAIL.translate(wide), "5555 5555 5555 4444",
             "4111-1111-1111-1111", "6011000990139424", "  4111111111111111  "]
    rng = random.Random(7)
    alphabet = "0123456789" * 6 + "１３９０" + " -－" * 3 + "@.abcxX+" + "号码电话"
    texts = known + ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 40))) for _ in range(20_000)]
    masked = pii.mask_array(pa.array(texts, pa.string()))
    assert masked[:len(known)].all()  # the detector reads every known form
    assert masked[len(known):].sum() > 20  # and some of the random texts: the property is tested on them too
    missed = [t for t, m in zip(texts, masked, strict=True) if m and not pii.may_hold(t)]
    assert missed == []
    ordinary = ["00000000-0000-0000-0000-000000000002", "2021-03-04T00:00:07.000007",
                "d41d8cd98f00b204e9800998ecf8427e", "https://data.example.gov/dataset/1234567890/resource.csv", "CSV",
                "1,204,000", "2026年第3季度"]
    assert not any(map(pii.may_hold, ordinary))  # what most metadata is: no array operation for it


def test_may_hold_within_is_false_only_where_mask_array_masks_nothing_in_any_text():
    """`may_hold_within` lets the serving gate pass a dataset's whole metadata, written out (its `repr`, or its JSON
    with its characters as they are),
    with one look (a few microseconds) instead of testing each text: never False of a document one of whose texts
    `mask_array` masks, among any others, whatever the form (grouped, full-width, a bank card however grouped);
    False of what most metadata is (dates, ids, numbers, Chinese prose with its full-width punctuation)."""
    from tests.support.personal import EMAIL, IDS, PHONES

    wide = str.maketrans("0123456789X@-", "０１２３４５６７８９Ｘ＠－")
    known = [*IDS, *PHONES, EMAIL, f"身份证{IDS[0]}，电话{PHONES[1]}", f"{IDS[2][:6]} {IDS[2][6:14]} {IDS[2][14:]}",
             IDS[4].translate(wide), PHONES[2].translate(wide), EMAIL.translate(wide), "5555 5555 5555 4444",
             "3782 822463 10005", "41 11 11 11 11 11 11 11", "6011000990139424", "  4111111111111111  "]
    rng = random.Random(11)
    alphabet = "0123456789" * 6 + "１３９０" + " -－" * 3 + "@.abcxX+'\"" + "号码电话，"
    texts = known + ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 40))) for _ in range(20_000)]
    masked = pii.mask_array(pa.array(texts, pa.string()))
    assert masked[:len(known)].all() and masked[len(known):].sum() > 20
    ordinary = {"id": "e6dfa31d-ebea-4209-9334-18a0d6aa4272", "issued": "2021-03-04T00:00:07.000007",
                "title": {"zh": "2026年第3季度各区县人口统计（单位：人）", "en": "Population 2026 Q3"},
                "keywords": ["人口", "统计"], "extras": {"ckan": {"version": "1.0", "size": 1204000},
                                                       "hash": "d41d8cd98f00b204e9800998ecf8427e"},
                "landing_page": "https://data.example.gov/dataset/1234567890/resource.csv"}
    assert not pii.may_hold_within(repr(ordinary)) and not pii.may_hold_within(json.dumps(ordinary, ensure_ascii=False))
    missed = []
    for text, found in zip(texts, masked, strict=True):
        if found:
            within = {**ordinary, "description": {"zh": text}, "extras": {**ordinary["extras"], "k": [1, text]}}
            written = (repr(within), json.dumps(within, ensure_ascii=False))
            if not all(pii.may_hold_within(document) for document in written):
                missed.append(text)
    assert missed == []
