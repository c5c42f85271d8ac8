"""The star ladder of a dataset page: the fix for the first missed star comes from the stars rule's findings."""

from __future__ import annotations

import pytest

from app.web.quality_view import star_ladder
from quality.findings import FINDING_TYPES, make_finding


def _stored(slug: str, distribution: str) -> dict:
    return make_finding(slug, distribution=distribution).to_dict()


@pytest.mark.parametrize("slug", [t.slug for t in FINDING_TYPES.rule("stars").types])
def test_every_stars_finding_tells_how_to_earn_the_next_star(app, slug):
    findings = [_stored(slug, "d1"), _stored("missing-cells", "d1"), _stored("licence-missing", "d2")]
    with app.test_request_context():
        ladder = star_ladder({"id": "d1", "stars": 0, "reasons": ["no licence"]}, findings, "en")
        zh = star_ladder({"id": "d1", "stars": 0, "reasons": []}, findings, "zh")
    assert ladder[0]["fix"] == FINDING_TYPES[slug].fix("en", {})  # not the table's nor another file's finding
    assert zh[0]["fix"] == FINDING_TYPES[slug].fix("zh", {})
    assert [row["fix"] for row in ladder[1:]] == ["", "", "", ""]


def test_a_star_reason_naming_the_file_is_said_in_chinese_whole():
    from app.web.quality_view import reason_text

    said = reason_text("The file is not RDF, so things are not named with URIs.", "zh")
    assert said == "该文件不是 RDF，事物没有用 URI 标识。"  # was "The file 不是 RDF，..."
    said = reason_text("CSV is not RDF, so things are not named with URIs.", "zh")
    assert said == "CSV 不是 RDF，事物没有用 URI 标识。"
    said = reason_text("The file does not parse as CSV (line 1, column 6, byte 5), so it is not structured data.",
                       "zh")  # it stayed English on the Chinese page
    assert said == "文件无法按 CSV 格式解析（第 1 行第 6 列，第 5 字节），因此不是结构化数据。"
    assert reason_text("The file is empty: it holds no data.", "zh") == "文件为空，其中没有数据。"
    said = reason_text("It is CSV on the Web metadata: the URIs it gives are counted on the CSV it describes "
                       "(https://data.example.gov/stops.csv).", "zh")
    assert said == "这是 CSV on the Web 元数据：它生成的 URI 计入其所描述的 CSV（https://data.example.gov/stops.csv）。"
    assert reason_text("Its columns link to no data on other domains.", "zh") == "其各列没有链接到其他域名上的数据。"
    assert reason_text("An unrecognised file (7z) is not structured, machine-readable data.", "zh") == \
        "未知类型的文件（7z）不是结构化的机器可读数据。"


def test_the_score_breakdown_says_what_the_personal_data_cap_took(app):
    """The hotline complaints' parts gave 85.5 points and the page said "Quality score: 40" with no row for the
    45.5 points the personal-data cap took: the points column did not add up to the score."""
    from app.web.quality_view import score_parts

    doc = {"score": 40, "pii": True, "subscores": {"openness": 60, "metadata": 98, "data": 100, "timeliness": 100,
                                                   "accessibility": 100}}
    with app.test_request_context("/?lang=en"):
        en = score_parts(doc)
        plain = score_parts({**doc, "pii": False, "score": 86})
    with app.test_request_context("/?lang=zh"):
        zh = score_parts(doc)
    assert len(en) == 6 and en[-1]["cap"] and en[-1]["lost"] == 45.5 and en[-1]["points"] == -45.5
    assert abs(sum(p["points"] for p in en) - 40) < 1 and abs(sum(p["lost"] for p in en) - 60) < 1
    assert "40" in en[-1]["label"] and "personal data" in en[-1]["label"]
    assert "个人信息" in zh[-1]["label"]
    assert len(plain) == 5 and not any(p.get("cap") for p in plain)


