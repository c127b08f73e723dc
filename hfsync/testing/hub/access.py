"""Which repo and revision a request may reach, refused the way the Hub refuses.

* A bad token gets 401 everywhere (with `RepoNotFound` on repo endpoints).
* Public repos are readable by anyone; a private repo is readable by its owner only. Anyone else
  sees it as missing: 401 without a token, 404 with one (always `RepoNotFound`).
* Writing needs a token (401), of the repo's owner (403), with the `write` role (403).
* A token from a Trusted Publishers exchange is scoped to one repo: it writes there only (403
  elsewhere), and sees no other private repo.
* A renamed repo's old id answers 307 to the same path on its new id, for whoever may read it.
"""

from __future__ import annotations

from .errors import BAD_CREDENTIALS, HubError, repo_not_found, revision_not_found
from .moves import moved_location
from .naming import RepoKey, is_valid_name
from .oidc import in_scope, same_repo
from .routing import Params
from .state import HubState
from .storage import Repo
from .web import HubRequest


def repo_key(params: Params) -> RepoKey:
    """The repo a route names; an impossible name (or none: a canonical id like `gpt2`) is simply
    a missing repo."""
    key = RepoKey(params["repo_type"], params.get("namespace", ""), params["name"])
    if not (is_valid_name(key.namespace) and is_valid_name(key.name)):
        raise repo_not_found()
    return key


def readable_repo(hub: HubState, request: HubRequest, params: Params) -> Repo:
    credentials = request.credentials
    if credentials.invalid:
        raise repo_not_found(401, BAD_CREDENTIALS)
    key = repo_key(params)
    repo = hub.store.get(key)
    identity = credentials.identity
    owner = identity.user if identity and (repo is None or in_scope(identity, repo.key)) else None
    if repo is None:
        _redirect_if_moved(hub, request, key, owner)
    if repo is None or (repo.meta.private and not repo.key.owned_by(owner)):
        raise repo_not_found(404 if credentials.identity else 401)
    return repo


def _redirect_if_moved(hub: HubState, request: HubRequest, key: RepoKey, user: str | None) -> None:
    """A renamed repo's old id answers 307 to the same request on its new id, for whoever may
    read the repo there (anyone else sees a missing repo, as before the move)."""
    moved = hub.moves.target(key)
    repo = hub.store.get(moved) if moved is not None else None
    if repo is None or (repo.meta.private and not repo.key.owned_by(user)):
        return
    query = request.http.query_string.decode("latin-1")
    location = moved_location(request.raw_path, query, key, repo.key)
    if location is not None:
        raise HubError(
            307, f"Repository moved to {repo.key.repo_id}", headers={"Location": location}
        )


def writable_repo(hub: HubState, request: HubRequest, params: Params) -> Repo:
    repo = readable_repo(hub, request, params)
    identity = request.credentials.identity
    if identity is None:
        raise repo_not_found(401, "You must be authenticated to write to this repository")
    require_write_access(identity.user, identity.can_write, repo.key, scope=identity.repo)
    return repo


def require_write_access(
    user: str, can_write: bool, key: RepoKey, *, scope: RepoKey | None = None
) -> None:
    """`scope`: the one repo a scoped token may write to."""
    if scope is not None and not same_repo(scope, key):
        raise HubError(
            403,
            f"This token may only write to {scope.repo_type} {scope.repo_id} (it was exchanged "
            f"for that repo), not to {key.repo_type} {key.repo_id}",
        )
    if not key.owned_by(user):
        raise HubError(403, f"You don't have the rights to write to {key.repo_type} {key.repo_id}")
    if not can_write:
        raise HubError(
            403, "This action needs a token with the 'write' role; the token used is read-only"
        )


def require_identity(request: HubRequest) -> tuple[str, bool]:
    """(user, can_write) of a valid token, or a plain 401 (for endpoints outside any repo)."""
    credentials = request.credentials
    if credentials.invalid:
        raise HubError(401, BAD_CREDENTIALS)
    if credentials.identity is None:
        raise HubError(401, "You must be authenticated to do this")
    return credentials.identity.user, credentials.identity.can_write


def require_contributor(request: HubRequest, key: RepoKey | None = None) -> str:
    """The user of a valid write token: anyone may open discussions and pull requests on a repo
    they can read (and upload the LFS objects of their pull requests). A scoped token only on
    its repo (`key`: the repo acted on; unknown: refused)."""
    user, can_write = require_identity(request)
    if not can_write:
        raise HubError(
            403, "This action needs a token with the 'write' role; the token used is read-only"
        )
    identity = request.credentials.identity
    if identity is not None and not in_scope(identity, key):
        raise HubError(403, "This token may only act on the repo it was exchanged for")
    return user


def contributable_repo(hub: HubState, request: HubRequest, params: Params) -> Repo:
    """A repo the request may contribute a pull request to."""
    repo = readable_repo(hub, request, params)
    require_contributor(request, repo.key)
    return repo


def resolve_revision(repo: Repo, revision: str) -> str:
    """The commit `revision` names in `repo`, or the Hub's `RevisionNotFound`."""
    commit = repo.resolve(revision)
    if commit is None:
        raise revision_not_found(revision)
    return commit
