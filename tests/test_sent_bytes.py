"""The bytes that travel, where they differ from the files' size (issue 21): Xet sends only the
chunks the Hub lacks, and the upload lines say so ("1 file, 3.0 MB (131.1 kB sent)")."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from hfsync.core.plan import Action, Operation, Plan, Policy
from hfsync.core.snapshot import LocalFile
from hfsync.engine.sync_values import SyncResult
from hfsync.ui.daemon_log import describe
from tests.helpers_git import hfsync, write_files

# No Space configuration on purpose (see test_hub_target.config).
CONFIG = (
    '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
    'allow = ["space-config:README.md"]\n'
)
SIZE = 3_000_000


def resync_with_100_bytes_changed(make_repo) -> tuple[Path, str]:
    """A 3 MB file synced, then synced again with 100 bytes changed in its middle: the output
    of the second run (JSON)."""
    noise = random.Random(7)
    data = bytearray(noise.randbytes(SIZE))
    repo = make_repo({"hfsync.toml": CONFIG, "model.bin": bytes(data)})
    first = hfsync(repo, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    assert " sent)" not in first.stdout  # new content: all of it travelled
    data[SIZE // 2 : SIZE // 2 + 100] = noise.randbytes(100)
    write_files(repo, {"model.bin": bytes(data)})
    second = hfsync(repo, "run")
    assert second.returncode == 0, second.stdout + second.stderr
    return repo, second.stdout


@pytest.mark.usefixtures("hub", "env")
def test_a_xet_resync_says_how_few_bytes_travelled(make_repo) -> None:
    repo, out = resync_with_100_bytes_changed(make_repo)
    found = re.search(r"^space: uploaded 1 file, 3\.0 MB \(([\d.]+) kB sent\)$", out, re.MULTILINE)
    assert found, out
    assert float(found[1]) < 1000  # kB: a few chunks, not the file

    write_files(repo, {"model.bin": b"\0" * SIZE})
    done = hfsync(repo, "run", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    sent = json.loads(done.stdout)["targets"][0]["sent_bytes"]
    assert 0 < sent < SIZE // 10  # zeros compress


@pytest.mark.legacy_lfs
@pytest.mark.usefixtures("hub", "env")
def test_legacy_lfs_uploads_say_nothing_about_bytes_sent(make_repo) -> None:
    _repo, out = resync_with_100_bytes_changed(make_repo)
    assert "sent)" not in out and "space: committed " in out


def test_watch_names_the_bytes_sent_in_its_commit_line() -> None:
    upload = Operation(
        Action.UPLOAD, "model.bin", "changed", LocalFile("model.bin", SIZE, "a" * 40)
    )
    plan = Plan("head", (upload,), 0, False, Policy())
    _event, message, fields = describe(
        SyncResult("space", "worktree", plan, "c" * 40, sent_bytes=68_000)
    )
    assert message == f"committed {'c' * 12}: uploaded model.bin; 1 file, 3.0 MB (68.0 kB sent)"
    assert fields["sent_bytes"] == 68_000
    _event, message, _fields = describe(SyncResult("space", "worktree", plan, "c" * 40))
    assert message == f"committed {'c' * 12}: uploaded model.bin"


@pytest.mark.usefixtures("hub", "env")
def test_the_bytes_sent_count_every_inline_file_whatever_preupload_call_took_it(
    make_repo,
) -> None:
    """Small files travel inline with the commit: all of them count, not only those that
    happened to share a preupload call with a Xet upload (a 50,000-file first sync said
    "113.4 MB (1.3 MB sent)")."""
    repo, _out = resync_with_100_bytes_changed(make_repo)
    data = bytearray((repo / "model.bin").read_bytes())
    data[:100] = bytes(100)
    small = {f"data/{i:04}.txt": f"{i:04}".encode() * 250 for i in range(3000)}  # 1,000 B each
    write_files(repo, {"model.bin": bytes(data), **small})
    done = hfsync(repo, "run", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    sent = json.loads(done.stdout)["targets"][0]["sent_bytes"]
    assert 3000 * 1000 <= sent < 3000 * 1000 + SIZE // 10  # the small files whole, a few chunks
