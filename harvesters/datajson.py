"""data.json sources: Project Open Data v1.1 and DCAT-US catalogs (one document)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from catalog_schema import datajson
from catalog_schema.record import Record
from harvesters.base import Harvester, HarvestError, RemoteItem
from harvesters.messages import N_, Message
from harvesters.reading import read, wrong_type


class DataJsonHarvester(Harvester):
    type = "datajson"

    def gather(self) -> Iterator[RemoteItem]:
        doc = read(self.source.url, self.http, expected=N_("a data.json catalog"))
        try:
            catalog = json.loads(doc.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise (wrong_type(self.source.url, doc.content, self.type)
                   or HarvestError(N_("%(url)s: not a JSON document (%(error)s)"), url=self.source.url,
                                   error=f"{exc.__class__.__name__}: {exc}")) from exc
        if isinstance(catalog, list):  # the v1.0 form: a bare list of datasets
            catalog = {"dataset": catalog}
        if not isinstance(catalog, dict) or not isinstance(catalog.get("dataset"), list):
            raise (wrong_type(self.source.url, doc.content, self.type)
                   or HarvestError(N_("%(url)s: not a data.json catalog (no 'dataset' list)"), url=self.source.url))
        context = datajson.catalog_context(catalog)  # what each record needs of the catalog travels with it
        series = datajson.series_identifiers(catalog["dataset"])  # named in isPartOf: a series
        first: dict[str, tuple[int, str]] = {}  # remote id -> (position, the entry's JSON) of its first entry
        for position, entry in enumerate(catalog["dataset"]):
            remote_id = _remote_id(entry, position)
            text = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
            earlier = first.setdefault(remote_id, (position, text))
            if earlier[0] != position and earlier[1] != text:
                # two datasets under one identifier: the later one was dropped without a word (an entry listed
                # twice word for word is still one dataset, counted once)
                yield RemoteItem(remote_id=f"{remote_id}#entry-{position + 1}", payload=entry, context=context,
                                 error=Message(N_("dataset entry %(position)s has the identifier %(id)s of entry "
                                                  "%(first)s, with other content: it is not imported (give it an "
                                                  "identifier of its own)"),
                                               position=position + 1, id=repr(remote_id), first=earlier[0] + 1))
                continue
            yield RemoteItem(remote_id=remote_id, payload=entry,
                             context=datajson.dataset_context(context, entry, series))

    def to_record(self, item: RemoteItem) -> Record:
        if not isinstance(item.payload, dict):  # said in JSON's words (it named Python's: "a NoneType")
            raise ValueError(Message(N_("a dataset entry must be a JSON object, not %(value)s"),
                                     value=json.dumps(item.payload, ensure_ascii=False)[:60]))
        return datajson.from_datajson(item.payload, item.context)


def _remote_id(entry, position: int) -> str:
    if isinstance(entry, dict):
        for key in ("identifier", "@id", "landingPage", "title"):
            value = entry.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return f"#position-{position}"
