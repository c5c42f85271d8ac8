"""Findings say counts as people do: only the parts that are not zero, and one thing in the singular."""

from quality import openness, sniff
from quality.findings import make_finding
from quality.tabular import profile_file, profile_findings


def _finding(path, slug):
    found = [f for f in profile_findings(profile_file(path), "dist-1") if f.type == slug]
    assert len(found) == 1, [f.type for f in profile_findings(profile_file(path), "dist-1")]
    return found[0]


def test_notes_rows_above_only_says_nothing_of_rows_below(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("Population by district in 2024\ndistrict,people\nA,1200\nB,3400\nC,560\nD,780\n", "utf-8")
    notes = _finding(path, "notes-rows")
    assert notes.evidence["above"] == 1 and notes.evidence["below"] == 0
    assert notes.message == "1 row above the header is a note, not data."
    assert notes.localised("zh")[0] == "表头上方有 1 行是说明文字而非数据。"


def test_notes_rows_below_only_and_both(tmp_path):
    below = tmp_path / "below.csv"
    below.write_text("district,people\nA,1200\nB,3400\nC,560\nD,780\nSource: district offices\n"
                     "Note: estimates\n", "utf-8")
    notes = _finding(below, "notes-rows")
    assert notes.evidence["above"] == 0 and notes.evidence["below"] == 2
    assert notes.message == "2 rows below the table are notes, not data."
    assert notes.localised("zh")[0] == "表格下方有 2 行是说明文字而非数据。"
    both = tmp_path / "both.csv"
    both.write_text("Population by district in 2024\ndistrict,people\nA,1200\nB,3400\nC,560\nD,780\n"
                    "Source: district offices\n", "utf-8")
    notes = _finding(both, "notes-rows")
    assert notes.message == "1 row above the header and 1 row below the table are notes, not data."
    assert notes.localised("zh")[0] == "表头上方有 1 行、表格下方有 1 行是说明文字而非数据。"


def test_one_type_error_is_said_in_the_singular(tmp_path):
    path = tmp_path / "amounts.csv"
    path.write_text("district,amount\n" + "".join(f"D{i},{i * 10}\n" for i in range(40)) + "D40,unknown\n", "utf-8")
    typed = _finding(path, "type-error")
    assert typed.evidence["count"] == 1
    assert typed.message == "1 cell does not match its column's type; most in amount."
    assert make_finding("type-error", count=3, columns=["amount"]).message == \
        "3 cells do not match their column's type; most in amount."


def test_one_email_address_is_said_in_the_singular():
    assert make_finding("pii-email", column="contact", count=1).message == "Column contact holds 1 e-mail address."
    assert make_finding("pii-email", column="contact", count=4).message == "Column contact holds 4 e-mail addresses."


def test_one_link_and_one_subject_are_said_in_the_singular(tmp_path):
    path = tmp_path / "one.ttl"
    path.write_text("<http://data.example.gov.cn/id/a> <http://www.w3.org/2002/07/owl#sameAs> "
                    "<http://dbpedia.org/resource/Beijing> .\n", "utf-8")
    subjects, links = openness.rdf_link_stats(path.read_bytes(), "TURTLE")[1:]
    assert (subjects, links) == (1, 1)
    sniffed = sniff.sniff(path.read_bytes(), filename=path.name)
    # stars counted in order: a missing licence leaves the levels passed said as reasons
    result = openness.distribution_stars(openness.Evidence(
        url=path.as_uri(), reachable=True, http_status=200, error=None, declared_format="TURTLE", sniffed=sniffed,
        licence_id=None, rdf_uri_subjects=subjects, rdf_external_links=links))
    said = " ".join(result.reasons)
    assert "names 1 thing with http(s) URIs" in said and "links once to data on other domains" in said
    assert "1 things" not in said and "1 times" not in said
