"""Tabular profiling on real messy files, and the same counts as `frictionless validate` on generated ones."""

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from frictionless import Checklist, Resource, Schema, checks, validate

from quality.tabular import TableError, profile_file, profile_findings, read_table, unreadable_finding

MESSY = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "messy"


def slugs(profile):
    return [f.type for f in profile_findings(profile, "dist-1")]


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(("name", "columns", "first_year"), [
    ("nbs_gdp_20y_gbk.csv", 20, "2024年"),
    ("nbs_gdp_by_province_gbk.csv", 26, "2017年"),
])
def test_nbs_gbk_exports_notes_above_and_below(name, columns, first_year):
    p = profile_file(MESSY / name)
    assert p.format == "csv" and p.encoding == "gbk"
    # rows 0-2: 数据库 / 指标 / 时间; row 3 the header; 31 provinces; rows 35-36: 注 and 数据来源
    assert p.header_row == 3
    assert p.notes_rows_above == [0, 1, 2]
    assert p.notes_rows_below == [35, 36]
    assert (p.rows, p.columns) == (31, columns)
    assert p.header[:2] == ["地区", first_year]
    assert p.sample[0][0] == "北京市" and p.sample[-1][0] == "广西壮族自治区" and len(p.sample) == 20
    assert p.inferred_types["地区"] == "string"
    assert set(list(p.inferred_types.values())[1:]) == {"number"}
    assert p.type_errors == 0 and p.missing_cells == 0 and p.duplicate_rows == 0 and p.blank_rows == 0
    found = profile_findings(p, "dist-1")
    assert [f.type for f in found] == ["encoding-not-utf8", "notes-rows"]
    notes = found[1]
    assert notes.evidence["rows_above"] == [0, 1, 2] and notes.evidence["rows_below"] == [35, 36]
    assert notes.distribution == "dist-1" and "gbk" in found[0].message

    batches = list(read_table(MESSY / name))
    table = pa.Table.from_batches(batches)
    assert table.num_rows == 31 and table.column_names[0] == "地区"
    assert table.column("地区").to_pylist()[-1] == "新疆维吾尔自治区"


def test_latin1_files_decoded_blank_and_repeated_lines_counted():
    # 2,237 data rows under a 4-label header whose last label is blank; 37 empty rows ",,,"; 222 rows
    # repeat an earlier one (counted with the csv module, rows padded to the header)
    p = profile_file(MESSY / "messytables_sparse_with_column_errors.csv")
    assert p.encoding == "latin-1"
    assert (p.rows, p.columns, p.header_row) == (2237, 4, 0)
    assert p.header == ["LP", "Bezeichnung", "Kapitel/Titel", ""]
    assert p.blank_header == [3]
    assert p.blank_rows == 37 and p.duplicate_rows == 222
    assert p.missing_cells == 4367
    assert p.type_errors == 12 and p.type_errors_by_column == {"Kapitel/Titel": 12}
    assert any("Trägerorganisationen" in (r[1] or "") for r in p.sample)
    assert {"blank-header", "blank-row", "duplicate-row", "missing-cells", "type-error",
            "encoding-not-utf8"} <= set(slugs(p))

    s = profile_file(MESSY / "messytables_spanish_chars.csv")
    assert s.encoding == "latin-1"
    assert s.header[-1] == "Descripción"
    # 114 rows, then a ",,,,,,," row and a "Fuente: ..." source line: the notes below the table
    assert (s.rows, s.columns, s.notes_rows_below) == (114, 8, [116])
    assert s.sample[0][3] == "Gobierno"


def test_cr_line_endings_and_title_rows():
    p = profile_file(MESSY / "messytables_mixedGLB.csv")
    assert p.header_row == 3 and p.notes_rows_above == [0, 1]
    assert (p.rows, p.columns) == (133, 19)
    assert p.sample[0][:3] == ["1880", "-43", "-27"]
    # "****" marks missing months of 2012; in 1880 it sits in the first sampled row of D-N and DJF,
    # which frictionless's scoring then infers as strings
    assert p.inferred_types["D-N"] == "string" and p.inferred_types["Jun"] == "integer"
    assert p.type_errors == 10


