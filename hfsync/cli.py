"""The command line: parse, load the config, call the library, render the result.

This is the one place that turns exceptions into exit codes (design.md): 0 ok, 1 unexpected,
2 usage or config, 3 conflict, 4 remote refused, 5 Space build failed, 6 temporary failure,
130 Ctrl-C. Heavy libraries (huggingface_hub, GitPython, watchdog, pydantic) are imported inside
the commands, so that `hfsync --help` stays fast.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hfsync import __version__
from hfsync.core.errors import HfsyncError

if TYPE_CHECKING:
    from hfsync.config.model import Config, NotifyConfig, TargetConfig
    from hfsync.core.meter import Meter
    from hfsync.core.plan import Plan
    from hfsync.daemons.monitor import Monitor
    from hfsync.daemons.webhook import WebhookReceiver
    from hfsync.engine.runner import TargetOutcome
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USAGE = 2


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Config file (default: hfsync.toml at the repository root, or [tool.hfsync] in "
        "pyproject.toml).",
    )(func)


def target_option(func: F) -> F:
    return click.option("--target", "target_name", help="Only this target (by name).")(func)


def on_conflict_option(func: F) -> F:
    return click.option(
        "--on-conflict",
        type=click.Choice(["abort", "skip", "overwrite"]),
        help="How to treat remote edits (default: the target's on_conflict).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hfsync")
def cli() -> None:
    """Keep a Hugging Face Space, model or dataset repo (or any git remote) in sync with a git
    repository: only what changed, in one atomic commit, after a backup, never overwriting
    edits made on the remote."""


@cli.command("ls-files")
@config_option
@target_option
@click.option("--rev", help="List the files of this commit instead of the working tree.")
@click.option("--paths", "paths", multiple=True, help="A `paths` pattern (repeatable, in order).")
@click.option(
    "--paths-ignore", "paths_ignore", multiple=True, help="A `paths-ignore` pattern (repeatable)."
)
def ls_files(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    paths: tuple[str, ...],
    paths_ignore: tuple[str, ...],
) -> None:
    """Print the repository paths in scope, one per line, sorted.

    With --paths / --paths-ignore the patterns are GitHub Actions filters and no config is read;
    otherwise the target's scope from the config is used.
    """
    from hfsync.config.scope import scope_for_target
    from hfsync.core.scope import scope_from_patterns
    from hfsync.local.source import find_repo_root, list_paths

    repo_root = find_repo_root(Path.cwd())
    if paths or paths_ignore:
        scope = scope_from_patterns(paths, paths_ignore)
    else:
        config = _load_config(repo_root, config_path)
        scope = scope_for_target(config.target(target_name), repo_root, config.path)
    for path in list_paths(repo_root, rev):
        if scope.includes(path):
            click.echo(path)


def verbosity_options(func: F) -> F:
    func = click.option("-q", "--quiet", is_flag=True, help="Only results and errors.")(func)
    return click.option("-v", "--verbose", is_flag=True, help="List every planned operation.")(func)


@cli.command()
@config_option
@target_option
@click.option("--rev", help="Sync the files of this commit (default in CI: HEAD).")
@click.option("--worktree", is_flag=True, help="Sync the working tree (default outside CI).")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@json_option
@on_conflict_option
@click.option("--force", is_flag=True, help="Allow more deletions than max_delete.")
@click.option(
    "--prune", is_flag=True, help="Also delete remote files in scope that hfsync did not write."
)
@click.option(
    "--wait", is_flag=True, help="Spaces: wait for the build (also: wait_for_build in the config)."
)
@click.option("--commit-message", help="The commit's title instead of hfsync's summary.")
@verbosity_options
def run(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    worktree: bool,
    dry_run: bool,
    as_json: bool,
    on_conflict: str | None,
    force: bool,
    prune: bool,
    wait: bool,
    commit_message: str | None,
    verbose: bool,
    quiet: bool,
) -> None:
    """Sync each target once: plan, back up, commit only what changed.

    Every target is synced and reported, whatever happens to the others; the exit code is the
    most severe of theirs. In GitHub Actions, also writes step outputs and a job summary.
    Ctrl-C stops the run (exit 130), saying whether the backup and the commit were written.
    """
    source_rev = _source_rev(rev, worktree)
    lookup = None
    if source_rev is None and not wait and not in_ci() and "GITHUB_ACTIONS" not in os.environ:
        from hfsync.engine.unchanged import begin

        options = click.get_current_context().params
        lookup = begin({**options, "config_path": _absolute(config_path)}, os.environ)
        if lookup is not None and (answer := lookup.replay()) is not None:
            if verbose:
                click.echo("hfsync: nothing changed since the last run: its answer again", err=True)
            click.echo(answer, nl=False)
            return
    from hfsync.ui.stdout_copy import stdout_kept

    sources: list[Source] = []
    with stdout_kept(lookup is not None) as printed:
        config, outcomes, code = _sync_targets(
            config_path,
            target_name,
            source_rev,
            dry_run,
            as_json,
            on_conflict,
            force,
            prune,
            wait,
            commit_message,
            verbose,
            quiet,
            sources,
        )
    if lookup is not None:
        from hfsync.engine.unchanged import record

        given = config_path is not None
        record(lookup, config, given, outcomes, sources, "".join(printed), dry_run, code)
    if code:
        raise SystemExit(code)


def _absolute(path: Path | None) -> str | None:
    return None if path is None else str(path.absolute())


def _sync_targets(
    config_path: Path | None,
    target_name: str | None,
    source_rev: str | None,
    dry_run: bool,
    as_json: bool,
    on_conflict: str | None,
    force: bool,
    prune: bool,
    wait: bool,
    commit_message: str | None,
    verbose: bool,
    quiet: bool,
    sources: list[Source],
) -> tuple[Config, list[TargetOutcome], int]:
    """`run`'s work: sync each target, print what happened; (config, outcomes, exit code)."""
    from hfsync.engine.patches import remote_edit_diffs
    from hfsync.engine.runner import run_targets, severity
    from hfsync.engine.sync import SyncOptions
    from hfsync.ui import render
    from hfsync.ui.github import write_job_summary, write_step_outputs
    from hfsync.ui.links import source_url
    from hfsync.ui.progress import Progress
    from hfsync.validate import validate

    # hfsync reports progress itself: the Hub client's own bars would write \r frames to logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    verbosity = 1 if verbose else (-1 if quiet else 0)
    outcomes: list[TargetOutcome] = []
    source_line = "working tree" if source_rev is None else source_rev
    try:
        repo_root, config = _repo_and_config(config_path)
        source_line = _source_line(repo_root, source_rev)
        chosen = config.selected(target_name)
        if not as_json and not quiet:
            click.echo(f"source: {source_line}")
        with Progress(quiet=quiet or as_json) as progress:
            shown: set[str] = set()
            meter = None if quiet or as_json else progress.count

            def before_write(target: Target, source: Source, plan: Plan) -> None:
                progress.done()
                if not as_json:
                    render.plan(target.config.name, plan, verbosity)
                    shown.add(target.config.name)
                if plan.uploads or plan.deletes:
                    progress(f"{target.config.name}: checking {len(plan.uploads)} file(s)")
                validate(target, source, plan)

            options = SyncOptions(
                rev=source_rev,
                dry_run=dry_run,
                on_conflict=on_conflict,
                force=force,
                prune=prune,
                commit_message=commit_message,
                source_url=source_url(_head_sha(repo_root, source_rev), os.environ),
                before_write=before_write,
                progress=progress,
                meter=meter,
            )

            def started(target: TargetConfig) -> None:
                where = f"git {target.url}" if target.url else f"{target.repo_type} {target.repo}"
                progress(f"planning {where}")

            def finished(outcome: TargetOutcome) -> None:
                outcomes.append(outcome)  # kept for the summary, even if a later target stops
                progress.done()
                outcome.plan_shown = outcome.name in shown
                if as_json:  # the JSON document has it all; stderr still says what failed
                    if outcome.error is not None:
                        render.error_line(outcome)
                    return
                if outcome.error is not None:
                    render.outcome_error(outcome, verbosity)
                    return
                if outcome.result is not None:
                    render.sync_result(outcome.result, verbosity)
                if outcome.build is not None:
                    click.echo(f"{outcome.name}: Space is {outcome.build.stage}")

            run_targets(
                chosen,
                lambda target: _open_target(repo_root, config, target),
                lambda target: _kept(sources, _read_source(repo_root, target, source_rev, meter)),
                options,
                wait=wait,
                on_start=started,
                on_outcome=finished,
                remote_edits=remote_edit_diffs,
            )
    except HfsyncError as exc:
        write_job_summary(source_line, outcomes, str(exc))
        if as_json:
            _print_json(_run_document(source_line, outcomes, exc.exit_code, str(exc)))
            _report_error(str(exc))
            raise SystemExit(exc.exit_code) from None
        raise
    code = severity(o.exit_code for o in outcomes)
    write_step_outputs(outcomes)
    write_job_summary(source_line, outcomes)
    _notify(config.notify, source_line, outcomes, dry_run)
    if as_json:
        _print_json(_run_document(source_line, outcomes, code, None))
    _annotate(outcomes)
    return config, outcomes, code


