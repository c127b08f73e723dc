"""The least a careful client does to sync one changed file to a Space, run as its own process
(issue 23's comparison for a one-file sync):

python -m bench.minimal_client REPO_ID PATH BACKUP_BRANCH   (in the checkout; PATH relative)

It imports huggingface_hub, runs `git status --porcelain`, reads the Space's head, reads the
remote entry of PATH, creates BACKUP_BRANCH at the head and commits PATH pinned to that head.
Endpoint and token come from HF_ENDPOINT and HF_TOKEN.
"""

from __future__ import annotations

import subprocess
import sys


def main(argv: list[str]) -> None:
    from huggingface_hub import CommitOperationAdd, HfApi

    repo_id, path, backup = argv
    api = HfApi()
    subprocess.run(["git", "status", "--porcelain"], check=True, capture_output=True)
    head = api.repo_info(repo_id, repo_type="space").sha
    assert head is not None
    api.get_paths_info(repo_id, [path], repo_type="space", revision=head)
    api.create_branch(repo_id, repo_type="space", branch=backup, revision=head)
    api.create_commit(
        repo_id,
        repo_type="space",
        operations=[CommitOperationAdd(path_in_repo=path, path_or_fileobj=path)],
        commit_message=f"Update {path}",
        parent_commit=head,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
