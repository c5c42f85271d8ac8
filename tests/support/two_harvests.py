"""Two real harvests of one CKAN source (FakeCkan on a LocalServer) that add, update, withdraw and fail
records, for the tests of the source report (the page, the REST resource and `opendata source show`).

Job 1 lists p0..p3 (added) and two records that fail: p4 (a number as licence: the catalog schema refuses
it) and p6 (a NUL character in its title). Job 2, a full gather, lists p0 and p3 as they were (unchanged),
p1 retitled with markup (updated), no p2 (withdrawn), p7 and p8 new (added, p7 titled with markup, p8 with a
terminal escape sequence), and four
records that fail in three kinds: p4 and p5 (numbers as licence), p6 (NUL) and p9 (a list holding markup as
licence, with markup in its remote id).
"""

from __future__ import annotations

import copy
from pathlib import Path

from app.jobs import harvest
from tests.support.ckan_server import FakeCkan, real_packages

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SOURCE = "report-ckan"
MARKUP_ID = "<b>p9</b>"
TERMINAL_ESCAPE = "\x1b[2J"  # clears a terminal: `opendata source show` must print it spelled out

# What job 2 did, by remote id (the figures the report must give).
JOB2 = {"added": ["p7", "p8"], "updated": ["p1"], "unchanged": ["p0", "p3"], "withdrawn": ["p2"],
        "errored": ["p4", "p5", "p6", MARKUP_ID]}
# Its error kinds: (stage, kind, count, remote id of the example), most frequent first.
JOB2_KINDS = [
    ("import", "ValueError: record does not match the catalog schema: license_raw: <n> is not of type '…', '…'", 2,
     "p4"),
    ("import", "ValueError: record.… holds a NUL character (\\u<n>), which is not text", 1, "p6"),
    ("import", "ValueError: record does not match the catalog schema: license_raw: ['…'] is not of type '…', '…'",
     1, MARKUP_ID),
]


def _packages(fixtures_dir: Path) -> dict[str, dict]:
    out = {}
    for i, pkg in enumerate(real_packages(fixtures_dir, 10)):
        pkg["id"] = f"p{i}"
        pkg["title"] = f"Report dataset {i}"
        out[pkg["id"]] = pkg
    out["p4"]["license_id"] = 5
    out["p5"]["license_id"] = 7
    out["p6"]["title"] = "Nul\x00title"
    out["p9"]["license_id"] = [XSS]
    out[MARKUP_ID] = out.pop("p9")
    out[MARKUP_ID]["id"] = MARKUP_ID
    return out


def two_harvests(runtime, add_source, server, fixtures_dir: Path) -> tuple[dict, dict]:
    """Run job 1 and job 2 of SOURCE against a FakeCkan on `server`; returns both jobs' summaries."""
    pkgs = _packages(fixtures_dir)
    fake = FakeCkan(server, [pkgs[k] for k in ("p0", "p1", "p2", "p3", "p4", "p6")])
    add_source(SOURCE, "ckan", fake.url, publisher="birmingham")
    first = harvest(runtime, SOURCE).to_dict()
    changed = copy.deepcopy(pkgs["p1"])
    changed["title"] = f"Retitled {XSS}"
    changed["metadata_modified"] = "2021-01-01T00:00:00.000000"
    new = pkgs["p7"]
    new["title"] = f"New {XSS}"
    pkgs["p8"]["title"] = f"New {TERMINAL_ESCAPE}"
    fake.packages[:] = [pkgs["p0"], changed, pkgs["p3"], pkgs["p4"], pkgs["p5"], pkgs["p6"], new, pkgs["p8"],
                        pkgs[MARKUP_ID]]
    second = harvest(runtime, SOURCE, full=True).to_dict()
    return first, second
