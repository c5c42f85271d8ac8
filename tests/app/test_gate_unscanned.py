"""A file the whole-file scan cannot read to its end is not served as clean: a GZIP that unpacks past the scan's
bound (a hundred times its size, at least BOMB_MIN_BYTES), a ZIP nested deeper than the scan reads, a gzipped CSV
inside a ZIP (whose compressed bytes are no text to scan). Each held the hotline table's ID numbers and was served
to the public whole, under both policies, because what could not be read was said to hold nothing. Real uploads
through /api/v1 to a published dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from plumbing.bombs import BOMB_MIN_BYTES
from tests.support.personal import CLEAN_CSV, IDS, PII_CSV, leaked, zip_bytes
from tests.support.published import download_path, published, upload


def _nested(depth: int) -> bytes:
    data = zip_bytes(("hotline.csv", PII_CSV))
    for n in range(depth - 1):
        data = zip_bytes((f"level{n}.zip", data))
    return data


def _past_the_bound() -> bytes:
    """The hotline table repeated past BOMB_MIN_BYTES, gzipped (about 200 to 1), then a second GZIP member of two
    bytes: the size in the file's last trailer (the upload's bomb rule reads it) is that member's."""
    body = PII_CSV * (BOMB_MIN_BYTES // len(PII_CSV) + 2)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush() + gzip.compress(b"x\n")


FILES = {"deep.zip": _nested(4),
         # a ZIP cut before its central directory: no reader opens it, but its local entries unpack in turn
         "cut.zip": zip_bytes(("hotline.csv", PII_CSV * 20))[:-60],
         "gzipped-member.zip": zip_bytes(("a.csv", CLEAN_CSV), ("b.csv.gz", gzip.compress(PII_CSV)))}


def _text(data: bytes, depth: int = 0) -> str:
    """A body as text: a ZIP's members and a GZIP's content unpacked (the first megabyte of each)."""
    if data[:2] == b"\x1f\x8b":
        return _text(zlib.decompressobj(wbits=31).decompress(data, 1 << 20), depth + 1)
    if data[:2] == b"PK" and depth < 8:
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(_text(z.read(n), depth + 1) for n in z.namelist())
    return data.decode("utf-8", "replace")


@pytest.fixture
def uploaded(snapshot, app, client, local_server):
    """Made once per backend (each upload assessed as it arrives), a copy for each test."""
    return snapshot.once(lambda: _upload_all(app, client, local_server))


def _upload_all(app, client, local_server) -> dict:
    own = published(app, client, local_server, "hotline", "Hotline")
    bodies = {**FILES, "big.csv.gz": _past_the_bound()}
    paths = {name: download_path(upload(client, own, "hotline", data, name)) for name, data in bodies.items()}
    return {"paths": paths, "own": own, "bodies": bodies}


def test_what_the_scan_could_not_read_is_not_served_as_clean(app, client, uploaded):
    for policy in ("withhold", "redact"):
        app.config["OPENDATA"]["PII_POLICY"] = policy
        for name, path in uploaded["paths"].items():
            resp = client.get(path)
            assert resp.status_code == 451 and resp.headers["X-Data-Gate"] == "withhold", (policy, name)
            assert leaked(_text(resp.get_data())) == []
    # the publisher's own editor gets each file as it was sent (the search for leaks finds them there)
    for name, path in uploaded["paths"].items():
        assert client.get(path, headers=uploaded["own"]).get_data() == uploaded["bodies"][name]
        if name != "cut.zip":  # which no reader opens
            assert IDS[0] in _text(uploaded["bodies"][name])


def test_the_publisher_is_told_why_a_file_the_scan_could_not_read_is_withheld(client, uploaded):
    """The files above were withheld (451) with no finding: the publisher saw its file refused and no reason, and
    nothing on the dashboards counted it. Each part the scan could not read is a warning now, in both languages."""
    for lang, said in (("en", "could not be read to its end for personal data"), ("zh", "无法完整读取以检查个人信息")):
        doc = client.get(f"/api/v1/datasets/hotline/quality?lang={lang}", headers=uploaded["own"]).get_json()
        found = [f for f in doc["findings"] if f["type"] == "part-not-read"]
        urls = {d["id"]: d["url"] for d in doc["distributions"]}
        assert {urls[f["distribution"]].rsplit("/", 1)[-1] for f in found} == {"deep.zip", "cut.zip", "big.csv.gz"}, \
            found
        assert all(said in f["message"] and f["severity"] == "warning" for f in found), found
