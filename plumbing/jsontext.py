"""JSON text by orjson, and by json where orjson would say otherwise.

orjson writes and reads JSON several times faster than the standard library (a page reads hundreds of JSON
values, a harvest writes some twenty a dataset, a package_search answer is 60 kB). Where the two differ, json
decides, so the text and the values are what json gave:

- writing: an integer past 64 bits and a lone surrogate (orjson refuses both) go to json.dumps; keys that are
  not text are spelled as text (as json.dumps does); a datetime or a dataclass goes to `default` (orjson would
  write its own form of them), and without a default it is refused with json's TypeError;
- reading: any run of 19 digits goes to json.loads (orjson reads an integer past 64 bits as a float), and so
  does what orjson refuses (NaN and Infinity, which json.dumps wrote and SQLite kept as written).

The text is compact and UTF-8 (no \\u escapes). Hashes of JSON text keep json's own spelling elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
#: bytes.translate table: every ASCII digit to "1", every other byte to "0"; a run of 19 digits is then the bytes
#: _LONG_RUN (two C passes over the text, a tenth of the regular expression `[0-9]{19}`'s scan of a dataset's row).
_DIGIT_MARKS = bytes(0x31 if 0x30 <= b <= 0x39 else 0x30 for b in range(256))
_LONG_RUN = b"1" * 19


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`value` as JSON text (see the module); `default` as json.dumps takes it (e.g. str)."""
    try:
        return orjson.dumps(value, default=default or _refuse, option=_OPTIONS).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, default=default)


def dumps_marked(value: Any, default: Callable[[Any], Any] | None = None) -> tuple[str, bool]:
    """`dumps(value, default)` and whether orjson wrote it: then the text holds no NUL character (orjson writes
    \\u0000) and no lone surrogate (orjson refuses one), which json.dumps(ensure_ascii=False) may write as such."""
    try:
        return orjson.dumps(value, default=default or _refuse, option=_OPTIONS).decode("utf-8"), True
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, default=default), False


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """The value of JSON `text` (see the module)."""
    if len(text) < 19:  # too short for 19 digits (a str's digits are one character each): most JSON columns
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return json.loads(bytes(text) if isinstance(text, memoryview) else text)
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _LONG_RUN not in bytes(data).translate(_DIGIT_MARKS):  # no run of 19 digits: orjson reads it as json does
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(bytes(text) if isinstance(text, memoryview) else text)
