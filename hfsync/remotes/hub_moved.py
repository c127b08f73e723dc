"""A Hub repo that was renamed or transferred: the Hub redirects its old id to the new one, and
its answers name the new id. hfsync keeps working through the redirect and says, on every run,
which id to put in the config."""

from __future__ import annotations

import re

# A repo id as the Hub spells it (the client's rule); anything else in an answer is ignored.
_REPO_ID = re.compile(r"[A-Za-z0-9_.-]{1,96}/[A-Za-z0-9_.-]{1,96}")


def moved_to(asked: str, answer: object) -> str | None:
    """The repo's id in the Hub's answer about `asked`, when it names another repo (ids differ
    only in case for the same repo): the old id was redirected to it."""
    new = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(new, str) or _REPO_ID.fullmatch(new) is None:
        return None
    return None if new.lower() == asked.lower() else new


def renamed_note(repo_type: str, old: str, new: str) -> str:
    return (
        f"{repo_type} {old} was renamed to {new} (the Hub redirects the old id): "
        f'set repo = "{new}" in the config'
    )
