"""Croissant 1.0 (MLCommons' JSON-LD for machine-learning datasets): a dataset's tables as an ML tool reads them.

`to_croissant(dataset, files)` and `from_croissant(doc)` are a pair: a `CroissantDataset` (the dataset's
name, description, URL, licence, citation, dates and its files, each with a checksum and the columns of its
data dictionary) becomes the JSON-LD document and is read back from it unchanged. Only files a tool can fetch
and check are described: a `FileObject` must carry the sha256 of the exact bytes at `contentUrl`, so the
caller gives the archived copy's address and hash (see app/export/croissant.py).

Column types map to schema.org data types (Table Schema `integer` -> `sc:Integer`, `number` -> `sc:Float`,
`date` -> `sc:Date`...; anything else is text, the lossless reading of a cell).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"

#: The Croissant 1.0 context, as the specification's examples give it (mlcroissant warns on any other).
CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract", "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
    "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated",
    "replace": "cr:replace", "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform", "samplingRate": "cr:samplingRate",
    "equivalentProperty": "cr:equivalentProperty",
}

#: Table Schema type -> schema.org data type; the reverse reads back the first of each.
DATA_TYPES = {"integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean", "date": "sc:Date",
              "datetime": "sc:DateTime", "time": "sc:Time", "string": "sc:Text"}
_TABLE_TYPES = {v: k for k, v in DATA_TYPES.items()}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"  # a Table Schema type
    description: str | None = None


@dataclass(frozen=True)
class File:
    id: str  # the distribution's id: the FileObject's and the RecordSet's @id are made from it
    name: str
    url: str  # where exactly these bytes are served
    sha256: str
    encoding_format: str  # a media type: text/csv
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True)
class CroissantDataset:
    name: str
    description: str
    url: str
    license: str | None = None
    cite_as: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    version: str | None = None
    keywords: tuple[str, ...] = ()
    creator: str | None = None
    files: tuple[File, ...] = field(default_factory=tuple)


def to_croissant(ds: CroissantDataset) -> dict[str, Any]:
    """The Croissant JSON-LD document of `ds`."""
    doc: dict[str, Any] = {"@context": CONTEXT, "@type": "sc:Dataset", "name": ds.name,
                           "description": ds.description, "conformsTo": CONFORMS_TO, "url": ds.url}
    for key, value in (("license", ds.license), ("citeAs", ds.cite_as), ("datePublished", ds.date_published),
                       ("dateModified", ds.date_modified), ("version", ds.version)):
        if value:
            doc[key] = value
    if ds.keywords:
        doc["keywords"] = list(ds.keywords)
    if ds.creator:
        doc["creator"] = {"@type": "sc:Organization", "name": ds.creator}
    doc["distribution"] = [{"@type": "cr:FileObject", "@id": f"file-{f.id}", "name": f.name, "contentUrl": f.url,
                            "encodingFormat": f.encoding_format, "sha256": f.sha256} for f in ds.files]
    doc["recordSet"] = [_record_set(f) for f in ds.files if f.columns]
    return doc


def _record_set(f: File) -> dict[str, Any]:
    fields = []
    for col in f.columns:
        item = {"@type": "cr:Field", "@id": f"table-{f.id}/{col.name}", "name": col.name,
                "dataType": DATA_TYPES.get(col.type, "sc:Text"),
                "source": {"fileObject": {"@id": f"file-{f.id}"}, "extract": {"column": col.name}}}
        if col.description:
            item["description"] = col.description
        fields.append(item)
    return {"@type": "cr:RecordSet", "@id": f"table-{f.id}", "name": f.name, "field": fields}


def from_croissant(doc: dict[str, Any]) -> CroissantDataset:
    """What a Croissant document says, read back (the documents `to_croissant` writes, and ones shaped alike)."""
    columns: dict[str, list[Column]] = {}
    for rs in doc.get("recordSet") or []:
        for f in rs.get("field") or []:
            file_id = ((f.get("source") or {}).get("fileObject") or {}).get("@id", "")
            columns.setdefault(file_id, []).append(Column(
                name=f["name"], type=_TABLE_TYPES.get(f.get("dataType"), "string"), description=f.get("description")))
    files = tuple(File(id=d["@id"].removeprefix("file-"), name=d.get("name", ""), url=d.get("contentUrl", ""),
                       sha256=d.get("sha256", ""), encoding_format=d.get("encodingFormat", ""),
                       columns=tuple(columns.get(d["@id"], ())))
                  for d in doc.get("distribution") or [] if d.get("@type") == "cr:FileObject")
    creator = doc.get("creator")
    return CroissantDataset(
        name=doc.get("name", ""), description=doc.get("description", ""), url=doc.get("url", ""),
        license=doc.get("license"), cite_as=doc.get("citeAs"), date_published=doc.get("datePublished"),
        date_modified=doc.get("dateModified"), version=doc.get("version"), keywords=tuple(doc.get("keywords") or ()),
        creator=creator.get("name") if isinstance(creator, dict) else creator, files=files)
