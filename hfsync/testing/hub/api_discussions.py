"""The discussions API the client calls (hub-api §5.8): create, list, details, comment, rename,
change status and merge a pull request.

Anyone with a write token may open a discussion or a pull request on a repo they can read, and
comment; its author or the repo's owner may rename it or change its status; only the owner may
merge a pull request.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import git
from .access import readable_repo, require_contributor, resolve_revision
from .api_spaces import start_space_build
from .discussions import Discussion, comment_event, event, pr_numbers
from .errors import HubError, bad_request
from .routing import Params, Route, api_routes
from .state import HubState
from .storage import DEFAULT_BRANCH, Repo
from .web import HubRequest, json_response

PAGE_SIZE = 50
_TYPES = {"all": None, "discussion": False, "pull_request": True}


def create(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    user = require_contributor(request)
    body = request.json_object()
    title, description = _title(body.get("title")), body.get("description")
    if not isinstance(description, (str, type(None))):
        raise bad_request("`description` must be a string")
    pull_request = body.get("pullRequest") is True
    with repo.lock:
        # Pull requests made through this API start as drafts, as on the Hub.
        discussion = hub.discussions.create(
            repo.git_dir,
            title,
            user,
            pull_request=pull_request,
            status="draft" if pull_request else "open",
            description=description,
            taken=pr_numbers(repo.refs()),
        )
        if pull_request:
            repo.create_ref(discussion.ref, resolve_revision(repo, DEFAULT_BRANCH))
    return json_response(
        {"num": discussion.num, "url": _url(request, repo, discussion.num)}, status=200
    )


def list_all(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    args = request.http.args
    kind, status, author = args.get("type", "all"), args.get("status", "all"), args.get("author")
    page = args.get("p", "0")
    if kind not in _TYPES or status not in ("all", "open", "closed") or not page.isdigit():
        raise bad_request("Invalid `type`, `status` or `p`")
    found = [
        d
        for d in reversed(hub.discussions.all(repo.git_dir))
        if (_TYPES[kind] is None or d.is_pull_request == _TYPES[kind])
        and (status == "all" or (d.status in ("open", "draft")) == (status == "open"))
        and (author is None or d.author == author)
    ]
    start = int(page) * PAGE_SIZE
    return json_response(
        {
            "discussions": [_summary(repo, d) for d in found[start : start + PAGE_SIZE]],
            "count": len(found),
            "start": start,
            "numClosedDiscussions": sum(d.status in ("closed", "merged") for d in found),
        }
    )


def details(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    discussion = _discussion(hub, repo, params)
    data = _summary(repo, discussion)
    data["events"] = discussion.events
    if discussion.is_pull_request:
        changes: dict[str, Any] = {"base": discussion.base}
        if discussion.merge_commit:
            changes["mergeCommitId"] = discussion.merge_commit
        data.update(changes=changes, filesWithConflicts=[])
        if request.flag("diff"):
            data["diff"] = _diff(repo, discussion)
    return json_response(data)


def comment(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    user = require_contributor(request)
    text = request.json_object().get("comment")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("`comment` must be a non-empty string")
    new = comment_event(user, text)
    hub.discussions.update(repo.git_dir, _discussion(hub, repo, params).num, event=new)
    return json_response({"newMessage": new})


def rename(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    discussion = _discussion(hub, repo, params)
    user = _author_or_owner(request, repo, discussion)
    title = _title(request.json_object().get("title"))
    new = event("title-change", user, {"from": discussion.title, "to": title})
    hub.discussions.update(repo.git_dir, discussion.num, title=title, event=new)
    return json_response({"newTitle": new})


def change_status(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    discussion = _discussion(hub, repo, params)
    user = _author_or_owner(request, repo, discussion)
    body = request.json_object()
    status, text = body.get("status"), body.get("comment")
    if status not in ("open", "closed"):
        raise bad_request("`status` must be 'open' or 'closed'")
    if discussion.status == "merged":
        raise HubError(409, "This pull request is already merged")
    if isinstance(text, str) and text.strip():
        hub.discussions.update(repo.git_dir, discussion.num, event=comment_event(user, text))
    new = event("status-change", user, {"status": status})
    hub.discussions.update(repo.git_dir, discussion.num, status=status, event=new)
    return json_response({"newStatus": new})


def merge(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    discussion = _discussion(hub, repo, params)
    user = require_contributor(request)
    if not repo.key.owned_by(user):
        raise HubError(403, "Only the repo's owner can merge a pull request")
    if not discussion.is_pull_request or discussion.status not in ("open", "draft"):
        raise bad_request("Only an open pull request can be merged")
    base = discussion.base or f"refs/heads/{DEFAULT_BRANCH}"
    with repo.lock:
        refs = repo.refs()
        base_head, head = refs[base], refs[discussion.ref]
        merged = _merge(repo, base_head, head, discussion, user)
        git.update_ref(repo.git_dir, base, merged, base_head)
    text = (request.json_object().get("comment") or "").strip()
    if text:
        hub.discussions.update(repo.git_dir, discussion.num, event=comment_event(user, text))
    new = event("status-change", user, {"status": "merged"})
    hub.discussions.update(
        repo.git_dir, discussion.num, status="merged", merge_commit=merged, event=new
    )
    if repo.key.repo_type == "space" and base == f"refs/heads/{DEFAULT_BRANCH}":
        start_space_build(hub, repo, merged)
    return json_response({})


def _merge(repo: Repo, base_head: str, head: str, discussion: Discussion, user: str) -> str:
    """A merge commit of the pull request's head into its base (conflicts: 409)."""
    if base_head == head or git.is_ancestor(repo.git_dir, head, base_head):
        raise bad_request("Nothing to merge: the pull request has no new commit")
    try:
        tree = git.merge_tree(repo.git_dir, base_head, head)
    except git.GitError as error:
        raise HubError(409, "This pull request has conflicts with its base branch") from error
    message = f"Merge pull request #{discussion.num}: {discussion.title}\n"
    return git.commit_tree(repo.git_dir, tree, [base_head, head], message, (user, user))


