"""The editable fields' pure checks (app/services/fields.py), as every door uses them."""

from __future__ import annotations

import pytest

from app.services import fields
from app.services.errors import Invalid


def test_a_description_typed_in_a_browser_keeps_its_lines_not_its_carriage_returns():
    """A form posts CRLF: stored as typed, the check counted the CRs as characters of the description."""
    assert fields.langmap("第一行\r\n第二行\r\n", "zh", None) == {"zh": "第一行\n第二行"}
    assert fields.langmap({"en": "one\r\ntwo", "zh": "一\r二"}, "zh", None) == {"en": "one\ntwo", "zh": "一\n二"}
    assert fields.langmap("  ", "zh", {"en": "kept"}) == {"en": "kept"}


def test_a_whole_record_is_checked_as_the_form_checks_it_and_what_it_held_passes():
    rec = {"issued": "2024年3月1日", "temporal": {"start": "2020", "end": "2024-06"},
           "contact_point": {"email": "data@tjj.example.gov.cn"}}
    fields.check_record(rec)
    assert rec["issued"] == "2024-03-01" and rec["temporal"] == {"start": "2020", "end": "2024-06"}
    for bad in ({"issued": "2024-02-30"}, {"modified": "yesterday"}, {"temporal": {"start": "2024-13"}},
                {"temporal": {"start": "2024-05", "end": "2023-01"}}, {"contact_point": {"email": "not-an-email"}}):
        with pytest.raises(Invalid):
            fields.check_record(dict(bad))
    held = {"issued": "2023-13-01"}  # a harvested value the dataset holds already: a patch of another field passes
    fields.check_record(dict(held), before=held)
