"""A CKAN-compatible Action API over a list of real package dicts, on a LocalServer.

Enough of CKAN for harvesters and ckanapi: package_search (q=*:*, fq with
metadata_modified:[X TO *], rows, start, sort by metadata_modified), package_show,
package_list, status_show. The packages are the real recorded ones.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs

from tests.support.httpserver import LocalServer, Request

_RANGE = re.compile(r"metadata_modified:\[(\S+) TO (\S+)\]")


def real_packages(fixtures_dir: Path, n: int) -> list[dict]:
    """n CKAN packages shaped exactly like the real Birmingham ones (ids and names made unique)."""
    real = json.loads((fixtures_dir / "real/ckan/birmingham_package_search.json").read_text("utf-8"))
    base = real["result"]["results"]
    out = []
    for i in range(n):
        pkg = copy.deepcopy(base[i % len(base)])
        pkg["id"] = str(uuid.UUID(int=i + 1))
        pkg["name"] = f"{pkg['name']}-{i}"
        pkg["metadata_modified"] = f"2020-01-01T00:{i // 60:02d}:{i % 60:02d}.000000"
        for j, res in enumerate(pkg.get("resources") or []):
            res["id"] = str(uuid.UUID(int=(i + 1) * 1000 + j))
        out.append(pkg)
    return out


class FakeCkan:
    def __init__(self, server: LocalServer, packages: list[dict]):
        self.server = server
        self.packages = packages
        self.calls: list[dict] = []
        for action in ("package_search", "package_show", "package_list", "status_show"):
            server.add_route(f"/api/3/action/{action}", self._handler(action))
            server.add_route(f"/api/action/{action}", self._handler(action))  # ckanapi's path

    @property
    def url(self) -> str:
        return self.server.url("")

    def _handler(self, action: str):
        def handle(req: Request):
            params = {k: v[-1] for k, v in parse_qs(req.query).items()}
            if req.body:
                params.update(json.loads(req.body))
            self.calls.append({"action": action, **params})
            status, result = getattr(self, action)(params)
            body = {"help": f"{self.url}/api/3/action/help_show?name={action}", "success": status == 200}
            if status == 200:
                body["result"] = result
            else:
                body["error"] = result
            return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(body).encode()
        return handle

    def package_search(self, params):
        pkgs = sorted(self.packages, key=lambda p: (p.get("metadata_modified") or "", p["id"]))
        if "desc" in str(params.get("sort", "")):
            pkgs.reverse()
        match = _RANGE.search(str(params.get("fq", "")))
        if match:
            since = match.group(1).rstrip("Z")
            pkgs = [p for p in pkgs if (p.get("metadata_modified") or "") >= since]
        if str(params.get("sort", "")).startswith("id "):
            pkgs.sort(key=lambda p: p["id"], reverse="desc" in str(params["sort"]))
        rows = min(int(params.get("rows", 10)), 1000)
        start = int(params.get("start", 0))
        page = pkgs[start:start + rows]
        if params.get("fl"):  # CKAN 2.9+: only the fields asked for
            fields = str(params["fl"]).split(",")
            page = [{f: p.get(f) for f in fields} for p in page]
        return 200, {"count": len(pkgs), "results": page, "sort": params.get("sort"),
                     "facets": {}, "search_facets": {}}

    def package_show(self, params):
        for p in self.packages:
            if params.get("id") in (p["id"], p.get("name")):
                return 200, p
        return 404, {"__type": "Not Found Error", "message": "Not found"}

    def package_list(self, params):
        return 200, sorted(p["name"] for p in self.packages)

    def status_show(self, params):
        return 200, {"ckan_version": "2.9.9", "site_url": self.url, "extensions": []}


def ckan_packages(fixtures_dir: Path, n: int, files_url: str, n_files: int = 20) -> list[dict]:
    """n real-shaped CKAN packages, each with one distribution on the local file server."""
    out = []
    for i, pkg in enumerate(real_packages(fixtures_dir, n)):
        res = copy.deepcopy((pkg.get("resources") or [{}])[0])
        res.update({"id": str(uuid.UUID(int=(i + 1) * 1000)), "url": f"{files_url}/files/{i % n_files}.csv",
                    "format": "CSV", "mimetype": "text/csv"})
        pkg["resources"] = [res]
        out.append(pkg)
    return out


def serve_files(server, n_files: int = 20) -> None:
    for k in range(n_files):
        body = "id,name,value\n" + "".join(f"{r},row {r} of file {k},{r * k}\n" for r in range(30))
        server.add_bytes(f"/files/{k}.csv", body.encode(), "text/csv")