def test_semicolon_table_under_a_title_block():
    p = profile_file(MESSY / "messytables_weird_head_padding.csv")
    assert p.header_row == 11 and p.header[1:4] == ["1985", "1993", "2000"]
    assert p.columns == 11 and p.rows == 60
    assert p.notes_rows_above == [2, 3, 5, 6, 7, 8]
    assert p.notes_rows_below[0] == 73 and p.notes_rows_below[-1] == 93
    assert p.blank_header == [0, 10]


def test_encrypted_xls_is_a_clear_error_and_finding():
    with pytest.raises(TableError) as err:
        profile_file(MESSY / "messytables_encrypted_no_password.xls")
    assert err.value.reason == "encrypted"
    finding = unreadable_finding(err.value, "dist-9")
    assert finding.type == "table-unreadable" and finding.severity == "error"
    assert "encrypted" in finding.message
    json.dumps(finding.to_dict())


def test_spreadsheets_read():
    x = profile_file(MESSY / "messytables_simple.xls")
    assert x.format == "xls" and x.header == ["date", "temperature", "place"]
    assert x.rows == 6 and x.inferred_types == {"date": "date", "temperature": "integer", "place": "string"}
    assert x.sample[0] == ["2011-01-01", "1", "Galway"]

    o = profile_file(MESSY / "messytables_simple.ods")
    assert o.format == "ods" and o.header == ["Name", "Age", "When"] and o.rows == 3
    assert o.inferred_types["Age"] == "integer"

    m = profile_file(MESSY / "messytables_bian-anal-mca-2005-dols-eng-1011-0312-tab3.xlsm")
    assert m.format == "xlsx" and m.header[1:] == ["Data item", "Description", "Definition"]
    assert m.rows == 14 and m.notes_rows_below == [61]


# --------------------------------------------------------------------------- agreement with frictionless


def frictionless_counts(path: Path, schema: dict | None = None) -> Counter:
    options = {"schema": Schema.from_descriptor(schema)} if schema else {}
    resource = Resource(path.name, basepath=str(path.parent), **options)
    report = validate(resource, checklist=Checklist(checks=[checks.duplicate_row()]), limit_errors=10**6)
    counts = Counter(e.type for e in report.tasks[0].errors)
    assert "resource-error" not in counts and report.tasks[0].stats["rows"] > 100
    return counts


def write_messy_csv(path: Path, seed: int) -> None:
    """A table with every structural and data problem both tools check, errors after row 100 so
    that type inference sees the same clean sample in both."""
    rnd = random.Random(seed)
    lines = ["id,name,amount,day,flag,name,,note"]
    for i in range(1, 400):
        name = rnd.choice(["Anna", "Bo", "", "Chen Li", "Dário"])
        amount = f"{rnd.uniform(-1e4, 1e4):.2f}" if rnd.random() > 0.1 else ""
        day = f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        flag = rnd.choice(["true", "false", ""])
        cells = [str(i), name, amount, day, flag, rnd.choice(["x", ""]), "", rnd.choice(["a", "b, c", ""])]
        if i > 100 and i % 37 == 0:
            cells[0] = "n/a"  # integer column
        if i > 100 and i % 41 == 0:
            cells[2] = "12,5"  # number column
        if i > 100 and i % 43 == 0:
            cells[3] = "2024-02-30"  # no such date
        if i > 100 and i % 47 == 0:
            cells[4] = "yes"  # not a Table Schema boolean
        line = ",".join(f'"{c}"' if "," in c else c for c in cells)
        if i > 100 and i % 53 == 0:
            line += ",extra,more"
        if i > 100 and i % 59 == 0:
            line = ",".join(cells[:5])
        lines.append(line)
        if i % 61 == 0:
            lines.append("")
        if i % 67 == 0:
            lines.append(",,,,,,,")
        if i % 71 == 0:
            lines.append(line)  # an exact repeat
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_agree_with_frictionless_inferred(tmp_path, seed):
    path = tmp_path / "messy.csv"
    write_messy_csv(path, seed)
    ours = profile_file(path)
    theirs = frictionless_counts(path)
    assert ours.inferred_types == {"id": "integer", "name": "string", "amount": "number", "day": "date",
                                   "flag": "boolean", "name2": "string", "field7": "any", "note": "string"}
    assert theirs["blank-label"] == len(ours.blank_header) == 1
    assert theirs["duplicate-label"] == len(ours.duplicate_header) == 1
    assert theirs["blank-row"] == ours.blank_rows > 0
    assert theirs["duplicate-row"] == ours.duplicate_rows > 0
    assert theirs["type-error"] == ours.type_errors > 0
    assert theirs["extra-cell"] == ours.extra_cells > 0
    assert theirs["missing-cell"] == ours.missing_trailing_cells > 0
    assert set(slugs(ours)) >= {"blank-header", "duplicate-header", "blank-row", "duplicate-row", "missing-cells",
                                "type-error", "extra-cell", "missing-cell"}


