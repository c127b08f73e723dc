"""hfsync on a Space that was renamed with the real client (`HfApi.move_repo`): the Hub redirects
the old id (307, reads and writes alike, and the client follows with the body), so a target that
still names the old id keeps working, says on each run which id to put in the config, and never
creates a new repo under the old name with `create = true`."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfsync.remotes.hub_moved import moved_to
from hfsync.testing.hub import TestHub
from tests.helpers_git import commit_all, hfsync, write_files
from tests.test_watch import cli_watch, wait_for

OLD, NEW = "user/demo", "user/renamed"
NOTE = f'space {OLD} was renamed to {NEW} (the Hub redirects the old id): set repo = "{NEW}"'
README = "---\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"
BIG = b"\0weights" * 4096  # with a NUL byte: stored through Xet


@pytest.fixture
def renamed(make_repo, hub: TestHub, api: HfApi, env: dict[str, str]) -> Path:
    """A project synced to `user/demo` (created by hfsync), then the Space renamed."""
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nrepo = "{OLD}"\ncreate = true\n',
            "README.md": README,
            "app.py": "print(1)\n",
            "model.bin": BIG,
        }
    )
    first = hfsync(repo, "run")
    assert first.returncode == 0, first.stderr
    api.move_repo(OLD, NEW, repo_type="space")
    return repo


def space_text(api: HfApi, path: str) -> str:
    return Path(api.hf_hub_download(NEW, path, repo_type="space")).read_text()


def test_a_run_writes_through_the_redirect_and_names_the_new_id(
    renamed: Path, hub: TestHub, api: HfApi
) -> None:
    write_files(renamed, {"app.py": "print(2)\n", "model.bin": BIG + b"more"})
    commit_all(renamed)
    hub.control.clear_log()

    done = hfsync(renamed, "run")

    assert done.returncode == 0, done.stderr
    assert done.stdout.count(NOTE) == 1, done.stdout
    assert "committed" in done.stdout
    assert space_text(api, "app.py") == "print(2)\n"
    commits = api.list_repo_commits(NEW, repo_type="space")
    assert commits[0].title.startswith("hfsync: upload 2 files")
    # Every request went to the old id and was redirected; nothing was created there.
    assert hub.control.count("POST", rf"^/api/spaces/{OLD}/commit/main$") == 1
    assert hub.control.count("POST", "/api/repos/create") == 0
    assert not hub.git_dir("space", OLD).exists()


def test_a_no_change_run_still_names_the_new_id(renamed: Path, hub: TestHub) -> None:
    """The remembered answer of the run before the rename is not given again: that run did not
    know of the rename (the head did not move)."""
    hub.control.clear_log()
    for _ in range(2):
        done = hfsync(renamed, "run")

        assert done.returncode == 0, done.stderr
        assert NOTE in done.stdout and "nothing to do" in done.stdout
    assert hub.control.count("POST", "/api/repos/create") == 0


def test_the_config_with_the_new_id_syncs_without_a_note(renamed: Path, api: HfApi) -> None:
    toml = (renamed / "hfsync.toml").read_text().replace(OLD, NEW)
    write_files(renamed, {"hfsync.toml": toml, "app.py": "print(3)\n"})
    commit_all(renamed)

    done = hfsync(renamed, "run")

    assert done.returncode == 0, done.stderr
    assert "renamed" not in done.stdout and "(first sync)" not in done.stdout
    assert space_text(api, "app.py") == "print(3)\n"


def test_watch_says_once_which_id_to_put_in_the_config(
    renamed: Path, api: HfApi, tmp_path: Path
) -> None:
    with cli_watch(renamed, tmp_path, "--poll", "0", "-v") as watch:  # -v: "nothing to do" too
        write_files(renamed, {"app.py": "print(4)\n"})
        wait_for(lambda: "committed" in watch.stdout(), "the sync of the change")
        write_files(renamed, {"app.py": "print(5)\n"})
        wait_for(lambda: watch.stdout().count("committed") == 2, "the next sync")
        watch.proc.terminate()
        assert watch.proc.wait(timeout=20) == 0
    assert watch.stderr().count(NOTE) == 1, watch.stderr()
    assert space_text(api, "app.py") == "print(5)\n"


@pytest.mark.parametrize(
    "answer",
    [
        {"id": "user/demo"},
        {"id": "USER/Demo"},  # the same repo, as the Hub spells it
        {"id": "user/x\nnote: forged"},
        {"id": ["user/x"]},
        {"id": "a" * 200 + "/x"},
        ["user/x"],
        None,
    ],
)
def test_an_answer_that_names_no_other_repo_is_no_rename(answer: object) -> None:
    assert moved_to("user/demo", answer) is None


def test_an_answer_naming_another_repo_is_a_rename() -> None:
    assert moved_to("user/demo", {"id": "org/demo-v2", "sha": "0" * 40}) == "org/demo-v2"
