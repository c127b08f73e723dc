"""What one sync did to one target (`TargetOutcome`), and how the outcomes of several targets
make one exit code (`severity`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hfsync.core.errors import HfsyncError, ValidationError

if TYPE_CHECKING:
    from hfsync.config.model import TargetConfig
    from hfsync.core.findings import Finding
    from hfsync.core.plan import Plan
    from hfsync.engine.deploy import BuildReport
    from hfsync.engine.sync_values import SyncResult
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

# From the least to the most severe: a code later in this list wins. A failure a retry may clear
# (6) ranks below one that needs a person (3 conflict, 5 build, 4 refused, 2 config), and a bug
# (1) above all.
SEVERITY = (0, 6, 3, 5, 4, 2, 1)


def severity(codes: Iterable[int]) -> int:
    """The most severe exit code of `codes` (0 when there are none)."""
    return max(codes, key=SEVERITY.index, default=0)


@dataclass
class TargetOutcome:
    """What happened to one target: its result, or the error that stopped it (and its plan)."""

    config: TargetConfig
    target: Target | None = None  # None when the target could not even be opened
    source: Source | None = None  # None when the source could not be read
    result: SyncResult | None = None
    build: BuildReport | None = None
    error: Exception | None = None
    diffs: list[str] = field(default_factory=list)  # remote edits, base -> remote
    plan_shown: bool = False  # set by a caller that showed the plan before the write

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def plan(self) -> Plan | None:
        if self.result is not None:
            return self.result.plan
        plan: Plan | None = getattr(self.error, "plan", None)
        return plan

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The checks' findings that stopped this target (empty when none did)."""
        return self.error.findings if isinstance(self.error, ValidationError) else ()

    @property
    def answer(self) -> SyncResult | Exception:
        """The result, or the error that stopped the target (what a daemon reports)."""
        if self.error is not None:
            return self.error
        if self.result is None:
            return RuntimeError(f"{self.name}: no result")  # not reached: sync raises or returns
        return self.result

    @property
    def exit_code(self) -> int:
        if self.error is None:
            return 0
        return self.error.exit_code if isinstance(self.error, HfsyncError) else 1
