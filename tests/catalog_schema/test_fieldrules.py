"""The lossless mapping engine: verbatim while still true, canonical once the record changed."""

from __future__ import annotations

from catalog_schema.fieldrules import Rule, canonical, read_all, stored_keys, write_all


def _email_rule() -> Rule:
    def read(view, flags):
        raw = view.get("email")
        if raw is not None and "@" not in str(raw):
            flags.append(("email", raw, "not an email"))
        return {"email": raw.strip().lower() if isinstance(raw, str) and raw.strip() else None}

    return Rule(("email",), ("email",), read, lambda rec: {"email": rec.get("email")})


RULES = (_email_rule(),)


def test_source_spelling_is_kept_only_when_canonical_differs():
    view = {"email": " Ian@Example.gov ", "unmapped": [1, 2]}
    flags: list = []
    rec = read_all(RULES, view, flags)
    assert rec == {"email": "ian@example.gov"} and flags == []
    stored = stored_keys(RULES, view, rec)
    assert stored == {"email": " Ian@Example.gov ", "unmapped": [1, 2]}
    assert write_all(RULES, rec, stored) == view  # exactly as the source had it
    assert stored_keys(RULES, {"email": "ian@example.gov"}, rec) == {}  # nothing to keep


def test_an_edit_wins_over_a_stale_verbatim_value():
    view = {"email": " Ian@Example.gov ", "unmapped": "x"}
    rec = read_all(RULES, view, [])
    stored = stored_keys(RULES, view, rec)
    rec["email"] = "new@example.gov"
    assert write_all(RULES, rec, stored) == {"email": "new@example.gov", "unmapped": "x"}


def test_flags_defaults_structural_keys_and_nulls():
    flags: list = []
    assert read_all(RULES, {"email": "nobody"}, flags) == {"email": "nobody"}
    assert flags == [("email", "nobody", "not an email")]
    rec = {"email": None}
    assert canonical(RULES, rec) == {"email": None} and canonical(RULES, rec, drop_none=True) == {}
    view = {"id": "1", "type": "dataset", "email": None}
    assert stored_keys(RULES, view, rec, defaults={"type": "dataset"}, structural=("id",)) == {}
    assert stored_keys(RULES, view, rec, drop_none=True, structural=("id",)) == {"type": "dataset", "email": None}


def test_keys_kept_whole_are_not_doubled_by_canonical_ones():
    def read(view, flags):
        return {"freq": view.get("x:freq") or view.get("x:frequency-of-update")}

    rule = Rule(("freq",), ("x:freq", "x:frequency-of-update"), read,
                lambda rec: {"x:freq": rec["freq"]} if rec.get("freq") else {})
    keep = lambda k: k.startswith("x:")  # noqa: E731
    view = {"x:frequency-of-update": "monthly"}
    rec = read_all([rule], view, [])
    stored = stored_keys([rule], view, rec, keep_all=keep)
    assert write_all([rule], rec, stored, keep_all=keep) == {"x:frequency-of-update": "monthly"}
    rec["freq"] = "weekly"
    assert write_all([rule], rec, stored, keep_all=keep) == {"x:freq": "weekly"}
