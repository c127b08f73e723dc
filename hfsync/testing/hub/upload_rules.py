"""How the Hub decides a file's upload mode (regular or LFS) and whether `.gitignore` drops it."""

from __future__ import annotations

import functools

from pathspec import GitIgnoreSpec

# The Hub refuses regular (non-LFS) files above this size at commit time.
REGULAR_FILE_LIMIT = 10 * 1024 * 1024
TOO_LARGE_MESSAGE = (
    "Your push was rejected because it contains files larger than 10 MiB. Please use "
    "https://git-lfs.github.com/ to store large files. See also: "
    "https://hf.co/docs/hub/repositories-getting-started#terminal"
)


class LfsAttributes:
    """The `filter=lfs` rules of a `.gitattributes`; for a path, the last matching line decides."""

    def __init__(self, gitattributes: str) -> None:
        self._rules: list[tuple[GitIgnoreSpec, bool]] = []
        for line in gitattributes.splitlines():
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            pattern, attributes = fields[0], fields[1:]
            filters = [attr for attr in attributes if attr.lstrip("-!").split("=")[0] == "filter"]
            if filters:
                self._rules.append(
                    (GitIgnoreSpec.from_lines([pattern]), filters[-1] == "filter=lfs")
                )
        # Every line's pattern in one spec: a path no line matches (most paths: a Space's
        # default file has ~35 lines) is told by one match instead of one per line. Only
        # including patterns: a line's spec matches a path only through one of those.
        self._any = GitIgnoreSpec(
            [pattern for spec, _ in self._rules for pattern in spec.patterns if pattern.include]
        )

    def is_lfs(self, path: str) -> bool:
        if not self._any.match_file(path):
            return False
        decision = False
        for spec, lfs in self._rules:
            if spec.match_file(path):
                decision = lfs
        return decision


@functools.lru_cache(maxsize=32)
def lfs_attributes(gitattributes: str) -> LfsAttributes:
    """The rules of a `.gitattributes` text, made once per text (each preupload call asks)."""
    return LfsAttributes(gitattributes)


def upload_mode(path: str, size: int, sample: bytes, attributes: LfsAttributes) -> str:
    """'lfs' for big files, binary samples and `.gitattributes` LFS paths, else 'regular'."""
    if size >= REGULAR_FILE_LIMIT or b"\0" in sample or attributes.is_lfs(path):
        return "lfs"
    return "regular"


def ignore_spec(gitignore: str | None) -> GitIgnoreSpec | None:
    return GitIgnoreSpec.from_lines(gitignore.splitlines()) if gitignore else None
