"""The command line: parse, call the library, render the result, exit.

This is the one place that turns exceptions into exit codes (design.md): 0 ok, 1 unexpected,
2 usage or config, 3 conflict, 4 remote refused, 5 Space build failed, 6 temporary failure,
130 Ctrl-C. Each command is a thin module of this package; every sync goes through the one
pipeline (`hfsync/engine/pipeline.py`). Heavy libraries (huggingface_hub, GitPython, watchdog,
msgspec) are imported inside the commands, so that `hfsync --help` stays fast.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import sys

import click

from hfsync import __version__
from hfsync.cli.daemon_commands import serve, watch
from hfsync.cli.inspect_commands import check, status
from hfsync.cli.options import EXIT_USAGE, report_error
from hfsync.cli.pull_command import pull
from hfsync.cli.repo_commands import backups, init, ls_files, rollback
from hfsync.cli.sync_commands import run
from hfsync.core.errors import HfsyncError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hfsync")
def cli() -> None:
    """Keep a Hugging Face Space, model or dataset repo (or any git remote) in sync with a git
    repository: only what changed, in one atomic commit, after a backup, never overwriting
    edits made on the remote."""


for command in (ls_files, run, check, status, pull, backups, rollback, watch, serve, init):
    cli.add_command(command)


class _CurrentStderr(logging.StreamHandler):
    """Writes each record, credentials hidden, to `sys.stderr` as it is then: while a terminal
    shows a live progress line, that is rich's proxy, which prints the record on a line of its
    own above it (the stream saved when the handler was made would glue it to the end of the
    spinner's line)."""

    def format(self, record: logging.LogRecord) -> str:
        from hfsync.core.redact import redact

        return redact(super().format(record))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _show_warnings() -> None:
    """hfsync's own log lines (retries, waiting for another run) as `hfsync: ...` on stderr;
    with HFSYNC_DEBUG, the Hub client's too."""
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("hfsync: %(message)s"))
    logger = logging.getLogger("hfsync")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if os.environ.get("HFSYNC_DEBUG") else logging.WARNING)
    logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map every outcome to an exit code."""
    # A snapshot is many small objects without cycles (100,000s at 50,000 files): at the
    # default threshold (700) the collector walks them again and again, ~10% of a no-change run.
    gc.set_threshold(100_000, 10, 10)
    # At exit, the collector walks every object still alive (~0.12 s after a first sync of
    # 50,000 files) to free what the process drops anyway; hfsync closes what it writes itself
    # (`with`, then `os.replace`), so `gc.freeze` skips that walk. It runs after the exit
    # handlers of the libraries a command imports (registered later, they run first); the
    # unregister keeps it to one registration when main is called again in one process.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    _show_warnings()
    try:
        cli.main(args=argv, prog_name="hfsync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        report_error(exc.format_message() + hint)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("hfsync: aborted", err=True)
        sys.exit(130)
    except HfsyncError as exc:
        report_error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("hfsync: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("HFSYNC_DEBUG"):
            raise
        report_error(f"unexpected error: {type(exc).__name__}: {exc} (HFSYNC_DEBUG=1 shows more)")
        sys.exit(1)
    sys.exit(0)
