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
