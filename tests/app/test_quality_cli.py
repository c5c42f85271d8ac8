"""`opendata quality file` on sample files, and the scheduler's choice of due sources."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from app.scheduler import due_sources
from catalog_schema.models import HarvestJob, HarvestSource
from quality.findings import FINDING_TYPES
from tests.support.cli import opendata

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "data_samples" / "files"


def _quality_file(path: Path, *extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    result = opendata("quality", "file", str(path), "--json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name, licence, stars, must", [
    ("jh-stats/nbs_gdp_20y_gbk.csv", "cc-by", 3, {"encoding-not-utf8", "notes-rows", "no-uris"}),
    ("jh-gov-office/general-public-budget-2024.pdf", "CC-BY-4.0", 1, {"not-machine-readable"}),
    ("jh-transport/parking-lots.csv", "CC-BY-4.0", 0, {"html-not-data"}),
    ("jh-gov-office/hotline-complaints-2026.csv", "https://creativecommons.org/licenses/by/4.0/", 3,
     {"pii-id-number", "pii-phone", "pii-email", "pii-bank-card"}),
    ("jh-gov-office/service-statistics.csv", None, 0, {"licence-missing", "missing-cells", "duplicate-row"}),
])
def test_quality_file_on_samples(name, licence, stars, must):
    doc = _quality_file(FILES / name, *(["--licence", licence] if licence else []))
    types = {f["type"] for f in doc["findings"]}
    assert doc["stars"] == stars, doc["distributions"]
    assert must <= types, types
    record_rules = {t.slug for rule in FINDING_TYPES.rules("record") for t in rule.types}
    assert {"missing-keywords", "missing-theme", "frequency-missing"} <= record_rules
    assert not types & record_rules  # a file has no catalog metadata to judge
    assert len(doc["findings"]) == len({(f["type"], f["distribution"]) for f in doc["findings"]})


def test_a_local_file_is_scanned_whole_as_a_downloaded_one_is(tmp_path):
    """`quality file PATH` is the agency's check before publishing: it scanned only the table of a local file (its
    copy had no hash, and the whole-file scan is kept by one), and said a workbook with a sheet of ID numbers beside
    its table, or a gzipped CSV of them, held no personal data."""
    import gzip

    from tests.support.personal import CLEAN_CSV, HEADER, PII_CSV, ROWS, xlsx_bytes

    files = {"book.xlsx": xlsx_bytes(("人口", [["区县", "人口"], ["临江区", "120000"]]),
                                     ("名单", [[HEADER[1], HEADER[2]], *[[row[1], row[2]] for row in ROWS]])),
             "hotline.csv.gz": gzip.compress(PII_CSV), "clean.csv": CLEAN_CSV}
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
        found = {f["type"] for f in _quality_file(tmp_path / name, "--licence", "cc-by")["findings"]}
        assert ("pii-id-number" in found) is (name != "clean.csv"), (name, found)


def test_a_file_without_licence_is_told_so_once():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    path = FILES / "jh-gov-office/service-statistics.csv"
    result = opendata("quality", "file", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("licence-missing") == 1, result.stdout


def test_quality_file_never_prints_personal_values():
    path = FILES / "jh-gov-office/hotline-complaints-2026.csv"
    text = json.dumps(_quality_file(path, "--licence", "cc-by"), ensure_ascii=False)
    import csv

    rows = list(csv.reader(path.read_text("utf-8").splitlines()))
    header = rows[0]
    for row in rows[1:]:
        for column, cell in zip(header, row, strict=False):
            if "@" in cell or (sum(ch.isdigit() for ch in cell) >= 11):
                assert cell not in text, column


def test_quality_file_json_follows_lang():
    """`quality file --json --lang zh` printed English messages, fixes and star reasons (the text output followed
    --lang); the JSON now says them as the REST API does for ?lang=zh. Without --lang: the command's language."""
    path = FILES / "jh-stats/nbs_gdp_20y_gbk.csv"
    zh, en = _quality_file(path, "--licence", "cc-by", "--lang", "zh"), _quality_file(path, "--licence", "cc-by")
    assert [f["type"] for f in zh["findings"]] == [f["type"] for f in en["findings"]]
    said = {f["type"]: f["message"] for f in zh["findings"]}
    assert "文件" in said["no-uris"] and "The file" in {f["type"]: f["message"] for f in en["findings"]}["no-uris"]
    assert any("RDF" in r and "事物" in r for r in zh["distributions"][0]["reasons"])


def test_due_sources(runtime):
    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    with runtime.sessionmaker() as session:
        for name, schedule in (("d", "daily"), ("w", "weekly"), ("m", "manual"), ("fresh", "daily")):
            session.add(HarvestSource(name=name, type="ckan", url="http://127.0.0.1/", schedule=schedule))
        session.flush()
        fresh = session.query(HarvestSource).filter_by(name="fresh").one()
        weekly = session.query(HarvestSource).filter_by(name="w").one()
        session.add(HarvestJob(source=fresh, status="finished", created_at=now - dt.timedelta(hours=2)))
        session.add(HarvestJob(source=weekly, status="finished", created_at=now - dt.timedelta(days=3)))
        session.commit()
    assert sorted(due_sources(runtime, now=now)) == ["d"]
    assert sorted(due_sources(runtime, now=now + dt.timedelta(days=5))) == ["d", "fresh", "w"]


