"""What a sync cut short by Ctrl-C wrote: told from the remote after the stop, never guessed.

The engine records each write as it starts (`Written`); a KeyboardInterrupt inside a sync comes
out as `SyncInterrupted`, carrying that record. `what_was_written` then reads the remote (its head,
its backup branches, the head commit's message) and says, for `run`, `watch` and `serve` alike,
whether a backup branch and the commit are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hfsync.core.backups import backup_of, list_backups
from hfsync.core.errors import RemoteError

if TYPE_CHECKING:
    from hfsync.remotes.target import Target


@dataclass
class Written:
    """What one sync has written, or started to write, so far (for messages that stay true)."""

    created: str | None = None  # "created space me/demo"; "would create ..." in a dry run
    planned: bool = False  # a plan was made against `planned_head`
    planned_head: str | None = None
    backing_up: bool = False  # a backup branch was (being) taken of `planned_head`
    backup: str | None = None  # its name, once known
    sent: str | None = None  # the commit's body (unique: its HFSync-Run trailer), once sent
    commit: str | None = None  # the commit, once the remote confirmed it

    def explain(self, exc: RemoteError) -> RemoteError:
        """`exc` with what was written before it (the commit had failed)."""
        done = []
        if self.created and not self.created.startswith("would "):
            done.append(self.created)
        if self.backup:
            done.append(f"no commit was made; backup {self.backup} points at the head")
        else:
            done.append("no commit was made" if done else "nothing was written")
        return type(exc)(f"{exc}; {', '.join(done)}")


class SyncInterrupted(KeyboardInterrupt):
    """Ctrl-C inside a sync; `written` says what the sync had started to write by then."""

    def __init__(self, written: Written) -> None:
        super().__init__()
        self.written = written


def written_by(exc: BaseException) -> Written:
    """The record an interrupt carries (an empty one when it came before the sync began)."""
    return exc.written if isinstance(exc, SyncInterrupted) else Written()


def what_was_written(target: Target, written: Written, waiting: bool = False) -> str:
    """One line for a sync of `target` stopped by Ctrl-C: backup branch and commit, as the
    remote shows them now (`waiting`: it stopped while waiting for the Space build)."""
    name = target.config.name
    remote = target.remote
    done = []
    if written.created and not written.created.startswith("would "):
        done.append(written.created)
    if written.commit is not None:
        stop = "stopped while waiting for the Space build" if waiting else "stopped mid-sync"
        done.append(f"commit {written.commit[:12]} is on {remote.description}")
        if written.backup:
            done.append(f"backup {written.backup} keeps the tree before it")
        return f"{name}: {stop}; {'; '.join(done)}"
    if not written.planned:
        return f"{name}: stopped before writing; nothing was written"
    try:
        done += _from_the_remote(target, written)
    except Exception as exc:  # the remote cannot tell now: say so rather than guess
        done.append(f"could not check {remote.description} ({exc}); 'hfsync status' tells")
    return f"{name}: stopped mid-sync; {'; '.join(done)}"


def _from_the_remote(target: Target, written: Written) -> list[str]:
    remote = target.remote
    planned = written.planned_head
    found = []
    if written.backing_up and planned is not None:
        backup = backup_of(list_backups(remote.branches()), planned)
        if backup is not None:
            found.append(f"backup {backup.name} points at {planned[:12]}")
        elif written.backup is None:  # stopped while it was being created
            found.append("no backup branch yet (one was being created)")
        else:
            found.append(f"backup {written.backup} is gone")
    head = remote.head()
    at = f"{head[:12]}" if head else "no commit"
    if head == planned:
        if written.sent is not None:
            found.append(
                f"the commit was sent but has not landed: {remote.description} is still at {at}, "
                "and may still take it; 'hfsync status' or the next run tells"
            )
        else:
            found.append(f"no commit was written ({remote.description} is still at {at})")
    elif head is not None and written.sent is not None and _ours(target, head, written.sent):
        found.append(f"commit {head[:12]} landed on {remote.description}")
    else:
        found.append(
            f"no commit of this run is on {remote.description}: it moved to {at} since the plan"
        )
    return found


def _ours(target: Target, head: str, body: str) -> bool:
    """Whether `head` is the commit this sync sent: its message carries the body's unique
    HFSync-Run trailer."""
    newest = next(target.remote.iter_commits(head), None)
    return newest is not None and body.strip() in newest.message
