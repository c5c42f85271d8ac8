"""plumbing.jsontext: orjson's speed, json's text and values where the two would differ."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from plumbing import jsontext


def test_dumps_is_compact_utf8_json_that_reads_back_the_same():
    doc = {"count": 2, "title": "公交", "ratio": 0.5, "tiny": 1e-05, "none": None, "list": [1, True]}
    text = jsontext.dumps(doc)
    assert json.loads(text) == doc and "公交" in text and ", " not in text


def test_dumps_leaves_to_json_what_orjson_would_write_otherwise():
    assert json.loads(jsontext.dumps({"big": 2**70, "lone": "\ud800", 5: "five"})) == \
        {"big": 2**70, "lone": "\ud800", "5": "five"}
    at = dt.datetime(2026, 1, 2, 3, 4)
    assert json.loads(jsontext.dumps({"at": at}, default=str)) == {"at": "2026-01-02 03:04:00"}  # str(), not ISO
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsontext.dumps({"at": at})  # refused, as json.dumps refuses it


def test_loads_keeps_long_integers_exact_and_reads_what_json_dumps_wrote():
    assert jsontext.loads(memoryview(b'[12345678901234567890123, 1]')) == [12345678901234567890123, 1]
    assert jsontext.loads(b'{"a": -9223372036854775809}') == {"a": -9223372036854775809}
    assert type(jsontext.loads("[18446744073709551615]")[0]) is int
    nan, inf = jsontext.loads("[NaN, Infinity]")
    assert nan != nan and inf == float("inf")
    assert jsontext.loads('{"x": "\\u4ea4"}') == {"x": "交"}
    # many digits, none in a run of 19: the fast path; a long run among them: exact
    assert jsontext.loads('[1234567890, 1234567890, 0.5, "2026-12-05"]') == [1234567890, 1234567890, 0.5, "2026-12-05"]
    assert jsontext.loads('["2026-12-05", 1, 123456789012345678901]')[2] == 123456789012345678901
    row = '["数据集 123", "00000000-0000-0000-0000-000000000010", ' + ", ".join(["1123"] * 200)
    assert jsontext.loads(row + ", 99999999999999999999]")[-1] == 99999999999999999999  # a run at the very end
    assert jsontext.loads(memoryview((row + ", 7]").encode()))[-1] == 7
    assert jsontext.loads("[123456789012345678901234567890, " + row[1:] + "]")[0] == 123456789012345678901234567890
    # short texts (under 19 characters or bytes) take orjson at once, json where orjson refuses
    for short in ("[]", "{}", '"zh"', b"null", memoryview(b'["CSV"]'), "[NaN]", '"\u4ea4"'):
        got, want = jsontext.loads(short), json.loads(bytes(short) if isinstance(short, memoryview) else short)
        assert got == want or (got[0] != got[0] and want[0] != want[0])
    for bad in ("{bad", "[", b"", memoryview(b"{bad")):
        with pytest.raises(ValueError):
            jsontext.loads(bad)
