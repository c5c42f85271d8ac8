"""The data-quality lines of a dataset page in each language's brackets: "行数：31（另有 1 个空行）" in Chinese,
"Rows: 31 (and 1 blank row)" in English (the page wrote ASCII brackets with a space around Chinese words)."""

from __future__ import annotations

import datetime as dt
import re

from catalog_schema.models import Assessment
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record


def test_the_tables_rows_are_said_in_the_readers_brackets(app, client):
    with app.extensions["opendata"]["sessionmaker"]() as session:
        ds, _ = save_record(session, new_record(
            slug="stations", title={"en": "Stations", "zh": "站点"}, license="CC-BY-4.0",
            publisher={"slug": "jh-water", "name": {"en": "Water Bureau", "zh": "水务局"}},
            distributions=[new_distribution(download_url="http://127.0.0.1:9/s.csv", format="CSV")]))
        session.flush()
        session.add(Assessment(dataset_id=ds.id, assessed_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
                               rule_version="1.6", stars=3, score=80, metadata_points=300,
                               metadata_rating="good", subscores={"openness": 60, "metadata": 74, "data": 95,
                                                                  "timeliness": 100, "accessibility": 100},
                               data={"tables": 2, "rows": 32, "blank_rows": 1, "columns": 6, "missing_cells": 0,
                                     "duplicate_rows": 0, "type_errors": 0, "extra_cells": 0},
                               distributions=[], findings=[]))
        ds.stars = 3
        session.commit()
    zh = client.get("/dataset/stations?lang=zh_CN").get_data(as_text=True)
    line = re.search(r"<li>行数[^<]*</li>", zh)
    assert line and "31（另有 1 个空行）" in line.group(0) and "（共 2 个表）" in line.group(0), line
    assert " (" not in line.group(0)
    en = client.get("/dataset/stations?lang=en").get_data(as_text=True)
    line = re.search(r"<li>Rows[^<]*</li>", en)
    assert line and "Rows: 31 (and 1 blank row)" in line.group(0) and "6 (2 tables in all)" in line.group(0), line
