"""Turtle, N3 and N-Triples, from their directives and line shapes."""

from __future__ import annotations

import re

from quality.sniff.markup import IRI_START
from quality.sniff.model import HEAD_BYTES, Sniffed, result

_TURTLE_DIRECTIVE = re.compile(r"(?mi)^\s*(@prefix\s+[\w.\-]*:|@base\s|prefix\s+[\w.\-]*:\s*<|base\s+<)")


_NT_IRI = r"<[^<>\"{}|^`\\\s]*>"


_NT_BNODE = r"_:[A-Za-z0-9_][\w.\-]*"


_NT_LITERAL = r'"(?:[^"\\]|\\.)*"(?:\^\^' + _NT_IRI + r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?"


_NT_LINE = re.compile(
    rf"^\s*(?:{_NT_IRI}|{_NT_BNODE})\s*{_NT_IRI}\s*(?:{_NT_IRI}|{_NT_BNODE}|{_NT_LITERAL})\s*\.\s*(?:#.*)?$")


def classify_rdf_text(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                       declared: str) -> Sniffed | None:
    lines = body.splitlines()
    if cut and len(lines) > 1:
        lines = lines[:-1]
    statements = [ln for ln in lines[:200] if ln.strip() and not ln.lstrip().startswith("#")]
    n3 = name.endswith(".n3") or declared in ("text/n3", "text/rdf+n3")
    if statements and sum(1 for ln in statements if _NT_LINE.match(ln)) >= 0.95 * len(statements):
        return result("NTRIPLES", 0.9, statements_sampled=len(statements))
    if _TURTLE_DIRECTIVE.search(body[:HEAD_BYTES]):
        return result("N3" if n3 else "TURTLE", 0.9)
    if IRI_START.match(body) and re.search(r"\s\.\s*$", "\n".join(lines[:50]), re.M):
        return result("N3" if n3 else "TURTLE", 0.6)
    return None
