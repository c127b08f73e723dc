"""`watch` and `serve`: the daemons, each syncing through the same pipeline as `run`."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hfsync.cli.options import (
    F,
    config_option,
    on_conflict_option,
    repo_and_config,
    target_option,
)
from hfsync.core.errors import HfsyncError

if TYPE_CHECKING:
    from hfsync.daemons.monitor import Monitor
    from hfsync.daemons.webhook import WebhookReceiver


def _check_http_address(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    """`--http` is checked as it is parsed, before anything is started or printed."""
    if value is not None:
        from hfsync.daemons.endpoints import parse_address

        try:
            parse_address(value)
        except HfsyncError as exc:
            raise click.BadParameter(str(exc).removeprefix("--http ")) from None
    return value


def daemon_options(func: F) -> F:
    """Options `watch` and `serve` share: logging and the HTTP endpoints."""
    for option in reversed(
        [
            click.option(
                "--http",
                "http_address",
                metavar="HOST:PORT",
                envvar="HFSYNC_HTTP",
                callback=_check_http_address,
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


@click.command()
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
    import warnings

    from hfsync.core.errors import Interrupted
    from hfsync.daemons.state_dir import check_checkout_writable
    from hfsync.daemons.watch import Watcher, stop_on_signals
    from hfsync.engine.pipeline import Targets
    from hfsync.local.repository import git_dir

    # watchdog (7.1) warns when a folder created with its subfolders at once (`mkdir -p`, git's
    # own folders in .git) is registered twice, then reuses the one watch: noise, not a problem.
    warnings.filterwarnings("ignore", "Callback with id .* already exists", RuntimeWarning)
    repo_root, config = repo_and_config(config_path)
    check_checkout_writable(git_dir(repo_root))
    monitor = _monitor(log_format, verbose, http_address, name_remote_changes=True)
    watcher = Watcher(
        Targets(repo_root, config),
        config.selected(target_name),
        debounce=debounce,
        poll=poll,
        on_conflict=on_conflict,
        report=monitor.sync_done,
        notify=monitor.notice,
        force=force,
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


@click.command()
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
    from hfsync.daemons.webhook import WebhookReceiver, webhook_secret

    secret = webhook_secret(os.environ) if http_address is not None else None
    state = prepare_state_dir(state_dir or _default_state())
    monitor = _monitor(log_format, verbose, http_address)
    server = Server(
        SourceClone(source, branch, state / "source"),
        config_path=config_path.resolve() if config_path else None,
        poll=poll,
        monitor=monitor,
        on_conflict=on_conflict,
    )
    webhook = None
    if secret is not None:
        webhook = WebhookReceiver(
            secret,
            branch,
            on_push=server.request_fetch,
            on_rejected=lambda message: monitor.log.event("warning", "webhook_rejected", message),
        )

    def stopping() -> None:
        monitor.log.info("stopping", "stopping after the sync in flight (Ctrl-C again: now)")

    following = f"following {redact(source)} (branch {branch})"
    with (
        _endpoints(http_address, monitor, webhook) as where,
        stop_on_signals(server.stop, stopping),
    ):
        monitor.log.info("started", f"{following}{where}; state in {state}")
        if http_address is not None and webhook is None:
            monitor.log.info("webhook_off", "POST /webhook is off: set HFSYNC_WEBHOOK_SECRET")
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
