"""Record validation: the compiled validator (jsonschema-rs) and jsonschema, the reference, give the same
verdict on every record, valid or not; the messages are jsonschema's."""

from __future__ import annotations

import copy
import itertools

import jsonschema

from catalog_schema.record import new_distribution, new_record, schema, validation_errors

ODD = [None, 0, 1, 1.0, 1.5, True, "", "x", [], {}, [1], ["x"], [None], {"en": 1}, {"en": "x"}, {"EN!": "x"},
       {"zh-Hans": "中文"}, {"": "untagged"}, [{"en": "x"}], {"start": "2020"}, -1, 10**20]


def _valid() -> dict:
    return new_record(title={"en": "Ridership"}, description={"zh": "客运量"}, keywords=["bus"],
                      publisher={"slug": "bj", "name": {"zh": "交通委"}}, temporal={"start": "2015-01-01"},
                      distributions=[new_distribution(title={"en": "CSV"}, download_url="http://127.0.0.1/x.csv",
                                                      byte_size=12, format="CSV")])


def _reference_valid(record: dict) -> bool:
    return not any(True for _ in jsonschema.Draft202012Validator(schema()).iter_errors(record))


def test_the_compiled_validator_agrees_with_jsonschema_field_by_field():
    base = _valid()
    assert validation_errors(base) == []
    cases = []
    for key, value in itertools.product(list(base), ODD):
        rec = copy.deepcopy(base)
        rec[key] = copy.deepcopy(value)
        cases.append(rec)
    dist_keys = list(base["distributions"][0])
    for key, value in itertools.product(dist_keys, ODD):
        rec = copy.deepcopy(base)
        rec["distributions"][0][key] = copy.deepcopy(value)
        cases.append(rec)
    for key, value in itertools.product(list(base["publisher"]) + ["homepage", "parent"], ODD):
        rec = copy.deepcopy(base)
        rec["publisher"][key] = copy.deepcopy(value)
        cases.append(rec)
    refused = 0
    for rec in cases:
        ours = validation_errors(rec)
        assert (ours == []) == _reference_valid(rec), rec
        refused += bool(ours)
    assert 0 < refused < len(cases), "both valid and invalid records were tried"


def test_a_refused_record_is_told_what_and_where():
    rec = _valid()
    rec["title"] = "not a language map"
    rec["keywords"] = [1]
    assert validation_errors(rec) == ["keywords/0: 1 is not of type 'string'",
                                      "title: 'not a language map' is not of type 'object'"]
