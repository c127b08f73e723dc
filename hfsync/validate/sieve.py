"""The secret scan's first pass: does any detector pattern match a file's text?

The detectors' patterns are Python `re` patterns, 32 of them; each one searched over every file
to upload cost a 10,000-file first sync about a second (a pattern that starts with `\\b`, a
class or an alternative, or ignores case, gets no quick literal search). Here each pattern has a
*sieve*: an RE2 pattern that matches a part of every match of it (the pattern less a leading
`\\b`, a lookahead or the tail of a repetition; or a literal it must contain). All sieves are
one RE2 alternation, searched in one linear pass per file; the exact patterns are searched only
in a file a sieve matches. So `Sieve.matches(text)` is exactly `any(p.search(text) ...)`, in a
few percent of its time.

RE2 and Python agree on what a sieve matches when it uses only ASCII literals, ASCII classes
and counted repetitions: those sieves serve for any text. A sieve standing for a case-insensitive
pattern or for `\\d` (which in Python also matches non-ASCII digits) is used only on ASCII text,
where both engines fold case and read `\\d` alike; on other text its pattern is searched as is.
A pattern without a sieve (detect-secrets changed one) is always searched as is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# (detector pattern, its flags) -> (sieve, used on ASCII text only). Flags: re.UNICODE is 32,
# re.IGNORECASE 2, re.VERBOSE 64 (the one VERBOSE pattern holds no whitespace or '#').
SIEVES: dict[tuple[str, int], tuple[str, bool]] = {
    # hfsync's own detectors
    (r"\bhf_[A-Za-z0-9]{30,}\b", 32): (r"hf_[A-Za-z0-9]{30}", False),
    (r"\bAIza[0-9A-Za-z_-]{35}\b", 32): (r"AIza[0-9A-Za-z_-]{35}", False),
    # detect-secrets 1.5 (its plain literals, the private key headers, are their own sieve and
    # not written here: this file would look like it holds private keys; see `sieve_of`)
    (r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}", 32): (
        r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}",
        False,
    ),
    (
        r"aws.{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?[\'\"]([0-9a-zA-Z/+]{40})[\'\"]",
        34,
    ): (r"(?i)aws", True),
    (r"AccountKey=[a-zA-Z0-9+\/=]{88}", 32): (r"AccountKey=[a-zA-Z0-9+/=]{88}", False),
    (r"(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}", 32): (
        r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}",
        False,
    ),
    (r"(glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_\-]{20,50}(?!\w)", 32): (
        r"(?:glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_-]{20}",
        False,
    ),
    (r"GR1348941[A-Za-z0-9_\-]{20,50}(?!\w)", 32): (r"GR1348941[A-Za-z0-9_-]{20}", False),
    (r"glcbt-([0-9a-fA-F]{2}_)?[A-Za-z0-9_\-]{20,50}(?!\w)", 32): (r"glcbt-", False),
    (r"glimt-[A-Za-z0-9_\-]{25}(?!\w)", 32): (r"glimt-[A-Za-z0-9_-]{25}", False),
    (r"glptt-[A-Za-z0-9_\-]{40}(?!\w)", 32): (r"glptt-[A-Za-z0-9_-]{40}", False),
    (r"glagent-[A-Za-z0-9_\-]{50,1024}(?!\w)", 32): (r"glagent-[A-Za-z0-9_-]{50}", False),
    (r"gloas-[A-Za-z0-9_\-]{64}(?!\w)", 32): (r"gloas-[A-Za-z0-9_-]{64}", False),
    (r"sk-[A-Za-z0-9-_]*[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}", 32): (
        r"T3BlbkFJ[A-Za-z0-9]{20}",
        False,
    ),
    (r"xox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+", 34): (r"(?i)xox[abposr]-", True),
    (
        r"https://hooks\.slack\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+",
        98,
    ): (r"(?i)https://hooks\.slack\.com/services/t", True),
    (r"(?:r|s)k_live_[0-9a-zA-Z]{24}", 32): (r"[rs]k_live_[0-9a-zA-Z]{24}", False),
    (r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9-_]{70,}", 32): (r"pypi-AgEIcHlwaS5vcmc", False),
    (r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9-_]{70,}", 32): (
        r"pypi-AgENdGVzdC5weXBpLm9yZw",
        False,
    ),
    (r"\/\/.+\/:_authToken=\s*((npm_.+)|([A-Fa-f0-9-]{36})).*", 32): (r"/:_authToken=", False),
    (r"SG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}", 32): (
        r"SG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}",
        False,
    ),
    (r"AC[a-z0-9]{32}", 32): (r"AC[a-z0-9]{32}", False),
    (r"SK[a-z0-9]{32}", 32): (r"SK[a-z0-9]{32}", False),
    (r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}", 32): (
        r"[MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\.[a-zA-Z0-9_-]{27}",
        True,
    ),
}


def sieve_of(pattern: re.Pattern[str]) -> tuple[str, bool] | None:
    """The sieve of a detector pattern, and whether it holds for ASCII text only; None when it
    has none. A plain ASCII literal (no special character, no flag but UNICODE) is its own."""
    key = (pattern.pattern, pattern.flags)
    if key in SIEVES:
        return SIEVES[key]
    text = pattern.pattern
    if pattern.flags == re.UNICODE and text.isascii() and not _SPECIAL.search(text):
        return text, False
    return None


# Special to Python's `re` or RE2 outside a class (without VERBOSE, spaces and '#' are literal).
_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")


class Sieve:
    """`matches(text)`: whether any of `patterns` matches `text` (`re.search`), found quickly."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        import re2

        self._patterns = list(patterns)
        sieves = {p: sieve for p in patterns if (sieve := sieve_of(p)) is not None}
        self._unsieved = [p for p in patterns if p not in sieves]
        # The patterns whose sieve holds for ASCII text only: searched as they are in other text.
        self._ascii_only = [p for p, (_, ascii_only) in sieves.items() if ascii_only]
        self._any_text: Any = _alternation(
            re2, [sieve for sieve, ascii_only in sieves.values() if not ascii_only]
        )
        self._ascii_text: Any = _alternation(re2, [sieve for sieve, _ in sieves.values()])
        # The same RE2 pattern over an ASCII file's bytes: RE2 searches a str as its UTF-8
        # bytes, so the answer is the same, without decoding the file and encoding it again.
        self._ascii_bytes: Any = None
        if self._ascii_text is not None:
            self._ascii_bytes = re2.compile(self._ascii_text.pattern.encode())

    def rules_out(self, data: bytes) -> bool:
        """True when no pattern matches the text of `data` (the bytes of a file read as
        UTF-8), said without decoding it: for an ASCII file whose sieves find nothing. False
        otherwise (not ASCII, or a sieve matched): `matches` decides on the text."""
        if self._unsieved or not data.isascii():
            return False
        return self._ascii_bytes is None or self._ascii_bytes.search(data) is None

    def matches(self, text: str) -> bool:
        if any(p.search(text) for p in self._unsieved):
            return True
        if text.isascii():
            sieve = self._ascii_text
        elif any(p.search(text) for p in self._ascii_only):
            return True
        else:
            sieve = self._any_text
        try:
            if sieve is None or sieve.search(text) is None:
                return False
        except UnicodeEncodeError:  # a lone surrogate (not in text decoded from UTF-8)
            pass
        return any(p.search(text) for p in self._patterns)


def _alternation(re2: Any, sieves: list[str]) -> Any:
    """One RE2 pattern matching where any of `sieves` matches; None for none."""
    if not sieves:
        return None
    return re2.compile("|".join(f"(?:{sieve})" for sieve in sieves))