def test_quality_file_says_severities_in_the_commands_language():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    path = FILES / "jh-gov-office" / "service-statistics.csv"
    zh = opendata("--lang", "zh", "quality", "file", str(path), env=env)
    assert zh.returncode == 0 and "[错误] licence-missing" in zh.stdout and "[警告]" in zh.stdout, zh.stdout
    assert "[error]" not in zh.stdout and "[warning]" not in zh.stdout
    en = opendata("quality", "file", str(path), env=env)
    assert "[Error] licence-missing" in en.stdout


def test_one_star_of_a_file_is_said_in_the_singular():
    """`quality show` and `quality file` said "1 stars, declared PDF" on a file's line (its dataset's line said
    "(1 star)")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    path = FILES / "jh-gov-office/general-public-budget-2024.pdf"
    en = opendata("--lang", "en", "quality", "file", str(path), "--licence", "CC-BY-4.0", env=env)
    assert en.returncode == 0, en.stderr
    assert ": 1 star, declared PDF, detected PDF" in en.stdout and "1 stars" not in en.stdout, en.stdout
    zh = opendata("--lang", "zh", "quality", "file", str(path), "--licence", "CC-BY-4.0", env=env)
    assert "1 星，声明格式 PDF，检测格式 PDF" in zh.stdout, zh.stdout


def test_quality_publishers_lists_a_publisher_with_nothing_published(runtime):
    """The dashboard's league lists every publisher (0 datasets, no rank); the command left them out."""
    from click.testing import CliRunner

    from app.cli import main
    from catalog_schema.store import ensure_publisher

    with runtime.sessionmaker() as session:
        ensure_publisher(session, {"slug": "jh-health", "name": {"zh": "卫生健康委"}})
        session.commit()
    env = {"OPENDATA_DATABASE_URL": runtime.settings["DATABASE_URL"],
           "OPENDATA_INSTANCE_DIR": runtime.settings["INSTANCE_DIR"]}
    result = CliRunner().invoke(main, ["quality", "publishers"], env=env)
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines() if "jh-health" in line] == \
        [["-", "jh-health", "0", "-", "-", "-", "0", "0", "0"]]
    as_json = CliRunner().invoke(main, ["quality", "publishers", "--json"], env=env)
    assert [(r["publisher"], r["datasets"], r["rank"]) for r in json.loads(as_json.output)] == [("jh-health", 0, None)]


def test_the_chinese_league_stands_its_headers_over_their_figures(runtime):
    """Padded by characters, `opendata --lang zh quality publishers` printed headers of two-column Chinese
    characters wider than their columns: "个人数据" stood over nothing and every header after the second
    was askew over its figures."""
    import unicodedata

    from click.testing import CliRunner

    from app.cli import main
    from catalog_schema.store import ensure_publisher

    def ends(line: str) -> list[int]:  # the terminal column where each cell ends
        out, col, inside = [], 0, False
        for c in line:
            col += 2 if unicodedata.east_asian_width(c) in "WF" else 1
            if c != " ":
                inside = True
            elif inside:
                out.append(col - 1)
                inside = False
        return out + ([col] if inside else [])

    with runtime.sessionmaker() as session:
        ensure_publisher(session, {"slug": "jh-health", "name": {"zh": "卫生健康委"}})
        session.commit()
    env = {"OPENDATA_DATABASE_URL": runtime.settings["DATABASE_URL"],
           "OPENDATA_INSTANCE_DIR": runtime.settings["INSTANCE_DIR"]}
    for lang in ("zh", "en"):
        lines = CliRunner().invoke(main, ["--lang", lang, "quality", "publishers"], env=env).output.splitlines()
        head, row = ends(lines[0]), ends(lines[1])
        assert len(head) == len(row) == 9, lines
        # right-aligned columns end where their header ends (the publisher's slug is left-aligned)
        assert [e for i, e in enumerate(head) if i != 1] == [e for i, e in enumerate(row) if i != 1], lines


