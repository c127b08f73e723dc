"""What a first sync to a new Space costs (issue 23, G6: at least as fast as `upload_folder`):
the requests it makes and the work it does not repeat, through the CLI against the test Hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.testing.hub import TestHub
from hfsync.validate.secrets import Scanned
from tests.helpers_git import commit_all, hfsync, write_files

REPO = "user/demo"
PLANTED = "hf_" + "Zq8LmW2xTp5VnR7yKd3FhJ6sBc9GaE4uNt"  # made up, the shape of a token
README = "---\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"


def config() -> str:
    return f'[[targets]]\nname = "space"\nrepo = "{REPO}"\ncreate = true\n'


def calls(hub: TestHub) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in hub.control.requests()]


def test_a_first_sync_reads_the_missing_head_once_before_creating_the_space(
    make_repo, hub: TestHub, env
) -> None:
    repo: Path = make_repo({"hfsync.toml": config(), "README.md": README, "app.py": "print(1)\n"})
    hub.control.clear_log()

    done = hfsync(repo, "run", "--rev", "HEAD")

    assert done.returncode == 0, done.stderr
    made = calls(hub)
    create = made.index(("POST", "/api/repos/create"))
    assert made[:create] == [("GET", f"/api/spaces/{REPO}/revision/main")], made
    assert made[create + 1] == ("GET", f"/api/spaces/{REPO}/revision/main"), made


def test_a_plan_checked_again_scans_no_file_twice_and_keeps_what_it_found(
    make_repo, tmp_path: Path
) -> None:
    """A sync that creates its repo checks its plan before creating it and again once it
    exists: the second secret scan takes the first one's answers for the same path and bytes
    (it reads no file), finds the same, and scans a file whose bytes changed afresh."""
    from hfsync.core.plan import Policy
    from hfsync.engine.planning import snapshot
    from hfsync.local.source import read_source
    from hfsync.validate import findings_for
    from tests.conftest import open_first_target

    config = f'[[targets]]\nname = "g"\nurl = "{tmp_path / "remote.git"}"\ncreate = true\n'
    files: dict[str, str | bytes] = {f"app/{i}.py": f"X = {i}\n" for i in range(20)}
    repo = make_repo({"hfsync.toml": config, "app/key.py": f'TOKEN = "{PLANTED}"\n', **files})
    target = open_first_target(repo)

    def check(scanned: Scanned) -> tuple[list[str], int]:
        source = read_source(repo, "HEAD", target.scope.includes)  # nothing read yet
        snap = snapshot(target, source, Policy())
        found = findings_for(target, source, snap.plan, snap.text.paths, scanned)
        return [str(f) for f in found], source.files_read

    scanned: Scanned = {}
    first, read = check(scanned)
    assert first == [
        "app/key.py:1: looks like a Hugging Face token [secret]; remove it from the file and "
        "revoke it; read it from an environment variable or the Space's secrets"
    ]
    assert read == 22  # every file in scope: hfsync.toml too
    assert check(scanned) == (first, 0)

    write_files(repo, {"app/3.py": f'KEY = "{PLANTED}"\n'})
    commit_all(repo)
    again, read = check(scanned)
    assert read == 1
    assert sorted(again) == sorted([*first, first[0].replace("app/key.py", "app/3.py")])


def test_the_working_tree_is_staged_once_per_source(make_repo) -> None:
    """A plan made again in the same sync (after creating the repo, or when the remote moved)
    takes the tree git staged for the first plan, as it takes the first listing: a file saved
    since is the next sync's change, on both counts."""
    from hfsync.local.source import read_source

    repo: Path = make_repo({"app.py": "print(1)\n"})
    source = read_source(repo, None, lambda path: True)
    staged = source.git_tree()
    assert isinstance(staged, str)
    assert dict(source.files).keys() == {"app.py"}
    write_files(repo, {"app.py": "print(2)\n", "new.py": "print(3)\n"})
    assert source.git_tree() == staged
    assert dict(source.files).keys() == {"app.py"}
    assert read_source(repo, None, lambda path: True).git_tree() not in (staged, None)


