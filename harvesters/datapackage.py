"""Frictionless Data Packages, and plain folders of files for agencies without any catalog.

A `datapackage.json` (local path or URL) is one dataset. A local folder becomes one
dataset per file: title from the file name, format from the bytes' extension (the
quality engine sniffs the real one later), the default publisher of the source.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterator
from pathlib import Path

from catalog_schema import datapackage, vocab
from catalog_schema.record import Record, flag, new_distribution, new_record
from harvesters.base import Harvester, HarvestError, RemoteItem
from harvesters.reading import is_remote, read

IGNORED = {".ds_store", "thumbs.db", "desktop.ini"}


class DataPackageHarvester(Harvester):
    type = "datapackage"

    def gather(self) -> Iterator[RemoteItem]:
        url = self.source.url
        if not is_remote(url) and Path(url).is_dir():
            yield from self._folder(Path(url))
            return
        doc = read(url, self.http)
        try:
            descriptor = json.loads(doc.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise HarvestError(f"{url}: not a datapackage.json ({exc.__class__.__name__}: {exc})") from exc
        if not isinstance(descriptor, dict):
            raise HarvestError(f"{url}: a datapackage.json must be a JSON object")
        remote_id = str(descriptor.get("id") or descriptor.get("name") or url)
        base = doc.url if is_remote(doc.url) else self.config.get("base_url") or Path(doc.url).parent.as_uri() + "/"
        yield RemoteItem(remote_id=remote_id, payload={"descriptor": descriptor, "base": base})

    def _folder(self, folder: Path) -> Iterator[RemoteItem]:
        base_url = self.config.get("base_url")  # where the folder is published, if it is
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.name.lower() in IGNORED or path.name.startswith("."):
                continue
            rel = path.relative_to(folder).as_posix()
            url = (base_url.rstrip("/") + "/" + rel) if base_url else path.resolve().as_uri()
            yield RemoteItem(remote_id=rel, payload={"file": rel, "url": url, "size": path.stat().st_size})

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
        return record_for_file(payload["file"], payload["url"], payload.get("size"))


def record_for_file(rel: str, url: str, size: int | None) -> Record:
    """A dataset inferred from one file: title from its name, format from its extension."""
    name = Path(rel).stem
    title = name.replace("_", " ").replace("-", " ").strip() or rel
    fmt = vocab.format_for_extension(rel)
    media = mimetypes.guess_type(rel)[0]
    return new_record(
        title={"": title},
        identifier=rel,
        distributions=[new_distribution(id=rel, title={"": Path(rel).name}, download_url=url, access_url=url,
                                        format=fmt.code if fmt else None, format_raw=Path(rel).suffix.lstrip(".")
                                        or None, media_type=media, byte_size=size)],
    )
