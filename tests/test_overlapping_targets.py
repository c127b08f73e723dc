"""Targets on one repo and branch whose scopes could overlap are a config error naming both
(they would delete or flag each other's files); targets kept apart by folders, `paths` or
`exclude` sync side by side. Through the CLI, against a real git remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers_git import git, hfsync

# Everything else, at the same root: the other targets' folders left out.
REST = '["**", "!app/**", "!docs/**", "!site/**", "!space/**", "!models/**"]'


def target(name: str, url: Path | str, extra: str = "") -> str:
    return f'[[targets]]\nname = "{name}"\nurl = "{url}"\ncreate = true\n{extra}\n'


def test_a_target_inside_another_on_the_same_branch_is_refused(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    whole = target("whole", remote)
    repo = make_repo({"hfsync.toml": whole, "app.py": "1\n", "sub/f.txt": "f\n"})
    assert hfsync(repo, "run").returncode == 0
    head = git(remote, "rev-parse", "main")
    config = whole + target("part", remote, 'local_dir = "sub"\nremote_dir = "sub"')
    (repo / "hfsync.toml").write_text(config)
    for args in (("run", "--prune"), ("run", "--dry-run"), ("status",), ("backups",)):
        done = hfsync(repo, *args)
        assert done.returncode == 2, (args, done.stdout + done.stderr)
        (line,) = done.stderr.splitlines()
        assert (
            "targets 'whole' and 'part' both write to " + f"{remote} (branch main) and both could "
            "manage 'sub/': each would take the other's files for files it never wrote"
        ) in line
    assert git(remote, "rev-parse", "main") == head  # nothing written

    # The whole-repository target leaving `sub/` out: apart, and both sync.
    carved = target("whole", remote, 'paths_ignore = ["sub/**"]')
    (repo / "hfsync.toml").write_text(
        carved + target("part", remote, 'local_dir = "sub"\nremote_dir = "sub"')
    )
    done = hfsync(repo, "run", "--prune")
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(remote, "show", "main:sub/f.txt") == "f"


@pytest.mark.parametrize(
    "repos", [("user/demo", "user/demo"), ("user/demo", "User/Demo")], ids=["same", "case"]
)
def test_two_hub_targets_on_one_space_root_are_refused(make_repo, repos) -> None:
    config = "".join(
        f'[[targets]]\nname = "t{i}"\nrepo = "{repo}"\n' for i, repo in enumerate(repos)
    )
    repo = make_repo({"hfsync.toml": config, "app.py": "1\n"})
    done = hfsync(repo, "check")
    assert done.returncode == 2
    assert "targets 't0' and 't1' both write to space" in done.stderr
    assert "could manage the whole repository" in done.stderr


def test_targets_kept_apart_sync_side_by_side(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    config = (
        target("app", remote, 'paths = ["app/**"]')
        + target("docs", remote, 'paths = ["docs/**"]')
        + target("space", remote, 'local_dir = "space"\nremote_dir = "site"\nexclude = ["models/"]')
        + target("models", remote, 'local_dir = "models"\nremote_dir = "site/models"')
        + target(
            "rest",
            remote,
            'paths = ["**", "!app/**", "!docs/**", "!site/**", "!space/**", "!models/**"]',
        )
        + target("other", remote, 'branch = "other"')  # the whole repo, on another branch
    )
    files = {
        "hfsync.toml": config,
        "app/a.py": "a\n",
        "docs/d.md": "d\n",
        "space/index.html": "i\n",
        "models/m.bin": "m\n",
        "README.md": "r\n",
    }
    repo = make_repo(files)
    done = hfsync(repo, "run", "--prune")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = git(remote, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert "site/index.html" in listed and "site/models/m.bin" in listed
    assert "space/index.html" not in listed  # `rest` leaves `site/` to its two targets,
    assert {"app/a.py", "docs/d.md", "README.md"} <= set(listed)  # the rest is its own
    again = hfsync(repo, "run", "--prune")
    assert again.returncode == 0 and again.stdout.count("nothing to do") == 6, again.stdout
