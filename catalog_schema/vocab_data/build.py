"""Regenerate the generated vocabulary files from the upstream copies kept in tests/fixtures/vocab.

Run once when the upstream tables change (replace the copies there, with their provenance in
tests/fixtures/SOURCES.md), then commit the output:

    python -m catalog_schema.vocab_data.build [FOLDER]     # FOLDER: tests/fixtures/vocab by default

It reads ``licenses_all.csv`` (Open Definition licence list), ``eu_data-theme-skos.rdf`` and
``eu_filetypes-skos.rdf`` (EU Publications Office authority tables) and writes compact JSON next to
this file: ``od_licences.json``, ``eu_data_themes.json``, ``eu_file_types.json``. The runtime never
parses XML: ``catalog_schema.vocab`` only reads these JSON files, lazily. Hand-written tables
(``licences_extra.json``, ``formats.json``, ``frequencies.json``, ...) are not touched.
"""

from __future__ import annotations

import ast
import csv
import json
import sys
from pathlib import Path

from defusedxml import ElementTree

HERE = Path(__file__).resolve().parent
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "at": "http://publications.europa.eu/ontology/authority/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RDF_ABOUT = f"{{{NS['rdf']}}}about"
DEPRECATED = f"{{{NS['at']}}}deprecated"


def build_licences(src: Path) -> list[dict]:
    """One row per Open Definition licence: the fields the catalog uses, in the list's own words."""
    rows = []
    with src.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            legacy = ast.literal_eval(row["legacy_ids"]) if row["legacy_ids"].strip() else []
            rows.append(
                {
                    "id": row["id"],
                    "title": row["title"],
                    "url": row["url"] or None,
                    # the list leaves a few retired entries blank: blank means nobody reviewed it
                    "od_conformance": row["od_conformance"] or "not reviewed",
                    "status": row["status"],
                    "domain_data": row["domain_data"] == "True",
                    "legacy_ids": legacy,
                }
            )
    return rows


def _code(concept) -> str:
    """The authority code is the last segment of the concept URI (OP_DATPRO has no at:authority-code)."""
    return concept.get(RDF_ABOUT).rstrip("/").rsplit("/", 1)[-1]


def _concepts(path: Path):
    root = ElementTree.parse(str(path)).getroot()
    yield from root.findall("skos:Concept", NS)


def build_themes(src: Path) -> list[dict]:
    """EU data themes: code, URI and every prefLabel by language."""
    out = []
    for concept in _concepts(src):
        code = _code(concept)
        labels = {lab.get(XML_LANG): lab.text.strip() for lab in concept.findall("skos:prefLabel", NS) if lab.text}
        out.append({"code": code, "uri": concept.get(RDF_ABOUT), "labels": dict(sorted(labels.items()))})
    return sorted(out, key=lambda t: t["code"])


def build_file_types(src: Path) -> list[dict]:
    """EU file types: code, English labels, extensions and media types from the table's mapped codes."""
    out = []
    for concept in _concepts(src):
        code = _code(concept)
        labels = [lab.text.strip() for lab in concept.findall("skos:prefLabel", NS) if lab.get(XML_LANG) == "en"]
        alts = [lab.text.strip() for lab in concept.findall("skos:altLabel", NS) if lab.get(XML_LANG) == "en"]
        mapped: dict[str, list[str]] = {}
        for mc in concept.iter(f"{{{NS['at']}}}MappedCode"):
            source = mc.find("dc:source", NS).text.strip()
            mapped.setdefault(source, []).append(mc.find("at:legacy-code", NS).text.strip())
        extensions = []
        for raw in mapped.get("file-extension", []):
            # the table writes ".gml .xml" once, and "mpg" without a dot elsewhere
            for ext in raw.split():
                ext = ext.lstrip(".").lower()
                if ext and ext not in extensions:
                    extensions.append(ext)
        out.append(
            {
                "code": code,
                "uri": concept.get(RDF_ABOUT),
                "deprecated": concept.get(DEPRECATED) == "true",
                "label": labels[0] if labels else code,
                "alt_labels": alts,
                "extensions": extensions,
                "media_types": mapped.get("mime-type-cellar", []),
            }
        )
    return out


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else HERE.parents[1] / "tests" / "fixtures" / "vocab"
    outputs = {
        "od_licences.json": build_licences(src / "licenses_all.csv"),
        "eu_data_themes.json": build_themes(src / "eu_data-theme-skos.rdf"),
        "eu_file_types.json": build_file_types(src / "eu_filetypes-skos.rdf"),
    }
    for name, data in outputs.items():
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(data)} entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
