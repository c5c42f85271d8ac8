"""A published dataset of agency A made through /api/v1 by its editor, with a clean CSV linked, and files uploaded to
it: what the personal-data gate's tests publish their files into, as a publisher would."""

from __future__ import annotations

import io

from tests.support.accounts import make_user, token_headers
from tests.support.personal import CLEAN_CSV


def published(app, client, local_server, slug: str, title: str, *, email: str = "editor@a.example",
              publisher: str = "agency-a") -> dict[str, str]:
    """Publish dataset `slug` of `publisher` (its editor `email` made, a clean CSV linked from `local_server`);
    returns the editor's headers."""
    local_server.add_bytes("/clean.csv", CLEAN_CSV, "text/csv")
    make_user(app, email, editor_of=publisher)
    own = token_headers(app, email)
    made = client.post("/api/v1/datasets", headers=own, json={
        "publisher": publisher, "name": slug, "title": title, "license": "CC-BY-4.0",
        "distributions": [{"url": local_server.url("/clean.csv"), "format": "CSV"}], "publish": True})
    assert made.status_code == 201, made.get_json()
    return own


def upload(client, headers: dict[str, str], slug: str, data: bytes, name: str) -> dict:
    """Upload `data` as file `name` to dataset `slug`; returns the distribution as the API says it."""
    up = client.post(f"/api/v1/datasets/{slug}/distributions", headers=headers, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(data), name)})
    assert up.status_code == 201, up.get_json()
    return next(d for d in up.get_json()["distributions"] if d["upload"] and d["url"].endswith("/" + name))


def download_path(dist: dict) -> str:
    """The path an uploaded distribution downloads from (its /uploads/ address without the site's root)."""
    return dist["url"][dist["url"].index("/uploads/"):]
