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
from werkzeug.routing import Rule as WerkzeugRule


class Rule(WerkzeugRule):
    """A Werkzeug rule whose builders are compiled when first called (`Flask.url_rule_class`)."""

    def _compile_builder(self, append_unknown: bool = True):
        name = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(rule: Rule, **values: Any) -> tuple[str, str]:
            built = WerkzeugRule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, built)  # later calls go straight to Werkzeug's builder
            return built(**values)

        return build_on_first_use


class LazyRoutesFlask(Flask):
    """Flask with these rules for every route, the static files' one (added while Flask starts) included."""

    url_rule_class = Rule
