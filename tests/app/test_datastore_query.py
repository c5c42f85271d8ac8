"""The row store's query builder against hostile input: whatever a client sends as column names, values,
search text or sort, the only outcomes are an answer or a QueryError naming the parameter (no SQL error,
no other table read, no injected clause), and wildcards in search text match themselves."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.datastore import load as store
from app.datastore import query as rowq

HOSTILE = ['x" OR 1=1 --', '"; DROP TABLE t; --', "a') UNION SELECT * FROM read_csv('/etc/passwd') --",
           "_id\" FROM read_parquet('/etc/passwd') --", "*", "", "\x00", "地区\"", "1; SELECT 1", "' OR ''='",
           "read_text('/etc/passwd')", "%", "_", "\\", "getenv('HOME')"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rows")
    path = folder / "t.csv"
    path.write_text("地区,code,n,note\n北京市,007,1,100%_done\n上海市,0164A,2,50% off\n江苏省,010,3,a_b\n",
                    encoding="utf-8")
    loaded = store.load(folder / "store", "c" * 64, path, format="CSV", encoding="utf-8")
    assert isinstance(loaded, store.Loaded)
    return loaded


def _run(table, **kwargs):
    try:
        return rowq.run(table, rowq.Query(**kwargs))
    except rowq.QueryError as exc:
        assert exc.param in ("filters", "fields", "sort", "q") or "__" in exc.param, exc.param
        return None


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_and_values_are_refused_or_matched_literally(table, text):
    assert _run(table, conditions=[rowq.Condition(text, "exact", ("x",))]) is None or text in table.names
    assert _run(table, fields=[text]) is None or text in table.names or text == "_id"
    assert _run(table, sort=[(text, True)]) is None or text in table.names or text == "_id"
    assert _run(table, q={text: "x"}) is None
    found = _run(table, conditions=[rowq.Condition("地区", "exact", (text,))])
    assert found is not None and found.total == 0
    found = _run(table, q=text)
    rows = (("1", "北京市", "007", "1", "100%_done"), ("2", "上海市", "0164A", "2", "50% off"),
            ("3", "江苏省", "010", "3", "a_b"))
    assert found is not None and found.total == sum(text.lower() in "\x1f".join(r).lower() for r in rows)


def test_wildcards_match_themselves(table):
    assert rowq.run(table, rowq.Query(q="%")).total == 2
    assert rowq.run(table, rowq.Query(q="a_b")).total == 1
    assert rowq.run(table, rowq.Query(q={"note": "_"})).total == 2
    assert rowq.run(table, rowq.Query(conditions=[rowq.Condition("note", "contains", ("0%",))])).total == 2


def test_types_are_checked(table):
    with pytest.raises(rowq.QueryError) as bad:
        rowq.run(table, rowq.Query(conditions=[rowq.Condition("n", "exact", ("1 OR 1=1",))]))
    assert bad.value.param == "filters" and "int" in bad.value.message
    assert rowq.run(table, rowq.Query(conditions=[rowq.Condition("code", "exact", ("007",))])).total == 1


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=30), value=st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(),
                                                  st.booleans()),
       op=st.sampled_from(rowq.OPS), desc=st.booleans())
def test_any_input_answers_or_names_the_parameter(table, name, value, op, desc):
    for column in (name, "n", "地区"):
        _run(table, conditions=[rowq.Condition(column, op, (value,))], sort=[(column, desc)])
    _run(table, q=name)
    _run(table, fields=[name])