def _kept(sources: list[Source], source: Source) -> Source:
    sources.append(source)
    return source


def _notify(
    settings: NotifyConfig, source: str, outcomes: list[TargetOutcome], dry_run: bool
) -> None:
    """Send the configured notifications; a failure to send is a warning, never an exit code."""
    from hfsync.core.redact import redact
    from hfsync.ui.notify import send

    if dry_run:
        return
    for warning in send(settings, source, outcomes, os.environ):
        click.echo(redact(f"hfsync: warning: {warning}"), err=True)


def _run_document(
    source: str, outcomes: list[TargetOutcome], code: int, error: str | None
) -> dict[str, object]:
    """The one JSON document of a run: every target, errors included."""
    from hfsync.ui.links import commit_url

    targets = []
    for outcome in outcomes:
        entry: dict[str, object] = {"target": outcome.name, "exit_code": outcome.exit_code}
        if outcome.result is not None:
            entry.update(outcome.result.to_dict())
            entry["commit_url"] = commit_url(outcome.config, outcome.target, outcome.result.commit)
        elif outcome.plan is not None:
            entry["plan"] = outcome.plan.to_dict()
        entry["build"] = outcome.build.to_dict() if outcome.build else None
        entry["error"] = None if outcome.error is None else _error_dict(outcome.error)
        entry["diffs"] = outcome.diffs
        targets.append(entry)
    return {
        "source": source,
        "exit_code": code,
        "error": None if error is None else {"message": error},
        "targets": targets,
    }


