r"""GitHub Actions' `paths` / `paths-ignore` filter patterns, matched as GitHub documents them.

Semantics: the agreed github-filters.md, after the docs' "Filter pattern cheat sheet".
A pattern matches the *whole* path, relative to the repository root and `/`-separated:

    \c    the character c, literally       **/   zero or more whole directories
    *     any run of characters but `/`    **    any run of characters, `/` included
    ?     the preceding character or class, optional
    +     the preceding character or class, one or more times
    [..]  one character: ASCII letters, digits, and ranges within a-z, A-Z or 0-9
    !     first character only: a negative pattern (anywhere else, a literal `!`)

Everything else is literal (`.`, `{`, `}`, `(`, `|`, ...): no brace expansion, no extglob.
Matching is case-sensitive and has no dotfile exception (`*` matches `.gitignore`).

GitHub leaves some inputs undefined. hfsync decides as follows ("reject" raises `FilterError`,
because a clear error beats a silent guess):

    input                                     decision
    ----------------------------------------  -----------------------------------------------
    `?`/`+` at the start, or after `*`, `**`  reject (GitHub rejects `**.c++`); write `\?`/`\+`
      `**/`, `?` or `+`
    `?`/`+` after `]` or `/`                  allowed: a class or `/` is a repeatable character
    `***`                                     reject: `**` + `*` or `*` + `**/` is unclear
    `**/` inside a segment (`a**/b`)          `**` then a literal `/`; only a `**/` that starts
                                                a segment may stand for no directory at all
    `\c` for a non-special c                  the literal c (as for special characters)
    a trailing lone `\`                       reject
    `[]`, unterminated `[`                    reject
    `[!a]`, `[^a]` (negated classes)          reject
    anything inside `[]` but ASCII letters,   reject (`[a-]`, `[_]`, `[A-z]`, `[é]`)
      digits and a-z/A-Z/0-9 ranges
    reversed range `[b-a]`                    reject
    `[x]` (a single character)                allowed (same as `x`)
    empty pattern, lone `!`                   reject
    leading or trailing whitespace            reject (an escaped `\ ` is kept)
    an unescaped line break                   reject
    leading `/` or `./`                       reject: never matches on GitHub; drop it
    trailing `/`                              reject: only files match; write `dir/**`
    non-ASCII characters outside `[]`         literal, compared by code point
    `!` entries in `paths-ignore`             reject: use `paths` with `!` entries
    `paths` with only `!` entries             reject (GitHub wants a positive entry too)
    an empty `paths` or `paths-ignore` list   reject
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from hfsync.core.errors import ConfigError

FilterKind = Literal["paths", "paths-ignore", "all"]

_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_RANGE_GROUPS = ("az", "AZ", "09")
_QUANTIFIER_NAMES = {"?": "question mark", "+": "plus"}
_LONE_DASH = "a '-' inside '[...]' must join two characters, as in '[a-z]'"

# A compiled pattern's `fullmatch`: a match object, or None.
Matcher = Callable[[str], object]


class FilterError(ConfigError):
    """A filter pattern or pattern list GitHub would reject, or whose meaning is undefined."""


@dataclass(frozen=True)
class Pattern:
    """One compiled filter pattern.

    `source` is the text as written (with its `!`); `negated` says whether it starts with `!`.
    `matches` ignores the negation: it tells whether the path matches the pattern's body, and
    `PathFilter` decides what a match means.
    """

    source: str
    negated: bool
    regex: str = field(repr=False, compare=False)
    # Whether Python's backtracking `re` matches `regex` in linear time (see `_linear_shape`).
    backtrack_safe: bool = field(repr=False, compare=False)
    fullmatch: Matcher = field(repr=False, compare=False)

    def matches(self, path: str) -> bool:
        """True if the pattern's body matches the whole of `path`."""
        return self.fullmatch(path) is not None


def compile_pattern(pattern: str) -> Pattern:
    """Compile one `paths` / `paths-ignore` / `branches` / `tags` pattern.

    Raises `FilterError` (one line: the pattern, what is wrong, what to write) for a pattern
    GitHub rejects or whose meaning is undefined (see the module docstring).
    """
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    if not pattern:
        raise _invalid(pattern, "a pattern cannot be empty; remove the entry")
    if not body:
        raise _invalid(pattern, "'!' must be followed by the pattern to exclude, as in '!docs/**'")
    for prefix in ("/", "./"):
        if body.startswith(prefix):
            hint = ("!" if negated else "") + body[len(prefix) :]
            raise _invalid(
                pattern,
                f"paths are relative to the repository root and never start with '{prefix}'; "
                f"write '{_show(hint)}'",
            )
    if body.endswith("/"):
        raise _invalid(
            pattern,
            f"only files are matched, never directories; write '{_show(pattern)}**' "
            "for everything under it",
        )
    regex, shape = _translate(pattern, body)
    safe = _linear_shape(shape)
    return Pattern(pattern, negated, regex, safe, _matcher(regex, safe))