def test_quality_show_says_which_file_a_finding_is_of_and_lists_what_the_evidence_lists(capsys):
    """Three files' findings repeated with no file named, "72 rows x 51 columns" summed three tables, and
    dcat-ap-violation said "listed in the evidence" without listing it."""
    from app.commands.quality import _print_doc

    file = {"stars": 3, "declared_format": "CSV", "detected_format": "CSV", "encoding": "gbk", "http_status": 200}
    doc = {"dataset": "tables", "stars": 3, "score": 80, "metadata": {"points": 300, "max": 405, "rating": "good"},
           "distributions": [{"id": "a", "url": "http://x.example/f/gdp.csv", **file},
                             {"id": "b", "url": "http://x.example/f/%E4%BA%BA%E5%8F%A3.csv", **file}],
           "data": {"rows": 72, "columns": 51, "missing_cells": 0, "duplicate_rows": 0, "type_errors": 0, "tables": 2},
           "findings": [{"type": "encoding-not-utf8", "severity": "warning", "distribution": "a",
                         "evidence": {"encoding": "gbk"}},
                        {"type": "encoding-not-utf8", "severity": "warning", "distribution": "b",
                         "evidence": {"encoding": "gbk"}},
                        {"type": "dcat-ap-violation", "severity": "warning", "distribution": None, "evidence": {
                            "count": 1, "points": 30, "violations": [
                                {"path": "dct:description", "message": "dataset has no description"}]}}]}
    _print_doc(doc, "en")
    out = capsys.readouterr().out
    assert "2 tables in all: 72 rows, 51 columns" in out and "72 rows x 51 columns" not in out
    assert "encoding-not-utf8 (gdp.csv):" in out and "encoding-not-utf8 (人口.csv):" in out
    # what the DCAT-AP constraint asks for is in the finding's own words, as every door says it (in English only
    # here, below a Chinese message, before)
    assert "dcat-ap-violation: The record breaks 1 DCAT-AP 3 constraint: no description." in out
    _print_doc(doc, "zh")
    assert "该记录违反了 1 条 DCAT-AP 3 约束：缺少描述。" in capsys.readouterr().out


def test_the_chinese_league_heads_its_count_column_as_a_header(runtime):
    """`opendata --lang zh quality publishers` headed the count column "个数据集" ("... datasets", the home page's
    words after a number), where the dashboard's league heads the same column "数据集"."""
    from click.testing import CliRunner

    from app.cli import main
    from catalog_schema.store import ensure_publisher

    with runtime.sessionmaker() as session:
        ensure_publisher(session, {"slug": "jh-health", "name": {"zh": "卫生健康委"}})
        session.commit()
    env = {"OPENDATA_DATABASE_URL": runtime.settings["DATABASE_URL"],
           "OPENDATA_INSTANCE_DIR": runtime.settings["INSTANCE_DIR"]}
    zh = CliRunner().invoke(main, ["--lang", "zh", "quality", "publishers"], env=env).output.splitlines()[0].split()
    en = CliRunner().invoke(main, ["--lang", "en", "quality", "publishers"], env=env).output.splitlines()[0].split()
    assert zh[:3] == ["排名", "发布部门", "数据集"], zh
    assert en[:3] == ["rank", "publisher", "datasets"], en


def test_one_row_or_one_type_error_is_said_in_the_singular(tmp_path):
    """`quality file` said "1 rows x 2 columns, ... 1 type errors" of a table of one row."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    one = tmp_path / "one.csv"
    one.write_text("district,amount\nD1,ten\n", "utf-8")
    en = opendata("--lang", "en", "quality", "file", str(one), "--licence", "CC-BY-4.0", env=env)
    assert en.returncode == 0, en.stderr
    assert "  data: 1 row x 2 columns, 0 missing cells, 0 duplicate rows, 0 type errors" in en.stdout, en.stdout
    many = tmp_path / "many.csv"
    many.write_text("district,amount\n" + "".join(f"D{i},{i}\n" for i in range(40)) + "D40,ten\nD40,ten\n", "utf-8")
    en = opendata("--lang", "en", "quality", "file", str(many), "--licence", "CC-BY-4.0", env=env)
    assert "  data: 42 rows x 2 columns, 0 missing cells, 1 duplicate row, 2 type errors" in en.stdout, en.stdout


def test_quality_show_of_a_withdrawn_dataset_says_it_is_withdrawn(runtime):
    """The API answers a withdrawn dataset's quality with 410; the command printed its score with no word of it."""
    from click.testing import CliRunner

    from app.assessment import assess_datasets
    from app.cli import main
    from catalog_schema.models import Dataset
    from catalog_schema.record import new_record
    from catalog_schema.store import save_record

    with runtime.sessionmaker() as session:
        ds, _ = save_record(session, new_record(slug="old-bus-lines", title={"en": "Old bus lines"},
                                                license="CC-BY-4.0", publisher={"slug": "jh-transport"}))
        session.commit()
        ds_id = ds.id
    assess_datasets(runtime, [ds_id])
    env = {"OPENDATA_DATABASE_URL": runtime.settings["DATABASE_URL"],
           "OPENDATA_INSTANCE_DIR": runtime.settings["INSTANCE_DIR"]}
    active = CliRunner().invoke(main, ["quality", "show", "old-bus-lines"], env=env)
    assert active.exit_code == 0 and "withdrawn" not in active.stderr
    with runtime.sessionmaker() as session:
        session.get(Dataset, ds_id).state = "withdrawn"  # the state alone: what the command reads
        session.commit()
    for lang, said in (("en", "old-bus-lines is withdrawn"), ("zh", "old-bus-lines 已撤回")):
        shown = CliRunner().invoke(main, ["--lang", lang, "quality", "show", "old-bus-lines", "--json"], env=env)
        assert shown.exit_code == 0, shown.output
        assert said in shown.stderr and "410" in shown.stderr
        assert json.loads(shown.stdout)["dataset"] == "old-bus-lines"  # the document stays whole on stdout
