"""Record-oriented XML as a table: a root holding repeated record elements whose children are leaf fields.

    <rows><row id="1"><a>1</a><b>x</b></row><row id="2">...</row></rows>   ->   id, a, b

The records are the repeated elements, nearest the root, whose children are all leaves (elements with
text and no element children); a file of one record reads as one row. Each record's columns are its
attributes, then its leaf children by local name (namespaces dropped; a name repeated within a record gets
``_2``, ``_3``), in order of first appearance over the file. Records nested under elements between the
root and them (``<station id="s01"><month>...</month></station>``) also get those elements' attributes as
``station.id``. Anything else (a child with children of its own, mixed text) is its text, joined.

Parsed with defusedxml, streamed twice (once to find the records, once to read them) and cleared as it
goes: no entity is expanded, no DTD or external resource is fetched, so entity bombs ("billion laughs")
and external entities are refused as unreadable, and memory holds the rows, not the tree.
"""

from __future__ import annotations

from collections import Counter

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from quality.tabular.model import TableError

MAX_DEPTH = 64  # deeper than any table: a file nested further is not read as one


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _events(path: str):
    try:
        yield from iterparse(path, events=("start", "end"), forbid_dtd=False, forbid_entities=True,
                             forbid_external=True)
    except DefusedXmlException as exc:
        raise TableError("unreadable", f"The XML file is refused: it declares entities or external resources "
                                       f"({type(exc).__name__}), which are not expanded here.") from exc
    except ParseError as exc:
        raise TableError("unreadable", f"The XML file cannot be read: {exc}") from exc


def _record_path(path: str) -> tuple[str, ...]:
    """The path (local names from the root) of the record elements: the shallowest path that repeats under
    one parent and whose elements have only leaf children; else the shallowest with leaf children only."""
    stack: list[list] = []  # per open element: [path, has element children, has non-leaf children]
    repeats: Counter = Counter()  # path -> most times seen under one parent
    under: list[Counter] = []  # per open element: its children's local names
    leafy: dict[tuple[str, ...], bool] = {}  # path -> every element there has children, all leaves
    for event, elem in _events(path):
        if event == "start":
            if len(stack) >= MAX_DEPTH:
                raise TableError("unsupported-format", "The XML is nested too deeply to be a table.")
            parent = stack[-1][0] if stack else ()
            if stack:
                stack[-1][1] = True
                under[-1][_local(elem.tag)] += 1
            stack.append([(*parent, _local(elem.tag)), False, False, elem])
            under.append(Counter())
        else:
            here, has_children, has_deep, _ = stack.pop()
            counts = under.pop()
            for name, n in counts.items():
                key = (*here, name)
                repeats[key] = max(repeats[key], n)
            if stack and has_children:
                stack[-1][2] = True  # the parent has a child with children: it is no record
            if len(here) > 1:
                ok = (has_children or bool(elem.attrib)) and not has_deep
                leafy[here] = leafy.get(here, True) and ok
            if len(stack) >= 1:
                elem.clear()
            if len(stack) == 1:
                stack_root = stack[0][3]
                stack_root.clear()  # its children are counted: let them go
    candidates = sorted((len(p), -repeats[p], p) for p, ok in leafy.items() if ok)
    repeated = [p for _, r, p in candidates if -r > 1]
    if repeated:
        return min(repeated, key=len)
    if candidates:
        return candidates[0][2]
    raise TableError("unsupported-format", "The XML has no records to read as rows (repeated elements whose "
                                           "children are fields).")


def xml_rows(path: str) -> list[list[str]]:
    """The XML's records as a header row and one row per record (see the module's docstring)."""
    target = _record_path(path)
    depth = len(target)
    keys: list[str] = []
    seen: set[str] = set()
    records: list[dict[str, str]] = []
    context: list[dict[str, str]] = []  # attributes of the open elements between the root and the records
    names: list[str] = []
    root = None
    for event, elem in _events(path):
        if event == "start":
            root = elem if root is None else root
            names.append(_local(elem.tag))
            level = len(names)
            if 1 < level < depth and tuple(names) == target[:level]:
                context.append({f"{names[-1]}.{_local(k)}": v for k, v in elem.attrib.items()})
            continue
        here = tuple(names)
        names.pop()
        if here == target:
            record: dict[str, str] = {}
            for ctx in context:
                record.update(ctx)
            for k, v in elem.attrib.items():
                record[_local(k)] = v
            for child in elem:
                name = _local(child.tag)
                key, n = name, 1
                while key in record:
                    n += 1
                    key = f"{name}_{n}"
                record[key] = "".join(child.itertext()).strip()
            for key in record:
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
            records.append(record)
            elem.clear()
        elif 1 < len(here) < depth and here == target[:len(here)]:
            context.pop()
            elem.clear()
        if len(here) == 2:
            root.clear()  # what was under it is read: let it go
    if not records:
        raise TableError("empty", "The XML has no records.")
    return [keys] + [[r.get(k, "") for k in keys] for r in records]
