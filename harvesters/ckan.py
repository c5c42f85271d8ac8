"""CKAN sources, through ckanapi's RemoteCKAN over the guarded HTTP session.

package_search pages sorted by metadata_modified; incremental with
fq=metadata_modified:[<last successful gather> TO *], and beside it the ids of every package
(fl=id,name, cheap) so that packages deleted upstream are withdrawn on every run; organisations
become publishers (through the CKAN mapper), extras are kept.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from collections.abc import Iterator
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

from catalog_schema import ckan
from catalog_schema.record import Record
from harvesters.base import Harvester, HarvestError, RemoteItem
from harvesters.messages import N_, Message, json_kind
from harvesters.reading import is_remote, not_a_catalog, read, same_address, status_error
from plumbing.http_errors import HttpError

PAGE_SIZE = 100
ID_PAGE_SIZE = 1000  # ids only: CKAN's largest page (ckan.search.rows_max)
MAX_PAGES = 100_000
EXPECTED = N_("a CKAN API answer")
WHO = N_("the CKAN API")


class _Response:
    def __init__(self, status_code: int, text: str):
        self.status_code = status_code
        self.text = text


class GuardedRequests:
    """The two calls ckanapi makes on a requests.Session, routed through our guarded session.

    An answer that is no CKAN answer at all (a web page, a login page) or a CKAN error body (JSON with
    `"success": false`, whatever the status) raises a HarvestError saying so, naming `source` (the
    CKAN's URL); what is left for ckanapi is an answer it can read.
    """

    def __init__(self, http, source: str = ""):
        self.http = http
        self.source = source

    def get(self, url, params=None, headers=None, **_kw):
        if params:
            url = url + ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        return self._call(url, headers)

    def post(self, url, data=None, headers=None, files=None, **_kw):
        raise HarvestError(N_("the CKAN harvester only reads (GET)"))

    def _call(self, url, headers):
        try:
            result = self.http.fetch(url, headers=headers)
        except HttpError as exc:
            found = not_a_catalog(self.source or url, exc.body or b"", EXPECTED, final_url=exc.url, status=exc.status,
                                  pages=False, who=WHO)
            action = urlsplit(url).path.rsplit("/", 1)[-1]
            if found is None and exc.status == 404:  # no such action: this URL is not a CKAN site's
                found = HarvestError(N_("%(url)s: no CKAN Action API there (%(action)s answered HTTP 404)"),
                                     url=self.source or url, action=action)
            if found is None and exc.status is not None and self.source and (not exc.url or same_address(exc.url, url)):
                # the action's own error status, said by the action's name: the sentence named the query's whole
                # address (?q=%2A%3A%2A&fq=...&include_private=False) as if the source had redirected there
                found = HarvestError(N_("%(url)s: %(action)s answered HTTP %(status)s %(reason)s"), url=self.source,
                                     action=action, status=exc.status, reason=_reason(exc.status))
            raise (found or status_error(self.source or url, exc)) from exc
        except Exception as exc:
            raise HarvestError(N_("%(url)s: %(error)s"), url=url, error=exc) from exc
        found = not_a_catalog(self.source or url, result.content, EXPECTED, final_url=result.final_url,
                              who=WHO)
        if found is not None:
            raise found
        return _Response(result.status, result.content.decode("utf-8", "replace"))

    def close(self):
        pass


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def said_of(exc: Exception) -> str:
    """A ckanapi error as a reader takes it: for an answer ckanapi could not read as CKAN's (its text is the Python
    list `[url, status, body]`), the status and the start of the body ("HTTP 200: “Service temporarily
    unavailable”"), not the list, the query's whole address in it; any other error's own text."""
    text = str(exc)
    if text.startswith("[") and len(text) < 1_000_000:
        try:
            url, status, body = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return text[:300]
        body = " ".join(str(body if not isinstance(body, bytes) else body.decode("utf-8", "replace")).split())
        return f"HTTP {status}: “{body[:120]}{'…' if len(body) > 120 else ''}”" if body else f"HTTP {status}"
    return text[:300]


class CkanHarvester(Harvester):
    type = "ckan"
    supports_incremental = True

    def gather(self) -> Iterator[RemoteItem]:
        url = self.source.url
        if not is_remote(url):  # a local package_search dump (the demo and offline imports)
            yield from self._dump(url)
            return
        from ckanapi.errors import CKANAPIError

        remote = self._remote()
        fq = self.config.get("fq", "")
        if self.since is not None:
            since = self.since if self.since.tzinfo else self.since.replace(tzinfo=dt.UTC)
            stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            fq = (fq + " " if fq else "") + f"metadata_modified:[{stamp} TO *]"
        start, seen_ids, seen_pages = 0, set(), {}
        for page in range(1, MAX_PAGES + 1):
            try:
                result = remote.action.package_search(q="*:*", fq=fq, rows=PAGE_SIZE, start=start,
                                                      sort="metadata_modified asc", include_private=False)
            except CKANAPIError as exc:
                raise HarvestError(N_("%(url)s: package_search failed: %(error)s"), url=url,
                                   error=said_of(exc)) from exc
            if not isinstance(result, dict):
                raise HarvestError(N_("%(url)s: package_search answered %(kind)s, not a search result"), url=url,
                                   kind=json_kind(result))
            packages = result.get("results") or []
            if not isinstance(packages, list):
                raise HarvestError(N_("%(url)s: package_search results are %(kind)s, not a list"), url=url,
                                   kind=json_kind(packages))
            page_ids = tuple(str(p.get("id") or p.get("name")) if isinstance(p, dict) else repr(p) for p in packages)
            if page_ids and page_ids in seen_pages:  # the same page again: `start` is ignored (or `count` lies)
                raise HarvestError(N_("%(url)s: the CKAN server ignores paging (page %(page)s repeats page "
                                      "%(first)s)"), url=url, page=page, first=seen_pages[page_ids])
            seen_pages[page_ids] = page
            try:
                count = int(result.get("count") or 0)
            except (TypeError, ValueError):
                raise HarvestError(N_("%(url)s: package_search count %(count)s is not a number"), url=url,
                                   count=repr(result.get("count"))) from None
            for position, package in enumerate(packages):
                if not isinstance(package, dict):
                    yield RemoteItem(remote_id=f"#start-{start + position}", payload=package,
                                     error=Message(N_("package is %(kind)s, not an object"),
                                                   kind=json_kind(package)))
                    continue
                remote_id = str(package.get("id") or package.get("name"))
                if remote_id in seen_ids:  # a dataset modified mid-harvest can move between pages
                    continue
                seen_ids.add(remote_id)
                yield RemoteItem(remote_id=remote_id, payload=package)
            start += len(packages)
            if not packages or start >= count:
                return
        raise HarvestError(N_("%(url)s: more than %(max)s pages"), url=url, max=MAX_PAGES)

    def current_ids(self) -> set[str]:
        """The ids of every package the source holds now (package_search with fl=id,name, in pages of
        ID_PAGE_SIZE), read beside an incremental gather so that deletions upstream are withdrawn."""
        url = self.source.url
        if not is_remote(url):
            return {item.remote_id for item in self._dump(url)}
        remote = self._remote()
        from ckanapi.errors import CKANAPIError

        ids: set[str] = set()
        start, seen_pages = 0, {}
        for page_number in range(1, MAX_PAGES + 1):
            try:
                result = remote.action.package_search(q="*:*", fq=self.config.get("fq", ""), fl="id,name",
                                                      rows=ID_PAGE_SIZE, start=start, sort="id asc",
                                                      include_private=False)
            except CKANAPIError as exc:
                raise HarvestError(N_("%(url)s: listing the package ids failed: %(error)s"), url=url,
                                   error=said_of(exc)) from exc
            packages = result.get("results") if isinstance(result, dict) else None
            if not isinstance(packages, list):
                raise HarvestError(N_("%(url)s: package_search with fl=id,name answered no result list"), url=url)
            page = tuple(str(p.get("id") or p.get("name")) for p in packages if isinstance(p, dict))
            if page and page in seen_pages:
                raise HarvestError(N_("%(url)s: the CKAN server ignores paging (page %(page)s of the package ids "
                                      "repeats page %(first)s)"), url=url, page=page_number, first=seen_pages[page])
            seen_pages[page] = page_number
            ids.update(page)
            start += len(packages)
            if not packages or start >= int(result.get("count") or 0):
                return ids
        raise HarvestError(N_("%(url)s: more than %(max)s pages of ids"), url=url, max=MAX_PAGES)

    def items_of(self, ids: list[str]) -> Iterator[RemoteItem]:
        """The packages `ids` as the source holds them now (package_show, one request each: a handful a run, the
        withdrawn datasets listed again); one gone meanwhile is left out."""
        url = self.source.url
        if not is_remote(url):
            wanted = set(ids)
            yield from (item for item in self._dump(url) if item.remote_id in wanted)
            return
        from ckanapi.errors import CKANAPIError, NotFound

        remote = self._remote()
        for remote_id in ids:
            try:
                package = remote.action.package_show(id=remote_id)
            except NotFound:
                continue
            except CKANAPIError as exc:
                raise HarvestError(N_("%(url)s: package_show failed: %(error)s"), url=url,
                                   error=said_of(exc)) from exc
            if isinstance(package, dict):
                yield RemoteItem(remote_id=str(package.get("id") or package.get("name") or remote_id), payload=package)

    def _remote(self):
        from ckanapi import RemoteCKAN

        return RemoteCKAN(self.source.url.rstrip("/"), get_only=True,
                          session=GuardedRequests(self.http, self.source.url),
                          user_agent=self.config.get("user_agent") or "opendata-platform harvester")

    def _dump(self, path: str) -> Iterator[RemoteItem]:
        doc = read(path, self.http, expected=N_("a CKAN JSON dump"))
        try:
            payload = json.loads(doc.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HarvestError(N_("%(url)s: not a CKAN JSON dump (%(error)s)"), url=path, error=exc) from exc
        if isinstance(payload, dict) and "result" in payload:
            payload = payload["result"]
        packages = payload.get("results") if isinstance(payload, dict) else payload
        if not isinstance(packages, list):
            raise HarvestError(N_("%(url)s: expected a package_search result or a list of packages"), url=path)
        for position, package in enumerate(packages):
            remote_id = str(package.get("id") or package.get("name")) if isinstance(package, dict) else None
            yield RemoteItem(remote_id=remote_id or f"#position-{position}", payload=package)

    def to_record(self, item: RemoteItem) -> Record:
        if not isinstance(item.payload, dict):
            raise ValueError(f"package is {json_kind(item.payload)}, not an object")
        return ckan.from_ckan(item.payload)
