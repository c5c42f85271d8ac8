"""The order in which `make test` hands files to its workers (tests/conftest.py)."""

from pathlib import Path

from tests.conftest import LONG_FILES_FIRST

ROOT = Path(__file__).resolve().parent.parent


def test_every_long_file_named_first_exists():
    assert len(set(LONG_FILES_FIRST)) == len(LONG_FILES_FIRST)
    assert [name for name in LONG_FILES_FIRST if not (ROOT / name).is_file()] == []


def test_collection_puts_the_long_files_first_and_keeps_each_file_whole(request):
    files = list(dict.fromkeys(item.nodeid.split("::", 1)[0] for item in request.session.items))
    collected = [name for name in LONG_FILES_FIRST if name in files]
    assert files[:len(collected)] == collected
    seen, previous = set(), None
    for item in request.session.items:  # one file's tests all together
        name = item.nodeid.split("::", 1)[0]
        assert name == previous or name not in seen, name
        seen.add(name)
        previous = name
