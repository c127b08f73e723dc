"""Secrets in the files about to be uploaded: tokens, keys and `.env` files.

detect-secrets' regex plugins do the matching (plus two it lacks: Hugging Face tokens and Google
API keys). Only `analyze_string` is called: no network verification, no baseline, no settings.
Only the files the plan uploads are read; binary files and files over MAX_SCANNED_BYTES are
skipped. A finding names the file, the line and the kind of secret, never the secret itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hfsync.core.findings import Finding

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target
    from hfsync.validate.sieve import Sieve

# The findings of files scanned already, by (path in the target, git blob id): the same path
# and bytes give the same findings.
Scanned = dict[tuple[str, str], list[Finding]]

MAX_SCANNED_BYTES = 2_000_000
# `.env`, `.env.local`, `.env.production` hold secrets; these suffixes are templates.
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")


def check(
    target: Target, source: Source, plan: Plan, known: Scanned | None = None
) -> list[Finding]:
    """The secrets and `.env` files among the plan's uploads. `known`: the findings of files
    scanned earlier in this sync, not scanned again; the files scanned now are added to it."""
    found: list[Finding] = []
    scanned: list[tuple[str, str, str]] = []  # (path in the target, local path, blob id)
    for op in plan.uploads:
        if op.local is None:
            continue
        if known is not None and (op.path, op.local.sha1) in known:
            found.extend(known[op.path, op.local.sha1])
            continue
        name = op.path.rpartition("/")[2]  # remote paths are '/'-separated, as git's
        if name.startswith(".env") and not name.endswith(_ENV_TEMPLATES):
            found.append(
                Finding(
                    "env-file",
                    op.path,
                    1,
                    "an environment file (usually holds secrets)",
                    "add it to the target's `exclude` (and .gitignore); set secrets in the "
                    "Space's settings instead",
                )
            )
            continue
        if op.local.size <= MAX_SCANNED_BYTES:
            scanned.append((op.path, op.local.path, op.local.sha1))
    if not scanned:
        return found  # importing the detectors costs more than a whole no-change run's plan
    detectors = _detectors()
    sieve = _sieve(detectors)
    # A commit's blobs are read by one git process, not one per file; small files' bytes are
    # kept for the upload (read once, and what is sent is what was scanned).
    contents = source.read_many((local for _, local, _ in scanned), keep=True)
    for (path, _, blob), (_, data) in zip(scanned, contents, strict=True):
        in_file = []
        if data.find(b"\0", 0, 8192) < 0 and not sieve.rules_out(data):  # most files: ruled out
            in_file = list(_scan(path, data.decode("utf-8", errors="replace"), detectors, sieve))
        found.extend(in_file)
        if known is not None:
            known[path, blob] = in_file
    return found


def _scan(path: str, text: str, detectors: list[Any], sieve: Sieve) -> Iterator[Finding]:
    """The lines of `text` a detector reports (one of its `denylist` patterns matches the line).

    The whole text is searched first (through the sieve, sieve.py): no pattern is anchored and
    their lookarounds and `\\b` test only word characters, to which a line break and a line's
    end are alike, so a match in a line is a match in the whole text. That search rules most
    files out; every detector on every line of every file was most of a 10,000-file first sync.
    """
    if not sieve.matches(text):
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for detector in detectors:
            if next(iter(detector.analyze_string(line)), None) is not None:
                yield Finding(
                    "secret",
                    path,
                    number,
                    f"looks like a {detector.secret_type}",
                    "remove it from the file and revoke it; read it from an environment "
                    "variable or the Space's secrets",
                )
                break


def _sieve(detectors: list[Any]) -> Sieve:
    from hfsync.validate.sieve import Sieve

    return Sieve([regex for detector in detectors for regex in detector.denylist])


def _detectors() -> list[Any]:
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.npm import NpmDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.stripe import StripeDetector
    from detect_secrets.plugins.twilio import TwilioKeyDetector

    # `secret_type` names a kind of secret, not a secret (S105 is a false positive).
    class HuggingFaceTokenDetector(RegexBasedDetector):
        secret_type = "Hugging Face token"  # noqa: S105
        denylist = (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),)

    class GoogleApiKeyDetector(RegexBasedDetector):
        secret_type = "Google API key"  # noqa: S105
        denylist = (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),)

    kinds = (
        HuggingFaceTokenDetector,
        PrivateKeyDetector,
        AWSKeyDetector,
        AzureStorageKeyDetector,
        GoogleApiKeyDetector,
        GitHubTokenDetector,
        GitLabTokenDetector,
        OpenAIDetector,
        SlackDetector,
        StripeDetector,
        PypiTokenDetector,
        NpmDetector,
        SendGridDetector,
        TwilioKeyDetector,
        DiscordBotTokenDetector,
    )
    return [kind() for kind in kinds]
