"""The rule registry: every rule listed once, every slug registered once, texts whatever was imported first."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from quality.findings import FINDING_TYPES, FindingType, Registry, Rule, make_finding
from quality.rules import RULES


def test_every_listed_module_declares_one_rule():
    names = [importlib.import_module(m).RULE.name for m in RULES]
    assert len(names) == len(set(names)) == len(FINDING_TYPES.rules())


def test_each_slug_belongs_to_one_rule():
    owners: dict[str, str] = {}
    for rule in FINDING_TYPES.rules():
        for ftype in rule.types:
            assert ftype.slug not in owners, (ftype.slug, owners.get(ftype.slug), rule.name)
            owners[ftype.slug] = rule.name
    assert set(owners) == set(FINDING_TYPES)
    assert "table-unreadable" in owners and "licence-missing" in owners


def test_a_second_registration_of_a_slug_raises():
    registry = Registry()
    ftype = FindingType("x-test", "info", "T", "T", "F", "F")
    registry.register(ftype)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(FindingType("x-test", "error", "Other", "Other", "F", "F"))
    with pytest.raises(ValueError, match="already registered"):
        registry.add_rule(Rule("two", (ftype,)))


def test_the_real_registry_refuses_a_listed_slug_again():
    with pytest.raises(ValueError, match="already registered"):
        FINDING_TYPES.register(FindingType("table-unreadable", "error", "again", "again", "f", "f"))


def test_every_type_has_both_languages_and_a_fix():
    for slug, ftype in FINDING_TYPES.items():
        assert ftype.title_en and ftype.title_zh and ftype.fix_en and ftype.fix_zh, slug
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ftype.title_zh + ftype.fix_zh), slug


def test_every_variant_has_both_languages_and_is_chosen_by_its_evidence_alone():
    """A fix for a case the type's own sentence reads wrong of (quality.findings.Variant), in both languages; evidence
    of no case, or of a shape a case does not expect, keeps the type's own texts and never raises."""
    variants = [(slug, v) for slug, ftype in FINDING_TYPES.items() for v in ftype.variants]
    assert {slug for slug, _v in variants} >= {"format-mismatch", "not-machine-readable", "link-broken",
                                               "encoding-declared-wrong"}
    for slug, variant in variants:
        assert variant.case.startswith("When ") and variant.fix_en and variant.fix_zh, slug
        assert any("\u4e00" <= ch <= "\u9fff" for ch in variant.fix_zh + variant.message_zh), slug
        ftype = FINDING_TYPES[slug]
        assert ftype.variant({}) is None and ftype.variant({"url": [], "format": 3, "recognised": "x"}) is None, slug
        assert variant.fix_en in ftype.templates() and variant.fix_zh in ftype.templates()


def test_weights_come_from_the_rules_and_sum_to_100():
    from quality.assess import PARTS, WEIGHTS

    weighted = [r for r in FINDING_TYPES.rules() if r.weight is not None]
    assert sorted(r.part for r in weighted) == sorted(PARTS)
    assert sum(WEIGHTS.values()) == 100
    assert all(r.measure for r in weighted)


@pytest.mark.parametrize("first", ["quality.assess", "quality.tabular", "quality.findings", "quality.catalog"])
def test_texts_do_not_depend_on_import_order(first):
    """A fresh interpreter importing one module first sees the same table-unreadable and Chinese texts."""
    code = (f"import {first}\n"
            "from quality.findings import FINDING_TYPES as T\n"
            "t = T['table-unreadable']\n"
            "print(t.message('en', {'error': 'E'}))\n"
            "print(T['encoding-not-utf8'].title('zh'))\n"
            "print(len(T))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == ("The file looks like a table but could not be read: the file is damaged, or its rows and "
                      "columns are not laid out as one table.")  # an error no pattern knows, in plain words
    assert out[1] == "文本未使用 UTF-8 编码"
    assert int(out[2]) == len(FINDING_TYPES)


def test_table_rules_run_in_listed_order():
    from quality.tabular import TableProfile, profile_findings

    p = TableProfile(format="csv", encoding="gbk", rows=4, columns=2, header=["a", "a"], header_row=1,
                     notes_rows_above=[0], blank_rows=1, duplicate_header=["a"], missing_cells=1,
                     missing_by_column={"a": 1}, extra_cells=2, pii={"a": {"phone": 3, "uscc": 1}})
    assert [f.type for f in profile_findings(p, "d")] == [
        "encoding-not-utf8", "notes-rows", "duplicate-header", "blank-row", "missing-cells", "extra-cell", "pii-phone"]
    assert all(f.distribution == "d" for f in profile_findings(p, "d"))


