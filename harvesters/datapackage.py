"""Frictionless Data Packages, and plain files for agencies without any catalog.

A `datapackage.json` (local path or URL) is one dataset. A local folder, or a text file (`.txt`,
local path or URL) listing file URLs, becomes one dataset per file, with the source's defaults and
the rows of a metadata sheet beside the files (`harvesters/files.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from catalog_schema import datapackage
from catalog_schema.record import Record, flag
from harvesters import files
from harvesters.base import Harvester, HarvestError, RemoteItem
from harvesters.messages import N_
from harvesters.reading import is_remote, read, wrong_type


def is_file_list(url: str) -> bool:
    """A source URL naming a text file that lists files (its path ends in .txt)."""
    return urlsplit(url).path.lower().endswith(".txt")


class DataPackageHarvester(Harvester):
    type = "datapackage"

    @property
    def nothing_listed(self) -> str:  # a descriptor is always one dataset: only a folder or a file list is empty
        return N_("the file list names no files") if is_file_list(self.source.url) else N_("the folder holds no files")

    def gather(self) -> Iterator[RemoteItem]:
        url = self.source.url
        if not is_remote(url) and Path(url).is_dir():
            yield from files.gather_folder(Path(url), self.config)
            return
        if is_file_list(url):
            yield from files.gather_list(url, self.http, self.config)
            return
        doc = read(url, self.http, expected=N_("a datapackage.json"))
        try:
            descriptor = json.loads(doc.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise (wrong_type(url, doc.content, self.type)
                   or HarvestError(N_("%(url)s: not a datapackage.json (%(error)s)"), url=url,
                                   error=f"{exc.__class__.__name__}: {exc}")) from exc
        if not isinstance(descriptor, dict):
            raise HarvestError(N_("%(url)s: a datapackage.json must be a JSON object"), url=url)
        if not isinstance(descriptor.get("resources"), list):  # another kind of catalog: said, nothing withdrawn
            found = wrong_type(url, doc.content, self.type)
            if found is not None:
                raise found
            # no resources at all: the job fails saying so (it was an error row, then "needs confirmation: no longer
            # lists 1 of the 1 datasets", which named the wrong thing)
            raise HarvestError(N_("%(url)s: a datapackage.json needs a \"resources\" list (the files it describes)"),
                               url=url)
        if not descriptor["resources"]:  # a package of no file: the published dataset was stripped of its files
            raise HarvestError(N_("%(url)s: the datapackage.json lists no resources (a Data Package describes at least "
                                  "one file); the dataset is left as it was"), url=url)
        remote_id = str(descriptor.get("id") or descriptor.get("name") or url)
        base = doc.url if is_remote(doc.url) else self.config.get("base_url") or Path(doc.url).parent.as_uri() + "/"
        yield RemoteItem(remote_id=remote_id, payload={"descriptor": descriptor, "base": base})

    def to_record(self, item: RemoteItem) -> Record:
        payload = item.payload
        if "descriptor" in payload:
            rec = datapackage.from_datapackage(payload["descriptor"], base_url=payload["base"])
            if is_remote(payload["base"]):  # a package on the web names no file of this machine
                for i, dist in enumerate(rec.get("distributions") or []):
                    for key in ("download_url", "access_url"):
                        if dist.get(key) and not is_remote(dist[key]):
                            flag(rec, f"distributions[{i}].{key}", dist[key], "not an http(s) URL; dropped")
                            dist[key] = None
            return rec
        return files.file_record(payload)
