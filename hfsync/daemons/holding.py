"""What `hfsync watch` has not synced yet: the changed paths per target, and the pacing holds.

The watcher tells this module each batch of changed paths (`saw`), each sync that succeeded
(`synced`), and when pacing holds a target back (`hold`) or lets it go (`release`). It answers
with a `Notice` to print: when a hold begins with changes waiting (what waits, when it goes, and
why), and at stop, the changes no sync took (`unsynced`). Pure: the caller passes the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_PATHS = 1000  # changed paths remembered per target; beyond them only a count


@dataclass(frozen=True)
class Notice:
    """Something the watcher has to say about changes it holds or did not sync."""

    kind: str  # "held": pacing holds changes; "unsynced": stopping with changes not synced
    target: str
    paths: tuple[str, ...]  # sorted (at most MAX_PATHS)
    count: int  # all of them
    wait_s: float = 0.0  # "held": seconds until they go
    reason: str = ""  # "held": what makes them wait


@dataclass
class _Pending:
    paths: set[str] = field(default_factory=set)
    more: int = 0  # paths beyond MAX_PATHS

    @property
    def count(self) -> int:
        return len(self.paths) + self.more


class Holding:
    """The changes each target has waiting, and which targets pacing holds back."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}
        self._held: dict[str, float] = {}  # target -> when its changes go (the caller's clock)

    def saw(self, targets: Iterable[str], paths: Iterable[str]) -> None:
        """Changes to `paths` that concern `targets`."""
        paths = list(paths)
        for target in targets:
            pending = self._pending.setdefault(target, _Pending())
            for path in paths:
                if path in pending.paths:
                    continue
                if len(pending.paths) < MAX_PATHS:
                    pending.paths.add(path)
                else:
                    pending.more += 1

    def synced(self, target: str) -> None:
        """A sync of `target` succeeded: what was pending went with it (or needed nothing)."""
        self._pending.pop(target, None)

    def hold(self, target: str, until: float, now: float, reason: str) -> Notice | None:
        """Pacing holds `target` until `until`: a notice when this starts a hold of changes."""
        already = target in self._held
        self._held[target] = until
        pending = self._pending.get(target)
        if already or pending is None or not pending.count:
            return None  # a hold already told, or only a poll held back: nothing waits
        return self._notice("held", target, pending, until - now, reason)

    def release(self, target: str) -> None:
        self._held.pop(target, None)

    def held(self, target: str) -> int:
        """How many changed paths pacing holds back for `target` now (for /metrics)."""
        pending = self._pending.get(target)
        return pending.count if target in self._held and pending is not None else 0

    def unsynced(self) -> list[Notice]:
        """At stop: for each target, the changes no sync took."""
        return [
            self._notice("unsynced", target, pending)
            for target, pending in sorted(self._pending.items())
            if pending.count
        ]

    @staticmethod
    def _notice(
        kind: str, target: str, pending: _Pending, wait_s: float = 0.0, reason: str = ""
    ) -> Notice:
        return Notice(kind, target, tuple(sorted(pending.paths)), pending.count, wait_s, reason)