def _diff(repo: Repo, discussion: Discussion) -> str:
    refs = repo.refs()
    base, head = refs.get(discussion.base or ""), refs.get(discussion.ref)
    if base is None or head is None:
        return ""
    return git.run_git(repo.git_dir, "diff", f"{base}...{head}").decode(errors="replace")


def _summary(repo: Repo, discussion: Discussion) -> dict[str, Any]:
    return {
        "num": discussion.num,
        "title": discussion.title,
        "author": {"name": discussion.author},
        "createdAt": discussion.created_at,
        "status": discussion.status,
        "repo": {"name": repo.key.repo_id, "type": repo.key.repo_type},
        "isPullRequest": discussion.is_pull_request,
        "pinned": False,
        "numComments": sum(e["type"] == "comment" for e in discussion.events),
    }


def _discussion(hub: HubState, repo: Repo, params: Params) -> Discussion:
    number = params["num"]
    found = hub.discussions.get(repo.git_dir, int(number)) if number.isdigit() else None
    if found is None:
        raise HubError(404, f"Discussion {number} not found")
    return found


def _author_or_owner(request: HubRequest, repo: Repo, discussion: Discussion) -> str:
    user = require_contributor(request)
    if user != discussion.author and not repo.key.owned_by(user):
        raise HubError(403, "Only the discussion's author or the repo's owner can do this")
    return user


def _title(title: object) -> str:
    """The Hub's rule: 3 to 200 characters once stripped."""
    if not isinstance(title, str) or not 3 <= len(title.strip()) <= 200:
        raise bad_request("The title must be between 3 and 200 characters long")
    return title.strip()


def _url(request: HubRequest, repo: Repo, num: int) -> str:
    return f"{repo.key.web_url(request.base_url)}/discussions/{num}"


def routes() -> list[Route]:
    return [
        *api_routes("GET", "discussions", list_all),
        *api_routes("POST", "discussions", create),
        *api_routes("GET", "discussions/{num}", details),
        *api_routes("POST", "discussions/{num}/comment", comment),
        *api_routes("POST", "discussions/{num}/title", rename),
        *api_routes("POST", "discussions/{num}/status", change_status),
        *api_routes("POST", "discussions/{num}/merge", merge),
    ]