def test_missing_cells_and_declared_types_agree_with_frictionless(tmp_path):
    path = tmp_path / "declared.csv"
    write_messy_csv(path, 3)
    names = ["id", "name", "amount", "day", "flag", "name2", "field7", "note"]
    types = ["integer", "string", "number", "date", "boolean", "string", "string", "string"]
    schema = {"fields": [{"name": n, "type": t, "constraints": {"required": True}}
                         for n, t in zip(names, types, strict=True)],
              "primaryKey": ["id"]}
    ours = profile_file(path, schema=schema)
    theirs = frictionless_counts(path, schema)
    # with every field required, frictionless reports one constraint error per empty cell of a non-blank row
    assert theirs["constraint-error"] == ours.missing_cells > 0
    assert sum(ours.missing_by_column.values()) == ours.missing_cells
    assert theirs["type-error"] == ours.type_errors > 0
    assert theirs["blank-row"] == ours.blank_rows
    assert theirs["extra-cell"] == ours.extra_cells
    assert theirs["missing-cell"] == ours.missing_trailing_cells
    # frictionless also counts keys that failed their type (read as null) as repeats of each other;
    # we count repeated key strings only, so compare on a file whose keys are all valid
    assert ours.duplicate_keys > 0


def test_primary_key_repeats_agree_with_frictionless(tmp_path):
    path = tmp_path / "keys.csv"
    ids = [str(i % 150) for i in range(400)] + ["7", "9"]
    path.write_text("code,value\n" + "".join(f"{k},{n}\n" for n, k in enumerate(ids)), encoding="utf-8")
    schema = {"fields": [{"name": "code", "type": "integer"}, {"name": "value", "type": "integer"}],
              "primaryKey": ["code"]}
    ours = profile_file(path, schema=schema)
    theirs = frictionless_counts(path, schema)
    assert ours.duplicate_keys == theirs["primary-key"] == 402 - 150
    assert ours.duplicate_rows == theirs["duplicate-row"] == 0
    assert "primary-key" in slugs(ours)


def test_large_file_streams_in_blocks_with_notes(tmp_path):
    """Big enough for several pyarrow blocks and for separate head and tail samples."""
    rnd = random.Random(5)
    path = tmp_path / "big.csv"
    rows = [[str(i), rnd.choice(["a", "b", ""]), str(rnd.randint(0, 50))] for i in range(300_000)]
    for i in (1000, 150_000, 299_000):
        rows[i] = rows[i] + ["spill"]
    rows[200_000] = rows[200_000][:2]
    rows[250_000] = ["x"] + rows[250_000][1:]
    rows.insert(123_456, list(rows[5]))
    with path.open("w", encoding="gbk", newline="") as fh:
        fh.write("数据库：测试数据\n时间：2024\n")
        csv.writer(fh, lineterminator="\n").writerows([["编号", "类别", "数量"], *rows])
        fh.write("注：测试\n数据来源：本项目\n")
    p = profile_file(path)
    assert p.encoding in ("gbk", "gb18030", "gb2312")
    assert p.header == ["编号", "类别", "数量"] and p.notes_rows_above == [0, 1] and p.header_row == 2
    assert p.rows == 300_001
    assert p.notes_rows_below == [3 + 300_001, 4 + 300_001]
    assert p.extra_cells == 3 and p.missing_trailing_cells == 1
    assert p.duplicate_rows == 1 and p.type_errors == 1
    assert p.missing_by_column["类别"] == sum(1 for r in rows if r[1] == "")
    assert p.missing_by_column["数量"] == 1  # the cut row
    assert sum(b.num_rows for b in read_table(path)) == 300_001

    t = profile_file(path, max_rows=1000)
    assert t.truncated and t.rows == 1000


