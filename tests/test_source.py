"""Source snapshots over real git repositories: listing, blob ids, the cache, filters, symlinks."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hfsync.core.errors import SourceError
from hfsync.local.hashindex import git_blob_sha1
from hfsync.local.repository import find_repo_root
from hfsync.local.source import list_paths, read_source
from tests.helpers_git import commit_all, git, hash_object, init_repo, write


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo", {"a.txt": "alpha\n", "src/b.py": "print('b')\n"})


def everything(path: str) -> bool:
    return True


def index_entries(repo: Path) -> dict[str, list[object]]:
    document = json.loads((repo / ".git" / "hfsync" / "hashindex.json").read_text())
    entries: dict[str, list[object]] = document["entries"]
    return entries


# --- finding the repository and listing paths ---


def test_find_repo_root_from_a_subdirectory(repo: Path) -> None:
    assert find_repo_root(repo / "src") == repo


def test_find_repo_root_outside_a_repository_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SourceError, match=r"not inside a git repository: .*plain; run hfsync"):
        find_repo_root(plain)


def test_a_repository_git_will_not_work_in_is_refused_with_gits_reason(repo: Path) -> None:
    """Found by git itself (`rev-parse`): where git refuses to work (here inside .git, where
    there is no work tree; likewise a repository of another owner), its reason is the error."""
    with pytest.raises(SourceError, match=r"git cannot work in .*\.git: .*work tree"):
        find_repo_root(repo / ".git")
    assert find_repo_root(repo) == repo


def test_without_git_on_the_path_the_error_says_so(repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-such-folder"))
    with pytest.raises(SourceError, match=r"^git is not installed \(not on PATH\)"):
        find_repo_root(repo)


def test_list_paths_worktree_is_tracked_plus_untracked_not_ignored(repo: Path) -> None:
    write(repo, ".gitignore", "*.log\nbuild/\n")
    write(repo, "debug.log", "ignored")
    write(repo, "build/out.bin", "ignored")
    write(repo, "src/new.py", "untracked")
    commit_all(repo)
    write(repo, "notes.md", "untracked, not ignored")
    (repo / "src" / "b.py").unlink()  # tracked, deleted from the working tree

    assert list_paths(repo, None) == [".gitignore", "a.txt", "notes.md", "src/new.py"]


def test_list_paths_rev_lists_the_commits_files(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    write(repo, "later.txt", "committed later")
    (repo / "a.txt").unlink()
    commit_all(repo)
    write(repo, "untracked.txt", "not in any commit")

    assert list_paths(repo, first) == ["a.txt", "src/b.py"]
    assert list_paths(repo, "HEAD") == ["later.txt", "src/b.py"]


def test_submodules_are_not_listed(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/lib")
    git(repo, "commit", "-q", "-m", "add a submodule")
    (repo / "vendor" / "lib").mkdir(parents=True)

    assert list_paths(repo, "HEAD") == ["a.txt", "src/b.py"]
    assert list_paths(repo, None) == ["a.txt", "src/b.py"]
    assert sorted(read_source(repo, None, everything).files) == ["a.txt", "src/b.py"]


def test_names_with_spaces_and_unicode(repo: Path) -> None:
    tracked = ["dir with space/é ü.txt", "日本語.md", "quote\"and'tab\t.txt"]
    for path in tracked:
        write(repo, path, f"content of {path}\n")
    commit_all(repo)
    write(repo, "nouveau dossier/naïve.txt", "untracked\n")

    expected = sorted([*tracked, "a.txt", "src/b.py"])
    assert list_paths(repo, "HEAD") == expected
    assert list_paths(repo, None) == sorted([*expected, "nouveau dossier/naïve.txt"])
    source = read_source(repo, None, everything)
    for path in [*tracked, "nouveau dossier/naïve.txt"]:
        assert source.files[path].sha1 == hash_object(repo, path)


def test_unknown_revision_is_refused(repo: Path) -> None:
    with pytest.raises(SourceError, match="unknown revision 'nope': "):
        read_source(repo, "nope", everything)
    with pytest.raises(SourceError, match="unknown revision '--all'"):
        list_paths(repo, "--all")


# --- blob ids ---


def test_sha1s_equal_git_hash_object_for_clean_modified_and_untracked(repo: Path) -> None:
    write(repo, "a.txt", "alpha, modified\n")
    write(repo, "new.txt", "untracked\n")

    source = read_source(repo, None, everything)

    assert source.commit is None
    assert source.label == "worktree"
    assert sorted(source.files) == ["a.txt", "new.txt", "src/b.py"]
    for path, local in source.files.items():
        assert local.sha1 == hash_object(repo, path)
        assert local.size == (repo / path).stat().st_size
    assert source.files_read == 2  # the modified and the untracked file; the clean one is git's


def test_rev_mode_takes_sizes_and_sha1s_from_ls_tree(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    source = read_source(repo, "main", everything)

    assert source.commit == head
    assert source.label == head
    for record in git(repo, "ls-tree", "-r", "-l", "HEAD").splitlines():
        info, path = record.split("\t")
        _mode, _kind, sha1, size = info.split()
        assert (source.files[path].sha1, source.files[path].size) == (sha1, int(size))
    assert source.files_read == 0


def test_read_many_reads_a_commits_blobs_exactly(tmp_path: Path) -> None:
    """The bytes of many blobs of a commit (as a first sync or a secret scan of a commit reads
    them): empty, binary with newlines and NULs, two paths with one blob; each counted as read."""
    binary = bytes(range(256)) * 3 + b"\n\n"
    files: dict[str, str | bytes] = {"empty": "", "bin": binary, "a": "same\n", "b": "same\n"}
    repo = init_repo(tmp_path / "repo", files)
    source = read_source(repo, "HEAD", lambda path: True)

    read = list(source.read_many(["empty", "bin", "a", "b", "a"]))

    assert read == [
        ("empty", b""),
        ("bin", binary),
        ("a", b"same\n"),
        ("b", b"same\n"),
        ("a", b"same\n"),
    ]
    assert source.files_read == 5


def test_include_is_applied_before_hashing(repo: Path) -> None:
    write(repo, "space/app.py", "in scope\n")
    write(repo, "secret.env", "out of scope\n")

    source = read_source(repo, None, lambda path: path.startswith("space/"))

    assert list(source.files) == ["space/app.py"]
    assert source.files_read == 1
    assert list(index_entries(repo)) == ["space/app.py"]


# --- the hash index ---


def test_unchanged_second_read_reads_no_content(tmp_path: Path) -> None:
    tracked = {f"tracked/{i:04}.txt": f"tracked {i}\n" for i in range(1000)}
    repo = init_repo(tmp_path / "big", tracked)
    for i in range(1000):
        write(repo, f"untracked/{i:04}.txt", f"untracked {i}\n")

    cold = read_source(repo, None, everything)
    warm = read_source(repo, None, everything)

    assert len(cold.files) == 2000
    assert cold.files_read == 1000  # only the untracked files; git vouches for the others
    assert warm.files_read == 0
    assert warm.files == cold.files


def test_a_file_with_unchanged_stat_is_not_read_again(repo: Path) -> None:
    file = write(repo, "untracked.txt", "original\n")
    before = read_source(repo, None, everything).files["untracked.txt"]
    st = file.stat()

    with open(file, "r+b") as stream:  # same inode, same size, other bytes
        stream.write(b"REWRITTE")
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert file.stat().st_ino == st.st_ino
    cached = read_source(repo, None, everything)

    assert cached.files["untracked.txt"] == before  # the stale id proves it was not read
    assert cached.files_read == 0
    assert before.sha1 != hash_object(repo, "untracked.txt")

    write(repo, "untracked.txt", "a longer content\n")
    reread = read_source(repo, None, everything)
    assert reread.files["untracked.txt"].sha1 == hash_object(repo, "untracked.txt")
    assert reread.files_read == 1


def test_a_file_modified_just_before_hashing_is_hashed_again(repo: Path) -> None:
    write(repo, "fresh.txt", "just written\n", age_s=0)

    assert read_source(repo, None, everything).files_read == 1
    # Its mtime was within the racy window when it was hashed: the stat alone is not trusted.
    assert read_source(repo, None, everything).files_read == 1


def test_assume_unchanged_file_is_hashed_from_disk(repo: Path) -> None:
    git(repo, "update-index", "--assume-unchanged", "a.txt")
    write(repo, "a.txt", "changed behind git's back\n")

    source = read_source(repo, None, everything)

    assert source.files["a.txt"].sha1 == hash_object(repo, "a.txt")


def test_hash_index_lives_in_the_git_dir_of_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    write(linked, "untracked.txt", "in the linked worktree\n")

    source = read_source(find_repo_root(linked), None, everything)

    assert source.files["untracked.txt"].sha1 == hash_object(linked, "untracked.txt")
    git_dir = Path(git(linked, "rev-parse", "--absolute-git-dir"))
    assert (git_dir / "hfsync" / "hashindex.json").is_file()
    assert not (repo / ".git" / "hfsync").exists()


# --- git filters ---


@pytest.mark.parametrize(
    ("attributes", "config", "files_read"),
    [
        ("* text=auto\n", {}, 2),
        ("*.txt eol=crlf\n", {}, 1),
        ("*.txt filter=upper\n", {"filter.upper.clean": "tr a-z A-Z"}, 1),
        ("", {"core.autocrlf": "true"}, 2),
    ],
    ids=["text-auto", "eol-crlf", "filter", "autocrlf"],
)
def test_a_file_git_filters_is_hashed_from_its_bytes(
    tmp_path: Path, attributes: str, config: dict[str, str], files_read: int
) -> None:
    repo = init_repo(tmp_path / "repo")
    for name, value in config.items():
        git(repo, "config", name, value)
    write(repo, ".gitattributes", attributes)
    write(repo, "dos.txt", b"line one\r\nline two\r\n")
    write(repo, "plain.bin", b"\x00binary, left alone")
    git(repo, "-c", "core.safecrlf=false", "add", "-A")
    git(repo, "commit", "-q", "-m", "filtered")
    index_sha1 = git(repo, "rev-parse", ":dos.txt")

    source = read_source(repo, None, lambda path: path != ".gitattributes")

    disk = (repo / "dos.txt").read_bytes()
    assert index_sha1 != git_blob_sha1(disk)  # git's blob is not the bytes on disk
    assert source.files["dos.txt"].sha1 == git_blob_sha1(disk)
    assert source.files["dos.txt"].size == len(disk)
    assert source.files["plain.bin"].sha1 == hash_object(repo, "plain.bin")
    assert source.files_read == files_read  # a file no conversion applies to is git's to vouch for


# --- commits ---


def test_rev_mode_works_with_the_working_tree_deleted(repo: Path) -> None:
    before = read_source(repo, "HEAD", everything)
    for child in repo.iterdir():
        if child.is_dir() and child.name != ".git":
            shutil.rmtree(child)
        elif child.is_file():
            child.unlink()

    after = read_source(repo, "HEAD", everything)

    assert after.files == before.files
    assert after.files_read == 0
    assert after.local_file_path("a.txt") is None
    assert after.read_bytes("a.txt") == b"alpha\n"  # a trailing newline survives
    after.fill_sha256(["a.txt"])
    assert after.files["a.txt"].sha256 == hashlib.sha256(b"alpha\n").hexdigest()
    assert after.files_read == 2


# --- symlinks ---

LINK_CASES = {
    "in-repo": ("../dir/target.txt", None),
    "normalised": ("./../links/../dir//target.txt", None),
    "through-a-linked-dir": ("../via/target.txt", None),
    "outside": ("../../outside.txt", "leaves the repository"),
    "absolute": ("/etc/hostname", "leaves the repository"),
    "directory": ("../dir", "points to a directory"),
    "dangling": ("missing.txt", "does not point to an existing file"),
}


@pytest.mark.parametrize("rev", [None, "HEAD"], ids=["worktree", "rev"])
@pytest.mark.parametrize("case", LINK_CASES)
def test_symlinks(tmp_path: Path, case: str, rev: str | None) -> None:
    target, refusal = LINK_CASES[case]
    (tmp_path / "outside.txt").write_text("outside the repository\n")
    repo = init_repo(tmp_path / "repo", {"dir/target.txt": "target\n"})
    (repo / "via").symlink_to("dir")
    (repo / "links").mkdir()
    (repo / "links" / "link").symlink_to(target)
    commit_all(repo)
    scope = {"links/link", "dir/target.txt"}

    if refusal is not None:
        with pytest.raises(SourceError, match=f"symlink 'links/link' -> .* {refusal}; exclude it"):
            dict(read_source(repo, rev, scope.__contains__).files)  # listed when first asked
        # A bad link out of scope is none of this target's business.
        assert "links/link" not in read_source(repo, rev, "dir/target.txt".__eq__).files
        return
    source = read_source(repo, rev, scope.__contains__)
    assert source.files["links/link"].sha1 == hash_object(repo, "dir/target.txt")
    assert source.files["links/link"].size == len("target\n")
    assert source.read_bytes("links/link") == b"target\n"


def test_symlink_into_the_git_directory_is_refused(repo: Path) -> None:
    (repo / "config-link").symlink_to(".git/config")
    with pytest.raises(
        SourceError, match=r"'config-link' -> '\.git/config' points into the \.git directory"
    ):
        dict(read_source(repo, None, everything).files)


def test_symlink_resolves_to_a_file_on_disk(repo: Path) -> None:
    (repo / "link.txt").symlink_to("a.txt")
    source = read_source(repo, None, everything)
    assert source.local_file_path("link.txt") == (repo / "a.txt").resolve()
    assert source.local_file_path("a.txt") == repo / "a.txt"


# --- bytes, SHA-256 and blobs ---


def test_read_bytes_refuses_a_file_changed_since_the_snapshot(repo: Path) -> None:
    source = read_source(repo, None, everything)
    assert source.read_bytes("a.txt") == b"alpha\n"
    write(repo, "a.txt", "changed meanwhile\n")
    with pytest.raises(SourceError, match=r"a\.txt changed while hfsync was syncing it"):
        source.read_bytes("a.txt")


def test_bytes_kept_by_one_read_serve_the_next_and_are_the_checked_ones(repo: Path) -> None:
    """The secret scan reads with keep=True and the upload reads again: each small file is read
    from disk once, and the upload gets the bytes that were checked (and scanned), even if the
    file is saved again in between. A file over KEEP_FILE_BYTES is not kept; nothing is kept
    twice."""
    from hfsync.local import source as source_module

    write(repo, "big.bin", b"x" * (source_module.KEEP_FILE_BYTES + 1))
    source = read_source(repo, None, everything)
    start = source.files_read
    scanned = dict(source.read_many(["a.txt", "src/b.py", "big.bin"], keep=True))
    assert source.files_read == start + 3
    write(repo, "a.txt", "saved again since the scan\n")

    assert source.read_bytes("a.txt") == scanned["a.txt"] == b"alpha\n"
    assert dict(source.read_many(["src/b.py"])) == {"src/b.py": b"print('b')\n"}
    assert source.read_bytes("big.bin") == scanned["big.bin"]
    assert source.files_read == start + 4  # only the big file was read again
    with pytest.raises(SourceError, match=r"a\.txt changed while hfsync"):
        source.read_bytes("a.txt")  # the kept bytes served one read


def test_a_commits_blobs_kept_by_one_read_serve_the_next(repo: Path) -> None:
    source = read_source(repo, "HEAD", everything)
    assert dict(source.read_many(["a.txt"], keep=True)) == {"a.txt": b"alpha\n"}
    assert source.files_read == 1

    again = dict(source.read_many(["a.txt", "src/b.py"]))

    assert again == {"a.txt": b"alpha\n", "src/b.py": b"print('b')\n"}
    assert source.files_read == 2


def test_fill_sha256_in_the_working_tree_is_cached(repo: Path) -> None:
    write(repo, "model.bin", b"\x00" * 5000)
    source = read_source(repo, None, everything)
    assert source.files_read == 1

    source.fill_sha256(["a.txt", "model.bin"])

    assert source.files["a.txt"].sha256 == hashlib.sha256(b"alpha\n").hexdigest()
    assert source.files["model.bin"].sha256 == hashlib.sha256(b"\x00" * 5000).hexdigest()
    assert source.files_read == 3
    again = read_source(repo, None, everything)
    again.fill_sha256(["a.txt", "model.bin"])
    assert again.files_read == 0
    assert again.files["model.bin"].sha256 == source.files["model.bin"].sha256


def test_write_blobs_puts_the_bytes_in_the_object_database(repo: Path) -> None:
    write(repo, "new.txt", "never added\n")
    (repo / "link.txt").symlink_to("new.txt")
    source = read_source(repo, None, everything)
    blob = source.files["new.txt"].sha1
    assert source.files["link.txt"].sha1 == blob
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "cat-file", "-e", blob)

    source.write_blobs(["new.txt", "link.txt"])

    git(repo, "cat-file", "-e", blob)
    assert git(repo, "cat-file", "blob", blob) == "never added"


def test_write_blobs_in_rev_mode_has_nothing_to_do(repo: Path) -> None:
    source = read_source(repo, "HEAD", everything)
    source.write_blobs(source.files)
    for local in source.files.values():
        git(repo, "cat-file", "-e", local.sha1)
