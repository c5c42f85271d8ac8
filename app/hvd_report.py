"""The high-value datasets report for officials (issue 18 item 3): per HVD category and publisher, how many
datasets, how many under an open licence, reachable through an API, and in a machine-readable format.

Why a module of its own, as plain rows: the page (`/dashboard/hvd`), its CSV and its JSON show the same
figures (the dashboard's rule, app/dashboard_data.py), so they are computed once here. A dataset is a
high-value dataset when its record names an HVD category (`hvd_category`, catalog_schema/vocab.py); only
active datasets count. The three measures follow what the HVD regulation (EU) 2023/138 asks of them:

- open licence: the dataset's licence, else every one of its distributions' licences, is one the Open
  Definition approves (`vocab.Licence.is_open`; the regulation asks for CC BY 4.0 or as open);
- API: a distribution is reached through a data service with an endpoint (`access_service`), or is a
  web service format (WMS, WFS);
- machine-readable: a distribution's format (declared, else the one the link check detected) is structured
  (`vocab.FileFormat.structured`: CSV, JSON, XML, RDF, spreadsheets ...).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session, selectinload

from catalog_schema import vocab
from catalog_schema.models import Dataset
from catalog_schema.record import pick_text

COLUMNS = ("category", "category_key", "category_label", "publisher", "publisher_name", "datasets",
           "open_licence", "with_api", "machine_readable")
SERVICE_FORMATS = frozenset({"WMS", "WFS"})


def _is_open(ds: Dataset) -> bool:
    ids = [ds.license_id] if ds.license_id else [d.license_id for d in ds.distributions]
    found = [vocab.licence_by_id(i) if i else None for i in ids]
    return bool(found) and all(lic is not None and lic.is_open for lic in found)


def _has_api(ds: Dataset) -> bool:
    return any((d.access_service or {}).get("endpoint_url") or d.format in SERVICE_FORMATS
               for d in ds.distributions)


def _machine_readable(ds: Dataset) -> bool:
    for d in ds.distributions:
        fmt = vocab.format_by_code(d.format or d.detected_format or "")
        if fmt is not None and fmt.structured:
            return True
    return False


def facts(ds: Dataset) -> dict[str, bool]:
    """The three measures of one dataset."""
    return {"open_licence": _is_open(ds), "with_api": _has_api(ds), "machine_readable": _machine_readable(ds)}


def rows(session: Session, lang: str = "en") -> list[dict[str, Any]]:
    """One row per (category, publisher) with at least one high-value dataset, then one per category with
    `publisher` "" (all publishers), categories in the regulation's order, publishers by slug (the same order
    in every language); names in `lang` (zh or en)."""
    datasets = session.scalars(
        select(Dataset).where(Dataset.state == "active", Dataset.hvd_category.is_not(None),
                              cast(Dataset.hvd_category, String) != "[]")
        .options(selectinload(Dataset.distributions), selectinload(Dataset.publisher))).all()
    order = {c.uri: i for i, c in enumerate(vocab.hvd_categories())}
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for ds in datasets:
        cats = {vocab.hvd_category(c) or c for c in ds.hvd_category or [] if isinstance(c, str) and c}
        measured = facts(ds)
        pub = ds.publisher
        for cat in cats:
            # the publisher's row, then the category's total (a dataset without publisher counts in the total)
            for slug, name in ((pub.slug if pub else "", pick_text(pub.name, lang) if pub else ""), ("", "")):
                row = table.get((cat, slug))
                if row is None:
                    known = next((c for c in vocab.hvd_categories() if c.uri == cat), None)
                    row = table[cat, slug] = {
                        "category": cat, "category_key": known.key if known else "",
                        "category_label": vocab.hvd_label(cat, lang), "publisher": slug, "publisher_name": name,
                        "datasets": 0, "open_licence": 0, "with_api": 0, "machine_readable": 0}
                row["datasets"] += 1
                for key, yes in measured.items():
                    row[key] += int(yes)
                if not slug:
                    break
    return sorted(table.values(), key=lambda r: (order.get(r["category"], len(order)), r["category"],
                                                 r["publisher"] == "", r["publisher"]))