# Matching takes time linear in the path's length whatever the pattern (patterns come from the
# config, a workflow file, and the scope recorded in a remote commit: untrusted input).
# Python's `re` backtracks: `*a*a*a*a*b` against `aaaa...` takes time exponential in the number
# of wildcards. A pattern whose shape `_linear_shape` proves harmless (most real patterns)
# runs on `re`; any other on RE2, which never backtracks (google-re2, linear time).

# Atoms of a translated pattern, one letter each, for `_linear_shape`: a character or class that
# is not `/`; a literal `/`; a variable-width atom that stays within a segment (`*`, `x?`, `x+`);
# one that may cross `/` (`**`, `/?`, `/+`); a segment-leading `**/`.
_FIXED, _SLASH, _IN_SEGMENT, _CROSSING, _ANY_DIRS = "f", "/", "v", "V", "d"


def _linear_shape(shape: str) -> bool:
    """True when backtracking on a pattern of this shape is linear in the path's length.

    - At most one variable atom: the engine tries at most n+1 widths for it, each followed by a
      fixed-width rest: O(n * m) for a path of n characters and a pattern of m atoms.
    - Fixed atoms, one `**/`, then a rest with no `/` that can match and at most one variable
      atom, itself within a segment: `**/` is tried at each `/` of the path, and the rest scans
      only the segment after it (it stops at the next `/`): O(n * m) in all.
    """
    variable = sum(shape.count(kind) for kind in (_IN_SEGMENT, _CROSSING, _ANY_DIRS))
    if variable <= 1:
        return True
    head, dirs, rest = shape.partition(_ANY_DIRS)
    return (
        bool(dirs)
        and set(head) <= {_FIXED, _SLASH}
        and set(rest) <= {_FIXED, _IN_SEGMENT}
        and rest.count(_IN_SEGMENT) <= 1
    )


def _matcher(regex: str, safe: bool) -> Matcher:
    if safe:
        return re.compile(regex, re.DOTALL).fullmatch
    import re2

    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    compiled = re2.compile("(?s)" + regex, options)

    def fullmatch(path: str) -> object:
        try:
            return compiled.fullmatch(path)
        except UnicodeEncodeError:  # not valid UTF-8 (a surrogate-escaped name): no match
            return None

    return fullmatch


def _translate(pattern: str, body: str) -> tuple[str, str]:
    """Translate a pattern body to an (unanchored) regex and its shape (see `_linear_shape`);
    `pattern` is only for messages."""
    out: list[str] = []
    shape: list[str] = []
    # Whether the last token is a single character or class that `?` / `+` may repeat.
    repeatable = False
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\":
            if i + 1 == n:
                raise _invalid(
                    pattern, "a trailing '\\' escapes nothing; write '\\\\' for a literal backslash"
                )
            out.append(re.escape(body[i + 1]))
            shape.append(_SLASH if body[i + 1] == "/" else _FIXED)
            repeatable = True
            i += 2
            continue
        if c == "*":
            run = body[i:]
            stars = len(run) - len(run.lstrip("*"))
            if stars > 2:
                raise _invalid(
                    pattern, "'***' is ambiguous; write '**' (or '\\*' for a literal star)"
                )
            if stars == 2 and body[i + 2 : i + 3] == "/" and (i == 0 or body[i - 1] == "/"):
                # A segment-leading `**/` may stand for no directory at all: the docs say
                # `**/README.md` matches `README.md` at the root.
                out.append("(?:.*/)?")
                shape.append(_ANY_DIRS)
                i += 3
            else:
                out.append(".*" if stars == 2 else "[^/]*")
                shape.append(_CROSSING if stars == 2 else _IN_SEGMENT)
                i += stars
            repeatable = False
            continue
        if c in "?+":
            if not repeatable:
                raise _invalid(
                    pattern,
                    f"an unescaped '{c}' must follow a character it can repeat; "
                    f"write '\\{c}' for a literal {_QUANTIFIER_NAMES[c]}",
                )
            out.append(c)
            shape[-1] = _CROSSING if shape[-1] == _SLASH else _IN_SEGMENT
            repeatable = False
            i += 1
            continue
        if c == "[":
            end = body.find("]", i + 1)
            if end == -1:
                raise _invalid(
                    pattern,
                    "'[' opens a character class that is never closed; "
                    "close it with ']' or write '\\[' for a literal bracket",
                )
            out.append(_translate_class(pattern, body[i + 1 : end]))
            shape.append(_FIXED)
            repeatable = True
            i = end + 1
            continue
        if c in "\r\n":
            raise _invalid(
                pattern, "a pattern cannot contain a line break; write one pattern per entry"
            )
        if c.isspace() and (i == 0 or i == n - 1):
            raise _invalid(
                pattern,
                f"leading or trailing whitespace is not allowed; write '{_show(pattern.strip())}'"
                " (escape a space that is part of the name: '\\ ')",
            )
        out.append(re.escape(c))
        shape.append(_SLASH if c == "/" else _FIXED)
        repeatable = True
        i += 1
    return "".join(out), "".join(shape)


