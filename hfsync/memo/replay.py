"""The one entry point of the last-answer memo, around a run of the pipeline.

`answer_or_run` gives the last answer again when nothing it depends on changed (`memo/answer.py`
says what that is), else runs the sync, copying what it prints, and remembers the new answer
when it may be given again. A shortcut proves itself: `HFSYNC_VERIFY_MEMO=1` also runs the sync
whenever an answer would be given again, and fails on any difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hfsync.core.errors import HfsyncError

if TYPE_CHECKING:
    from hfsync.config.model import Config
    from hfsync.engine.outcome import TargetOutcome


@dataclass
class RunAnswer:
    """What one full run did, as the memo needs it."""

    config: Config | None  # None when the run stopped before the config was read
    outcomes: list[TargetOutcome]
    dry_run: bool
    exit_code: int


def answer_or_run(
    options: Mapping[str, object],
    environ: Mapping[str, str],
    *,
    config_given: bool,
    run: Callable[[], RunAnswer],
    echo: Callable[[str], None],
    say: Callable[[str], None],
) -> int:
    """The exit code of the run, or of the last answer given again through `echo` (`say`
    tells, on stderr, that it was)."""
    from hfsync.memo.answer import begin, record
    from hfsync.ui.stdout_copy import stdout_kept

    lookup = begin(options, environ)
    answer = lookup.replay() if lookup is not None else None
    if answer is not None and not environ.get("HFSYNC_VERIFY_MEMO"):
        say("hfsync: nothing changed since the last run: its answer again")
        echo(answer)
        return 0
    with stdout_kept(lookup is not None) as printed:
        done = run()
    if answer is not None and "".join(printed) != answer:
        raise HfsyncError(
            "HFSYNC_VERIFY_MEMO: the remembered answer differs from a full run's; "
            f"remove {lookup.checkout.git_dir if lookup else '.git'}/hfsync/last-run.json and "
            "report this"
        )
    if lookup is not None and done.config is not None:
        sources = [o.source for o in done.outcomes if o.source is not None]
        record(
            lookup,
            done.config,
            config_given,
            done.outcomes,
            sources,
            "".join(printed),
            done.dry_run,
            done.exit_code,
        )
    return done.exit_code
