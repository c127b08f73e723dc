"""The push-everything baseline, run as its own process: `HfApi.upload_folder` of a folder, as the
hand-written workflows hfsync replaces do on every push; and a timed tree listing.

python -m bench.baseline upload REPO_ID FOLDER PATH_IN_REPO   (creates the Space if missing)
python -m bench.baseline list-tree REPO_ID                    (prints the listing's seconds)
Endpoint and token come from HF_ENDPOINT and HF_TOKEN.
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str]) -> None:
    from huggingface_hub import HfApi

    api = HfApi()
    command, repo_id = argv[0], argv[1]
    if command == "upload":
        folder, path_in_repo = argv[2], argv[3]
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
        api.upload_folder(
            repo_id=repo_id, repo_type="space", folder_path=folder, path_in_repo=path_in_repo
        )
    elif command == "list-tree":
        started = time.perf_counter()
        count = sum(1 for _ in api.list_repo_tree(repo_id, repo_type="space", recursive=True))
        print(f"{time.perf_counter() - started} {count}")
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