def test_make_finding_refuses_an_unknown_slug():
    with pytest.raises(KeyError):
        make_finding("no-such-rule")


def test_a_rule_list_that_fails_to_load_leaves_the_registry_as_it_was(monkeypatch):
    import quality.rules

    registry = Registry()
    monkeypatch.setattr(quality.rules, "RULES", ("quality.rules.blank_row", "quality.rules.no_such_rule"))
    with pytest.raises(ModuleNotFoundError):
        registry.load()
    registry.register(FindingType("x-probe", "info", "T", "T", "F", "F"))  # the registry still takes slugs
    monkeypatch.setattr(quality.rules, "RULES", ("quality.rules.blank_row", "quality.rules.blank_row"))
    with pytest.raises(ValueError, match="already registered"):
        registry.load()
    monkeypatch.setattr(quality.rules, "RULES", ("quality.rules.blank_row",))
    assert sorted(registry) == ["blank-row", "x-probe"]


def test_english_messages_agree_with_their_counts():
    from quality.findings import FINDING_TYPES

    blank = FINDING_TYPES["blank-row"]
    assert blank.message("en", {"count": 1}) == "1 row is empty."
    assert blank.message("en", {"count": 3}) == "3 rows are empty."
    assert blank.message("en", {"count": "1,000"}) == "1,000 rows are empty."  # written out by the check page
    assert blank.message("en", {"count": "1"}) == "1 row is empty."
    assert blank.message("zh", {"count": 1}) == "有 1 行为空行。"
    assert "?" in blank.message("en", {})  # missing evidence still shows, never raises
    every = [t.slug for t in FINDING_TYPES.values() for text in (t.message_en, t.title_en, t.fix_en)
             if "(s)" in text.replace("http(s)", "")]
    assert not every, every


def test_texts_formatted_once_are_the_texts_formatted_each_time():
    """`english_texts` keeps the texts of scalar evidence: the same as formatting, each value's type kept apart
    (1, 1.0 and True format differently), and evidence holding a list formatted each time."""
    from quality.findings import english_texts

    ftype = FindingType("test-cached-texts", "info", "Cached", "缓存", "Fix {n}.", "修复", message_en="Got {n}.")
    for evidence in ({"n": 1}, {"n": True}, {"n": 1.0}, {"n": 1}, {"n": [1, 2]}, {"n": [1, 2]}, {}):
        assert english_texts(ftype, evidence) == (ftype.message("en", evidence), ftype.fix("en", evidence))
    assert english_texts(ftype, {"n": True}) == ("Got True.", "Fix True.")
    assert english_texts(ftype, {"n": 1.0})[0] == "Got 1.0."
    other = FindingType("test-cached-texts", "info", "Cached", "缓存", "Other fix.", "修复", message_en="Other {n}.")
    assert english_texts(other, {"n": 1}) == ("Other 1.", "Other fix.")  # another type of the same slug
    finding = make_finding("licence-missing")
    assert (finding.message, finding.fix) == english_texts(FINDING_TYPES["licence-missing"], {})


def test_chinese_texts_set_latin_words_apart_with_a_space():
    """The Chinese of every finding type and variant puts a space between Chinese characters and a Latin word or a
    number written in it, as the interface's translations do ("同时发布CSV on the Web 元数据" read run together); the
    values put in later are spaced by plumbing.cjk.cjk_spaced, so only the texts' own words are read here."""
    import re

    from quality.findings import FINDING_TYPES

    joined = re.compile(r"[\u4e00-\u9fff][A-Za-z0-9]|[A-Za-z0-9][\u4e00-\u9fff]")
    seen = []
    for slug, ft in FINDING_TYPES.items():
        for owner in (ft, *(ft.variants or ())):
            for name in ("title_zh", "message_zh", "fix_zh"):
                text = getattr(owner, name, None)
                if isinstance(text, str):
                    seen.append(text)
                    literal = re.sub(r"\{[^}]*\}", "", text)
                    assert not joined.search(literal), (slug, name, text)
    assert len(seen) > 100
