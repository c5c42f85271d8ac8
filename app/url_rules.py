"""URL rules whose URL builders are made the first time a URL is built from them.

Werkzeug turns each rule into two small Python functions that build its URLs (with and without unknown
arguments appended as a query), writing and compiling their code when the rule is added to the map: about
125 rules, 250 compilations, the largest part of building an app. A server builds URLs from a few dozen
of them; a command or a test that builds an app may build none. `Rule` here makes each builder on first
use, with Werkzeug's own code generation, and keeps it on the rule, so the URLs built are Werkzeug's
(tests/app/test_url_rules.py compares every rule's URLs with a plain Werkzeug rule's).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Rule as WerkzeugRule

#: The largest id a database column holds (a signed 64-bit integer): `/harvest/job/99999999999999999999` was a 500
#: (OverflowError binding it to SQLite), a number no row has.
MAX_ID = 2**63 - 1


class Rule(WerkzeugRule):
    """A Werkzeug rule whose builders are compiled when first called (`Flask.url_rule_class`)."""

    def _compile_builder(self, append_unknown: bool = True):
        name = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(rule: Rule, **values: Any) -> tuple[str, str]:
            built = WerkzeugRule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, built)  # later calls go straight to Werkzeug's builder
            return built(**values)

        return build_on_first_use


class BoundedInt(IntegerConverter):
    """`<int:...>` that matches no number past what a database column holds: such an address is a 404, not a 500."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class RequestJSON(DefaultJSONProvider):
    """Flask's JSON, reading a body nested past Python's recursion limit as malformed JSON: `request.get_json()`
    raised RecursionError (every REST write answered 500 to `[[[...]]]` 100,000 deep), now its 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


class LazyRoutesFlask(Flask):
    """Flask with these rules for every route, the static files' one (added while Flask starts) included, ids
    bounded (`BoundedInt`) and request bodies read by `RequestJSON`."""

    url_rule_class = Rule
    json_provider_class = RequestJSON

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = BoundedInt
