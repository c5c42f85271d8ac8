"""quality.facts_cache: what reading an archived file found is kept by sha256 and read back instead of the file.

Real files of every kind the engine reads (GBK statistics, a spreadsheet, an encrypted XLS, GeoJSON, RDF,
a ZIP, broken JSON) go through `collect_facts` twice: the second time nothing is sniffed, parsed or profiled,
and the facts and the assessment are the same as the first time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from catalog_schema.record import new_record
from quality import assess, facts_cache, sniff, tabular
from quality.fetch import CheckResult

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _zip_of_csv() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("stops.csv", "id,name\n1,Main St\n2,High St\n")
    return buf.getvalue()


FILES = {  # name as published, declared format, bytes
    "gdp.csv": ("CSV", (REAL / "messy" / "nbs_gdp_by_province_gbk.csv").read_bytes()),
    "simple.xls": ("XLS", (REAL / "messy" / "messytables_simple.xls").read_bytes()),
    "locked.xls": ("XLS", (REAL / "messy" / "messytables_encrypted_no_password.xls").read_bytes()),
    "simple.ods": ("ODS", (REAL / "messy" / "messytables_simple.ods").read_bytes()),
    "stations.geojson": ("GEOJSON", (REAL / "tables" / "wien_citybike_stations.geojson").read_bytes()),
    "links.ttl": ("TURTLE", b"@prefix ex: <http://data.city.example/> .\n"
                            b"ex:s1 ex:sameAs <http://other.example.org/x> .\n"),
    "broken.json": ("JSON", b'{"a": [1, 2,'),
    "stops.zip": ("ZIP", _zip_of_csv()),
    "notes.pdf": ("PDF", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
}


def _archive(tmp_path: Path, data: bytes) -> tuple[str, Path]:
    digest = hashlib.sha256(data).hexdigest()
    path = tmp_path / "archive" / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest, path


def _case(tmp_path: Path, names=FILES):
    dists, checks = [], {}
    for i, name in enumerate(names):
        declared, data = FILES[name]
        digest, path = _archive(tmp_path, data)
        url = f"http://files.example/{name}"
        dists.append({"id": f"d{i}", "download_url": url, "format": declared})
        checks[f"d{i}"] = CheckResult(url=url, status="ok", checked_at=NOW, http_status=200, path=str(path),
                                      size=len(data), sha256=digest)
    record = new_record(title={"en": "Everything"}, slug="everything", distributions=dists, license="CC-BY-4.0")
    return record, checks


class Reads:
    """Counts what the engine reads: sniffing a file and profiling a table."""

    def __init__(self, monkeypatch):
        self.sniffs = self.profiles = 0
        real_sniff, real_sniff_file, real_profile = sniff.sniff, sniff.sniff_file, tabular.profile_file

        def counted_sniff(*a, **kw):
            self.sniffs += 1
            return real_sniff(*a, **kw)

        def counted_sniff_file(*a, **kw):  # an archived copy is sniffed as a file
            self.sniffs += 1
            return real_sniff_file(*a, **kw)

        def counted_profile(*a, **kw):
            self.profiles += 1
            return real_profile(*a, **kw)

        monkeypatch.setattr(sniff, "sniff", counted_sniff)
        monkeypatch.setattr(sniff, "sniff_file", counted_sniff_file)
        monkeypatch.setattr(tabular, "profile_file", counted_profile)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_kind_of_file_comes_back_equal(tmp_path, name):
    record, checks = _case(tmp_path, [name])
    fact = assess.collect_facts(record, checks)["d0"]
    doc = fact.to_doc()
    assert doc is not None, "facts of this file could not be kept"
    again = assess.DistributionFacts(fact.key, fact.url, fact.check).with_doc(doc)
    for field in assess.DistributionFacts.READ:
        assert getattr(again, field) == getattr(fact, field), field


def test_the_second_assessment_reads_no_file_and_says_the_same(tmp_path, monkeypatch):
    record, checks = _case(tmp_path)
    cache = tmp_path / "archive"
    first_facts = assess.collect_facts(record, checks, cache_dir=cache)
    first = assess.assess(record, first_facts, now=NOW)
    kept = list((cache / facts_cache.FOLDER).rglob("*.json"))
    assert len(kept) == len(FILES)

    reads = Reads(monkeypatch)
    second_facts = assess.collect_facts(record, checks, cache_dir=cache)
    assert (reads.sniffs, reads.profiles) == (0, 0)
    assert assess.assess(record, second_facts, now=NOW) == first
    assert first["distributions"] and any(d["stars"] >= 3 for d in first["distributions"])


def test_the_same_bytes_published_otherwise_are_read_again(tmp_path, monkeypatch):
    """The facts depend on more than the bytes: the name, the declared format and media type, the schema."""
    record, checks = _case(tmp_path, ["gdp.csv"])
    cache = tmp_path / "archive"
    assess.collect_facts(record, checks, cache_dir=cache)
    reads = Reads(monkeypatch)
    record["distributions"][0]["format"] = "XLSX"
    assess.collect_facts(record, checks, cache_dir=cache)
    checks["d0"].media_type = "text/plain"
    assess.collect_facts(record, checks, cache_dir=cache)
    record["distributions"][0]["schema"] = {"fields": [{"name": "地区", "type": "string"}]}
    assess.collect_facts(record, checks, cache_dir=cache)
    assert reads.sniffs == 3
    assess.collect_facts(record, checks, cache_dir=cache)
    assert reads.sniffs == 3


def test_facts_from_other_code_are_not_used(tmp_path, monkeypatch):
    record, checks = _case(tmp_path, ["gdp.csv"])
    cache = tmp_path / "archive"
    assess.collect_facts(record, checks, cache_dir=cache)
    monkeypatch.setattr(facts_cache, "code_digest", lambda: "another-rule-set")
    reads = Reads(monkeypatch)
    assess.collect_facts(record, checks, cache_dir=cache)
    assert reads.profiles == 1


def test_a_damaged_or_foreign_document_is_recomputed(tmp_path, monkeypatch):
    record, checks = _case(tmp_path, ["gdp.csv", "simple.ods"])
    cache = tmp_path / "archive"
    first = assess.collect_facts(record, checks, cache_dir=cache)
    a, b = sorted((cache / facts_cache.FOLDER).rglob("*.json"))
    a.write_text("{not json", "utf-8")
    b.write_text('{"format": 1, "sha256": "someone-else", "facts": {}}', "utf-8")
    reads = Reads(monkeypatch)
    again = assess.collect_facts(record, checks, cache_dir=cache)
    assert reads.profiles == 2
    assert assess.assess(record, again, now=NOW) == assess.assess(record, first, now=NOW)
    a.write_bytes(b'{"format": 1, "sha256": "\xff\xfe"}')  # not UTF-8
    b.write_bytes(b"[1, 2]")  # JSON, but not a document
    reads = Reads(monkeypatch)
    assert assess.assess(record, assess.collect_facts(record, checks, cache_dir=cache), now=NOW) == \
        assess.assess(record, first, now=NOW)
    assert reads.profiles == 2


def test_a_read_that_failed_for_the_moment_is_not_kept(tmp_path, monkeypatch):
    record, checks = _case(tmp_path, ["gdp.csv"])
    cache = tmp_path / "archive"

    def disk_gone(*a, **kw):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(tabular, "profile_file", disk_gone)
    fact = assess.collect_facts(record, checks, cache_dir=cache)["d0"]
    assert fact.profile_error.startswith("OSError")
    assert not list(cache.rglob("*.json"))
    monkeypatch.undo()
    assert assess.collect_facts(record, checks, cache_dir=cache)["d0"].profile is not None


def test_an_unwritable_cache_costs_nothing_but_the_next_read(tmp_path):
    record, checks = _case(tmp_path, ["gdp.csv"])
    blocked = tmp_path / "archive" / facts_cache.FOLDER
    blocked.write_text("a file where the folder should be", "utf-8")
    fact = assess.collect_facts(record, checks, cache_dir=tmp_path / "archive")["d0"]
    assert fact.profile is not None and fact.profile.rows > 0


def test_forget_drops_every_variant_of_one_file(tmp_path):
    record, checks = _case(tmp_path, ["gdp.csv", "simple.ods"])
    cache = tmp_path / "archive"
    assess.collect_facts(record, checks, cache_dir=cache)
    record["distributions"][0]["format"] = "TSV"
    assess.collect_facts(record, checks, cache_dir=cache)
    digest = checks["d0"].sha256
    assert facts_cache.forget(cache, digest) == 2
    assert [p.name.split(".")[0] for p in (cache / facts_cache.FOLDER).rglob("*.json")] == [checks["d1"].sha256]


def test_the_digest_follows_the_engine_source_and_the_formats(tmp_path):
    source = Path(facts_cache.__file__).parent
    copy = tmp_path / "quality"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    formats = tmp_path / "formats.json"
    shutil.copy(source.parent / "catalog_schema" / "vocab_data" / "formats.json", formats)
    detector = source.parent / "plumbing" / "textencoding.py"
    before = facts_cache.digest_of(copy, formats, detector)
    assert before == facts_cache.code_digest()
    before = facts_cache.digest_of(copy, formats)
    rule = copy / "rules" / "missing_cells.py"
    rule.write_text(rule.read_text("utf-8") + "\n# a changed rule\n", "utf-8")
    changed_rule = facts_cache.digest_of(copy, formats)
    formats.write_text(formats.read_text("utf-8").replace("CSV", "CSV ", 1), "utf-8")
    assert len({before, changed_rule, facts_cache.digest_of(copy, formats)}) == 3


def test_the_digest_follows_the_encoding_detector_in_plumbing(tmp_path):
    """The detector every door shares moved to plumbing/textencoding.py, outside the quality package the digest read:
    facts kept with an encoding an older detector decided (a short GBK table as cp949) were read back after it
    changed, and the distribution kept the old encoding."""
    source = Path(facts_cache.__file__).parent
    formats = source.parent / "catalog_schema" / "vocab_data" / "formats.json"
    detector = tmp_path / "textencoding.py"
    shutil.copy(source.parent / "plumbing" / "textencoding.py", detector)
    before = facts_cache.digest_of(source, formats, detector)
    assert before == facts_cache.code_digest()
    detector.write_text(detector.read_text("utf-8") + "\n# a changed decision\n", "utf-8")
    assert facts_cache.digest_of(source, formats, detector) != before


def test_the_documents_nothing_reads_again_are_those_of_files_no_longer_current(tmp_path):
    """`unread`: every document of a file that is no distribution's copy now (an older version: nothing reads what
    reading it found again), and a current file's CSV scan kept under another engine's key; the current files' facts
    and scans under this engine's key are read again, and stay."""
    current, older = "a" * 64, "b" * 64
    assert facts_cache.save(tmp_path, current, "variant1", {"profile": None})
    assert facts_cache.save_scan(tmp_path, current, [{"layout": {"header": ["区县", "人口"]}}])
    assert facts_cache.save(tmp_path, current, "scan-0123456789abcdef", {"layouts": []})  # an older engine's scan
    assert facts_cache.save(tmp_path, older, "variant1", {"profile": None})
    assert facts_cache.save(tmp_path, older, facts_cache.scan_key(), {"layouts": []})
    (tmp_path / facts_cache.FOLDER / "aa" / ".tmp-unfinished").write_text("{")  # a write under way: not a document
    assert {sha: sorted(p.name for p in paths) for sha, paths in facts_cache.stored(tmp_path).items()} == {
        current: sorted([f"{current}.variant1.json", f"{current}.{facts_cache.scan_key()}.json",
                         f"{current}.scan-0123456789abcdef.json"]),
        older: sorted([f"{older}.variant1.json", f"{older}.{facts_cache.scan_key()}.json"])}
    assert [p.name for p in facts_cache.unread(tmp_path, {current})] == sorted(
        [f"{current}.scan-0123456789abcdef.json", f"{older}.variant1.json", f"{older}.{facts_cache.scan_key()}.json"])
    assert facts_cache.unread(tmp_path, {current, older}) == [facts_cache.path_of(tmp_path, current,
                                                                                  "scan-0123456789abcdef")]
    assert facts_cache.unread(tmp_path / "none", set()) == []
