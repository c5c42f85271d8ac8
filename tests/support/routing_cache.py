"""Each URL rule parsed once per test process, not once per app.

Adding a rule to an app's URL map makes Werkzeug parse it (`Rule.compile`: the rule's text read into the regular
expressions and weights its matcher walks, and a converter per variable): 17 of the 26 ms of CPU an app costs,
and the suite builds an app for some 2,300 tests, each with the same 135 rules. What `compile` makes depends only
on the rule's text, its host or subdomain, the map's `host_matching`, the rule's `merge_slashes` and the map's
converter classes; the first rule of a kind is compiled by Werkzeug and what it made is kept: the parts and trace
(tuples nothing changes), and the converters, which are copied for each rule and bound to its own map. The URL
builders are then made as Werkzeug makes them (app/url_rules.py makes them on first use). The app in production
builds its map once and never comes here. tests/test_routing_cache.py checks every rule of the app against a
compilation by Werkzeug.
"""

from __future__ import annotations

import copy
from typing import Any

from werkzeug.routing.rules import Rule

_original = Rule.compile
_cache: dict[tuple, tuple[list, list, dict[str, Any], frozenset[str]]] = {}


def _key(rule: Rule) -> tuple:
    map_ = rule.map
    domain = (rule.host or "") if map_.host_matching else (rule.subdomain or "")
    return (rule.rule, domain, map_.host_matching, rule.merge_slashes,
            tuple(sorted(map_.converters.items(), key=lambda item: item[0])))


def _unbound(converter: Any) -> Any:
    kept = copy.copy(converter)
    kept.map = None  # the cache keeps no app's map alive
    return kept


def _compile(self: Rule) -> None:
    key = _key(self)
    saved = _cache.get(key)
    if saved is None:
        _original(self)
        converters = {name: _unbound(c) for name, c in self._converters.items()}
        variables = frozenset(name for dynamic, name in self._trace if dynamic)  # what _parse_rule adds
        _cache[key] = (list(self._parts), list(self._trace), converters, variables)
        return
    parts, trace, converters, arguments = saved
    self._parts = list(parts)
    self._trace = list(trace)
    self._converters = {}
    for name, converter in converters.items():
        mine = copy.copy(converter)
        mine.map = self.map
        self._converters[name] = mine
    self.arguments.update(arguments)
    self._build = self._compile_builder(False).__get__(self, None)
    self._build_unknown = self._compile_builder(True).__get__(self, None)


def install() -> None:
    Rule.compile = _compile


def compiled_by_werkzeug(rule: Rule) -> Rule:
    """A copy of `rule` bound to its map and compiled by Werkzeug itself (for the check)."""
    fresh = rule.empty()
    fresh.map = rule.map
    fresh.strict_slashes = rule.strict_slashes
    fresh.merge_slashes = rule.merge_slashes
    fresh.subdomain = rule.subdomain
    _original(fresh)
    return fresh
