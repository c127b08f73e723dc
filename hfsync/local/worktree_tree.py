"""The working tree as one git tree, made by git in C: `git add -A` into a copy of git's index (the
user's index and staging are not touched), then `git write-tree`. git re-reads only the files
whose stat changed, so this costs about what `git status` costs; the incremental plan then asks
`git diff-tree` what changed since the tree its last sync was made from.

Only where git's blob of a file is the file's bytes, as hfsync uploads them: no line-ending or
filter conversion (`core.autocrlf`, any `.gitattributes`), file modes and symlinks as on disk,
and no index entry git does not check (assume-unchanged, skip-worktree, a conflict). Otherwise
it says why, and the plan is made in full.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

from hfsync.local.gitcmd import git_output, run_git
from hfsync.local.unreadable import unreadable_dirs_error

_AUTOCRLF_ON = ("true", "yes", "on", "1", "input")
_FALSE = ("false", "no", "off", "0")
# `ls-files -v` tags: lower case = assume-unchanged, S = skip-worktree, M = unmerged.
_UNCHECKED = re.compile(rb"(?:\A|\0)[a-zMS] ")


class WorktreeTree(NamedTuple):
    """The working tree's git tree id, or (None) why git's tree would not be its bytes."""

    tree: str | None
    why: str = ""


def worktree_tree(repo_root: Path, git_dir: Path) -> WorktreeTree:
    why = _conversions(repo_root, git_dir)
    if why:
        return WorktreeTree(None, why)
    if _UNCHECKED.search(git_output(repo_root, "ls-files", "-v", "-z", "--cached")):
        return WorktreeTree(
            None,
            "git's index has entries git does not check (assume-unchanged, "
            "skip-worktree or a conflict)",
        )
    with tempfile.TemporaryDirectory(prefix="hfsync-worktree-") as tmp:
        index = Path(tmp, "index")
        if (git_dir / "index").is_file():
            shutil.copyfile(git_dir / "index", index)
        env = {**os.environ, "GIT_INDEX_FILE": str(index), "LC_ALL": "C"}
        staged = run_git(repo_root, "add", "-A", "--", ".", env=env)
        if staged.returncode != 0:
            first = staged.stderr.decode(errors="replace").strip().splitlines()[:1]
            return WorktreeTree(None, f"git cannot stage the working tree ({''.join(first)})")
        if unreadable_dirs_error(staged.stderr.decode(errors="replace")) is not None:
            # git staged what it could see, and only warned: the files of a directory it cannot
            # open would be their index entries, or missing. Read from disk, it is an error.
            return WorktreeTree(None, "git cannot open a directory of the working tree")
        attributes = ":(glob)**/.gitattributes"
        if git_output(repo_root, "ls-files", "-z", "--", attributes, env=env):
            return WorktreeTree(None, "a .gitattributes file (git may convert files)")
        tree = git_output(repo_root, "write-tree", env=env).decode("ascii").strip()
    return WorktreeTree(tree)


def _conversions(repo_root: Path, git_dir: Path) -> str:
    """Why git's blobs may not be the files' bytes or modes ("": they are)."""
    pattern = r"^core\.(autocrlf|filemode|symlinks|attributesfile)$"
    done = run_git(repo_root, "config", "--get-regexp", pattern)
    for line in done.stdout.decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        value = value.strip().lower()
        if key == "core.autocrlf" and value in _AUTOCRLF_ON:
            return "git converts line endings (core.autocrlf)"
        if key in ("core.filemode", "core.symlinks") and value in _FALSE:
            return f"git does not keep what is on disk ({key} = {value})"
        if key == "core.attributesfile":
            return "an attributes file (core.attributesFile; git may convert files)"
    if (git_dir / "info" / "attributes").exists():
        return "an attributes file (.git/info/attributes; git may convert files)"
    return ""
