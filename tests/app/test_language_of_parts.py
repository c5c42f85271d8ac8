"""Text in another language than the page is marked with its own (WCAG 3.1.2, language of parts): a dataset
titled and described in Chinese only, on the English page, is read by a screen reader's Chinese voice; the
page's own language is not repeated, and a harvested language key is no trusted attribute."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalog_schema import search
from catalog_schema.models import Dataset
from catalog_schema.record import new_record, text_language
from catalog_schema.store import save_record


@pytest.mark.parametrize(("langmap", "page", "said"), [
    ({"zh": "公交客运量"}, "en", "zh"),
    ({"zh": "公交客运量", "en": "Bus ridership"}, "en", "en"),
    ({"zh": "公交客运量", "en": "Bus ridership"}, "zh", "zh"),
    ({"en": "Bus ridership"}, "zh", "en"),
    ({"": "公交客运量"}, "en", "zh"),  # untagged Chinese: by its characters
    ({"": "Bus ridership"}, "zh", ""),  # untagged Latin text: not known
    ("各区人口", "en", "zh"),
    ({}, "en", ""),
    ({"fr": "Fréquentation des bus"}, "en", "fr"),
])
def test_the_language_of_the_text_shown(langmap, page, said):
    assert text_language(langmap, page) == said


@pytest.fixture
def mixed(app):
    sessionmaker = app.extensions["opendata"]["sessionmaker"]
    with sessionmaker() as s:
        for rec in (
            new_record(slug="bus", title={"zh": "公交客运量"}, description={"zh": "各线路每月客运量。"},
                       publisher={"slug": "transport", "name": {"zh": "交通运输局"}}, license="CC-BY-4.0"),
            new_record(slug="parks", title={"en": "Parks"}, description={"en": "Every park of the city."},
                       publisher={"slug": "parks-dept", "name": {"en": "Parks department"}}, license="CC-BY-4.0"),
            new_record(slug="odd", title={'x" onmouseover="alert(1)': "Odd key"}, license="CC-BY-4.0"),
        ):
            save_record(s, rec)
        s.flush()
        for ds in s.scalars(select(Dataset)):
            search.index_dataset(s, ds)
        s.commit()


def test_chinese_text_on_the_english_pages_says_it_is_chinese(client, mixed):
    page = client.get("/dataset/bus?lang=en").get_data(as_text=True)
    assert re.search(r'<h1 lang="zh">公交客运量</h1>', page)
    assert re.search(r'<div class="dataset-description" lang="zh">', page)
    assert re.search(r'href="/publisher/transport" lang="zh">交通运输局</a>', page)
    listing = client.get("/dataset?lang=en").get_data(as_text=True)
    assert re.search(r'href="/dataset/bus" lang="zh">公交客运量</a>', listing)
    assert re.search(r'href="/dataset/parks">Parks</a>', listing)  # the page's own language: not repeated
    publisher = client.get("/publisher/transport?lang=en").get_data(as_text=True)
    assert '<h1 lang="zh">交通运输局</h1>' in publisher


def test_english_text_on_the_chinese_pages_says_it_is_english(client, mixed):
    page = client.get("/dataset/parks?lang=zh").get_data(as_text=True)
    assert '<h1 lang="en">Parks</h1>' in page
    bus = client.get("/dataset/bus?lang=zh").get_data(as_text=True)
    assert "<h1>公交客运量</h1>" in bus


def test_a_harvested_language_key_is_no_attribute(client, mixed):
    page = client.get("/dataset/odd?lang=en").get_data(as_text=True)
    assert "<h1>Odd key</h1>" in page and "onmouseover" not in page
