"""Keyless CI (Trusted Publishers): with HF_OIDC_RESOURCE and no HF_TOKEN, hfsync gets its token
the way huggingface_hub does, from an id token served as GitHub's Actions runtime serves it (or
given in HF_OIDC_ID_TOKEN); a refused exchange is exit 4 with what to fix; no token or id token
shows in anything hfsync writes. The real CLI, the real client, the test Hub over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN
from tests.helpers_git import commit_all, hfsync, write_files
from tests.test_notify import Receiver, receiver  # noqa: F401 (the fixture)

SUBJECT = "repo:me/app:ref:refs/heads/main"
RESOURCE = "spaces/user/demo"
RUNTIME = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
README = "---\ntitle: Demo\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"


def files(repo: str = "user/demo", extra: str = "") -> dict[str, str | bytes]:
    config = f'[[targets]]\nname = "space"\nrepo = "{repo}"\n{extra}'
    return {"hfsync.toml": config, "README.md": README, "app.py": "print('hello')\n"}


def actions_job(hub: TestHub, tmp_path: Path, subject: str = SUBJECT) -> dict[str, str]:
    """The environment of a GitHub Actions job with `permissions: id-token: write` whose id
    tokens carry `subject`, and no HF_TOKEN."""
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "HF_ENDPOINT": hub.url,
        "HF_OIDC_RESOURCE": RESOURCE,
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{hub.url}/_testhub/oidc/id-token",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": hub.trusted_publishers.runtime(subject),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }


def written(repo: Path, tmp_path: Path, *texts: str) -> str:
    """Everything hfsync wrote: the outputs given, the job summary and step outputs, and the
    local state under .git/hfsync/."""
    parts = list(texts)
    for name in ("summary.md", "output.txt"):
        if (tmp_path / name).exists():
            parts.append((tmp_path / name).read_text())
    for path in sorted((repo / ".git" / "hfsync").rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode(errors="replace"))
    return "\n".join(parts)


def assert_no_token_in(text: str, env: dict[str, str]) -> None:
    assert "hf_jwt_" not in text  # an exchanged token
    assert "eyJ" not in text  # an id token (a JWT)
    for name in ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "HF_OIDC_ID_TOKEN"):
        if name in env:
            assert env[name] not in text


@pytest.fixture
def publisher(hub: TestHub, demo_space: str) -> str:
    hub.trusted_publishers.register(RESOURCE, SUBJECT)
    return demo_space


def test_a_github_job_syncs_with_no_secret(
    make_repo,
    hub: TestHub,
    api: HfApi,
    publisher: str,
    receiver: Receiver,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    notify = '\n[notify]\nurls_from_env = ["HFSYNC_NOTIFY_URL"]\nevents = ["success"]\n'
    repo = make_repo(files() | {"hfsync.toml": files()["hfsync.toml"] + notify})
    env = actions_job(hub, tmp_path) | {"HFSYNC_NOTIFY_URL": receiver.url}

    first = hfsync(repo, "run", env=env)
    assert first.returncode == 0, first.stderr
    assert "committed" in first.stdout
    write_files(repo, {"app.py": "print('hello again')\n"})
    commit_all(repo, "second version")
    second = hfsync(repo, "run", "--json", env=env)
    assert second.returncode == 0, second.stderr

    assert json.loads(second.stdout)["exit_code"] == 0
    assert api.hf_hub_download(publisher, "app.py", repo_type="space", revision="main")
    exchanges = hub.control.requests("POST", "^/oauth/token$")
    assert [record.status for record in exchanges] == [200, 200]  # one per run
    commits = hub.control.requests("POST", "/commit/")
    assert [record.user for record in commits] == ["user", "user"]
    assert len(receiver.received) == 2
    everything = written(
        repo, tmp_path, first.stdout, first.stderr, second.stdout, second.stderr,
        json.dumps(receiver.received),
    )  # fmt: skip
    assert_no_token_in(everything, env)


@pytest.mark.parametrize("with_json", [False, True])
def test_a_job_of_another_workflow_is_refused_saying_where_to_add_a_publisher(
    make_repo, hub: TestHub, api: HfApi, publisher: str, tmp_path: Path, with_json: bool
) -> None:
    repo = make_repo(files())
    env = actions_job(hub, tmp_path, subject="repo:me/app:ref:refs/heads/dev")

    done = hfsync(repo, "run", *(["--json"] if with_json else []), env=env)

    assert done.returncode == 4, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("hfsync: error:")]
    assert len(errors) == 1, done.stderr
    assert "Trusted Publishers" in errors[0]
    assert "add a trusted publisher matching this workflow" in errors[0]
    assert f"{hub.url}/spaces/user/demo/settings" in errors[0]
    assert "repo:me/app:ref:refs/heads/dev" in errors[0]  # the subject to register
    if with_json:
        message = json.loads(done.stdout)["targets"][0]["error"]["message"]
        assert "add a trusted publisher" in message
    assert "add a trusted publisher" in (tmp_path / "summary.md").read_text()
    assert api.list_repo_files(publisher, repo_type="space") == [".gitattributes", "README.md"]
    assert [b.name for b in api.list_repo_refs(publisher, repo_type="space").branches] == ["main"]
    assert_no_token_in(written(repo, tmp_path, done.stdout, done.stderr), env)


@pytest.mark.parametrize(
    ("drop", "github", "says"),
    [
        (("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"), "true", "id-token"),
        (
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
            "",
            "HF_OIDC_ID_TOKEN",
        ),
        ((), "true", "refused this job an OIDC id token"),  # a request token the runtime refuses
    ],
)
def test_a_job_that_cannot_get_an_id_token_is_refused_saying_what_to_fix(
    make_repo, hub: TestHub, api: HfApi, publisher: str, tmp_path: Path,
    drop: tuple[str, ...], github: str, says: str,
) -> None:  # fmt: skip
    repo = make_repo(files())
    env = actions_job(hub, tmp_path) | {"GITHUB_ACTIONS": github}
    env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "runtime_of_no_job"
    for name in drop:
        env[name] = ""

    done = hfsync(repo, "run", env=env)

    assert done.returncode == 4, done.stderr
    assert "Trusted Publishers" in done.stderr
    assert says in done.stderr
    if says == "id-token":
        assert "`permissions: id-token: write`" in done.stderr
    assert "Traceback" not in done.stderr
    assert api.list_repo_files(publisher, repo_type="space") == [".gitattributes", "README.md"]


def test_a_token_for_another_repo_names_hf_oidc_resource(
    make_repo, hub: TestHub, api: HfApi, publisher: str, tmp_path: Path
) -> None:
    api.create_repo("user/other", repo_type="space", space_sdk="gradio")
    repo = make_repo(files(repo="user/other"))

    done = hfsync(repo, "run", env=actions_job(hub, tmp_path))

    assert done.returncode == 4, done.stderr
    assert "HF_OIDC_RESOURCE=spaces/user/demo" in done.stderr
    assert "may not write to space user/other (403)" in done.stderr
    assert api.list_repo_files("user/other", repo_type="space") == [".gitattributes", "README.md"]


def test_an_id_token_in_hf_oidc_id_token_and_the_quick_head_read(
    make_repo, hub: TestHub, tmp_path: Path
) -> None:
    """Any CI can hand over its id token; outside CI the quick read of a private Space's head
    (the check that nothing changed) sends the exchanged token too, so the answer is replayed."""
    HfApi(endpoint=hub.url, token=WRITE_TOKEN).create_repo(
        "user/secret", repo_type="space", space_sdk="gradio", private=True
    )
    hub.trusted_publishers.register("spaces/user/secret", SUBJECT)
    repo = make_repo(files(repo="user/secret"))
    env = {
        "HF_ENDPOINT": hub.url,
        "HF_OIDC_RESOURCE": "spaces/user/secret",
        "HF_OIDC_ID_TOKEN": hub.trusted_publishers.mint(hub.url, SUBJECT, hub.url),
    }

    assert hfsync(repo, "run", env=env).returncode == 0  # commits
    assert hfsync(repo, "run", "-v", env=env).returncode == 0  # nothing to do: remembered
    hub.control.clear_log()
    again = hfsync(repo, "run", "-v", env=env)

    assert again.returncode == 0, again.stderr
    assert "its answer again" in again.stderr
    heads = hub.control.requests("GET", "/revision/main")
    assert [(record.status, record.user) for record in heads] == [(200, "user")]
    assert_no_token_in(written(repo, tmp_path, again.stdout, again.stderr), env)


def test_the_action_with_oidc_resource_deploys_keyless(
    make_repo, hub: TestHub, api: HfApi, publisher: str, tmp_path: Path
) -> None:
    """action.yml's own `hfsync run` step, its inputs filled as a workflow fills them, in a job
    with `id-token: write`: `oidc-resource` is all it takes."""
    action = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text())
    (step,) = [step for step in action["runs"]["steps"] if step.get("id") == "run"]
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    inputs |= {"target": "space", "oidc-resource": RESOURCE}

    def filled(value: str) -> str:
        return re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: str(inputs[m.group(1)]), value)

    runner_temp = tmp_path / "runner"
    (runner_temp / "hfsync-venv" / "bin").mkdir(parents=True)
    (runner_temp / "hfsync-venv" / "bin" / "hfsync").symlink_to(
        Path(sys.executable).parent / "hfsync"
    )
    env = actions_job(hub, tmp_path) | {name: filled(value) for name, value in step["env"].items()}
    del env["HF_OIDC_RESOURCE"]  # from the input, not from the caller
    repo = make_repo(files())

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step["run"]],
        cwd=repo,
        env={**os.environ, **env, "RUNNER_TEMP": str(runner_temp)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "app.py" in api.list_repo_files(publisher, repo_type="space")
    assert hub.control.requests("POST", "^/oauth/token$")[0].status == 200
