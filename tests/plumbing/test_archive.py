"""The content-addressed archive writer, on a real directory."""

from __future__ import annotations

import hashlib
import io

import pytest

from plumbing.archive import ArchiveTooLarge, ArchiveWriter, address, archive

DATA = "站点,人数\n人民广场,120\n".encode() * 1000


def test_a_file_object_lands_at_its_sha256(tmp_path):
    stored = archive(io.BytesIO(DATA), tmp_path)
    digest = hashlib.sha256(DATA).hexdigest()
    assert (stored.sha256, stored.size) == (digest, len(DATA))
    assert stored.path == str(tmp_path / digest[:2] / digest) == str(address(tmp_path, digest))
    with open(stored.path, "rb") as fh:
        assert fh.read() == DATA
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_byte_iterator_and_a_second_copy_are_stored_once(tmp_path):
    first = archive(iter([DATA[:100], DATA[100:]]), tmp_path)
    second = archive(io.BytesIO(DATA), tmp_path)
    assert first == second
    assert [p.name for p in tmp_path.iterdir() if p.name != "tmp"] == [first.sha256[:2]]


def test_the_cap_holds_while_streaming_and_leaves_nothing(tmp_path):
    with pytest.raises(ArchiveTooLarge) as info:
        archive(iter([b"x" * 600, b"y" * 600]), tmp_path, max_bytes=1000)
    assert info.value.max_bytes == 1000
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    exact = archive(iter([b"x" * 600, b"y" * 400]), tmp_path, max_bytes=1000)
    assert exact.size == 1000


def test_a_writer_can_be_read_before_it_is_kept_or_dropped(tmp_path):
    with ArchiveWriter(tmp_path, prefix="up-") as writer:
        writer.write(b"a,b\n1,2\n")
        writer.close()
        with open(writer.tmp_path, "rb") as fh:
            assert fh.read() == b"a,b\n1,2\n"
        assert writer.tmp_path.startswith(str(tmp_path / "tmp" / "up-"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # left without commit: discarded


def test_an_archive_that_cannot_be_created_is_an_oserror(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a folder")
    with pytest.raises(OSError):
        ArchiveWriter(blocker)


def test_discarding_on_a_full_disk_still_removes_the_temporary_file(tmp_path):
    # /dev/full refuses every flush with ENOSPC, as a full archive disk does: the bytes still buffered
    # when the writer is discarded cannot be written, and discarding must not raise for it.
    writer = ArchiveWriter(tmp_path)
    tmp_file = writer._fh
    writer._fh = open("/dev/full", "wb")  # noqa: SIM115 - closed by discard
    tmp_file.close()
    writer.write(b"x" * 100)
    writer.discard()
    assert writer._fh.closed
    assert list((tmp_path / "tmp").iterdir()) == []


def test_copy_missing_copies_only_what_the_target_lacks_and_leaves_a_corrupt_file_out(tmp_path):
    from plumbing.archive import copy_missing, stored

    source, target = tmp_path / "source", tmp_path / "target"
    kept = [archive(io.BytesIO(DATA + bytes([n])), source) for n in range(3)]
    (source / "tmp").mkdir(exist_ok=True)
    (source / "tmp" / "tmp-half").write_bytes(b"half a file")  # never a complete file: not copied
    first = copy_missing(source, target)
    assert (first.files, first.copied, first.corrupt) == (3, 3, [])
    assert first.bytes == sum(k.size for k in kept)
    assert sorted(p.name for p in stored(target)) == sorted(k.sha256 for k in kept)
    again = copy_missing(source, target)
    assert (again.files, again.copied) == (3, 0)
    bad = archive(io.BytesIO(b"will rot"), source)
    with open(bad.path, "wb") as fh:
        fh.write(b"rotten")
    third = copy_missing(source, target)
    assert (third.files, third.copied, third.corrupt) == (4, 0, [bad.sha256])
    assert not address(target, bad.sha256).exists()
    assert list((target / "tmp").iterdir()) == []


def test_a_lazy_writer_makes_its_file_only_when_bytes_come(tmp_path):
    with ArchiveWriter(tmp_path, lazy=True) as unused:
        unused.close()  # a link check answered 304: nothing written, nothing to make or unlink
        assert unused.tmp_path is None
    assert list((tmp_path / "tmp").iterdir()) == []
    with ArchiveWriter(tmp_path, lazy=True) as writer:
        writer.write(DATA[:10])
        writer.write(DATA[10:])
        writer.close()
        assert open(writer.tmp_path, "rb").read() == DATA
        stored = writer.commit()
    assert stored == archive(io.BytesIO(DATA), tmp_path)
    with ArchiveWriter(tmp_path, lazy=True) as empty:  # an empty body is a file too
        assert empty.commit().sha256 == hashlib.sha256(b"").hexdigest()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_lazy_writer_still_says_at_once_when_the_archive_cannot_be_made(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the archive folder should be")
    with pytest.raises(OSError):
        ArchiveWriter(blocker / "archive", lazy=True)