def _error_dict(error: Exception) -> dict[str, object]:
    from hfsync.core.errors import BuildFailedError

    message = str(error) if isinstance(error, HfsyncError) else f"unexpected error: {error!r}"
    found = [str(f) for f in getattr(error, "findings", ())]
    entry: dict[str, object] = {"type": type(error).__name__, "message": message, "findings": found}
    if isinstance(error, BuildFailedError):
        entry["stage"] = error.stage
        entry["log"] = {"name": error.log_name, "lines": list(error.log), "note": error.log_note}
    return entry


def _print_json(document: object) -> None:
    from hfsync.core.redact import redact

    click.echo(redact(json.dumps(document, indent=2)))


def _annotate(outcomes: list[TargetOutcome]) -> None:
    """In GitHub Actions: each failed target as an error annotation on the run's page."""
    from hfsync.core.redact import redact
    from hfsync.ui.github import error_annotation, in_github_actions

    if not in_github_actions():
        return
    for outcome in outcomes:
        if outcome.error is not None:
            click.echo(error_annotation(redact(f"{outcome.name}: {outcome.error}")), err=True)


@cli.command()
@config_option
@target_option
@click.option("--rev", help="Check the files of this commit (default in CI: HEAD).")
@click.option("--worktree", is_flag=True, help="Check the working tree (default outside CI).")
@json_option
def check(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    worktree: bool,
    as_json: bool,
) -> None:
    """Check what a sync would upload, and write nothing: secrets, sizes, the Space's README
    configuration, paths the Hub refuses. Exit 2 when anything is found (`run` checks too)."""
    from hfsync.core.plan import Policy
    from hfsync.core.redact import redact
    from hfsync.engine.sync import snapshot
    from hfsync.validate import findings_for

    repo_root, config = _repo_and_config(config_path)
    source_rev = _source_rev(rev, worktree)
    reports, total = [], 0
    for target in _open_targets(repo_root, config, target_name):
        source = _read_source(repo_root, target, source_rev)
        plan = snapshot(target, source, Policy(on_conflict="skip")).plan
        found = findings_for(target, source, plan, full=True)
        total += len(found)
        reports.append({"target": target.config.name, "findings": [f.to_dict() for f in found]})
        if not as_json:
            checked = len(plan.uploads)
            click.echo(
                f"{target.config.name}: {checked} file(s) to upload checked, "
                f"{len(found)} problem(s)"
            )
            for finding in found:
                click.echo(redact(f"hfsync: error: {target.config.name}: {finding}"), err=True)
    if as_json:
        _print_json({"problems": total, "targets": reports})
    if total:
        raise SystemExit(EXIT_USAGE)


