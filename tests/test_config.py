"""Config loading: good configs load; every bad config is one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.config.model import load_config
from tests.helpers_git import hfsync

GOOD = """
[[targets]]
name = "space"
repo = "owner/app"
paths = ["core/**", "!core/private/**"]
exclude = ["*.pyc"]

[[targets]]
name = "mirror"
url = "../mirror.git"
create = true
paths_ignore = ["docs/**"]
local_dir = "space"
remote_dir = "app"
"""

BAD = [
    # (id, config text, words the one-line message must contain)
    (
        "unknown key",
        '[[targets]]\nname="a"\nrepo="o/s"\npahts=["x"]\n',
        ["targets[1].pahts", "unknown key", "did you mean 'paths'"],
    ),
    ("unknown top key", 'target=1\n[[targets]]\nname="a"\nrepo="o/s"\n', ["target", "unknown key"]),
    ("no targets", "", ["targets", "missing"]),
    ("empty targets", "targets = []\n", ["targets", "at least 1"]),
    ("missing name", '[[targets]]\nrepo="o/s"\n', ["targets[1].name", "missing"]),
    ("repo and url", '[[targets]]\nname="a"\nrepo="o/s"\nurl="x.git"\n', ["exactly one of 'repo'"]),
    ("neither repo nor url", '[[targets]]\nname="a"\n', ["exactly one of 'repo'"]),
    (
        "bad policy",
        '[[targets]]\nname="a"\nrepo="o/s"\non_conflict="merge"\n',
        ["on_conflict", "'abort', 'overwrite' or 'skip'", "merge"],
    ),
    (
        "bad repo type",
        '[[targets]]\nname="a"\nrepo="o/s"\nrepo_type="kernel"\n',
        ["repo_type", "kernel"],
    ),
    ("bad repo id", '[[targets]]\nname="a"\nrepo="o/s/x"\n', ["targets[1].repo", "owner/name"]),
    (
        "negative max_delete",
        '[[targets]]\nname="a"\nrepo="o/s"\nmax_delete=-1\n',
        ["max_delete", "greater than or equal to 0"],
    ),
    (
        "zero backup_keep",
        '[[targets]]\nname="a"\nrepo="o/s"\nbackup_keep=0\n',
        ["backup_keep", "greater than or equal to 1"],
    ),
    (
        "wrong type",
        '[[targets]]\nname="a"\nrepo="o/s"\nmax_delete="many"\n',
        ["max_delete", "integer"],
    ),
    (
        "paths not a list",
        '[[targets]]\nname="a"\nrepo="o/s"\npaths="a/**"\n',
        ["targets[1].paths", "list"],
    ),
    (
        "paths and paths_ignore",
        '[[targets]]\nname="a"\nrepo="o/s"\npaths=["a"]\npaths_ignore=["b"]\n',
        ["only one of", "paths_ignore"],
    ),
    (
        "duplicate names",
        '[[targets]]\nname="a"\nrepo="o/s"\n[[targets]]\nname="a"\nrepo="o/t"\n',
        ["unique", "a"],
    ),
    (
        "token in config",
        '[[targets]]\nname="a"\nrepo="o/s"\ntoken="hf_secret_value"\n',
        ["targets[1].token", "HF_TOKEN"],
    ),
    ("bad toml", "[[targets]\nname=\n", ["not valid TOML"]),
    ("bad pattern", '[[targets]]\nname="a"\nrepo="o/s"\npaths=["**.c++"]\n', ["paths", "**.c++"]),
    (
        "only negative patterns",
        '[[targets]]\nname="a"\nrepo="o/s"\npaths=["!docs/**"]\n',
        ["paths", "!"],
    ),
    (
        "missing workflow",
        '[[targets]]\nname="a"\nrepo="o/s"\nfrom_workflow=".github/workflows/none.yml"\n',
        ["none.yml"],
    ),
    (
        "dotdot local_dir",
        '[[targets]]\nname="a"\nrepo="o/s"\nlocal_dir="../x"\n',
        ["local_dir", ".."],
    ),
    ("bad branch", '[[targets]]\nname="a"\nrepo="o/s"\nbranch="refs/heads/main"\n', ["branch"]),
    ("bad name", '[[targets]]\nname="my target"\nrepo="o/s"\n', ["targets[1].name"]),
    # strict types: a lax reading would take these as 10, True and an endless wait
    ("string number", '[[targets]]\nname="a"\nrepo="o/s"\nmax_delete="10"\n', ["'10'"]),
    ("string bool", '[[targets]]\nname="a"\nrepo="o/s"\ncreate="yes"\n', ["create", "'yes'"]),
    ("infinite timeout", '[[targets]]\nname="a"\nrepo="o/s"\nbuild_timeout=inf\n', ["finite"]),
    ("HEAD branch", '[[targets]]\nname="a"\nrepo="o/s"\nbranch="HEAD"\n', ["branch", "HEAD"]),
    ("NUL in branch", '[[targets]]\nname="a"\nrepo="o/s"\nbranch="a\\u0000b"\n', ["branch"]),
    ("tilde in branch", '[[targets]]\nname="a"\nrepo="o/s"\nbranch="a~1"\n', ["branch", "~"]),
    ("lock branch", '[[targets]]\nname="a"\nrepo="o/s"\nbranch="x.lock"\n', ["branch", ".lock"]),
    (
        "bad exclude",
        '[[targets]]\nname="a"\nrepo="o/s"\nexclude=["ok", "[z-a]"]\n',
        ["exclude", "[z-a]"],
    ),
    ("remote_dir in .git", '[[targets]]\nname="a"\nrepo="o/s"\nremote_dir=".git/x"\n', [".git"]),
    ("absolute local_dir", '[[targets]]\nname="a"\nrepo="o/s"\nlocal_dir="/srv"\n', ["absolute"]),
    ("missing local_dir", '[[targets]]\nname="a"\nrepo="o/s"\nlocal_dir="nope"\n', ["nope"]),
    ("deep toml", "x = " + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"]),
    ("deep toml tables", "x = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n", ["nested too deeply"]),
    (
        "every bad key",
        '[[target]]\n[[targets]]\nname="a"\nrepo="o/s"\nbrnch="x"\nmax_delete="x"\n',
        ["3 problems", "targets[1].brnch", "'branch'", "max_delete", "did you mean 'targets'"],
    ),
    (
        "second target numbered 2",
        '[[targets]]\nname="a"\nrepo="o/s"\n[[targets]]\nname="b"\nrepo="o/t"\nbackupkeep=1\n',
        ["targets[2].backupkeep", "did you mean 'backup_keep'"],
    ),
    (
        "rollback without wait",
        '[[targets]]\nname="a"\nrepo="o/s"\nrollback_on_failure=true\n',
        ["wait_for_build"],
    ),
]


def test_good_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "hfsync.toml"
    path.write_text(GOOD)
    config = load_config(path)
    space, mirror = config.targets
    assert (space.repo, space.repo_type, space.branch, space.max_delete) == (
        "owner/app",
        "space",
        "main",
        50,
    )
    assert (mirror.url, mirror.local_dir, mirror.remote_dir, mirror.create) == (
        "../mirror.git",
        "space",
        "app",
        True,
    )


def test_pyproject_tool_table(make_repo) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname="x"\n\n[[tool.hfsync.targets]]\n'
            'name="a"\nrepo="o/s"\npaths=["src/**"]\n',
            "src/a.py": "a",
            "other.py": "b",
        }
    )
    done = hfsync(repo, "ls-files")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["src/a.py"]


@pytest.mark.parametrize(("text", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_one_line_and_exit_2(make_repo, text: str, words: list[str]) -> None:
    repo = make_repo({"a.txt": "a"})
    (repo / "hfsync.toml").write_text(text)
    done = hfsync(repo, "ls-files")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "hfsync.toml" in lines[0]
    for word in words:
        assert word in lines[0]
    assert "hf_secret_value" not in done.stderr + done.stdout


def test_missing_config_says_how_to_fix(make_repo) -> None:
    repo = make_repo({"a.txt": "a"})
    done = hfsync(repo, "ls-files")
    assert done.returncode == 2
    assert "hfsync init" in done.stderr


def test_unknown_target_name(make_repo) -> None:
    repo = make_repo({"hfsync.toml": '[[targets]]\nname="a"\nrepo="o/s"\n'})
    done = hfsync(repo, "ls-files", "--target", "b")
    assert done.returncode == 2
    assert "no target named 'b'" in done.stderr


def workflow_config(workflow: str) -> str:
    return f'[[targets]]\nname="a"\nrepo="o/s"\nfrom_workflow="{workflow}"\n'


DUPLICATE_KEYS = "on:\n  push:\n    paths: ['a/**']\n  push:\n    paths: ['b/**']\n"


@pytest.mark.parametrize(
    ("workflow", "content", "words"),
    [
        ("/dev/zero", None, ["outside the repository"]),
        ("../outside.yml", "on:\n  push:\n    paths: ['a']\n", ["outside the repository"]),
        ("fifo.yml", "fifo", ["not a regular file"]),
        ("dup.yml", DUPLICATE_KEYS, ["duplicate key 'push'", "line 4"]),
        ("deep.yml", "on: " + "[" * 20000 + "]" * 20000 + "\n", ["nested too deeply"]),
        ("big.yml", "#" * (300 << 10), ["bytes"]),
    ],
    ids=["dev-zero", "outside", "fifo", "duplicate keys", "deep", "huge"],
)
def test_bad_workflow_is_one_line_and_exit_2(
    make_repo, workflow: str, content: str | None, words: list[str]
) -> None:
    import os

    repo = make_repo({"a.txt": "a", "hfsync.toml": workflow_config(workflow)})
    if content == "fifo":
        os.mkfifo(repo / workflow)
    elif content is not None:
        (repo / workflow).write_text(content)
    done = hfsync(repo, "ls-files")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0]


def test_huge_config_file_is_refused(make_repo) -> None:
    repo = make_repo({"a.txt": "a"})
    (repo / "hfsync.toml").write_text('[[targets]]\nname="a"\nrepo="o/s"\n' + "#" * (300 << 10))
    done = hfsync(repo, "ls-files")
    assert done.returncode == 2 and "bytes" in done.stderr


VALUES = [
    '"text"',
    "-1",
    "0",
    "10000000000000000000000",
    "nan",
    "-inf",
    "1.5",
    "true",
    "[]",
    '["a", 1]',
    "[[1]]",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "07:32:00",
]


@pytest.mark.parametrize("value", VALUES)
def test_any_value_of_any_key_loads_or_is_one_config_error(tmp_path: Path, value: str) -> None:
    """Every key of a target and of [notify], given every kind of TOML value: the config loads,
    or one ConfigError line names that key; never another exception."""
    from hfsync.config.model import NotifyConfig, TargetConfig
    from hfsync.core.errors import ConfigError

    path = tmp_path / "hfsync.toml"
    tables = [("[[targets]]", "targets[1].", TargetConfig), ("[notify]", "notify.", NotifyConfig)]
    for header, where, struct in tables:
        for key in struct.__struct_fields__:
            base = 'name = "a"\nrepo = "o/s"\n' if header == "[[targets]]" else ""
            lines = [line for line in base.splitlines() if not line.startswith(f"{key} ")]
            text = '[[targets]]\nname = "b"\nurl = "x.git"\n' if header == "[notify]" else ""
            path.write_text(text + "\n".join([header, *lines, f"{key} = {value}", ""]))
            try:
                load_config(path)
            except ConfigError as exc:
                message = str(exc)
                assert "\n" not in message
                assert where + key in message or "targets[1]:" in message, message


def test_a_config_with_thousands_of_problems_is_one_short_line(make_repo) -> None:
    repo = make_repo({"a.txt": "a"})
    keys = "".join(f"key{n} = 1\n" for n in range(5000))
    (repo / "hfsync.toml").write_text(f'[[targets]]\nname="a"\nrepo="o/s"\n{keys}')
    done = hfsync(repo, "ls-files")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 5000, lines[0][:300]
    assert "5000 problems: targets[1].key0: unknown key" in lines[0]
    assert lines[0].endswith("; and 4990 more")
