"""`opendata serve` compiles every template as a worker starts (app.templating.compile_all): the first visitor of
a page after a start does not wait for its templates to be compiled."""

from __future__ import annotations

from jinja2 import TemplateNotFound

from app.commands import serve
from app.templating import compile_all


def test_after_compile_all_the_pages_load_no_template(app, client, monkeypatch):
    names = app.jinja_env.list_templates(extensions=("html", "txt", "xml", "j2"))
    assert compile_all(app.jinja_env) == len(names) > 40

    def no_loading(*args, **kwargs):
        raise TemplateNotFound("loaded after compile_all")

    monkeypatch.setattr(app.jinja_env.loader, "get_source", no_loading)
    for path in ("/", "/dataset", "/publisher", "/theme", "/dashboard", "/about", "/does-not-exist"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert b"loaded after compile_all" not in response.data


def test_a_template_that_does_not_compile_is_left_to_its_page(app, tmp_path):
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_env.loader = ChoiceLoader([DictLoader({"broken.html": "{% if %}"}), app.jinja_env.loader])
    names = app.jinja_env.list_templates(extensions=("html", "txt", "xml", "j2"))
    assert "broken.html" in names
    assert compile_all(app.jinja_env) == len(names) - 1


def test_serve_readies_the_app_it_serves(app, monkeypatch):
    compiled = []
    monkeypatch.setattr("app.templating.compile_all", lambda env: compiled.append(env) or 0)
    assert serve._ready(app) is app
    assert compiled == [app.jinja_env]
