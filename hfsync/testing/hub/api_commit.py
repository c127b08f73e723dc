"""Preupload and commit (hub-api §5.2, §5.5, §5.6, §5.8).

A commit is atomic: the payload is parsed and checked (sizes, LFS objects) and its blobs are
written before the repo lock is taken; under the lock the parent is checked against the branch
head, the operations are applied and the ref is moved with compare-and-swap. Any error leaves the
branch where it was.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.wrappers import Response

from .access import (
    readable_repo,
    require_contributor,
    require_write_access,
    resolve_revision,
)
from .api_hot_reload import hot_reload_commit
from .api_spaces import start_space_build
from .bodies import COMMIT_BODY_LIMIT, capped_lines, spooled
from .commit_ops import (
    Added,
    AddLfs,
    AddRegular,
    Operation,
    StoredOperation,
    apply_operations,
    clean_path,
    parse_payload,
)
from .discussions import event, pr_numbers
from .errors import HubError, bad_request, repo_not_found, revision_not_found
from .lfs_store import pointer_text
from .metadata import validate_readme
from .routing import Params, Route, api_routes
from .state import HubState
from .storage import DEFAULT_BRANCH, Repo, user_identity
from .upload_rules import (
    REGULAR_FILE_LIMIT,
    TOO_LARGE_MESSAGE,
    ignore_spec,
    lfs_attributes,
    upload_mode,
)
from .web import HubRequest, json_response, list_field

# The longest ndjson line: a regular file at the Hub's 10 MiB limit, base64-encoded, plus its
# path. A longer line can only hold a file over the limit.
_MAX_LINE = REGULAR_FILE_LIMIT * 4 // 3 + 64 * 1024
STALE_PARENT_MESSAGE = (
    "The branch was updated since you opened this page. Please refresh and try again."
)


def preupload(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    commit = resolve_revision(repo, params["revision"])
    snapshot = repo.snapshot(commit)
    body = request.json_object()
    files = list_field(body, "files")

    def text_of(path: str) -> str:
        entry = snapshot.file(path)
        return repo.read_blob(entry.oid).decode(errors="replace") if entry and not entry.lfs else ""

    attributes = lfs_attributes(text_of(".gitattributes"))
    gitignore = body.get("gitIgnore")
    ignored = ignore_spec(gitignore if isinstance(gitignore, str) else text_of(".gitignore"))
    answers = []
    for item in files:
        path, size, sample_text = clean_path(item.get("path")), item.get("size"), item.get("sample")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad_request(f"Invalid size for {path}")
        if not isinstance(sample_text, (str, type(None))):
            raise bad_request(f"Invalid base64 sample for {path}")
        try:
            sample = base64.b64decode(sample_text or "", validate=True)
        except binascii.Error as error:
            raise bad_request(f"Invalid base64 sample for {path}") from error
        answer: dict[str, Any] = {
            "path": item["path"],
            "uploadMode": upload_mode(path, size, sample, attributes),
            "shouldIgnore": bool(ignored and ignored.match_file(path)),
        }
        existing = snapshot.file(path)
        if existing:
            # The remote id the client compares with its own: SHA-256 for LFS, blob SHA-1 else.
            answer["oid"] = existing.hub_oid
        answers.append(answer)
    return json_response({"files": answers, "commitOid": commit})


def commit(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    key = repo.key
    create_pr = request.flag("create_pr")
    revision = params["revision"]
    branch_ref = _branch_ref(revision)
    user = _committer(hub, request, repo, create_pr, branch_ref)
    hub.control.check_commit_rate(key.repo_id)
    # The body goes to disk and its blobs into git one line at a time: never all in memory.
    http = request.http
    with spooled(http.stream, COMMIT_BODY_LIMIT, http.content_length, hub.store.scratch) as body:
        header, operations = parse_payload(capped_lines(body, _MAX_LINE, _too_large()))
        stored, blobs = _write_blobs(hub, repo, operations)
    if not stored:
        raise bad_request("A commit needs at least one operation")
    author = user_identity(user)
    with repo.lock:
        refs = repo.refs()
        head = refs.get(branch_ref)
        if head is None:
            raise revision_not_found(revision)
        parent = head
        if create_pr:
            # A new pull request: `refs/pr/N` starting at the pinned parent (its base) or the head.
            if header.parent_commit:
                parent = resolve_revision(repo, header.parent_commit)
            pull_request = hub.discussions.create(
                repo.git_dir,
                header.summary.strip() or "Pull request",
                user,
                pull_request=True,
                description=header.description.strip(),
                taken=pr_numbers(refs),
                base=branch_ref,
            )
            target_ref = pull_request.ref
        else:
            target_ref = branch_ref
            if header.parent_commit and not head.startswith(header.parent_commit):
                raise HubError(412, STALE_PARENT_MESSAGE)
        files = {entry.path: (entry.mode, entry.oid) for entry in repo.snapshot(parent).files()}
        new_files = apply_operations(files, stored, blobs)
        commit_id = repo.write_commit(
            target_ref, parent, new_files, header.message, author, new_ref=create_pr
        )
    hub.control.record_commit(key.repo_id)
    _record_pr_commit(hub, repo, target_ref, user, header.summary, commit_id)
    on_main = key.repo_type == "space" and target_ref == f"refs/heads/{DEFAULT_BRANCH}"
    # `?hot_reload=1` patches a running Gradio Space in place instead (api_hot_reload.py).
    if on_main and not (request.flag("hot_reload") and hot_reload_commit(hub, repo, commit_id)):
        start_space_build(hub, repo, commit_id)
    web_url = key.web_url(request.base_url)
    data: dict[str, Any] = {
        "success": True,
        "commitOid": commit_id,
        "commitUrl": f"{web_url}/commit/{commit_id}",
        "hookOutput": "",
    }
    if create_pr:
        data["pullRequestUrl"] = f"{web_url}/discussions/{target_ref.rsplit('/', 1)[1]}"
    return json_response(data)


def _branch_ref(revision: str) -> str:
    """The ref a commit to `revision` moves: a branch or an existing `refs/pr/N`."""
    if revision.startswith("refs/pr/") or revision.startswith("refs/heads/"):
        return revision
    return f"refs/heads/{revision}"


def _committer(
    hub: HubState, request: HubRequest, repo: Repo, create_pr: bool, target_ref: str
) -> str:
    """Who commits: the repo's owner anywhere; anyone with a write token may open a pull
    request, and push to the pull requests they opened."""
    identity = request.credentials.identity
    if identity is None:
        raise repo_not_found(401, "You must be authenticated to write to this repository")
    if create_pr or identity.user == _pr_author(hub, repo, target_ref):
        return require_contributor(request, repo.key)
    require_write_access(identity.user, identity.can_write, repo.key, scope=identity.repo)
    return identity.user


def _pr_author(hub: HubState, repo: Repo, ref: str) -> str | None:
    number = ref.removeprefix("refs/pr/")
    if number == ref or not number.isdigit():
        return None
    pull_request = hub.discussions.get(repo.git_dir, int(number))
    return pull_request.author if pull_request else None


def _record_pr_commit(
    hub: HubState, repo: Repo, ref: str, user: str, summary: str, commit_id: str
) -> None:
    """A commit to `refs/pr/N` is an event of pull request N."""
    number = ref.removeprefix("refs/pr/")
    if number != ref and hub.discussions.get(repo.git_dir, int(number)):
        new = event("commit", user, {"subject": summary, "oid": commit_id})
        hub.discussions.update(repo.git_dir, int(number), event=new)


def _write_blobs(
    hub: HubState, repo: Repo, operations: Iterable[Operation]
) -> tuple[list[StoredOperation], dict[str, str]]:
    """Check each addition and stream its blob into git; the operations with their additions as
    `Added`, and path -> blob id."""
    stored: list[StoredOperation] = []
    paths: list[str] = []

    def contents() -> Iterator[bytes]:
        for operation in operations:
            if isinstance(operation, AddRegular):
                if len(operation.content) > REGULAR_FILE_LIMIT:
                    raise _too_large()
                if operation.path == "README.md":
                    _check_readme(operation.content, repo.key.repo_type)
                content = operation.content
            elif isinstance(operation, AddLfs):
                stored_size = hub.lfs.size(operation.oid)
                if stored_size is None:  # or its content arrived through Xet
                    xet_file = hub.xet.file_by_sha256(operation.oid)
                    stored_size = xet_file.size if xet_file else None
                if stored_size is None:
                    raise bad_request(
                        f"LFS object {operation.oid} for {operation.path} was never uploaded"
                    )
                if operation.size is not None and operation.size != stored_size:
                    raise bad_request(
                        f"LFS object {operation.oid} has size {stored_size}, not {operation.size}"
                    )
                content = pointer_text(operation.oid, stored_size)
            else:
                stored.append(operation)
                continue
            stored.append(Added(operation.path))
            paths.append(operation.path)
            yield content

    oids = repo.write_blobs(contents())
    return stored, dict(zip(paths, oids, strict=True))


def _check_readme(content: bytes, repo_type: str) -> None:
    """The Hub refuses a README.md whose metadata it would refuse at `/api/validate-yaml`."""
    errors = validate_readme(content.decode(errors="replace"), repo_type).errors
    if errors:
        raise bad_request("Invalid metadata in README.md.\n" + "\n".join(f"- {e}" for e in errors))


def _too_large() -> HubError:
    return bad_request(TOO_LARGE_MESSAGE)


def routes() -> list[Route]:
    return [
        *api_routes("POST", "preupload/{revision}", preupload),
        *api_routes("POST", "commit/{revision}", commit),
    ]
