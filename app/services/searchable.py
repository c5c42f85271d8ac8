"""What the search index holds of a dataset's texts: what the doors say to everyone (docs/security.md, "Personal data
in a dataset's own metadata"). A search that found a dataset by a value its doors say as ``[redacted]`` (a mobile
number in its description) would tell anyone that the value is in it; so the index (catalog_schema/search.py, which may
not import the gate) is handed the gate's reading of the texts, `app.services.serving.searchable_texts`, by `register`,
which every process that searches calls before its first search: `create_app`, the command line's database, the job
runtime."""

from __future__ import annotations

from typing import Any

#: The version of the reading: part of every search index generation's state, so that an index built with another
#: (before the texts were redacted there, or under other rules) is built again. Changed when the gate changes what it
#: redacts in a dataset's texts.
VERSION = "gate-1"


def _said(record: dict[str, Any]) -> dict[str, Any]:
    # imported on the first document indexed: the gate loads pyarrow and Flask, which not every command needs
    from app.services.serving import searchable_texts

    return searchable_texts(record)


def register() -> None:
    """Have this process's search indexes hold the texts as the public reads them."""
    from catalog_schema import search

    search.use_public_texts(VERSION, _said)
