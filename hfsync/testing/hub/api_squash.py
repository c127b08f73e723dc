"""Super-squash: `POST /api/{type}s/{id}/super-squash/{ref}` with `{"message"}` (hub-api §4),
what `HfApi.super_squash_history` and `CommitScheduler(squash_history=True)` send.

The ref (a branch name, or a full `refs/heads/...`, `refs/pr/N` or `refs/convert/...` ref) becomes
one commit without a parent, holding the head's tree, by the token's user. The old commits stay
reachable from the other refs that point at them (a branch made from `main` keeps its history),
as on the Hub. A tag or a commit id is not a branch: 400. A Space's `main` rebuilds.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from . import git
from .access import writable_repo
from .api_spaces import start_space_build
from .errors import HubError, bad_request, revision_not_found
from .routing import Params, Route, api_routes
from .state import HubState
from .storage import DEFAULT_BRANCH, Repo, user_identity
from .web import HubRequest, json_response

# Full refs that may be squashed: branches, pull requests and the Hub's conversion refs.
_SQUASHABLE = ("refs/heads/", "refs/pr/", "refs/convert/")


def super_squash(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    ref = _ref(repo, params["revision"])
    message = request.json_object().get("message")
    if message is None:
        message = f"Super-squash branch '{params['revision']}'"
    if not isinstance(message, str) or not message.strip():
        raise bad_request("`message` must be a non-empty string")
    author = user_identity(request.user or "")
    with repo.lock:
        head = repo.refs().get(ref)
        if head is None:
            raise revision_not_found(params["revision"])
        tree = git.run_git(repo.git_dir, "rev-parse", f"{head}^{{tree}}").decode().strip()
        squashed = git.commit_tree(repo.git_dir, tree, [], message, author)
        git.update_ref(repo.git_dir, ref, squashed, head)
    if repo.key.repo_type == "space" and ref == f"refs/heads/{DEFAULT_BRANCH}":
        start_space_build(hub, repo, squashed)
    return json_response({})


def _ref(repo: Repo, revision: str) -> str:
    """The full ref `revision` names, if it may be squashed: a 400 for a tag or a commit id (the
    Hub's "invalid reference for a branch"), RevisionNotFound for a missing branch."""
    refs = repo.refs()
    if revision.startswith("refs/"):
        if not revision.startswith(_SQUASHABLE):
            raise HubError(400, f"Invalid reference for a branch: {revision}")
        if revision not in refs:
            raise revision_not_found(revision)
        return revision
    if f"refs/heads/{revision}" in refs:
        return f"refs/heads/{revision}"
    if f"refs/tags/{revision}" in refs or repo.resolve(revision) is not None:
        raise HubError(400, f"Invalid reference for a branch: {revision}")
    raise revision_not_found(revision)


def routes() -> list[Route]:
    return api_routes("POST", "super-squash/{revision*}", super_squash)
