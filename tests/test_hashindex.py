"""The content-hash cache: stat-keyed reuse, racy entries, corruption, concurrent writers."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hfsync.local.hashindex import INDEX_NAME, VERSION, FileHashes, HashIndex, git_blob_sha1
from tests.helpers_git import write


@pytest.fixture
def git_dir(tmp_path: Path) -> Path:
    directory = tmp_path / ".git"
    directory.mkdir()
    return directory


def hash_file(index: HashIndex, file: Path, *, sha256: bool = False) -> tuple[FileHashes, bool]:
    return index.hash_file(file.name, file, os.stat(file), sha256=sha256)


def saved(git_dir: Path) -> dict[str, list[object]]:
    document = json.loads((git_dir / "hfsync" / INDEX_NAME).read_text())
    assert document["version"] == VERSION
    entries: dict[str, list[object]] = document["entries"]
    return entries


def test_a_file_is_read_once_then_served_by_its_stat(tmp_path: Path, git_dir: Path) -> None:
    file = write(tmp_path, "data.bin", b"some bytes")
    index = HashIndex.load(git_dir)

    first, first_read = index.hash_file("data.bin", file, os.stat(file), sha256=True)
    second, second_read = index.hash_file("data.bin", file, os.stat(file), sha256=False)

    assert (first_read, second_read) == (True, False)
    assert second == first
    assert first.sha1 == git_blob_sha1(b"some bytes")
    assert first.sha256 == hashlib.sha256(b"some bytes").hexdigest()
    assert not first.racy


def test_the_index_survives_a_save_and_load(tmp_path: Path, git_dir: Path) -> None:
    file = write(tmp_path, "data.bin", b"some bytes")
    index = HashIndex.load(git_dir)
    entry, _ = hash_file(index, file)
    index.save({"data.bin"})

    assert hash_file(HashIndex.load(git_dir), file) == (entry, False)
    assert {p.name for p in (git_dir / "hfsync").iterdir()} == {INDEX_NAME, "hashindex.lock"}


def test_a_touched_but_unchanged_file_keeps_its_sha256(tmp_path: Path, git_dir: Path) -> None:
    file = write(tmp_path, "model.bin", b"weights")
    index = HashIndex.load(git_dir)
    first, _ = hash_file(index, file, sha256=True)

    write(tmp_path, "model.bin", b"weights", age_s=5)  # same bytes, new mtime
    touched, was_read = hash_file(index, file)

    assert was_read
    assert touched.sha256 == first.sha256

    write(tmp_path, "model.bin", b"WEIGHTS", age_s=4)
    changed, _ = hash_file(index, file)
    assert changed.sha256 is None
    assert changed.sha1 == git_blob_sha1(b"WEIGHTS")


def test_asking_for_sha256_reads_a_file_cached_without_it(tmp_path: Path, git_dir: Path) -> None:
    file = write(tmp_path, "model.bin", b"weights")
    index = HashIndex.load(git_dir)
    hash_file(index, file)

    entry, was_read = hash_file(index, file, sha256=True)

    assert was_read
    assert entry.sha256 == hashlib.sha256(b"weights").hexdigest()


def test_a_racy_entry_is_stored_but_read_again(tmp_path: Path, git_dir: Path) -> None:
    file = write(tmp_path, "fresh.txt", "just written", age_s=0)
    index = HashIndex.load(git_dir)

    entry, _ = hash_file(index, file)
    index.save({"fresh.txt"})

    assert entry.racy
    assert saved(git_dir)["fresh.txt"][-1] is True
    assert hash_file(HashIndex.load(git_dir), file)[1] is True


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xffgarbage",
        b'{"version": 1, "entries": {"a": [1, 2]}}',
        b'{"version": 1, "entries": {"a": [1, 2, 3, "x", "y", null, "not a bool"]}}',
        b'{"version": 1}',
        b"[]",
        json.dumps({"version": VERSION + 1, "entries": {}}).encode(),
    ],
    ids=["garbage", "short-row", "bad-type", "no-entries", "not-an-object", "other-version"],
)
def test_a_corrupt_or_foreign_index_is_rebuilt_silently(
    tmp_path: Path, git_dir: Path, content: bytes
) -> None:
    (git_dir / "hfsync").mkdir()
    (git_dir / "hfsync" / INDEX_NAME).write_bytes(content)
    file = write(tmp_path, "a", b"bytes")

    index = HashIndex.load(git_dir)
    assert hash_file(index, file)[1] is True
    index.save({"a"})

    assert saved(git_dir)["a"][4] == git_blob_sha1(b"bytes")


def test_save_drops_entries_of_paths_that_no_longer_exist(tmp_path: Path, git_dir: Path) -> None:
    index = HashIndex.load(git_dir)
    for name in ("kept", "gone"):
        hash_file(index, write(tmp_path, name, name))
    index.save({"kept"})

    assert list(saved(git_dir)) == ["kept"]
    assert [p.suffix for p in (git_dir / "hfsync").iterdir() if p.suffix == ".tmp"] == []


def test_a_failed_save_costs_time_not_the_run(
    tmp_path: Path, git_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (git_dir / "hfsync").write_text("a file where the directory should be")
    index = HashIndex.load(git_dir)
    hash_file(index, write(tmp_path, "a", "a"))

    index.save({"a"})  # raises nothing

    assert f"cannot write hfsync's caches in {git_dir / 'hfsync'}" in caplog.text
    assert "going on without them" in caplog.text


WRITER = """
import os, sys
from pathlib import Path
from hfsync.local.hashindex import HashIndex

git_dir, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
keep = {f"{t}{i}" for t in "ab" for i in range(count)}
for round in range(20):
    index = HashIndex.load(git_dir)
    for i in range(count):
        file = git_dir.parent / f"{tag}{i}"
        file.write_text(f"{tag}{i} round {round}")
        index.hash_file(file.name, file, os.stat(file), sha256=False)
    index.save(keep)
"""


def test_two_processes_updating_the_index_leave_a_valid_file(tmp_path: Path, git_dir: Path) -> None:
    count = 30
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(git_dir), tag, str(count)])
        for tag in "ab"
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]

    entries = saved(git_dir)
    assert sorted(entries) == sorted(f"{tag}{i}" for tag in "ab" for i in range(count))
    for name, row in entries.items():
        assert row[4] == git_blob_sha1((tmp_path / name).read_bytes())
