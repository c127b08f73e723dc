"""A 3-way merge of one file's contents by git itself (`git merge-file`), for `hfsync pull`.

git decides what merges cleanly and writes the standard conflict markers where both sides
changed the same lines; hfsync only hands it the three versions (in temp files: git 2.39's
merge-file takes no blob ids) and reads the result.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hfsync.core.errors import SourceError

# git calls a file binary when its first 8,000 bytes hold a NUL; hfsync looks at all of it.
BINARY_MARK = b"\0"
_MAX_CONFLICTS = 127  # merge-file's exit code counts conflicts up to this; more is an error


@dataclass(frozen=True)
class Merged:
    content: bytes
    conflicts: int  # the number of conflicting hunks left with markers (0: clean)


def is_binary(*contents: bytes) -> bool:
    """Whether git would refuse to merge these as text."""
    return any(BINARY_MARK in data for data in contents)


def merge_file(
    repo: Path, ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]
) -> Merged:
    """Merge base -> theirs into ours, as `git merge-file` does (text only: see `is_binary`).

    `labels` name ours, the base and theirs in the conflict markers."""
    with tempfile.TemporaryDirectory(prefix="hfsync-pull-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = os.path.join(tmp, name)
            Path(path).write_bytes(data)
            names.append(path)
        arguments = [item for label in labels for item in ("-L", label)]
        # git from PATH, as everywhere in hfsync; the arguments are our own temp files.
        done = subprocess.run(  # noqa: S603
            ["git", "merge-file", "-p", "--quiet", *arguments, *names],  # noqa: S607
            cwd=repo,
            capture_output=True,
        )
    if not 0 <= done.returncode <= _MAX_CONFLICTS:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise SourceError(
            f"git merge-file could not merge ({reason[0] if reason else done.returncode}); "
            "nothing was written"
        )
    return Merged(done.stdout, done.returncode)
