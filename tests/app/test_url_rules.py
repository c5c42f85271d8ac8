"""app.url_rules.Rule makes a rule's URL builders on first use: the URLs it builds are Werkzeug's own, for
every rule of the app, with and without unknown arguments, and nothing is compiled until a URL is built."""

from __future__ import annotations

from werkzeug.routing import AnyConverter, IntegerConverter, Map, PathConverter
from werkzeug.routing import Rule as WerkzeugRule

from app import create_app
from app.url_rules import Rule


def _sample(converter) -> object:
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, IntegerConverter):
        return 7
    if isinstance(converter, PathConverter):
        return "a/b c/数据.csv"
    return "bus stops 公交"


def _plain_copy(rule: WerkzeugRule) -> WerkzeugRule:
    return WerkzeugRule(rule.rule, endpoint=rule.endpoint, defaults=rule.defaults, methods=rule.methods,
                        subdomain=rule.subdomain, host=rule.host, build_only=rule.build_only,
                        strict_slashes=rule.strict_slashes, merge_slashes=rule.merge_slashes,
                        redirect_to=rule.redirect_to, alias=rule.alias, websocket=rule.websocket)


def test_every_rule_builds_the_urls_werkzeug_builds(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x"})
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100 and all(isinstance(r, Rule) for r in rules)
    # nothing compiled yet: each builder is the stub that makes it
    assert all(r._build.__name__ == "build_on_first_use" for r in rules)  # noqa: SLF001
    plain = Map([_plain_copy(r) for r in rules], converters=app.url_map.converters)
    twins = {(r.endpoint, r.rule): r for r in plain.iter_rules()}
    for rule in rules:
        twin = twins[(rule.endpoint, rule.rule)]
        values = {name: _sample(conv) for name, conv in rule._converters.items()}  # noqa: SLF001
        values.update(rule.defaults or {})
        for extra in ({}, {"lang": "zh", "page": 2, "q": "公交 车"}):
            for append in (True, False):
                assert rule.build({**values, **extra}, append) == twin.build({**values, **extra}, append), rule
        assert rule._build.__name__ != "build_on_first_use"  # noqa: SLF001 (kept once made)


def test_url_for_in_a_request_uses_the_lazy_builders(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x"})
    from flask import url_for

    with app.test_request_context("/"):
        assert url_for("datasets.show", slug="公交 stops") == "/dataset/%E5%85%AC%E4%BA%A4%20stops"
        assert url_for("datasets.index", q="bus") == "/dataset?q=bus"