@cli.command()
@config_option
@target_option
@click.option("--rev", help="Compare the files of this commit (default in CI: HEAD).")
@click.option("--worktree", is_flag=True, help="Compare the working tree (default outside CI).")
@click.option(
    "--patch",
    "as_patch",
    is_flag=True,
    help="Print only the remote edits as one patch from base to remote "
    "(bring them in with 'git apply --3way'); one target at a time.",
)
@json_option
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when a target differs from the source, 3 on remote edits (a CI drift check).",
)
def status(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    worktree: bool,
    as_patch: bool,
    as_json: bool,
    exit_code: bool,
) -> None:
    """Show what a sync would do, and remote edits as a patch; write nothing."""
    from hfsync.core.plan import Policy
    from hfsync.engine.patches import diffs_of, remote_patch
    from hfsync.engine.sync import snapshot
    from hfsync.ui import render

    repo_root, config = _repo_and_config(config_path)
    source_rev = _source_rev(rev, worktree)
    targets = _open_targets(repo_root, config, target_name)
    if as_patch and len(targets) > 1:
        raise click.UsageError("--patch shows one target at a time: add --target NAME")
    reports, plans = [], []
    for target in targets:
        source = _read_source(repo_root, target, source_rev)
        plan = snapshot(target, source, Policy(on_conflict=target.config.on_conflict)).plan
        plans.append(plan)
        # Plain status shows the conflicts; the patch to apply also brings remote-only files.
        patch = remote_patch(target, source, plan, created=as_patch)
        if as_patch:
            for note in plan.notes:
                click.echo(f"{target.config.name}: note: {note}", err=True)
            sys.stdout.buffer.write(patch)
            sys.stdout.flush()
        elif as_json:
            reports.append(
                {
                    "target": target.config.name,
                    "would_create": target.remote.missing,
                    "plan": plan.to_dict(),
                    "diffs": diffs_of(patch),
                }
            )
        else:
            render.status(target.config.name, plan, diffs_of(patch), missing=target.remote.missing)
    if as_json:
        click.echo(json.dumps(reports, indent=2))
    if exit_code and any(plan.conflicts for plan in plans):
        raise SystemExit(3)
    if exit_code and any(plan.has_changes for plan in plans):
        raise SystemExit(1)


