"""What the checks before upload report: one problem in one file, and the names of the checks
(a target's `allow` list names them too)."""

from __future__ import annotations

from dataclasses import dataclass

CHECKS = ("secret", "env-file", "size", "lfs", "space-config", "path")


@dataclass(frozen=True)
class Finding:
    """One problem in one file: `check` is one of CHECKS; `line` is 1-based, 0 for none."""

    check: str
    path: str
    line: int
    problem: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.problem} [{self.check}]; {self.fix}"

    def to_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "path": self.path,
            "line": self.line,
            "problem": self.problem,
            "fix": self.fix,
        }