# --------------------------------------------------------------------------- personal data


def test_pii_counted_per_column_never_echoed(tmp_path):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

    def make_id(body):
        return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]

    ids = [make_id(f"3101041985{m:02d}1{d}2{d}5") for m in range(1, 13) for d in range(1, 9)]
    bad = ids[0][:-1] + ("0" if ids[0][-1] != "0" else "1")
    phones = [f"139{n:08d}" for n in range(len(ids))]
    mails = [f"user{n}@example.gov.cn" for n in range(len(ids))]
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "身份证号", "手机", "邮箱", "卡号"])
        for n, (i, ph, m) in enumerate(zip(ids, phones, mails, strict=True)):
            w.writerow([f"张{n}", i if n else bad, ph, m, "4111111111111111" if n < 5 else "1234"])
    p = profile_file(path)
    assert p.pii == {"身份证号": {"id_number": len(ids) - 1}, "手机": {"phone": len(ids)},
                     "邮箱": {"email": len(ids)}, "卡号": {"bank_card": 5}}
    found = profile_findings(p, "d")
    pii = {f.type: f.evidence for f in found if f.type.startswith("pii-")}
    assert pii["pii-id-number"] == {"column": "身份证号", "count": len(ids) - 1}
    assert pii["pii-phone"]["count"] == len(ids) and pii["pii-bank-card"]["count"] == 5
    assert all(f.severity == "error" for f in found if f.type.startswith("pii-"))
    text = json.dumps([f.to_dict() for f in found], ensure_ascii=False)
    text += json.dumps(p.to_dict(), ensure_ascii=False)
    assert p.sample[0][0] == "张0" and p.sample[0][1:4] == ["[redacted]"] * 3 and p.sample[6][4] == "[redacted]"
    for secret in [*ids, bad, *phones, *mails, "4111111111111111"]:
        assert secret not in text


def test_a_headerless_table_has_its_columns_named_by_personal_data_said_by_position(tmp_path):
    """A file without a header row: its first row of data is read as the column names, so ID numbers and phone
    numbers are names. The findings say those columns by their position ("Column 3", "第 3 列"), in their text and
    their evidence, and the others too: every name of that row is a citizen's cell (居民0, a person's name, no detector
    tells from a word)."""
    from tests.support.personal import IDS, PHONES, leaked

    path = tmp_path / "headerless.csv"
    rows = [["居民0", PHONES[0], IDS[0], "已办结", PHONES[1]]]  # the last column counts calls (below the first row)
    rows += [[f"居民{n}", PHONES[n % 12], IDS[n % 12], "" if n == 9 else "已办结", {155: "无", 7: ""}.get(n, str(n))]
             for n in range(1, 160)]
    path.write_text("\r\n".join(",".join(r) for r in rows) + "\r\n", encoding="utf-8")
    p = profile_file(path)
    assert p.header[1:3] == [PHONES[0], IDS[0]]  # the first row, read as names
    findings = profile_findings(p, "d")
    found = {f.type: f for f in findings if not f.evidence.get("header_row")}  # the names: findings of their own
    assert sorted((f.type, f.evidence["column_position"]) for f in findings if f.evidence.get("header_row")) \
        == [("pii-id-number", 3), ("pii-phone", 2), ("pii-phone", 5)]
    assert found["pii-id-number"].evidence == {"column_position": 3, "count": 159}
    assert found["pii-id-number"].message == "Column 3 holds 159 valid resident identity numbers."
    assert found["pii-id-number"].localised("zh")[0] == "第 3 列含有 159 个有效的居民身份证号码。"
    assert found["pii-phone"].evidence == {"column_position": 2, "count": 159}
    typed = found["type-error"]  # "无" among the counts of calls
    assert typed.evidence == {"count": 1, "columns": [5], "by_column": {"#5": 1}}
    assert typed.message == "1 cell does not match its column's type; most in column 5."
    assert typed.localised("zh")[0] == "有 1 个单元格与所在列的类型不符，主要在第 5 列。"
    assert found["missing-cells"].evidence["by_column"] == {"#4": 1, "#5": 1}
    text = json.dumps([f.to_dict() for f in findings], ensure_ascii=False)
    text += "".join(f.localised(lang)[0] + f.localised(lang)[1] for f in findings for lang in ("en", "zh"))
    assert leaked(text) == [] and "居民0" not in text and "已办结" not in text