@cli.command()
@config_option
@target_option
@json_option
def backups(config_path: Path | None, target_name: str | None, as_json: bool) -> None:
    """List hfsync's backup branches of a target, newest first."""
    from hfsync.core.backups import list_backups
    from hfsync.ui import render

    repo_root, config = _repo_and_config(config_path)
    (target,) = _open_targets(repo_root, config, target_name or config.target(None).name)
    found = list_backups(target.remote.branches())
    if as_json:
        click.echo(json.dumps([b.to_dict() for b in found], indent=2))
    else:
        render.backups(target.config.name, found)


@cli.command()
@click.argument("backup", required=False)
@config_option
@target_option
@json_option
def rollback(
    backup: str | None, config_path: Path | None, target_name: str | None, as_json: bool
) -> None:
    """Restore a backup's tree (default: the newest) with a new commit, backed up first."""
    from hfsync.engine.rollback import rollback as do_rollback
    from hfsync.ui import render

    repo_root, config = _repo_and_config(config_path)
    (target,) = _open_targets(repo_root, config, target_name or config.target(None).name)
    result = do_rollback(target, backup)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        render.rollback_result(result)


def daemon_options(func: F) -> F:
    """Options `watch` and `serve` share: logging and the HTTP endpoints."""
    for option in reversed(
        [
            click.option(
                "--http",
                "http_address",
                metavar="HOST:PORT",
                envvar="HFSYNC_HTTP",
                help="Serve /healthz, /readyz and /metrics here (env: HFSYNC_HTTP).",
            ),
            click.option(
                "--log-format",
                type=click.Choice(["text", "json"]),
                default="text",
                show_default=True,
                help="Lines of text starting with the local time, or one JSON object per line.",
            ),
            click.option(
                "-v", "--verbose", is_flag=True, help="Also print syncs that found nothing to do."
            ),
        ]
    ):
        func = option(func)
    return func


@cli.command()
@config_option
@target_option
@click.option(
    "--debounce",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Sync once changes have settled for this many seconds.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Check the remote for edits every this many seconds (0: never).",
)
@on_conflict_option
@click.option("--force", is_flag=True, help="Allow more deletions than max_delete.")
@daemon_options
def watch(
    config_path: Path | None,
    target_name: str | None,
    debounce: float,
    poll: float,
    on_conflict: str | None,
    force: bool,
    http_address: str | None,
    log_format: str,
    verbose: bool,
) -> None:
    """Sync the working tree now, after every settled change, and on every poll of the remote.

    One line per sync that did something (with -v, every sync), each starting with the local
    time; a repeated error is printed again only with growing gaps. Commits to each target are
    paced (commit_budget, min_interval). A bad config, a rejected token or a missing repo stop
    the watcher with their exit code. SIGINT or SIGTERM stop it once the sync in flight has
    finished; a second Ctrl-C cuts that sync short (exit 130).
    """
    import functools
    import warnings

    from hfsync.core.errors import Interrupted
    from hfsync.daemons.state_dir import check_checkout_writable
    from hfsync.daemons.watch import Watcher, stop_on_signals
    from hfsync.local.source import git_dir

    # watchdog (7.1) warns when a folder created with its subfolders at once (`mkdir -p`, git's
    # own folders in .git) is registered twice, then reuses the one watch: noise, not a problem.
    warnings.filterwarnings("ignore", "Callback with id .* already exists", RuntimeWarning)
    repo_root, config = _repo_and_config(config_path)
    check_checkout_writable(git_dir(repo_root))
    targets = _open_targets(repo_root, config, target_name)
    monitor = _monitor(log_format, verbose, http_address, name_remote_changes=True)
    watcher = Watcher(
        repo_root,
        targets,
        debounce=debounce,
        poll=poll,
        on_conflict=on_conflict,
        report=monitor.sync_done,
        force=force,
        notify=monitor.notice,
    )
    for name, pacer in watcher.pacers.items():
        monitor.add_target(name, pacer, functools.partial(watcher.holding.held, name))

    def stopping() -> None:
        monitor.log.info("stopping", "stopping after the sync in flight (Ctrl-C again: now)")

    with _endpoints(http_address, monitor, None) as where:
        with stop_on_signals(watcher.stop, stopping, lambda: watcher.syncing), watcher:
            monitor.log.info("started", f"watching {repo_root}{where} (Ctrl-C stops)")
            monitor.health.set_running(True)
            try:
                watcher.run_until_stopped()
                monitor.health.set_ready()
            except Interrupted as exc:
                monitor.log.event("warning", "interrupted", str(exc))
                raise SystemExit(130) from None
            except HfsyncError as exc:  # one that no retry can fix: stop, with its exit code
                monitor.log.event("error", "fatal", f"stopping: {exc}")
                raise SystemExit(exc.exit_code) from None
            finally:
                monitor.health.set_running(False)
        monitor.log.info("stopped", "stopped")


