"""Counted progress: the bytes the hash index really reads, shown as files and bytes on a
terminal, never as `\\r` frames when piped, and nothing counted when nothing is read."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from hfsync.local.source import read_source
from tests.helpers_git import hfsync

GIT_TARGET = '[[targets]]\nname = "git"\nurl = "{url}"\n'


class Recorder:
    """A meter that keeps every task's totals and what was advanced."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, object]] = []

    def __call__(self, what: str, files: int, size: int) -> Recorder:
        self.tasks.append({"what": what, "files": files, "size": size, "done": [0, 0]})
        return self

    def advance(self, size: int = 0, files: int = 0) -> None:
        done = self.tasks[-1]["done"]
        assert isinstance(done, list)
        done[0] += size
        done[1] += files

    def close(self) -> None:
        self.tasks[-1]["closed"] = True


def untracked_repo(make_repo, tmp_path: Path, count: int, size: int) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "remote.git")], check=True)
    repo = make_repo({"hfsync.toml": GIT_TARGET.format(url=tmp_path / "remote.git")})
    for i in range(count):  # untracked: git knows no blob id, so the hash index reads them
        folder = repo / "data" / str(i % 10)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.bin").write_bytes(bytes([i % 251]) * size)
    return repo


def test_the_hash_index_counts_the_bytes_it_reads_and_nothing_when_it_reads_nothing(
    make_repo, tmp_path: Path
) -> None:
    repo = untracked_repo(make_repo, tmp_path, 30, 70_000)
    meter = Recorder()
    dict(read_source(repo, None, lambda path: True, meter).files)  # listed when first asked
    (task,) = meter.tasks
    assert task == {
        "what": "hashing",
        "files": 30,
        "size": 30 * 70_000,
        "done": [30 * 70_000, 30],
        "closed": True,
    }
    # Files the index knows (stat unchanged, not racy) are not read: no task at all.
    for file in (repo / "data").rglob("*.bin"):
        os.utime(file, ns=(1_000_000_000, 1_000_000_000))
    dict(read_source(repo, None, lambda path: True, Recorder()).files)  # re-hashed: new mtimes
    again = Recorder()
    dict(read_source(repo, None, lambda path: True, again).files)
    assert again.tasks == []


def run_on_a_terminal(repo: Path, *args: str) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal; everything it drew."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hfsync", *args],
        cwd=repo,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "COLUMNS": "200", "TERM": "xterm"},
    )
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    assert proc.wait(timeout=120) == 0, out.decode(errors="replace")
    os.close(master)
    return out.decode(errors="replace")


def test_a_terminal_shows_hashing_progress_with_files_and_bytes(make_repo, tmp_path: Path) -> None:
    repo = untracked_repo(make_repo, tmp_path, 200, 50_000)
    drawn = run_on_a_terminal(repo, "run", "--dry-run")
    frames = re.findall(r"hashing ([\d,]+)/200 files, ([\d.]+ k?M?B)/10\.0 MB", drawn)
    assert frames, drawn
    assert "\r" in drawn  # redrawn in place
    assert "git: dry run: nothing written" in drawn


def test_piped_output_has_no_frames_and_no_hashing_rows(make_repo, tmp_path: Path) -> None:
    repo = untracked_repo(make_repo, tmp_path, 200, 50_000)
    done = hfsync(repo, "run", "--dry-run", env={"HFSYNC_PROGRESS_INTERVAL": "0.1"})
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout + done.stderr
    # A reminder line, when hashing lasts long enough for one, is a plain line with the counts.
    for line in done.stderr.splitlines():
        if "hashing" in line:
            assert re.fullmatch(
                r"\.\.\. planning git .*: hashing [\d,]+/200 files, .* \(\d+ s\)", line
            )


