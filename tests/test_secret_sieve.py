"""The secret scan's first pass (hfsync/validate/sieve.py) says a text matches a detector pattern
exactly when one of the patterns, searched as the detectors search it, matches: it only makes
that answer quick. A sieve that missed a match would let a secret through."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsync.validate import secrets
from hfsync.validate.sieve import Sieve, sieve_of

PATTERNS = [regex for detector in secrets._detectors() for regex in detector.denylist]
SIEVE = Sieve(PATTERNS)

# Text around a match: ASCII (where every sieve applies), line breaks of every kind, word
# characters (which \b and (?!\w) look at), and non-ASCII letters and digits (where the
# case-insensitive and \d patterns are searched as they are).
_AROUND = st.text(
    st.sampled_from(list("aZ9_-./:= '\"\n\r\x0c\u2028é٣ſKİ")) | st.characters(), max_size=12
)


def exact(text: str) -> bool:
    return any(regex.search(text) for regex in PATTERNS)


def test_every_detector_pattern_has_a_sieve() -> None:
    """A pattern without one is searched as it is (still correct, only slow): when
    detect-secrets changes a pattern, its sieve must be written again (and argued) here."""
    assert all(sieve_of(regex) is not None for regex in PATTERNS)
    assert SIEVE._unsieved == []
    assert SIEVE._any_text is not None and SIEVE._ascii_text is not None  # RE2 compiled them


@pytest.mark.parametrize("regex", PATTERNS, ids=lambda regex: regex.pattern[:40])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_sieve_finds_exactly_what_the_patterns_find(regex: re.Pattern[str], data) -> None:
    """Texts holding a match of each pattern, as ASCII and as Unicode, with every kind of
    neighbour (so \\b or (?!\\w) may or may not hold), and the same texts cut short."""
    match = data.draw(st.from_regex(regex, fullmatch=True), label="match")
    before, after = data.draw(_AROUND, label="before"), data.draw(_AROUND, label="after")
    text = before + match + after
    for variant in (text, text[:-3], text[3:], match.encode("ascii", "ignore").decode()):
        assert SIEVE.matches(variant) == exact(variant), variant
        ruled_out(variant)


def ruled_out(text: str) -> bool:
    """Whether the bytes of `text` are ruled out without decoding; never when a pattern
    matches, and for ASCII text exactly when its sieves find nothing."""
    data = text.encode("utf-8", "surrogatepass")
    out = SIEVE.rules_out(data)
    assert not (out and exact(text)), text
    if text.isascii():
        assert out == (SIEVE._ascii_text.search(text) is None), text
    return out


def test_secrets_at_file_starts_ends_and_around_line_breaks_are_found() -> None:
    """Samples of every kind of secret, at the very start and end of a text and next to each
    kind of line break and to non-ASCII text; and near misses the sieve must turn down."""
    samples = [
        "hf_" + "Zq8LmW2xTp5VnR7yKd3FhJ6sBc9GaE4uNt",
        "AKIA" + "Q" * 16,
        "aws_secret_key = '" + "a" * 40 + "'",
        'AWS_TOKEN: "' + "B/+9" * 10 + '"',
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "AIza" + "x" * 35,
        "ghp_" + "a" * 36,
        "glpat-" + "x" * 20,
        "sk-" + "a" * 20 + "T3BlbkFJ" + "b" * 20,
        "XOXB-1234-abc",
        "xoxp-٣٣-abc",
        "HTTPS://HOOKS.SLACK.COM/SERVICES/T0/B0/x",
        "sk_live_" + "0" * 24,
        "//registry.npmjs.org/:_authToken=npm_x",
        "SG." + "a" * 22 + "." + "b" * 43,
        "AC" + "a" * 32,
        "M" + "a" * 23 + "." + "b" * 6 + "." + "c" * 27,
        "N" + "٣" * 24 + "." + "b" * 6 + "." + "c" * 27,
    ]
    for secret in samples:
        assert exact(secret), secret
        for around in ("", "é", "x", "_", "\n", "\r\n", "\r", "\x0c", "\u2028"):
            for text in (secret + around, around + secret, f"a{around}{secret}{around}z"):
                assert SIEVE.matches(text) == exact(text), text
                assert not ruled_out(text), text
    near_misses = ["hf_short", "AIza" + "x" * 34, "xox-", "ghp_" + "a" * 35, "print('aws')"]
    for text in near_misses:
        assert not SIEVE.matches(text) and not exact(text), text
        ruled_out(text)
    assert ruled_out("import os\n\nprint(os.getcwd())\n")  # most files: no decoding
    assert not ruled_out("print('é')\n")  # not ASCII: `matches` decides


def test_hfsyncs_own_source_passes_its_secret_scan() -> None:
    """The README's first command syncs this repository with hfsync (checks included): no file
    of hfsync may look like it holds a secret (the private-key headers the detectors look for
    were once written out in sieve.py)."""
    from pathlib import Path

    import hfsync

    detectors = secrets._detectors()
    package = Path(hfsync.__file__).parent
    found = [
        str(finding)
        for path in sorted(package.rglob("*.py"))
        for finding in secrets._scan(str(path), path.read_text(), detectors, SIEVE)
    ]
    assert found == []