@pytest.mark.parametrize("below", [12, 0])
def test_personal_data_only_in_the_row_read_as_the_header_is_found_there(tmp_path, below):
    """A file without a header row whose cells below the first row hold no personal data (or that has no other row):
    the first row's ID number and phone number, read as column names, are personal data found in the file. The
    pii rule says so, one finding per column and kind "in the header row" with a fix saying the file seems to have no
    header row; the whole-file scan does not count them again as personal data beside the table."""
    from quality.rules import pii_file
    from quality.tabular.whole import scan_whole
    from tests.support.personal import IDS, PHONES, leaked

    path = tmp_path / "headerless.csv"
    rows = [[IDS[0], PHONES[0]]] + [[f"临江区{n}", str(120000 + n * 7)] for n in range(below)]
    path.write_text("\r\n".join(",".join(r) for r in rows) + "\r\n", encoding="utf-8")
    p = profile_file(path)
    assert p.header == [IDS[0], PHONES[0]]
    assert p.pii == {IDS[0]: {"id_number": 1}, PHONES[0]: {"phone": 1}}  # what the gate's facts are made of
    assert p.header_pii == p.pii
    found = [f for f in profile_findings(p, "d") if f.type.startswith("pii-")]
    assert sorted((f.type, f.evidence["column_position"]) for f in found) == [("pii-id-number", 1), ("pii-phone", 2)]
    ids = next(f for f in found if f.type == "pii-id-number")
    assert ids.evidence == {"column_position": 1, "header_row": True, "count": 1}
    assert ids.message == "The name of column 1 holds 1 valid resident identity number (in the header row)."
    assert ids.fix.endswith(" The file seems to have no header row: its first row, read as the column names, holds "
                            "personal data. Add a header row above it, or remove the row.")
    message_zh, fix_zh = ids.localised("zh")
    assert message_zh == "第 1 列的列名含有 1 个有效的居民身份证号码（位于表头行）。"
    assert fix_zh.endswith("该文件似乎没有表头行：其第一行被读作列名，而其中含有个人信息。"
                           "请在其上方添加表头行，或删除该行。")
    assert pii_file.check(scan_whole(path, "CSV"), p.pii, "CSV", "d") == []  # not again "beside the table"
    text = json.dumps([f.to_dict() for f in found], ensure_ascii=False) + json.dumps(p.sample, ensure_ascii=False)
    text += "".join(f.localised(lang)[0] + f.localised(lang)[1] for f in found for lang in ("en", "zh"))
    assert leaked(text) == []


def test_personal_data_in_the_header_and_below_it_are_two_findings_of_one_column(tmp_path):
    from tests.support.personal import IDS

    path = tmp_path / "headerless.csv"
    rows = [["居民0", IDS[0]]] + [[f"居民{n}", IDS[n]] for n in range(1, 12)]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    p = profile_file(path)
    assert p.pii == {IDS[0]: {"id_number": 12}} and p.header_pii == {IDS[0]: {"id_number": 1}}
    found = sorted((f.evidence for f in profile_findings(p, "d") if f.type == "pii-id-number"), key=len)
    assert found == [{"column_position": 2, "count": 11}, {"column_position": 2, "header_row": True, "count": 1}]


def test_a_repeated_column_name_that_is_personal_data_is_said_by_the_positions_it_names(tmp_path):
    from tests.support.personal import IDS, leaked

    path = tmp_path / "twice.csv"
    rows = [["居民0", IDS[0], IDS[0], "区县"]]  # the applicant's and the guardian's ID numbers: the same one
    rows += [[f"居民{n}", IDS[n], IDS[(n + 1) % 12], "临江区"] for n in range(1, 12)]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    found = {f.type: f for f in profile_findings(profile_file(path), "d")}
    assert found["duplicate-header"].evidence["labels"] == [2, 3]
    assert found["duplicate-header"].message == "Column names used more than once: column 2, column 3."
    assert found["duplicate-header"].localised("zh")[0] == "重复使用的列名：第 2 列、第 3 列。"
    assert leaked(json.dumps(found["duplicate-header"].to_dict())) == []