def _default_state() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "hfsync" / "serve"


@cli.command()
@click.option(
    "--source",
    envvar="HFSYNC_SOURCE",
    required=True,
    help="The git repository to follow: a URL or a path (env: HFSYNC_SOURCE).",
)
@click.option(
    "--branch", envvar="HFSYNC_BRANCH", default="main", show_default=True, help="Its branch."
)
@click.option(
    "--state",
    "state_dir",
    envvar="HFSYNC_STATE",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for hfsync's clone and caches, only a cache (env: HFSYNC_STATE; default: "
    "~/.cache/hfsync/serve).",
)
@click.option(
    "--poll",
    envvar="HFSYNC_POLL",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Fetch the source and check the targets every this many seconds.",
)
@click.option(
    "--config",
    "config_path",
    envvar="HFSYNC_CONFIG",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: hfsync.toml of each fetched commit; env: HFSYNC_CONFIG).",
)
@on_conflict_option
@daemon_options
def serve(
    source: str,
    branch: str,
    state_dir: Path | None,
    poll: float,
    config_path: Path | None,
    on_conflict: str | None,
    http_address: str | None,
    log_format: str,
    verbose: bool,
) -> None:
    """Follow a source git repository and sync its newest commit to every target.

    Fetches on every poll and on a GitHub push webhook (POST /webhook with --http, signed with
    HFSYNC_WEBHOOK_SECRET), then syncs each target from the fetched commit, as `run --rev`.
    The state folder is only a cache; replicas on several machines never write twice. SIGTERM or
    SIGINT stop it once the sync in flight has finished (exit 0).
    """
    from hfsync.core.errors import Interrupted
    from hfsync.core.redact import redact
    from hfsync.daemons.serve import Server
    from hfsync.daemons.source_clone import SourceClone
    from hfsync.daemons.state_dir import prepare_state_dir
    from hfsync.daemons.watch import stop_on_signals
    from hfsync.daemons.webhook import WebhookReceiver

    state = prepare_state_dir(state_dir or _default_state())
    monitor = _monitor(log_format, verbose, http_address)
    server = Server(
        SourceClone(source, branch, state / "source"),
        config_path=config_path.resolve() if config_path else None,
        poll=poll,
        monitor=monitor,
        on_conflict=on_conflict,
    )
    secret = os.environ.get("HFSYNC_WEBHOOK_SECRET", "")
    webhook = None
    if http_address is not None and secret:
        webhook = WebhookReceiver(
            secret.encode(),
            branch,
            on_push=server.request_fetch,
            on_rejected=lambda message: monitor.log.event("warning", "webhook_rejected", message),
        )
    elif http_address is not None:
        monitor.log.info("webhook_off", "POST /webhook is off: set HFSYNC_WEBHOOK_SECRET")

    def stopping() -> None:
        monitor.log.info("stopping", "stopping after the sync in flight (Ctrl-C again: now)")

    following = f"following {redact(source)} (branch {branch})"
    with (
        _endpoints(http_address, monitor, webhook) as where,
        stop_on_signals(server.stop, stopping),
    ):
        monitor.log.info("started", f"{following}{where}; state in {state}")
        monitor.health.set_running(True)
        try:
            server.run_until_stopped()
        except Interrupted as exc:
            monitor.log.event("warning", "interrupted", str(exc))
            raise SystemExit(130) from None
        finally:
            monitor.health.set_running(False)
    monitor.log.info("stopped", "stopped")