def test_a_file_is_read_whole_whatever_size_was_listed(tmp_path: Path) -> None:
    """Source reads a file with as few system calls as it can, its listed size as a hint: the
    whole file comes back when it grew or shrank since (the blob check then says it changed)."""
    from hfsync.local.source import _read_file

    file = tmp_path / "f.bin"
    for data in (b"", b"x", b"0123456789" * 1000, bytes(range(256)) * 9000):
        file.write_bytes(data)
        for hint in (0, 1, len(data) - 1, len(data), len(data) + 5):
            assert _read_file(str(file), max(hint, 0)) == data


def staged_repo(make_repo) -> Path:
    """Tracked, modified, deleted, executable, ignored and untracked files, in folders."""
    repo: Path = make_repo(
        {
            ".gitignore": "*.log\n",
            "a.txt": "alpha\n",
            "src/b.py": "print(1)\n",
            "src/run.sh": "#!/bin/sh\n",
            "gone.txt": "soon deleted\n",
        }
    )
    (repo / "src/run.sh").chmod(0o755)
    commit_all(repo, "executable")
    write_files(repo, {"a.txt": "alpha, edited\n", "new/c.txt": "untracked\n", "x.log": "no\n"})
    (repo / "gone.txt").unlink()
    return repo


def test_a_staged_working_tree_is_listed_from_its_tree_as_it_is_read(
    make_repo, monkeypatch
) -> None:
    """Once git staged the working tree (as a plan does first), its listing is that tree's:
    no file is read for it (git hashed the edited and the untracked ones), and it equals the
    working tree read from disk (HFSYNC_VERIFY_PLAN, the test suite's default, holds the two
    equal; HFSYNC_FULL_PLAN reads from disk)."""
    from hfsync.local.source import read_source

    repo = staged_repo(make_repo)
    monkeypatch.delenv("HFSYNC_VERIFY_PLAN")
    staged = read_source(repo, None, lambda path: True)
    assert isinstance(staged.git_tree(), str)
    listed = dict(staged.files.items())
    assert staged.files_read == 0 and staged.fingerprintable

    read = read_source(repo, None, lambda path: True)
    assert dict(read.files.items()) == listed
    assert sorted(listed) == [".gitignore", "a.txt", "new/c.txt", "src/b.py", "src/run.sh"]
    assert read.files_read == 2  # the edited and the untracked file, hashed by hfsync
    assert listed["src/run.sh"].mode == "100755"

    monkeypatch.setenv("HFSYNC_FULL_PLAN", "1")
    full = read_source(repo, None, lambda path: True)
    full.git_tree()
    assert dict(full.files.items()) == listed and full.files_read == 2


def test_a_file_changed_between_staging_and_listing_stops_a_verified_run(make_repo) -> None:
    """HFSYNC_VERIFY_PLAN lists the staged tree and reads the working tree: a difference (here
    a file saved between the two) is an error, before anything is written."""
    from hfsync.core.errors import HfsyncError
    from hfsync.local.source import read_source

    repo = staged_repo(make_repo)
    source = read_source(repo, None, lambda path: True)
    source.git_tree()
    write_files(repo, {"src/b.py": "print(2)\n"})
    with pytest.raises(HfsyncError, match=r"staged it differs .*\['src/b.py'\]"):
        dict(source.files.items())


def test_a_symlink_in_scope_is_listed_from_the_working_tree(make_repo, monkeypatch) -> None:
    from hfsync.local.source import read_source

    repo = staged_repo(make_repo)
    (repo / "link.txt").symlink_to("a.txt")
    monkeypatch.delenv("HFSYNC_VERIFY_PLAN")
    source = read_source(repo, None, lambda path: True)
    assert isinstance(source.git_tree(), str)
    assert source.files["link.txt"].sha1 == source.files["a.txt"].sha1  # the file it names
    assert source.files_read == 3 and not source.fingerprintable  # the link's file too