def test_a_finding_kept_before_columns_were_said_by_position_is_said_as_the_rules_say_it_now(tmp_path):
    """Findings stored before a column whose name is personal data was said by its position (as the rules wrote them
    until 2026-12-07) name it: `column`, a `columns` or `labels` text, `by_column` keys, and the English message made
    of them. `said_by_position` makes of each, from the table's column names, the finding the rules make now; a
    finding made now is left as it is; a table no longer known says such a name [redacted]."""
    from quality.findings import REDACTED, said_by_position
    from tests.support.personal import HEADERLESS_CSV, IDS, PHONES, kept_before, leaked

    path = tmp_path / "headerless.csv"
    path.write_bytes(HEADERLESS_CSV)
    profile = profile_file(path)
    assert list(profile.inferred_types) == ["居民0", PHONES[0], IDS[0], "已办结", PHONES[1], IDS[0] + "2"]
    now = [f.to_dict() for f in profile_findings(profile, "d")]
    kept = kept_before("d")  # as the rules wrote them of this file before
    told = [said_by_position(f, profile) for f in kept]
    assert [said for _, said in told] == [[3, 6], [5], [5, 5], [2], [3], [6]]
    assert [f for f, _ in told] == [f for f in now if not f["evidence"].get("header_row")]
    assert leaked(json.dumps([f for f, _ in told], ensure_ascii=False)) == []
    for finding in now:  # as the rules make it now: as it is
        assert said_by_position(finding, profile) == (finding, [])
        assert said_by_position(finding, profile)[0] is finding
    # one kept before that names its columns by names that are no personal data: as it is
    clean = {"type": "type-error",
             "evidence": {"count": 2, "columns": "金额, 日期", "by_column": {"金额": 1, "日期": 1}}}
    assert said_by_position(clean, profile) == (clean, [])

    # the table no longer known: such a name [redacted], the others as they were
    unknown = [said_by_position(f, None) for f in kept]
    assert [said for _, said in unknown] == [[REDACTED]] + [[REDACTED]] + [[REDACTED] * 2] + [[REDACTED]] * 3
    assert unknown[1][0]["evidence"]["by_column"] == {"已办结": 1, REDACTED: 1}
    assert unknown[3][0]["evidence"] == {"column": REDACTED, "count": 159}
    assert unknown[3][0]["message"] == "Column [redacted] holds 159 mobile phone numbers."
    assert leaked(json.dumps([f for f, _ in unknown], ensure_ascii=False)) == []
    assert [said_by_position(f, None) for f, _ in unknown] == [(f, []) for f, _ in unknown]  # and then as it is


