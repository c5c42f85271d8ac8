"""tests/support/routing_cache.py: every rule of an app built with the cache is the rule Werkzeug compiles."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError, RequestRedirect

from tests.support import routing_cache


def _state(rule) -> tuple:
    converters = {name: (type(c), {k: v for k, v in vars(c).items() if k != "map"})
                  for name, c in rule._converters.items()}
    return rule._parts, rule._trace, converters, rule.arguments


def _addresses(application) -> list:
    """Each rule's URL built with "7" for each variable, and what the map matches it to."""
    out = []
    adapter = application.url_map.bind("localhost")
    for rule in application.url_map.iter_rules():
        values = {name: "7" for name in rule.arguments - set(rule.defaults or {})}
        try:
            url = adapter.build(rule.endpoint, {**values, "x": "1"}, method=next(iter(rule.methods or {"GET"})))
        except (BuildError, ValueError):  # a value this converter refuses
            out.append((rule.rule, None))
            continue
        try:
            matched = adapter.match(url.split("?")[0], method=next(iter(rule.methods or {"GET"})))
        except (HTTPException, RequestRedirect) as exc:
            matched = type(exc).__name__
        out.append((rule.rule, url, matched))
    return out


def test_every_rule_of_two_apps_is_the_rule_werkzeug_compiles(app, app_config):
    from app import create_app

    other = create_app({**app_config, "INSTANCE_DIR": app_config["INSTANCE_DIR"] + "-2"})
    try:
        pairs = list(zip(app.url_map.iter_rules(), other.url_map.iter_rules(), strict=True))
        assert len(pairs) > 100
        for first, second in pairs:
            for rule in (first, second):
                assert _state(rule) == _state(routing_cache.compiled_by_werkzeug(rule)), rule.rule
                assert all(c.map is rule.map for c in rule._converters.values()), rule.rule
                assert rule._build.__self__ is rule and rule._build_unknown.__self__ is rule
            # the second app's rules came from the cache: the same parts, converters of their own
            assert second._parts is not first._parts and second._parts[0] is first._parts[0]
            assert all(second._converters[n] is not c for n, c in first._converters.items())
        # both maps build and match the same addresses, most of them (a "7" some converters refuse)
        built = _addresses(app)
        assert built == _addresses(other)
        assert sum(1 for entry in built if entry[1] and isinstance(entry[2], tuple)) > 100
    finally:
        other.extensions["opendata"]["engine"].dispose()
