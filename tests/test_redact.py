"""Credentials never show: every form git accepts, in every output (text, JSON, summary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.core.redact import redact
from tests.helpers_git import hfsync

SECRET = "Pa55-w0rd"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:p@ss@host/x.git", "https://***@host/x.git"),
        ("fatal: unable to access 'https://u:a@b@c@host/x/': 403", "'https://***@host/x/'"),
        ("https://hf_abcdefghijklmnop@huggingface.co/spaces/a/b", "https://***@huggingface.co/"),
        ("ssh://git:pw@host:22/x", "ssh://***@host:22/x"),
        ("user:PASS@host:path/x", "***@host:path/x"),
        ("clone of user:P@SS@host:path/x failed", "***@host:path/x"),
        ("token hf_abcdefghij12345 leaked", "token hf_*** leaked"),
        # A `/` in the password (a base64 secret): git cannot parse it and repeats the URL.
        ("https://u:SECRET/x@host/r.git", "https://***@host/r.git"),
        ("'https://u:S/E/C@127.0.0.1:9/r.git/': URL using bad", "'https://***@127.0.0.1:9/r.git/'"),
        ("https://u:123/abc@example.com/r", "https://***@example.com/r"),
        ("https://u:p@q/r@host/x", "https://***@host/x"),
        ("https://T0K/EN@example.com/r.git", "https://***@example.com/r.git"),
        ("clone of user:P/SS@host:path/x failed", "clone of ***@host:path/x failed"),
        # Tokens from a Trusted Publishers exchange, and OIDC id tokens (JWTs).
        ("Bearer hf_jwt_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_x end", "Bearer hf_*** end"),
        ("id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZXBvOngifQ.c2lnbmF0dXJl end", "id *** end"),
    ],
)
def test_credentials_are_masked(text: str, shown: str) -> None:
    assert shown in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "git@github.com:org/repo.git",
        "https://host/org/repo@v1",
        "file:///tmp/x@y/z",
        "https://host:8080/@scope/pkg",
        "https://huggingface.co/spaces/me/demo/blob/main/app.py@v1",
        "/a/b@c:d",
        "app/main.py",
    ],
)
def test_text_without_credentials_is_unchanged(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "variable", ["HF_TOKEN", "HF_OIDC_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
)
def test_the_token_in_the_environment_is_masked(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "tok_made_up_1234")
    assert redact("header: Bearer tok_made_up_1234") == "header: Bearer ***"


def test_a_remembered_token_is_masked() -> None:
    from hfsync.core.redact import remember

    remember("opaque-token-from-an-exchange")
    assert redact("sent opaque-token-from-an-exchange") == "sent ***"


def test_long_text_is_scanned_in_linear_time() -> None:
    """Text from a remote may be large and hostile: many schemes, `@`s and colons."""
    assert redact("x://" + "@a." * 100_000) == "x://***@a."
    assert redact("=a:" * 100_000 + "@h:") == "=***@h:"
    assert redact(" a://b/@c.d/e" * 50_000) == " a://***@c.d/e" * 50_000


@pytest.mark.parametrize(
    "url",
    [
        f"https://someone:{SECRET}@127.0.0.1:9/space.git",
        f"https://someone:{SECRET}@with-at@127.0.0.1:9/space.git",
        f"https://{SECRET}@127.0.0.1:9/space.git",
        f"someone:{SECRET}@localhost:space.git",
        # The password holds a `/` (issue 26): git cannot parse the URL, and says it whole.
        f"https://someone:{SECRET}/x@127.0.0.1:9/space.git",
        f"https://someone:{SECRET}/with-at@x@host/space.git",
    ],
)
def test_no_output_shows_a_url_credential(make_repo, tmp_path: Path, url: str) -> None:
    repo = make_repo({"hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{url}"\n', "a": "a"})
    summary = tmp_path / "summary.md"
    env = {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSH_COMMAND": "false",  # scp-style URLs fail at once instead of reaching a host
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    outputs = []
    for args in (["run"], ["run", "--json"], ["status"], ["check"], ["backups"]):
        done = hfsync(repo, *args, env=env)
        assert done.returncode != 0, done.stdout
        assert "hfsync: error:" in done.stderr
        outputs.append(done.stdout + done.stderr)
    outputs.append(summary.read_text() if summary.exists() else "")
    for text in outputs:
        assert SECRET not in text
        assert "with-at" not in text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_daemon_logs_are_masked(log_format: str) -> None:
    """`watch` and `serve` print their events through DaemonLog: credentials masked there too."""
    import io

    from hfsync.ui.daemon_log import DaemonLog

    out = io.StringIO()
    log = DaemonLog(log_format, out=out, err=out)
    log.event("error", "sync_failed", f"push to https://u:{SECRET}/x@example.com/r.git failed")
    log.info("synced", "sent with hf_jwt_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
    assert SECRET not in out.getvalue()
    assert "hf_jwt_" not in out.getvalue()
    assert "https://***@example.com/r.git" in out.getvalue()