def _translate_class(pattern: str, content: str) -> str:
    """Check the inside of `[...]` and return the regex class; `pattern` is only for messages."""
    if not content:
        raise _invalid(
            pattern,
            "empty character class '[]'; list characters as in '[abc]', "
            "or write '\\[]' for literal brackets",
        )
    if content[0] in "!^":
        raise _invalid(
            pattern,
            f"negated classes such as '[{_show(content)}]' are not defined for GitHub filters; "
            "list the allowed characters, or exclude with a later '!' pattern",
        )
    i, n = 0, len(content)
    while i < n:
        c = content[i]
        if c == "-":
            raise _invalid(pattern, _LONE_DASH)
        if c not in _ASCII_ALNUM:
            raise _invalid(
                pattern,
                f"only ASCII letters, digits and ranges may appear inside '[...]' "
                f"(found '{_show(c)}'); use a separate pattern for each alternative",
            )
        if i + 1 < n and content[i + 1] == "-":
            if i + 2 == n:
                raise _invalid(pattern, _LONE_DASH)
            low, high = c, content[i + 2]
            if not any(g[0] <= low <= g[1] and g[0] <= high <= g[1] for g in _RANGE_GROUPS):
                raise _invalid(
                    pattern,
                    f"range '{_show(low)}-{_show(high)}' must stay within a-z, A-Z or 0-9; "
                    "write separate ranges, as in '[A-Za-z]'",
                )
            if low > high:
                raise _invalid(pattern, f"range '{low}-{high}' is reversed; write '{high}-{low}'")
            i += 3
        else:
            i += 1
    # Only ASCII letters, digits and '-' between them are left: nothing needs escaping.
    return f"[{content}]"


def _show(text: str) -> str:
    """Render `text` on one line (messages are one line even for a pattern with a line break)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _listing(patterns: Sequence[str]) -> str:
    return ", ".join(f"'{_show(p)}'" for p in patterns)


def _invalid(pattern: str, reason: str) -> FilterError:
    return FilterError(f"invalid pattern '{_show(pattern)}': {reason}")


@dataclass(frozen=True)
class PathFilter:
    """Which repository paths a target manages: a `paths` list, a `paths-ignore` list, or all.

    Build it with `from_paths`, `from_paths_ignore` or `everything`; ask it with `includes`.
    `kind` and `patterns` (as written) are for display; equality compares those two.
    """

    kind: FilterKind
    patterns: tuple[str, ...]
    # (excludes, fullmatch) pairs tried in order; the first hit decides. `paths`: one per
    # pattern, last pattern first (= last match wins). `paths-ignore`: one alternation of all.
    _rules: tuple[tuple[bool, Matcher], ...] = field(repr=False, compare=False)

    @classmethod
    def from_paths(cls, patterns: Sequence[str]) -> PathFilter:
        """GitHub's `paths`, in order: the last matching entry decides, `!` entries exclude.

        A path no entry matches is excluded.
        """
        sources = _pattern_tuple("paths", patterns)
        compiled = [compile_pattern(p) for p in sources]
        if all(p.negated for p in compiled):
            raise FilterError(
                f"invalid 'paths' list [{_listing(sources)}]: it has only '!' entries, so it "
                "matches nothing; put '**' first to include everything else, or use 'paths-ignore' "
                "with the patterns without '!'"
            )
        rules = tuple((p.negated, p.fullmatch) for p in reversed(compiled))
        return cls("paths", sources, rules)

    @classmethod
    def from_paths_ignore(cls, patterns: Sequence[str]) -> PathFilter:
        """GitHub's `paths-ignore`: a path is dropped if any pattern matches it."""
        sources = _pattern_tuple("paths-ignore", patterns)
        compiled = [compile_pattern(p) for p in sources]
        for p in compiled:
            if p.negated:
                raise FilterError(
                    f"invalid 'paths-ignore' entry '{_show(p.source)}': '!' entries are not "
                    "defined in 'paths-ignore'; use 'paths' with '!' entries instead, "
                    "as in ['**', '!docs/**']"
                )
        # One alternation, one regex call per path: a path is dropped if any body matches. Each
        # alternative is tried in turn, so the alternation is linear when each pattern is.
        either = "|".join(f"(?:{p.regex})" for p in compiled)
        safe = all(p.backtrack_safe for p in compiled)
        return cls("paths-ignore", sources, ((True, _matcher(either, safe)),))

    @classmethod
    def everything(cls) -> PathFilter:
        """No filter: every path is included (GitHub's behaviour without `paths`)."""
        return cls("all", (), ())

    def includes(self, path: str) -> bool:
        """True if `path` (repository-relative, `/`-separated) passes the filter."""
        for negated, fullmatch in self._rules:
            if fullmatch(path) is not None:
                return not negated
        # No hit: `paths` excludes the path, `paths-ignore` and `all` keep it.
        return self.kind != "paths"


def _pattern_tuple(kind: str, patterns: Sequence[str]) -> tuple[str, ...]:
    # A bare string is a Sequence[str] too; iterating it would make one pattern per character.
    if isinstance(patterns, str):
        raise FilterError(
            f"'{kind}' must be a list of patterns, not the string '{_show(patterns)}'"
        )
    if not patterns:
        raise FilterError(
            f"an empty '{kind}' list is not allowed; list at least one pattern or drop '{kind}'"
        )
    return tuple(patterns)
