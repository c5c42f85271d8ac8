"""plumbing.credentials: the secrets of addresses said as *** wherever an address is shown."""

from __future__ import annotations

import pytest

from plumbing.credentials import hidden


@pytest.mark.parametrize(("text", "said"), [
    ("http://user:s3cretPW@127.0.0.1:5092/ckan", "http://user:***@127.0.0.1:5092/ckan"),
    ("https://portal.example/api?api_key=TOPSECRET&q=1", "https://portal.example/api?api_key=***&q=1"),
    ("https://x.example/f.csv?X-Amz-Signature=abc123&X-Amz-Date=2026", "https://x.example/f.csv?X-Amz-Signature=***"
     "&X-Amz-Date=2026"),
    ("https://x.example/a?access_token=t0k&apikey=k3y;password=pw", "https://x.example/a?access_token=***&apikey=***"
     ";password=***"),
    ("http://u:p@h.example/ckan?api_key=K/api/action/package_search: HTTP 500",
     "http://u:***@h.example/ckan?api_key=***"),
    ("ConnectionError: Max retries exceeded with url: /ckan?token=abc (Caused by ...)",
     "ConnectionError: Max retries exceeded with url: /ckan?token=*** (Caused by ...)"),
])
def test_secrets_in_addresses_are_hidden(text, said):
    assert hidden(text).startswith(said)
    assert "s3cret" not in hidden(text) and "TOPSECRET" not in hidden(text)


@pytest.mark.parametrize("text", [
    "https://data.example.gov/dataset/bus-stops?page=2&sort=name",
    "https://user@host.example/path",  # a user without a password
    "the catalog lists no datasets",
    "mailto:someone@example.gov",
    "", None,
])
def test_what_holds_no_secret_is_as_it_was(text):
    assert hidden(text) == (text or "")
