"""Who acts, through which door, and the runtime a change may need (the link checker, the assessor).

Doors build one `Actor` per request or command and hand it to every service they call; the services
never read a Flask request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from catalog_schema.models import User


class Runtime:
    """What checks and assessments need: a sessionmaker of their own, the settings and the guarded HTTP
    session (built on first use, closed by `close`)."""

    def __init__(self, sessionmaker: Callable[[], Session], settings: dict[str, Any]):
        self.sessionmaker = sessionmaker
        self.settings = settings
        self._http = None

    def http(self):
        if self._http is None:
            from plumbing.http import GuardedSession

            self._http = GuardedSession.from_settings(self.settings)
        return self._http

    def check_kwargs(self) -> dict[str, Any]:
        from app.datastore.load import root_of

        return {"http": self.http(), "archive_dir": self.settings["ARCHIVE_DIR"],
                "max_bytes": self.settings["MAX_DOWNLOAD_BYTES"], "store_root": root_of(self.settings)}

    def assess(self, ids: Iterable[str]) -> list[dict]:
        from app.assessment import assess_datasets

        return assess_datasets(self, list(ids))

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


#: The language of texts whose client did not say theirs: CKAN's plain `title`, `notes`, a resource's `name` and
#: `description` (the CKAN door). They are kept under the language map's key "", as a harvested CKAN title is, and
#: published untagged (DCAT) and as plain texts (package_show): never as a language the client did not say.
UNSTATED = ""


@dataclass
class Actor:
    """One change's context: the session (the service commits it), the acting user (None: anonymous or
    the system), the door (`via`: web, rest, ckan_action, cli, harvest, test), the client address, the
    language of texts given ("zh" or "en", the page's or the REST request's; UNSTATED at the CKAN door), the
    runtime for checks, and the last check run (`check`)."""

    session: Session
    user: User | None
    via: str
    runtime: Runtime | None = None
    ip: str | None = None
    lang: str = "zh"
    #: The last pre-publication check a service ran for this actor (doors report it: stars, findings, gate).
    check: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.lang != UNSTATED:
            self.lang = "en" if str(self.lang or "zh").lower().startswith("en") else "zh"

    def check_kwargs(self) -> dict[str, Any]:
        return self.runtime.check_kwargs() if self.runtime is not None else {}
