"""The stored payload of a harvested record (harvesters.base._payload_text): orjson's compact JSON, json.dumps
where orjson refuses, and the same text whatever wrote it, for the payload hash."""

from __future__ import annotations

import datetime as dt
import json

from harvesters.base import _payload_text


def test_a_payload_is_compact_json_that_reads_back_the_same():
    payload = {"name": "bus-routes", "title": "公交线路", "num_resources": 2, "ratio": 0.5,
               "resources": [{"url": "http://127.0.0.1/a.csv", "size": None, "ok": True}]}
    text = _payload_text(payload)
    assert json.loads(text) == payload
    assert "公交线路" in text and ", " not in text


def test_what_orjson_refuses_is_written_by_json():
    payload = {"big": 2**70, "lone": "\ud800", 3: "three"}
    text = _payload_text(payload)
    assert '"big": 1180591620717411303424' in text  # json.dumps's spelling: exact
    assert "\\ud800" in text  # spelled out, as every database takes it
    assert json.loads(text)["3"] == "three"


def test_a_date_is_said_as_str_says_it():
    assert json.loads(_payload_text({"at": dt.datetime(2026, 1, 2, 3, 4, 5)})) == {"at": "2026-01-02 03:04:05"}
    assert _payload_text(b"raw \x00 bytes") == "raw \\x00 bytes"
    assert _payload_text(None) is None


def test_text_orjson_wrote_is_taken_as_it_is_and_the_rest_is_spelled_out():
    from plumbing import jsontext

    payload = {"nul": "a\x00b", "title": "公交", "n": 1}
    text, by_orjson = jsontext.dumps_marked(payload, default=str)
    assert by_orjson and "\x00" not in text and "\\u0000" in text
    assert _payload_text(payload) == text and json.loads(_payload_text(payload)) == payload
    odd = {"lone": "\ud800", "nul": "\x00"}
    text, by_orjson = jsontext.dumps_marked(odd, default=str)
    assert not by_orjson and text == json.dumps(odd, ensure_ascii=False)
    stored = _payload_text(odd)
    assert "\x00" not in stored and stored.encode("utf-8") and "\\ud800" in stored
