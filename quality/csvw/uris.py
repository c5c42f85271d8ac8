"""The URIs a CSVW table's templates give on its real rows, counted as the stars count RDF's (pure).

For each row and each column whose output is not suppressed, the column's `aboutUrl` names the row's subject and
its `valueUrl` the cell's object (W3C "Generating RDF from Tabular Data"), expanded as RFC 6570 templates over the
row's cells bound to the columns' names, with `_row`, `_sourceRow`, `_column` and `_name`. A cell equal to the
column's `null` is no value (its variable is undefined, its value triple not made); an empty cell takes the
column's `default`; with a `separator` a cell is a list.

A subject counts only when the template itself expands to an absolute http(s) URI. The recommendation resolves a
relative result against the table's address: such a name changes with where the file is downloaded from (a
mirror, this portal's archived copy), so it names a place in a file rather than a thing, and earns no star. An
object counts as a link to other data as in RDF (`quality.openness.rdf_link_stats`): an absolute http(s) URI on
another domain than every subject's, not the object of rdf:type and not a vocabulary term.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from uritemplate import URITemplate

from quality.csvw.metadata import Column, Table

#: The prefixes of the CSVW initial context a template may expand to a compact name of ("schema:Place").
PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "dc": "http://purl.org/dc/terms/",
    "dcterms": "http://purl.org/dc/terms/", "dcat": "http://www.w3.org/ns/dcat#",
    "foaf": "http://xmlns.com/foaf/0.1/", "schema": "http://schema.org/", "csvw": "http://www.w3.org/ns/csvw#",
    "prov": "http://www.w3.org/ns/prov#", "qb": "http://purl.org/linked-data/cube#",
    "void": "http://rdfs.org/ns/void#", "org": "http://www.w3.org/ns/org#",
}
RDF_TYPE = PREFIXES["rdf"] + "type"
EXAMPLE_CHARS = 200


@dataclass
class Tally:
    """What expanding one table's templates found, as it goes."""

    rows: int = 0
    subjects: set[str] = field(default_factory=set)
    example_subject: str | None = None  # the first subject named
    not_http: int = 0  # subjects a template gave that are not absolute http(s) URIs
    example_not_http: str | None = None
    relative: bool = False  # the first of those was a relative URI (no scheme), not one of another scheme
    objects: Counter = field(default_factory=Counter)  # candidate links by domain
    example_object: dict[str, str] = field(default_factory=dict)

    def result(self, domain, named: bool) -> dict[str, Any]:
        """The counts the stars are decided on (`domain`: the registrable domain of a URI; `named`: whether any
        column has an aboutUrl)."""
        home = {domain(s) for s in self.subjects}
        links = sum(n for d, n in self.objects.items() if d not in home)
        example_link = next((self.example_object[d] for d in self.objects if d not in home), None)
        return {"rows": self.rows, "subjects": len(self.subjects),
                "example_subject": self.example_subject,
                "not_http": self.not_http, "example_not_http": self.example_not_http, "relative": self.relative,
                "links": links, "example_link": example_link,
                "about_url": named}


def absolute_http(uri: str | None) -> bool:
    if not uri:
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def expanded(template: URITemplate, variables: dict[str, Any]) -> str:
    """A template's expansion, a compact name of the CSVW initial context ("schema:Place") written out."""
    uri = template.expand(variables)
    prefix, colon, rest = uri.partition(":")
    if colon and prefix in PREFIXES and not rest.startswith("//"):
        return PREFIXES[prefix] + rest
    return uri


def cell_value(column: Column, raw: Any) -> Any:
    """A cell's value as a template sees it: None when it is the column's null, a list with a separator."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        text = column.default
    if text in column.null:
        return None
    if column.separator:
        items = [v.strip() for v in text.split(column.separator)]
        return [v for v in items if v not in column.null] or None
    return text


def tally(table: Table, rows: Iterable[Sequence[Any]], *, vocabulary: tuple[str, ...], domain,
          limit: int | None = None) -> dict[str, Any]:
    """Expand `table`'s templates over `rows` (the file's cells in its column order, header excluded), up to
    `limit` rows, and count what they name and link to."""
    out = Tally()
    if table.suppressed:
        return out.result(domain, False)
    about = {c.name: URITemplate(c.about_url) for c in table.columns if c.about_url}
    value = {c.name: URITemplate(c.value_url) for c in table.columns if c.value_url}
    kinds = {c.name: _is_type(c.property_url) for c in table.columns}
    real = [c for c in table.columns if not c.virtual]
    shown = [(n, c) for n, c in enumerate(table.columns, 1) if not c.suppressed]
    for number, row in enumerate(rows, 1):
        if limit is not None and number > limit:
            break
        out.rows = number
        cells = {c.name: cell_value(c, row[i] if i < len(row) else None) for i, c in enumerate(real)}
        base = {k: v for k, v in cells.items() if v is not None}
        base.update(_row=number, _sourceRow=number + 1)
        for position, column in shown:
            variables = {**base, "_column": position, "_name": column.name}
            if column.name in about:
                subject = expanded(about[column.name], variables)
                if absolute_http(subject):
                    out.subjects.add(subject)
                    if out.example_subject is None:
                        out.example_subject = subject[:EXAMPLE_CHARS]
                else:
                    out.not_http += 1
                    if out.example_not_http is None:
                        out.example_not_http = subject[:EXAMPLE_CHARS]
                        out.relative = not urlsplit(subject).scheme
            if column.name not in value or kinds[column.name] or (not column.virtual and cells[column.name] is None):
                continue
            target = expanded(value[column.name], variables)
            if absolute_http(target) and not target.startswith(vocabulary):
                where = domain(target)
                out.objects[where] += 1
                out.example_object.setdefault(where, target[:EXAMPLE_CHARS])
    return out.result(domain, bool(about))


def _is_type(property_url: str | None) -> bool:
    if not property_url:
        return False
    return property_url in ("rdf:type", RDF_TYPE)
