"""CKAN's paths into a package dict, and what package_revise does with them (app/api/ckan_revise.py): keys joined by
`__`, a list item by its position (`-1` the last) or by the first five or more characters of its `id`. Pure: plain
dicts and lists in, changed in place or compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.texts import T_

#: CKAN's smallest prefix of an id that names a list item in a path (shorter: a position)
_ID_PREFIX = 5


class PathError(ValueError):
    """A path that names nothing in the dict, or a value of the wrong kind for where it goes (CKAN's DataError)."""


def joined(path: tuple | list) -> str:
    return "__".join(str(p) for p in path)


def resolve(data: Any, key: str) -> tuple[Any, tuple]:
    """The value a `__` path names in `data`, and its path with list items by position."""
    where: list[Any] = []
    here = data
    for part in key.split("__"):
        if isinstance(here, dict):
            if part not in here:
                raise PathError(T_("Unmatched key %(key)s", key=joined([*where, part])))
            where.append(part)
            here = here[part]
            continue
        if not isinstance(here, list):
            raise PathError(T_("Unmatched key %(key)s", key=joined([*where, part])))
        index = position(here, part)
        if index is None:
            raise PathError(T_("Unmatched key %(key)s", key=joined([*where, part])))
        where.append(index)
        here = here[index]
    return here, tuple(where)


def position(items: list, part: str) -> int | None:
    """The position a path's part names in a list: an id's first characters (five or more), else a position."""
    if len(part) >= _ID_PREFIX:
        return next((i for i, item in enumerate(items) if isinstance(item, dict)
                     and isinstance(item.get("id"), str) and item["id"].startswith(part)), None)
    try:
        index = int(part)
    except ValueError:
        return None
    if not -len(items) <= index < len(items):
        return None
    return index % len(items)


def mismatches(data: Any, wanted: Any, where: tuple = ()) -> list[tuple]:
    """The paths at which `data` does not hold what `wanted` says (a dict's keys, a list's first items)."""
    if isinstance(wanted, dict):
        if not isinstance(data, dict):
            return [where]
        return [p for k, v in sorted(wanted.items())
                for p in ([(*where, k)] if k not in data else mismatches(data[k], v, (*where, k)))]
    if isinstance(wanted, list):
        if not isinstance(data, list):
            return [where]
        return [p for i, v in enumerate(wanted)
                for p in ([(*where, i)] if i >= len(data) else mismatches(data[i], v, (*where, i)))]
    return [] if data == wanted else [where]


def drop(data: Any, patterns: list[str]) -> None:
    """Take out of `data`, in place, what the glob patterns name: `-key` removes, `+key` keeps (the first pattern
    naming a key decides), `*` stands for every key (or item) of its level, `__` goes down a level."""
    _drop(data, [(p.startswith("+"), p.lstrip("+-").split("__")) for p in patterns])


def _drop(data: Any, globs: list[tuple[bool, list[str]]]) -> None:
    if isinstance(data, dict):
        decided, below = _decide(globs, lambda part: list(data) if part == "*" else [part] if part in data else [])
        for head, keep in decided.items():
            if not keep:
                del data[head]
        for head, inner in below.items():
            if head in data:
                _drop(data[head], inner)
    elif isinstance(data, list):
        decided, below = _decide(globs, lambda part: list(range(len(data))) if part == "*" else
                                 [i for i in (position(data, part),) if i is not None])
        for head, inner in below.items():
            if decided.get(head, True):
                _drop(data[head], inner)
        data[:] = [item for i, item in enumerate(data) if decided.get(i, True)]


def _decide(globs: list[tuple[bool, list[str]]], heads_of: Callable[[str], list]) -> tuple[dict, dict]:
    """What the patterns say of one level: ({key or index: keep}, decided by the first pattern ending there;
    {key or index: the patterns going further down})."""
    decided: dict[Any, bool] = {}
    below: dict[Any, list] = {}
    for keep, parts in globs:
        for head in heads_of(parts[0]):
            if len(parts) > 1:
                below.setdefault(head, []).append((keep, parts[1:]))
            else:
                decided.setdefault(head, keep)
    return decided, below


def merge(data: dict, update: Any, where: tuple = ()) -> None:
    """Merge `update` into `data` in place: a dict's keys into the dict, a list's items into the list's items by
    position (more are appended), anything else replaces."""
    if not isinstance(update, dict):
        raise PathError(T_("Expected dict for %(key)s", key=joined(where)))
    for key, value in update.items():
        if key not in data:
            data[key] = value
        else:
            _merge_into(data, key, value, where)


def _merge_list(items: list, update: Any, where: tuple) -> None:
    if not isinstance(update, list):
        raise PathError(T_("Expected list for %(key)s", key=joined(where)))
    for i, value in enumerate(update):
        if i >= len(items):
            items.append(value)
        else:
            _merge_into(items, i, value, where)


def _merge_into(container: dict | list, key: Any, value: Any, where: tuple) -> None:
    """Merge `value` into `container[key]`: a dict or a list merged, anything else replaced."""
    current = container[key]
    if isinstance(current, dict):
        merge(current, value, (*where, key))
    elif isinstance(current, list):
        _merge_list(current, value, (*where, key))
    else:
        container[key] = value


def merge_at(data: dict, key: str, value: Any) -> None:
    """Merge `value` at the `__` path `key` (`resources__0__name`; `...__extend` appends a list's items)."""
    *parents, last = key.split("__")
    here, where = resolve(data, "__".join(parents)) if parents else (data, ())
    if isinstance(here, dict):
        merge(here, {last: value}, where)
    elif isinstance(here, list):
        if last == "extend":
            if not isinstance(value, list):
                raise PathError(T_("Expected list for %(key)s", key=joined(where)))
            here.extend(value)
            return
        index = position(here, last)
        if index is None:
            raise PathError(T_("Unmatched key %(key)s", key=joined([*where, last])))
        _merge_into(here, index, value, where)
    else:
        raise PathError(T_("Expected list or dict for %(key)s", key=joined(where)))
