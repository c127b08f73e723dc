"""Remote edits as base -> remote patches, made by git itself, to bring them into the repository.

For each remote edit (a conflict, or a file created on the remote), the base (what hfsync last
wrote) and the remote's content are written as blobs into the source repository
(`git hash-object -w`), into two trees at their local paths (through the folder mapping), and
`git diff --binary --full-index` between the trees is the patch. The patch names the blobs it
applies to, which are in the repository, so `git apply --3way` merges the remote edit with the
repository's own edits: text with or without a final newline, binary files, created and deleted
files alike.

Also here: whether the source already holds a remote edit (brought in by such a patch, then
edited further): a 3-way merge of base, source and remote that gives back the source.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.plan import Action, Operation, Plan
from hfsync.local.gitcmd import git_output

if TYPE_CHECKING:
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

_REGULAR = "100644"


def remote_patch(target: Target, source: Source, plan: Plan, created: bool = True) -> bytes:
    """One patch (bytes: file contents need not be text) with every remote edit of the plan, from
    its base to the remote's version, at local paths; empty when there is none. `created`: also
    the remote-only files (left alone by the plan), which each cost a download."""
    edits = [op for op in plan.operations if _is_remote_edit(op, created)]
    if not edits or plan.head is None:
        return b""
    repo = source.repo_root
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for op in edits:
        local_path = target.scope.to_local(op.path) or op.path
        before = _base_content(target, source, op)
        if before is not None:
            old[local_path] = _write_blob(repo, before)
        if op.remote is not None:
            new[local_path] = _write_blob(repo, target.remote.read_file(plan.head, op.path))
    return git_output(
        repo, "diff", "--binary", "--full-index", "--no-renames",
        _write_tree(repo, old), _write_tree(repo, new),
    )  # fmt: skip


def remote_edit_diffs(target: Target, source: Source, plan: Plan) -> list[str]:
    """The conflicts' patch as text (what `run` shows when remote edits block it)."""
    return diffs_of(remote_patch(target, source, plan, created=False))


def diffs_of(patch: bytes) -> list[str]:
    """A patch as text for people and JSON (one entry; none when empty)."""
    return [patch.decode("utf-8", "replace")] if patch else []


def settle_brought_in(target: Target, source: Source, plan: Plan) -> Plan:
    """The plan, with each remote edit the source already holds turned into an upload.

    A remote edit is held by the source when merging it in (base -> remote, onto the source)
    changes nothing: the person brought it in (with `hfsync status --patch`, say) and may have
    edited further. Uploading the source then loses nothing of the remote's.
    """
    if plan.head is None or not plan.conflicts:
        return plan
    operations = []
    for op in plan.operations:
        if op.action is Action.CONFLICT and _holds_remote_edit(target, source, plan.head, op):
            op = replace(
                op, action=Action.UPLOAD, reason="edited on the remote; the source holds that edit"
            )
        operations.append(op)
    return replace(plan, operations=tuple(operations))


def _is_remote_edit(op: Operation, created: bool) -> bool:
    if op.action is Action.KEEP:
        return created and op.remote is not None
    return op.action is Action.CONFLICT


def _holds_remote_edit(target: Target, source: Source, head: str, op: Operation) -> bool:
    if op.local is None or op.remote is None or op.base is None:
        return False
    base = _base_content(target, source, op)
    if base is None:
        return False
    ours = source.read_bytes(op.local.path)
    theirs = target.remote.read_file(head, op.path)
    if any(b"\0" in data for data in (base, ours, theirs)):
        return False  # binary: no merge
    return _holds(source.repo_root, ours, base, theirs)


def _base_content(target: Target, source: Source, op: Operation) -> bytes | None:
    """What hfsync last wrote at the path, or None when it wrote nothing there (or the content
    cannot be found any more)."""
    if op.base is None:
        return None
    repo = source.repo_root
    if len(op.base) == 40:  # a blob id: fetched from a git target, or synced from this repository
        try:
            return git_output(repo, "cat-file", "blob", op.base)
        except subprocess.CalledProcessError:
            pass
    pointer = target.state.load()
    if pointer is None or pointer.base_commit is None:
        return None
    entry = target.remote.tree(pointer.base_commit).get(op.path)
    if entry is None or entry.oid != op.base:
        return None
    return target.remote.read_file(pointer.base_commit, op.path)


def _holds(repo: Path, ours: bytes, base: bytes, theirs: bytes) -> bool:
    """True when merging base -> theirs into ours changes nothing: every hunk of theirs is in ours.

    `git merge-file` calls two insertions at one place a conflict even when one contains the
    other (ours brought theirs in, then added below it); after its zealous refinement such a
    conflict has an empty side for theirs, which means theirs adds nothing ours lacks.
    """
    label = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="hfsync-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = os.path.join(tmp, name)
            Path(path).write_bytes(data)
            names.append(path)
        # git from PATH, as everywhere in hfsync; the arguments are our own temp files.
        labels = ["-L", label] * 3
        done = subprocess.run(  # noqa: S603
            ["git", "merge-file", "-p", "--quiet", *labels, *names],  # noqa: S607
            cwd=repo,
            capture_output=True,
        )
    if done.returncode < 0:
        return False
    merged: list[bytes] = []
    section = ""  # "", "ours" or "theirs"
    marker = label.encode()
    for line in done.stdout.splitlines(keepends=True):
        if line.startswith(b"<<<<<<< " + marker):
            section = "ours"
        elif section == "ours" and line.rstrip(b"\n") == b"=======":
            section = "theirs"
        elif section == "theirs" and line.startswith(b">>>>>>> " + marker):
            section = ""
        elif section == "theirs":
            return False  # theirs has lines ours lacks
        else:
            merged.append(line)
    return b"".join(merged) == ours


def _write_blob(repo: Path, data: bytes) -> str:
    oid = git_output(repo, "hash-object", "-w", "--no-filters", "--stdin", stdin=data)
    return oid.decode().strip()


def _write_tree(repo: Path, blobs: dict[str, str]) -> str:
    with tempfile.TemporaryDirectory(prefix="hfsync-patch-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": os.path.join(tmp, "index")}
        listing = "".join(f"{_REGULAR} {oid}\t{path}\0" for path, oid in blobs.items())
        data = listing.encode("utf-8", "surrogateescape")
        git_output(repo, "update-index", "--add", "-z", "--index-info", stdin=data, env=env)
        return git_output(repo, "write-tree", env=env).decode().strip()
