"""Harvester types, registered as entry points of group `opendata.harvesters`.

Ours are registered exactly the way a third party would register one (pyproject's
[project.entry-points."opendata.harvesters"]); OPENDATA_HARVESTERS enables them
by name, and an unknown name fails loudly.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from harvesters.base import Harvester

GROUP = "opendata.harvesters"


class UnknownHarvester(LookupError):
    pass


@cache
def _installed() -> tuple:
    """The group's entry points, read once per process: reading them scans every installed distribution's
    metadata (3-4 ms here), and each harvest job asks; what is installed does not change under a process."""
    return tuple(entry_points(group=GROUP))


def available() -> dict[str, object]:
    return {ep.name: ep for ep in _installed()}


def load(enabled: list[str]) -> dict[str, type[Harvester]]:
    """The enabled harvester classes by type; raises UnknownHarvester naming what is wrong."""
    eps = available()
    unknown = [name for name in enabled if name not in eps]
    if unknown:
        raise UnknownHarvester(f"unknown harvester type(s) {', '.join(unknown)}: "
                               f"installed are {', '.join(sorted(eps)) or 'none'}")
    classes = {}
    for name in enabled:
        cls = eps[name].load()
        if not (isinstance(cls, type) and issubclass(cls, Harvester)):
            raise UnknownHarvester(f"entry point {name!r} does not name a Harvester class")
        classes[name] = cls
    return classes


def get(type_name: str, enabled: list[str]) -> type[Harvester]:
    if type_name not in enabled:
        raise UnknownHarvester(f"harvester type {type_name!r} is not enabled "
                               f"(OPENDATA_HARVESTERS={','.join(enabled)})")
    return load([type_name])[type_name]