def test_pii_below_the_rows_a_column_is_typed_from_is_counted(tmp_path):
    """A column is typed from its first hundred rows; one typed date or boolean was not scanned at all, so ID numbers
    and mobile numbers below a hundred dates were in no fact, and the table's conversions served them. Its cells
    that are not of its type are scanned as any text is; its dates and booleans are not (they hold none)."""
    from tests.support.personal import IDS, PHONES

    path = tmp_path / "late.csv"
    rows = [["区县", "受理日期", "已办结"]] + [[f"d{i}", f"2024-01-{i % 28 + 1:02d}", "true"] for i in range(150)]
    rows += [[f"x{i}", IDS[i], PHONES[i]] for i in range(12)] + [["y", "2024-02-01", "false"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    p = profile_file(path)
    assert p.inferred_types == {"区县": "string", "受理日期": "date", "已办结": "boolean"}
    assert p.pii == {"受理日期": {"id_number": 12}, "已办结": {"phone": 12}}
    text = json.dumps(p.to_dict(), ensure_ascii=False)
    assert not [s for s in IDS + PHONES if s in text]
    # a schema that declares the column a date is no more a reason to pass its other cells over
    declared = {"fields": [{"name": "区县", "type": "string"}, {"name": "受理日期", "type": "date"},
                           {"name": "已办结", "type": "boolean"}]}
    assert profile_file(path, schema=declared).pii == p.pii


# --------------------------------------------------------------------------- other encodings and formats


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_nbs_table_in_other_unicode_encodings(tmp_path, codec):
    text = (MESSY / "nbs_gdp_20y_gbk.csv").read_bytes().decode("gbk")
    path = tmp_path / "nbs.csv"
    path.write_bytes(text.encode(codec))
    p = profile_file(path)
    assert p.encoding.startswith(codec.split("-sig")[0][:6])
    assert (p.rows, p.columns, p.header_row, p.notes_rows_below) == (31, 20, 3, [35, 36])
    assert p.header[0] == "地区" and p.sample[0][0] == "北京市"
    assert ("encoding-not-utf8" in slugs(p)) == codec.startswith("utf-16")
    assert pa.Table.from_batches(list(read_table(path))).num_rows == 31


@pytest.mark.parametrize("given", [None, "ascii"])
def test_a_gbk_table_whose_chinese_starts_past_the_ascii_head_is_read_as_gbk(tmp_path, given):
    """Codes and figures first, the Chinese 300 kB down: the head is ASCII, which says nothing of the rest (the
    sniffer reports such a file's first 4 MB as "ascii"). Its Chinese cells were U+FFFD in every reading."""
    rows = [["code", "name", "value"]] + [[f"A{i:06d}", f"item{i}", str(i)] for i in range(20_000)]
    rows += [["Z000001", "北京市", "1"], ["Z000002", "𠮷林省", "2"]]
    path = tmp_path / "late.csv"
    path.write_bytes("".join(",".join(r) + "\r\n" for r in rows).encode("gb18030"))
    assert path.read_bytes()[:256 * 1024].isascii()
    table = pa.Table.from_batches(list(read_table(path, encoding=given)))
    assert table.num_rows == 20_002 and table.column("name").to_pylist()[-2:] == ["北京市", "𠮷林省"]
    p = profile_file(path, encoding=given)
    assert p.rows == 20_002 and p.encoding == "gb18030" and "encoding-not-utf8" in slugs(p)


def test_json_records_and_tsv(tmp_path):
    records = [{"id": i, "city": c, "rate": r} for i, (c, r) in
               enumerate([("Berlin", 1.5), ("Madrid", None), ("Berlin", 1.5), ("Lyon", "n/a")] * 30)]
    (tmp_path / "rows.json").write_text(json.dumps(records), encoding="utf-8")
    j = profile_file(tmp_path / "rows.json")
    assert j.format == "json" and j.header == ["id", "city", "rate"] and j.rows == 120
    assert j.inferred_types == {"id": "integer", "city": "string", "rate": "string"}
    assert j.missing_by_column == {"rate": 30} and j.duplicate_rows == 0

    (tmp_path / "t.tsv").write_text("a\tb\n1\tx\n2\t\n1\tx\n\n", encoding="utf-8")
    t = profile_file(tmp_path / "t.tsv")
    assert (t.format, t.rows, t.columns, t.missing_cells, t.duplicate_rows, t.blank_rows) == ("tsv", 4, 2, 1, 1, 1)

    # European decimals: more commas than semicolons on a line, yet ';' is the delimiter
    (tmp_path / "eu.csv").write_text("Gemeinde;Betrag;Anteil\n" + "".join(
        f"Ort {i};{i},50;0,{i:02d}\n" for i in range(40)), encoding="utf-8")
    e = profile_file(tmp_path / "eu.csv")
    assert (e.columns, e.rows, e.header) == (3, 40, ["Gemeinde", "Betrag", "Anteil"])
    assert e.sample[1] == ["Ort 1", "1,50", "0,01"]


def test_read_table_gives_a_header_without_rows_as_a_batch_of_no_rows_when_asked(tmp_path):
    import zipfile

    from quality.tabular import tables_kept

    (tmp_path / "h.csv").write_bytes("编号,名称\r\n\r\n".encode("gbk"))
    (tmp_path / "h.tsv").write_text("a\tb\n", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "h.zip", "w") as zf:
        zf.writestr("data/h.csv", "a,b\n")
    want = {"h.csv": ["编号", "名称"], "h.tsv": ["a", "b"], "h.zip": ["a", "b"]}
    for name, names in want.items():
        fmt = name.rsplit(".", 1)[1]
        assert list(read_table(tmp_path / name, format=fmt)) == [], name  # as before: no batch
        with tables_kept():  # a batch of no rows is not kept: the second read asks the file again, and gets it
            for _ in range(2):
                (batch,) = read_table(tmp_path / name, format=fmt, header=True)
                assert batch.num_rows == 0 and batch.schema.names == names, name
    (tmp_path / "none.csv").write_bytes(b"\n")
    with pytest.raises(TableError) as err:
        list(read_table(tmp_path / "none.csv", header=True))
    assert err.value.reason == "empty"


def test_read_table_keeps_order_and_fits_ragged_rows(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n\n10,11,12\n", encoding="utf-8")
    table = pa.Table.from_batches(list(read_table(path)))
    assert table.to_pydict() == {"a": ["1", "4", "6", "10"], "b": ["2", "5", "7", "11"], "c": ["3", "", "8", "12"]}
    p = profile_file(path)
    assert (p.rows, p.extra_cells, p.missing_trailing_cells, p.blank_rows) == (5, 1, 1, 1)
    assert frictionless_counts_small(path) == Counter({"missing-cell": 1, "extra-cell": 1, "blank-row": 1})


def frictionless_counts_small(path: Path) -> Counter:
    report = validate(Resource(path.name, basepath=str(path.parent)))
    return Counter(e.type for e in report.tasks[0].errors)


def test_bad_input_gives_clear_errors(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "noise.csv").write_bytes(random.Random(3).randbytes(4000))
    (tmp_path / "cut.json").write_text('[{"a": 1}, {"a"', encoding="utf-8")
    (tmp_path / "header.csv").write_text("a,b,c\n", encoding="utf-8")
    reasons = {}
    for name in ("empty.csv", "noise.csv", "cut.json"):
        with pytest.raises(TableError) as err:
            profile_file(tmp_path / name)
        reasons[name] = err.value.reason
    assert reasons == {"empty.csv": "empty", "noise.csv": "unreadable", "cut.json": "unreadable"}
    only_header = profile_file(tmp_path / "header.csv")
    assert (only_header.rows, only_header.columns, slugs(only_header)) == (0, 3, [])


def test_cell_longer_than_a_read_block(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text('id,text\n1,"' + "长" * 3_000_000 + '"\n2,short\n', encoding="utf-8")
    p = profile_file(path)
    assert (p.rows, p.columns, p.missing_cells, p.type_errors) == (2, 2, 0, 0)


def test_a_column_of_times_keeps_its_midnights_as_times(tmp_path):
    """An XLSX column of date-times with one at midnight: that one was written as the date alone
    ("2024-01-02" beside "2024-01-01T10:30:00": a filter or a sort on the column met two spellings); a column
    of dates only stays dates."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["受理时间", "日期", "件数"])
    sheet.append([dt.datetime(2024, 1, 1, 10, 30), dt.datetime(2024, 1, 1), 3])
    sheet.append([dt.datetime(2024, 1, 2, 0, 0), dt.datetime(2024, 1, 2), 5])
    sheet.append([dt.datetime(2024, 1, 3, 16, 5), dt.datetime(2024, 1, 3), 2])
    path = tmp_path / "hotline.xlsx"
    book.save(path)
    table = pa.Table.from_batches(list(read_table(path, format="xlsx")))
    assert table.column("受理时间").to_pylist() == ["2024-01-01T10:30:00", "2024-01-02T00:00:00", "2024-01-03T16:05:00"]
    assert table.column("日期").to_pylist() == ["2024-01-01", "2024-01-02", "2024-01-03"]
    inferred = profile_file(path, format="xlsx").inferred_types
    assert inferred["日期"] == "date" and inferred["受理时间"] == "datetime"  # a naive date-time is one


def test_counts_said_by_position_already_stay_as_they_are():
    """`keyed_by_position` of a headerless table's counts (every name by its position) given them again (a scrub run
    twice, counts merged) keeps ``#4`` and ``[redacted]``: they are no names of the table to look up."""
    from types import SimpleNamespace

    from quality.findings import keyed_by_position
    from tests.support.personal import IDS, PHONES

    table = SimpleNamespace(header=["GD0000", "居民0", IDS[0], PHONES[0], "已办结"])
    once = keyed_by_position({"已办结": 1, "居民0": 2, IDS[0]: 3}, table)
    assert once == {"#5": 1, "#2": 2, "#3": 3}
    assert keyed_by_position(once, table) == once
    assert keyed_by_position({"[redacted]": 1, "#4": 2}, table) == {"[redacted]": 1, "#4": 2}
    assert keyed_by_position({"区县": 1}, SimpleNamespace(header=["区县", "人口"])) == {"区县": 1}
