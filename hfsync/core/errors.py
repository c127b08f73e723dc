"""One exception root for hfsync; the CLI maps each class to an exit code (design.md).

Library code raises these and never prints or exits. Every message is one line that says what is
wrong and how to fix it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.core.findings import Finding
    from hfsync.core.plan import Plan


class HfsyncError(Exception):
    """Root of every error hfsync reports to the user. Unexpected: exit code 1."""

    exit_code = 1


class ConfigError(HfsyncError):
    """Bad usage or configuration (config file, command-line values, filters): exit code 2."""

    exit_code = 2


class SourceError(HfsyncError):
    """The source cannot be read as asked (not a git repository, bad revision, bad symlink)."""

    exit_code = 2


class TooManyDeletesError(HfsyncError):
    """The plan deletes more files than `max_delete` allows and `--force` was not given."""

    exit_code = 2

    def __init__(self, message: str, plan: Plan | None = None) -> None:
        super().__init__(message)
        self.plan = plan  # the blocked plan, so that a dry run can still print it


class ConflictError(HfsyncError):
    """Remote edits block the sync under policy `abort`; nothing was written: exit code 3."""

    exit_code = 3

    def __init__(self, message: str, paths: tuple[str, ...] = (), plan: Plan | None = None) -> None:
        super().__init__(message)
        self.paths = paths
        self.plan = plan  # the blocked plan, so that a dry run can still print it


class BackwardsError(ConflictError):
    """The source is older than what the target already holds (an ancestor of the source of the
    newest hfsync commit there): refused, nothing written; exit code 3, as a conflict."""


class RemoteError(HfsyncError):
    """The remote refused or failed (auth, permission, missing repo, rate limit): exit code 4."""

    exit_code = 4


class TemporaryError(RemoteError):
    """Worth retrying later (network, 5xx, rate limit, the remote kept moving): exit code 6."""

    exit_code = 6


class RefusedError(RemoteError):
    """The remote refused for good (rejected token, no permission, missing repo): exit code 4.

    Trying again changes nothing until the user acts; a watcher stops on it.
    """


class RemoteMovedError(RemoteError):
    """The remote branch head moved between planning and writing (compare-and-swap lost)."""


class BuildFailedError(HfsyncError):
    """A Space build or start failed after the sync: exit code 5.

    `stage` is the Space's (BUILD_ERROR ...), `log` the last lines of its build or run log
    (`log_name`), and `log_note` why the log could not be read, if so.
    """

    exit_code = 5

    def __init__(
        self,
        message: str,
        stage: str = "",
        log: tuple[str, ...] = (),
        log_name: str = "build log",
        log_note: str | None = None,
    ) -> None:
        super().__init__(message)
        self.stage = stage
        self.log = log
        self.log_name = log_name
        self.log_note = log_note


class RolledBackError(BuildFailedError):
    """The Space's build failed and the backup was restored (`rollback_on_failure`): exit 5."""


class Interrupted(HfsyncError):
    """Ctrl-C (SIGINT) stopped a sync; the message says what was and was not written: exit 130,
    the shell's code for a SIGINT."""

    exit_code = 130


class ValidationError(HfsyncError):
    """Files about to be uploaded fail a check (a secret, a size, a Space config): exit code 2.

    `findings` name each file and line; nothing was written.
    """

    exit_code = 2

    def __init__(
        self, message: str, findings: tuple[Finding, ...] = (), plan: Plan | None = None
    ) -> None:
        super().__init__(message)
        self.findings = findings
        self.plan = plan  # the refused plan, so that a dry run can still print it
