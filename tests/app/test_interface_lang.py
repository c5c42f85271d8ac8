"""The interface's translations (app.i18n): found once a request, and again whenever the locale changes."""

from __future__ import annotations

from flask_babel import Domain, force_locale, gettext

from app import i18n


def test_a_request_finds_its_translations_once_and_force_locale_still_switches_them(app, monkeypatch):
    found = []
    real = Domain.get_translations

    def counting(self):
        found.append(self)
        return real(self)

    monkeypatch.setattr(Domain, "get_translations", counting)
    with app.test_request_context("/?lang=zh"):
        assert [gettext("Datasets") for _ in range(50)] == ["数据集"] * 50
        assert len(found) == 1  # Flask-Babel's own lookup, once
        with force_locale("en"):
            assert gettext("Datasets") == "Datasets"
            assert gettext("Datasets") == "Datasets"
        assert gettext("Datasets") == "数据集"  # the request's own locale again, after the forced one
        assert len(found) == 3
    with app.test_request_context("/?lang=en"):  # a new request, another locale: found anew
        assert gettext("Datasets") == "Datasets"
        assert len(found) == 4


def test_pages_render_in_the_language_asked(client):
    zh = client.get("/?lang=zh").get_data(as_text=True)
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "数据集" in zh and 'lang="zh-CN"' in zh
    assert "Datasets" in en and 'lang="en"' in en
    assert isinstance(app_domain(client), i18n._Domain)


def app_domain(client):
    return client.application.extensions["babel"].instance.domain_instance