def _monitor(
    log_format: str, verbose: bool, http_address: str | None, name_remote_changes: bool = False
) -> Monitor:
    from hfsync.daemons.monitor import Monitor
    from hfsync.ui.daemon_log import DaemonLog, SyncReporter

    metrics = None
    if http_address is not None:
        from hfsync.daemons.metrics import Metrics

        metrics = Metrics()
    log = DaemonLog(log_format, verbose=verbose)
    return Monitor(SyncReporter(log, name_remote_changes=name_remote_changes), metrics)


@contextmanager
def _endpoints(
    http_address: str | None, monitor: Monitor, webhook: WebhookReceiver | None
) -> Iterator[str]:
    """The HTTP endpoints while the block runs, if asked for; yields ' (http://...)' or ''."""
    if http_address is None:
        yield ""
        return
    from hfsync.daemons.endpoints import Endpoints

    endpoints = Endpoints(http_address, monitor, webhook)
    endpoints.start()
    try:
        yield f"; endpoints on {endpoints.url}"
    finally:
        endpoints.close()


@cli.command()
@click.option(
    "--from-workflow",
    "workflow",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Take the trigger paths of this GitHub workflow file.",
)
@click.option("--repo", help="Hub repo id of the target (owner/name).")
@click.option("--url", help="A git remote URL or local path instead of a Hub repo.")
@click.option("--force", is_flag=True, help="Overwrite an existing hfsync.toml.")
@click.option("--create", is_flag=True, help="Create the Hub repo on the first run.")
def init(
    workflow: Path | None, repo: str | None, url: str | None, force: bool, create: bool
) -> None:
    """Write a starter hfsync.toml at the repository root."""
    from hfsync.config.starter import write_starter_config
    from hfsync.local.source import find_repo_root

    repo_root = find_repo_root(Path.cwd())
    path = write_starter_config(
        repo_root, workflow=workflow, repo=repo, url=url, force=force, create=create
    )
    click.echo(f"wrote {path}")


# -- helpers ---------------------------------------------------------------------------------


def _repo_and_config(config_path: Path | None) -> tuple[Path, Config]:
    from hfsync.local.source import find_repo_root

    repo_root = find_repo_root(Path.cwd())
    return repo_root, _load_config(repo_root, config_path)


def _load_config(repo_root: Path, config_path: Path | None) -> Config:
    from hfsync.config.model import find_config, load_config

    return load_config(config_path if config_path is not None else find_config(repo_root))


def _open_target(repo_root: Path, config: Config, target: TargetConfig) -> Target:
    from hfsync.config.scope import scope_for_target
    from hfsync.local.source import git_dir
    from hfsync.remotes.target import open_target

    scope = scope_for_target(target, repo_root, config.path)
    return open_target(target, scope, repo_root, git_dir(repo_root))


def _open_targets(repo_root: Path, config: Config, name: str | None) -> list[Target]:
    from hfsync.config.scope import scope_for_target
    from hfsync.local.source import git_dir
    from hfsync.remotes.target import open_target

    chosen = config.selected(name)
    scopes = [scope_for_target(t, repo_root, config.path) for t in chosen]
    directory = git_dir(repo_root)
    return [open_target(t, s, repo_root, directory) for t, s in zip(chosen, scopes, strict=True)]


def _read_source(
    repo_root: Path, target: Target, rev: str | None, meter: Meter | None = None
) -> Source:
    from hfsync.local.source import read_source

    return read_source(repo_root, rev, target.scope.includes, meter)


