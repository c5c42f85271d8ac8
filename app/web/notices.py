"""What a change did, said on the page the change leads to.

A notice is kept in the session (Flask's flash) under a fixed key of its page (`members:removed`, `account:left`), with
at most a value the server chose (the member's e-mail address, a publisher's slug); the page words each key it knows in
its reader's language and ignores any other. Never read from the query string: a link to `?member=...&done=removed`
put its own words on our page (content spoofing). Categories carry a colon, so the publish pages' flash messages
(`publish/_flash.html`) leave them alone.
"""

from __future__ import annotations

from flask import flash, get_flashed_messages


def tell(page: str, key: str, value: str = "") -> None:
    """Say `key` of `page` (with `value`) the next time `page` is shown in this session."""
    flash(value, f"{page}:{key}")


def told(page: str) -> dict[str, str]:
    """The notices kept for `page`, by key (the last value of each); taken out of the session."""
    prefix = f"{page}:"
    return {category[len(prefix):]: str(message) for category, message in get_flashed_messages(with_categories=True)
            if isinstance(category, str) and category.startswith(prefix)}
