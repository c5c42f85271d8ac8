"""Lossless two-way mapping between a flat source dict and catalog record fields.

A format mapper (CKAN, data.json) is a list of `Rule`s. Each rule owns some source keys,
reads them into record fields and writes record fields back as source keys. The engine
adds the part that makes round trips exact without freezing edits:

- `stored_keys`: on the way in, the source keys whose value the canonical writer would *not*
  reproduce (a trailing space in an email, a licence title the portal spelled its own way, a
  key no rule knows) are kept verbatim, so nothing the source said is lost.
- `write_all`: on the way out, a rule's verbatim keys are used only while they still read
  back as the record's current values; once the record has been edited (a new licence, other
  keywords) the rule writes its canonical form instead, so a stale verbatim value never
  overrides an edit. A rule's `verbatim` may say how its kept values go out (a standard's key gets
  its standard form: CKAN's timestamps), the record keeping them as they came.

Pure functions over plain dicts; no format knowledge lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Flags = list[tuple[str, Any, str]]  # (record field, raw value, reason)

_MISSING = object()


@dataclass(frozen=True)
class Rule:
    """Source keys <-> record fields.

    `read(view, flags)` returns {field: value} from a source view (it may look at keys it does
    not own, such as an id); `write(record)` returns {key: value}; `fields` are the record
    fields compared to decide whether verbatim keys are still valid; `verbatim(kept)` gives the
    rule's kept keys as they may go out (None: as they are).
    """

    fields: tuple[str, ...]
    keys: tuple[str, ...]
    read: Callable[[Mapping[str, Any], Flags], dict[str, Any]]
    write: Callable[[Mapping[str, Any]], dict[str, Any]]
    same: Callable[[dict[str, Any], Mapping[str, Any]], bool] | None = field(default=None)
    verbatim: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None)

    def consistent(self, got: dict[str, Any], record: Mapping[str, Any]) -> bool:
        if self.same is not None:
            return self.same(got, record)
        return all(got.get(f) == record.get(f) for f in self.fields)


def read_all(rules: Iterable[Rule], view: Mapping[str, Any], flags: Flags) -> dict[str, Any]:
    """Every record field the rules find in `view`."""
    out: dict[str, Any] = {}
    for rule in rules:
        out.update(rule.read(view, flags))
    return out


def _write(rule: Rule, record: Mapping[str, Any], drop_none: bool) -> dict[str, Any]:
    out = rule.write(record)
    return {k: v for k, v in out.items() if v is not None} if drop_none else out


def canonical(rules: Iterable[Rule], record: Mapping[str, Any], *, drop_none: bool = False) -> dict[str, Any]:
    """What the rules write for `record` with nothing verbatim; `drop_none` leaves out null keys."""
    out: dict[str, Any] = {}
    for rule in rules:
        out.update(_write(rule, record, drop_none))
    return out


def stored_keys(rules: Iterable[Rule], view: Mapping[str, Any], record: Mapping[str, Any], *,
                defaults: Mapping[str, Any] | None = None, keep_all: Callable[[str], bool] = lambda k: False,
                structural: Iterable[str] = (), drop_none: bool = False) -> dict[str, Any]:
    """The part of `view` to keep verbatim: what the canonical writer would not give back.

    `keep_all(key)` marks keys kept whatever their value (CKAN extras: their order matters);
    `structural` keys are rebuilt from elsewhere (ids, nested lists) and never stored.
    """
    canon = {**(defaults or {}), **canonical(rules, record, drop_none=drop_none)}
    skip = set(structural)
    return {k: v for k, v in view.items()
            if k not in skip and (keep_all(k) or canon.get(k, _MISSING) != v)}


def write_all(rules: Iterable[Rule], record: Mapping[str, Any], stored: Mapping[str, Any], *,
              base: Mapping[str, Any] | None = None, keep_all: Callable[[str], bool] | None = None,
              drop_none: bool = False) -> dict[str, Any]:
    """Source keys for `record`: verbatim where still true, canonical where the record changed.

    `base` holds structural keys a rule may read (the id). Keys no rule owns are copied from
    `stored` unchanged. Keys marked `keep_all` are complete in `stored`, so while a rule is
    consistent its canonical versions of them are not added (no duplicate CKAN extras).
    """
    rules, owners = _owned(rules)
    out: dict[str, Any] = {}
    verbatim: dict[int, dict[str, Any]] = {}  # each rule's stored keys (by its index), in stored order
    for k, v in stored.items():
        mine = owners.get(k)
        if mine is None:
            out[k] = v
        else:
            for i in mine:
                verbatim.setdefault(i, {})[k] = v
    for i, rule in enumerate(rules):  # the common case (nothing verbatim, no keep_all key written) first
        canon = _write(rule, record, drop_none)
        mine = verbatim.get(i)
        if mine and rule.verbatim is not None:
            mine = rule.verbatim(mine)
        if keep_all is not None and any(map(keep_all, canon)):
            kept = {k: v for k, v in canon.items() if not keep_all(k)}
        elif not mine:
            out.update(canon)  # nothing verbatim: the candidate is the canonical form, whichever way it reads back
            continue
        else:
            kept = canon
        candidate = {**kept, **(mine or {})}
        view = {**(base or {}), **stored, **candidate}
        if rule.consistent(rule.read(view, []), record):
            out.update(candidate)
        else:
            out.update(canon)
    return out


#: Which rules own each key (their indexes), by the rule list's identity (the mappers' rule lists are module
#: constants): a package dict asks for them once per rule list, not once per call (CKAN's package_search builds
#: 20 a request).
_OWNED: dict[int, tuple[Any, int, dict[str, tuple[int, ...]]]] = {}


def _owned(rules: Iterable[Rule]) -> tuple[list[Rule] | tuple[Rule, ...], dict[str, tuple[int, ...]]]:
    if not isinstance(rules, (list, tuple)):
        rules = list(rules)
        return rules, _owners(rules)
    found = _OWNED.get(id(rules))
    if found is not None and found[0] is rules and found[1] == len(rules):
        return rules, found[2]
    owners = _owners(rules)
    if len(_OWNED) < 64:  # kept with the list itself, so its id stays its own
        _OWNED[id(rules)] = (rules, len(rules), owners)
    return rules, owners


def _owners(rules: list[Rule] | tuple[Rule, ...]) -> dict[str, tuple[int, ...]]:
    owners: dict[str, tuple[int, ...]] = {}
    for i, rule in enumerate(rules):
        for k in dict.fromkeys(rule.keys):
            owners[k] = (*owners.get(k, ()), i)
    return owners