def test_the_score_breakdown_adds_up_to_the_score_exactly(app):
    """Each figure rounded on its own: "Quality score: 99/100" above a metadata row losing 1.5 points (the parts
    gave 98.5), and the parts of most datasets up to a point off their score. The points now add up to
    the score and the lost points to 100 less it, to the tenth; a part at 100% loses nothing, one at 0% gives
    nothing."""
    from app.web.quality_view import score_parts

    def doc(score, stars, points, subscores, **more):
        files = [{"check_status": "ok"}] if subscores.get("accessibility") else [{"check_status": "broken"}]
        return {"score": score, "stars": stars, "metadata": {"points": points, "max": 405}, "distributions": files,
                "timeliness": {"stale": False, "periods_late": 0, "expected_days": 365.25, "age_days": 30.0},
                "subscores": subscores, **more}

    cases = [  # (as assessed: quality.assess) the 5-star RDF file with 385 metadata points, a 3-star CSV, a 0-star one
        doc(99, 5, 385, {"openness": 100, "metadata": 95, "data": None, "timeliness": 100, "accessibility": 100}),
        doc(84, 3, 365, {"openness": 60, "metadata": 90, "data": 100, "timeliness": 100, "accessibility": 100}),
        doc(83, 3, 395, {"openness": 60, "metadata": 98, "data": 84, "timeliness": 100, "accessibility": 100}),
        doc(31, 0, 260, {"openness": 0, "metadata": 64, "data": None, "timeliness": 100, "accessibility": 0}),
        doc(40, 3, 395, {"openness": 60, "metadata": 98, "data": 100, "timeliness": 100, "accessibility": 100},
            pii=True),
    ]
    with app.test_request_context("/?lang=en"):
        for case in cases:
            parts = score_parts(case)
            assert round(sum(p["points"] for p in parts), 1) == case["score"], parts
            assert round(sum(p["lost"] for p in parts), 1) == 100 - case["score"], parts
            assert round(sum(p["weight"] for p in parts if p["weight"] is not None), 1) == 100, parts
            for p in parts:
                if p["percent"] == 100:
                    assert p["lost"] == 0 and p["points"] == p["weight"], p
                if p["percent"] == 0:
                    assert p["points"] == 0, p
    with app.test_request_context("/?lang=en"):
        first = {p["part"]: p for p in score_parts(cases[0])}
        # a part measured exactly keeps its exact points while another can take the rounding: 60% of 35 is 21.0 (an
        # official's check of the row saw 21.2, the metadata's 22.53 shown as 22.8)
        for case in cases[1:3]:
            parts = {p["part"]: p for p in score_parts(case)}
            assert parts["openness"]["points"] == round(0.6 * parts["openness"]["weight"], 1), parts
    assert first["metadata"]["lost"] == 1.0 and first["openness"]["lost"] == 0


def test_a_stored_download_reason_is_said_in_plain_words_in_each_language():
    """A star reason stored before the words were plain kept the link checker's English inside the Chinese sentence
    ("无法下载文件（127.0.0.1:5001 is skipped for the rest of this run: ...）。") on the dataset page, the quality API
    and CKAN's resource; the English said the same raw error."""
    from app.web.quality_view import reason_text

    stored = ("The file could not be downloaded (127.0.0.1:5001 is skipped for the rest of this run: it failed 3 times "
              "in a row (last: could not connect to 127.0.0.1:5001 (connection refused) for "
              "http://127.0.0.1:5001/a.csv)). No licence is given.")
    assert reason_text(stored, "zh") == "无法下载文件（服务器拒绝连接）。 未声明许可协议。"
    assert reason_text(stored, "en") == ("The file could not be downloaded (the server refused the connection). "
                                         "No licence is given.")
    assert reason_text("The file could not be downloaded (HTTP 404).", "zh") == "无法下载文件（服务器返回 HTTP 404）。"
