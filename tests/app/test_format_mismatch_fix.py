"""What a publisher whose link gives a file of no recognised format is told, in the quality JSON and on the page.

A 7z archive declared as XLS was told "Correct the declared format to an unrecognised file (7z)" (将声明的格式更正为
未知类型的文件（7z）): a format that is none. The fix now says what was found and what to do, in both languages;
an XLSX declared as CSV is still told to correct the declared format to Excel XLSX.
"""

from __future__ import annotations

import datetime as dt
import html

from app.assessment import assess_datasets
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from tests.support.personal import xlsx_bytes, zip_bytes

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
def _xlsx() -> bytes:
    return xlsx_bytes(("人口", [["区县", "人口"], ["临江区", 120000]]))


SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(range(256)) * 4  # a 7z archive's signature, then binary


def _dataset(runtime, local_server, slug: str, body: bytes, ext: str, declared: str) -> str:
    local_server.add_bytes(f"/{slug}.{ext}", body, content_type="application/octet-stream")
    with runtime.sessionmaker() as session:
        rec = new_record(slug=slug, title={"zh": "各区常住人口", "en": "Population"}, license="CC-BY-4.0",
                         publisher={"slug": "stats", "name": {"zh": "统计局", "en": "Statistics"}},
                         distributions=[new_distribution(format=declared,
                                                         download_url=local_server.url(f"/{slug}.{ext}"))])
        ds, _ = save_record(session, rec)
        session.commit()
        return ds.id


def _mismatch(client, slug: str, lang: str) -> dict:
    doc = client.get(f"/api/v1/datasets/{slug}/quality?lang={lang}").get_json()
    (finding,) = [f for f in doc["findings"] if f["type"] == "format-mismatch"]
    return finding


def test_a_file_of_no_recognised_format_is_told_what_was_found_and_what_to_do(client, runtime, local_server):
    ids = [_dataset(runtime, local_server, "seven-zip", SEVEN_ZIP, "7z", "XLS"),
           _dataset(runtime, local_server, "workbook", _xlsx(), "xlsx", "CSV")]
    assess_datasets(runtime, ids, now=NOW)

    en, zh = _mismatch(client, "seven-zip", "en"), _mismatch(client, "seven-zip", "zh")
    assert en["evidence"] == {"declared": "XLS", "sniffed": "an unrecognised file (7z)", "recognised": False}
    assert en["fix"] == ("The file is an unrecognised file (7z), which does not match the declared format Excel XLS: "
                         "publish the data in an open, machine-readable format such as CSV or JSON and declare that "
                         "format, or correct the declared format to what the file really is.")
    assert zh["fix"] == ("文件是未知类型的文件（7z），与声明的格式 Excel XLS 不符："
                         "请以 CSV、JSON 等开放的机器可读格式发布数据并声明该格式，"
                         "或将声明的格式更正为文件的实际格式。")
    for lang, words in (("en", "publish the data in an open, machine-readable format"),
                        ("zh", "请以 CSV、JSON 等开放的机器可读格式发布数据")):
        page = html.unescape(client.get(f"/dataset/seven-zip?lang={lang}").get_data(as_text=True))
        assert words in page
        assert "Correct the declared format to an unrecognised" not in page and "更正为 未知类型" not in page

    en, zh = _mismatch(client, "workbook", "en"), _mismatch(client, "workbook", "zh")
    assert en["evidence"]["recognised"] is True
    assert en["fix"] == "Correct the declared format to Excel XLSX (or publish the file the metadata promises)."
    assert zh["fix"] == "将声明的格式更正为 Excel XLSX（或发布元数据所承诺的文件）。"



def test_an_archive_or_a_blob_declared_as_a_table_is_told_it_is_not_what_it_says(client, runtime, local_server):
    """A 7z archive declared as CSV was told "The file does not parse as CSV: 5 NUL byte(s), the first ..." (文件无法按
    CSV 格式解析：有 5 个 NUL 字节), about a table it never was, and so was a blob of bytes no encoding reads declared
    as TSV. Each is told that the file is not what its declared format says, and what to do."""
    ids = [_dataset(runtime, local_server, "seven-zip-csv", SEVEN_ZIP, "7z", "CSV"),
           _dataset(runtime, local_server, "blob-tsv", bytes(range(256)) * 8, "tsv", "TSV")]
    assess_datasets(runtime, ids, now=NOW)

    for slug, declared, sniffed in (("seven-zip-csv", "CSV", "an unrecognised file (7z)"),
                                    ("blob-tsv", "TSV", "an unrecognised file")):
        doc = client.get(f"/api/v1/datasets/{slug}/quality?lang=en").get_json()
        assert not [f for f in doc["findings"] if f["type"] == "not-parseable"], doc["findings"]
        en, zh = _mismatch(client, slug, "en"), _mismatch(client, slug, "zh")
        assert en["evidence"] == {"declared": declared, "sniffed": sniffed, "recognised": False}
        assert en["fix"].startswith(f"The file is {sniffed}, which does not match the declared format {declared}:")
        assert zh["fix"].startswith("文件是未知类型的文件")
        assert "请以 CSV、JSON 等开放的机器可读格式发布数据" in zh["fix"]
        for lang, words in (("en", "publish the data in an open, machine-readable format"),
                            ("zh", "开放的机器可读格式")):
            page = html.unescape(client.get(f"/dataset/{slug}?lang={lang}").get_data(as_text=True))
            assert "NUL" not in page and words in page, lang


def test_a_zip_of_a_workbook_declared_as_csv_is_told_to_declare_zip(client, runtime, local_server):
    """A ZIP holding a workbook declared as CSV was told "Correct the declared format to ZIP of XLSX"
    (将声明的格式更正为 ZIP 压缩包中的 Excel XLSX), no format a publisher can pick, and "the file is ZIP of XLSX". It is
    told to declare ZIP, the archive, naming what it holds."""
    assess_datasets(runtime, [_dataset(runtime, local_server, "zipped-workbook", zip_bytes(("人口.xlsx", _xlsx())),
                                       "zip", "CSV")], now=NOW)
    en, zh = _mismatch(client, "zipped-workbook", "en"), _mismatch(client, "zipped-workbook", "zh")
    assert en["evidence"] == {"declared": "CSV", "sniffed": "ZIP of XLSX", "recognised": True, "archive": "ZIP",
                              "holds": "XLSX"}
    assert en["fix"] == ("Correct the declared format to ZIP, the archive the file is (it holds Excel XLSX), or "
                         "publish the file the metadata promises.")
    assert zh["fix"] == "将声明的格式更正为 ZIP（文件是压缩包，其中为 Excel XLSX），或发布元数据所承诺的文件。"
    assert en["message"] == "The format is declared as CSV, but the file is Excel XLSX in a ZIP archive."
    assert zh["message"] == "声明的格式为 CSV，但文件实际为 ZIP 压缩包中的 Excel XLSX。"
    for lang, words in (("en", "Correct the declared format to ZIP, the archive"), ("zh", "将声明的格式更正为 ZIP（")):
        page = html.unescape(client.get(f"/dataset/zipped-workbook?lang={lang}").get_data(as_text=True))
        assert words in page
        assert "Correct the declared format to ZIP of" not in page and "更正为 ZIP 压缩包中的" not in page
