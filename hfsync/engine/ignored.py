"""Plan with the `.gitignore` a Hub target applies to every commit (see core/remote_ignore)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfsync.core.remote_ignore import GITIGNORE, MAX_BYTES, parse_gitignore, without_ignored

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.core.snapshot import LocalFile, RemoteFile
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target


def plan_without_ignored(
    target: Target,
    source: Source,
    local: dict[str, LocalFile],
    tree: dict[str, RemoteFile],
    plan: Plan,
) -> Plan:
    """`plan` without the uploads the target would drop.

    The Hub applies the `.gitignore` being committed if there is one, else the repo's own: the
    source's when it has one at the remote root, else the remote's. It is read only when the plan
    uploads something, so a run with nothing to do costs no request.
    """
    if not target.remote.drops_gitignored or not plan.uploads:
        return plan
    data: bytes | None = None
    if GITIGNORE in local:
        data = source.read_bytes(local[GITIGNORE].path)
    elif plan.head is not None and GITIGNORE in tree:
        entry = tree[GITIGNORE]
        if entry.size <= MAX_BYTES and not entry.is_lfs:
            data = target.remote.read_file(plan.head, GITIGNORE)
    spec = parse_gitignore(data) if data else None
    return plan if spec is None else without_ignored(plan, spec)