def _source_rev(rev: str | None, worktree: bool) -> str | None:
    if rev and worktree:
        raise click.UsageError("use --rev or --worktree, not both")
    if rev:
        return rev
    if worktree:
        return None
    return "HEAD" if in_ci() else None


def in_ci() -> bool:
    """`CI` set to anything but empty, 0, false or no (CI=false must not switch the source)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def _head_sha(repo_root: Path, rev: str | None) -> str | None:
    """The commit `rev` names, or None (the working tree; a bad name is reported later)."""
    import subprocess

    if rev is None or rev.startswith("-"):
        return None
    # git from PATH, an argument list (no shell); `rev` cannot be an option (checked above).
    done = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],  # noqa: S607
        cwd=repo_root,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or None


def _source_line(repo_root: Path, rev: str | None) -> str:
    """'HEAD 1a2b3c4' or 'working tree': every run says what it reads."""
    sha = _head_sha(repo_root, rev)
    return "working tree" if rev is None else f"{rev} {(sha or '')[:7]}".strip()


def _report_error(message: str) -> None:
    """One line on stderr; in GitHub Actions also an error annotation."""
    from hfsync.core.redact import redact
    from hfsync.ui.github import error_annotation, in_github_actions

    message = redact(message)
    click.echo(f"hfsync: error: {message}", err=True)
    if in_github_actions():
        click.echo(error_annotation(message), err=True)


def _show_warnings() -> None:
    """hfsync's own log lines (retries, waiting for another run) as `hfsync: ...` on stderr;
    with HFSYNC_DEBUG, the Hub client's too."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
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
    _show_warnings()
    try:
        cli.main(args=argv, prog_name="hfsync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        _report_error(exc.format_message() + hint)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("hfsync: aborted", err=True)
        sys.exit(130)
    except HfsyncError as exc:
        _report_error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("hfsync: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("HFSYNC_DEBUG"):
            raise
        _report_error(f"unexpected error: {type(exc).__name__}: {exc} (HFSYNC_DEBUG=1 shows more)")
        sys.exit(1)
    sys.exit(0)


@cli.command()
@config_option
@target_option
@click.option("--dry-run", is_flag=True, help="Say what would be brought home; write nothing.")
@click.option(
    "--undo", is_flag=True, help="Put back the files the last pull wrote (finished or not)."
)
@json_option
def pull(
    config_path: Path | None, target_name: str | None, dry_run: bool, undo: bool, as_json: bool
) -> None:
    """Bring the remote's edits into the working tree, merged with your uncommitted work.

    A 3-way merge against what hfsync last wrote (git's own merge); conflicts get git's
    markers, a binary edited on both sides gets the remote's copy beside yours. Commit the result
    with .hfsync/pulled.json and 'hfsync run' uploads it, here or in CI. Exit 3 while conflicts
    remain. An interrupted pull is finished by the next 'hfsync pull', or undone with --undo.
    """
    from hfsync.engine.pull import pull as do_pull
    from hfsync.engine.pull import undo_pull
    from hfsync.local.source import git_dir
    from hfsync.ui.pull import pull_result, undo_result

    repo_root, config = _repo_and_config(config_path)
    if undo:
        applied = undo_pull(repo_root, git_dir(repo_root))
        if as_json:
            click.echo(json.dumps(applied.__dict__, indent=2))
        else:
            undo_result(applied)
        return
    targets = _open_targets(repo_root, config, target_name)
    if len(targets) > 1:
        raise click.UsageError("pull brings one target home at a time: add --target NAME")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from hfsync.ui.progress import Progress

    with Progress(quiet=as_json) as progress:
        result = do_pull(
            targets[0], repo_root, git_dir(repo_root), dry_run=dry_run, progress=progress
        )
    if as_json:
        _print_json(result.to_dict())
    else:
        pull_result(result)
    if result.exit_code:
        raise SystemExit(result.exit_code)