def test_large_uploads_are_counted_batch_by_batch_as_the_hub_takes_them(
    make_repo, hub, env, monkeypatch
) -> None:
    from hfsync.engine.sync import run_sync
    from hfsync.engine.sync_values import SyncOptions
    from hfsync.remotes import hub_upload as hub_remote
    from tests.conftest import open_first_target

    monkeypatch.setattr(hub_remote, "UPLOAD_BATCH", 3 << 20)
    big = {f"big/{i}.bin": bytes([i]) * (2 << 20) for i in range(3)}
    config = (
        '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
        'allow = ["space-config:README.md"]\n'
    )
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n", **big})
    target = open_first_target(repo)
    meter = Recorder()
    source = read_source(repo, None, target.scope.includes)
    before = hub.control.count("POST", "/preupload/")
    result = run_sync(target, source, SyncOptions(meter=meter))
    assert result.commit is not None
    (task,) = meter.tasks
    assert task == {
        "what": "sent",
        "files": 3,
        "size": 3 * (2 << 20),
        "done": [3 * (2 << 20), 3],
        "closed": True,
    }
    assert hub.control.count("POST", "/preupload/") - before == 3  # one per batch of 3 MB
    assert set(big) <= set(hub_remote_files(target))


def test_large_files_in_later_batches_follow_the_gitignore_being_committed(
    make_repo, hub, env, monkeypatch
) -> None:
    """The Hub decides what a `.gitignore` drops with each preupload call; the client sends the
    new `.gitignore` only with the call that uploads it. Large files sent in later batches must
    be judged by it too, not by the one on the branch (which would drop them)."""
    from hfsync.engine.sync import run_sync
    from hfsync.engine.sync_values import SyncOptions
    from hfsync.remotes import hub_upload as hub_remote
    from tests.conftest import open_first_target
    from tests.helpers_git import commit_all, write_files

    monkeypatch.setattr(hub_remote, "UPLOAD_BATCH", 3 << 20)
    config = (
        '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
        'allow = ["space-config:README.md"]\n'
    )
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n", ".gitignore": "big/\n"})
    target = open_first_target(repo)
    assert run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    big = {f"big/{i}.bin": bytes([i]) * (2 << 20) for i in range(3)}
    write_files(repo, {".gitignore": "*.tmp\n", **big})
    commit_all(repo, "weights, and big/ no longer ignored")

    target = open_first_target(repo)
    source = read_source(repo, None, target.scope.includes)
    result = run_sync(target, source, SyncOptions(meter=Recorder()))

    assert result.commit is not None
    assert set(big) <= set(hub_remote_files(target))


def hub_remote_files(target) -> list[str]:
    head = target.remote.head()
    return list(target.remote.tree(head)) if head else []


def test_without_a_meter_or_under_the_batch_size_uploads_go_in_one_preupload(
    make_repo, hub, env
) -> None:
    from hfsync.engine.sync import run_sync
    from hfsync.engine.sync_values import SyncOptions
    from tests.conftest import open_first_target

    config = (
        '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
        'allow = ["space-config:README.md"]\n'
    )
    files = {"app.py": "print(1)\n", "big/0.bin": b"\1" * (2 << 20), "big/1.bin": b"\2" * (2 << 20)}
    repo = make_repo({"hfsync.toml": config, **files})
    target = open_first_target(repo)
    meter = Recorder()
    before = hub.control.count("POST", "/preupload/")
    run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions(meter=meter))
    assert meter.tasks == []  # 4 MB of large files: one batch, nothing to count batch by batch
    assert hub.control.count("POST", "/preupload/") - before == 1


def test_a_note_on_a_terminal_gets_a_line_of_its_own_above_the_live_line(
    make_repo, tmp_path: Path
) -> None:
    """`-v` notes (here: why the plan was made in full) and warnings are printed while the
    spinner line is drawn: each must land on a line of its own, not glued to the spinner's."""
    repo = untracked_repo(make_repo, tmp_path, 5, 10)
    drawn = run_on_a_terminal(repo, "run", "-v")
    assert "planned in full" in drawn, drawn
    for line in re.split(r"[\r\n]", drawn):
        if "planned in full" in line:
            visible = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line)
            assert visible.startswith("hfsync: git: planned in full:"), repr(line)
