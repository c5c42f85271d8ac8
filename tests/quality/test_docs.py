"""docs/quality.md documents every rule and weight: its tables are generated and must be current."""

from __future__ import annotations

from pathlib import Path

from quality.docs import render
from quality.findings import FINDING_TYPES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quality.md"


def test_quality_page_is_current():
    text = PAGE.read_text("utf-8")
    assert render(text) == text, "run: python -m quality.docs docs/quality.md"


def test_every_finding_slug_is_documented():
    text = PAGE.read_text("utf-8")
    missing = [slug for slug in FINDING_TYPES if f"`{slug}`" not in text]
    assert not missing
    for slug in ("link-broken", "licence-missing", "licence-not-open", "format-mismatch", "html-not-data",
                 "not-machine-readable", "proprietary-format", "no-uris", "no-external-links", "encoding-not-utf8",
                 "notes-rows", "blank-header", "duplicate-header", "blank-row", "duplicate-row", "missing-cells",
                 "type-error", "extra-cell", "pii-id-number", "pii-phone", "pii-email", "pii-bank-card", "stale",
                 "frequency-missing", "duplicate-dataset", "fragmented-series", "missing-keywords",
                 "missing-contact-point"):
        assert f"`{slug}`" in text, slug
