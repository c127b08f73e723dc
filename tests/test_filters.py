"""Table-driven tests of hfsync.core.filters against GitHub's documented filter patterns.

"Example matches" come verbatim from the docs' "Filter pattern cheat sheet"
(github/docs `content/actions/reference/workflows-and-actions/workflow-syntax.md`); the
non-matches are ours, derived from the same definitions (docs/github-filters.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hfsync.core.errors import ConfigError
from hfsync.core.filters import FilterError, PathFilter, compile_pattern

# (pattern, example matches from the docs, non-matches derived from the definitions)
BRANCHES_AND_TAGS = [
    ("feature/*", ["feature/my-branch", "feature/your-branch"], ["feature/beta-a/my-branch"]),
    (
        "feature/**",
        ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"],
        ["feature", "features/x"],
    ),
    ("main", ["main"], ["Main", "main2", "x/main"]),
    ("releases/mona-the-octocat", ["releases/mona-the-octocat"], ["releases/mona-the-octocat2"]),
    ("*", ["main", "releases"], ["releases/10"]),
    ("**", ["all/the/branches", "every/tag"], []),
    ("*feature", ["mona-feature", "feature", "ver-10-feature"], ["feature-x", "mona/feature"]),
    ("v2*", ["v2", "v2.0", "v2.9"], ["v1", "v2/x"]),
    (
        "v[12].[0-9]+.[0-9]+",
        ["v1.10.1", "v2.0.0"],
        ["v3.0.0", "v1.0", "v1..1", "v1a10b1", "v12.0.0"],
    ),
]

FILE_PATHS = [
    ("*", ["README.md", "server.rb"], ["docs/README.md"]),
    ("*.jsx?", ["page.js", "page.jsx"], ["page.jsxx", "page.j", "src/page.js"]),
    ("**", ["all/the/files.md"], []),
    ("*.js", ["app.js", "index.js"], ["js/index.js", "app.jsx"]),
    ("**.js", ["index.js", "js/index.js", "src/js/app.js"], ["index.jsx", "js/index.js/x"]),
    ("docs/*", ["docs/README.md", "docs/file.txt"], ["docs/mona/octocat.txt", "docs"]),
    ("docs/**", ["docs/README.md", "docs/mona/octocat.txt"], ["docs", "a/docs/x", "README.md"]),
    (
        "docs/**/*.md",
        ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"],
        ["docs/file.txt", "README.md", "a/docs/README.md"],
    ),
    (
        "**/docs/**",
        ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"],
        ["docs", "mydocs/hello.md", "dir/docs"],
    ),
    ("**/README.md", ["README.md", "js/README.md"], ["README.mdx", "XREADME.md", "js/XREADME.md"]),
    ("**/*src/**", ["a/src/app.js", "my-src/code/js/app.js"], ["src", "a/srcs/app.js"]),
    ("**/*-post.md", ["my-post.md", "path/their-post.md"], ["post.md", "my-post.mdx"]),
    (
        "**/migrate-*.sql",
        ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"],
        ["db/migrate-v1/x.sql", "migrate.sql"],
    ),
]

# Rules from docs/github-filters.md §3 and §6 that the tables do not show.
RULES = [
    # `?` and `+` repeat the preceding character or class; `?` is not a wildcard (§6.2).
    ("Octoc?t", ["Octot", "Octoct"], ["Octocat"]),
    ("fil?.txt", ["fi.txt", "fil.txt"], ["file.txt"]),
    ("colou?r", ["color", "colour"], ["colouur"]),
    ("feature+x", ["featurex", "featureeex"], ["featurx", "feature+x"]),
    ("[0-9]+.txt", ["1.txt", "2024.txt"], [".txt", "a.txt"]),
    ("docs/?x", ["docsx", "docs/x"], ["docs//x"]),
    # `\` makes the next character literal.
    ("c\\+\\+", ["c++"], ["c", "cc"]),
    ("**.c\\+\\+", ["main.c++", "src/main.c++"], ["main.cc"]),
    ("\\*.md", ["*.md"], ["a.md"]),
    ("what\\?", ["what?"], ["what", "wha"]),
    ("\\[x]", ["[x]"], ["x"]),
    ("\\!file", ["!file"], ["file"]),
    ("escape\\\\backslash", ["escape\\backslash"], ["escapebackslash"]),
    ("\\a\\b", ["ab"], ["\\a\\b"]),
    ("name\\ ", ["name "], ["name"]),
    # `!` after the first character, and regex / shell syntax, are literal.
    ("a!b", ["a!b"], ["ab"]),
    ("*.{yml,yaml}", ["x.{yml,yaml}"], ["x.yml", "x.yaml"]),
    ("(a|b).txt", ["(a|b).txt"], ["a.txt"]),
    ("^a$", ["^a$"], ["a"]),
    (".yml", [".yml"], ["fyml"]),
    ("[x]", ["x"], ["y"]),
    ("[CB]at", ["Cat", "Bat"], ["cat", "At"]),
    ("[1-2]00", ["100", "200"], ["300", "00"]),
    ("[0-9a-z]", ["5", "q"], ["Q", "-"]),
    # No dotfile exception.
    ("*", [".gitignore"], [".github/workflows/ci.yml"]),
    ("**", [".github/workflows/ci.yml", ".env"], []),
    ("**.yml", [".github/workflows/ci.yml", ".pre-commit-config.yml"], []),
    ("**/*.yml", [".github/workflows/ci.yml", ".travis.yml"], []),
    # Case-sensitive.
    ("README.md", ["README.md"], ["readme.md", "Readme.md"]),
    ("*.MD", ["NOTES.MD"], ["notes.md"]),
    # Directories are not subjects: only file paths (and submodule gitlinks) are.
    ("docs", ["docs"], ["docs/a.md"]),
    ("docs/**", ["docs/a.md"], ["docs"]),
    # `**/` stands for no directory only where it starts a segment.
    ("a**/b", ["a/b", "ax/b", "a/x/b"], ["ab"]),
    ("a/**b", ["a/b", "a/xb", "a/x/b"], ["ab"]),
    ("releases/**-alpha", ["releases/10-alpha", "releases/beta/3-alpha"], ["releases/10"]),
    # Non-ASCII is literal; a line break in a path is crossed by `**` and `*`.
    ("données/**", ["données/a.csv"], ["donnees/a.csv"]),
    ("**", ["a\nb/c"], []),
    ("*", ["a\nb"], ["a/b"]),
]


def _cases(table: list[tuple[str, list[str], list[str]]]) -> list[object]:
    cases: list[object] = []
    for pattern, matches, non_matches in table:
        cases += [pytest.param(pattern, path, True, id=f"{pattern} ~ {path}") for path in matches]
        cases += [
            pytest.param(pattern, path, False, id=f"{pattern} !~ {path}") for path in non_matches
        ]
    return cases


@pytest.mark.parametrize(("pattern", "path", "expected"), _cases(BRANCHES_AND_TAGS))
def test_branch_and_tag_table(pattern: str, path: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(path) is expected


@pytest.mark.parametrize(("pattern", "path", "expected"), _cases(FILE_PATHS))
def test_file_path_table(pattern: str, path: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(path) is expected
    assert PathFilter.from_paths([pattern]).includes(path) is expected


@pytest.mark.parametrize(("pattern", "path", "expected"), _cases(RULES))
def test_rules(pattern: str, path: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(path) is expected


# Ordered lists: the cheat sheet's last two rows and the examples of docs/github-filters.md §4
# (paths4, run-on-specific-branches-or-tags2..4 of the github/docs reusables).
ORDERED_LISTS = [
    (["*.md", "!README.md"], ["hello.md"], ["README.md", "docs/hello.md"]),
    (["*.md", "!README.md", "README*"], ["hello.md", "README.md", "README.doc"], []),
    (
        ["releases/**", "!releases/**-alpha"],
        ["releases/10", "releases/beta/mona"],
        ["releases/10-alpha", "releases/beta/3-alpha"],
    ),
    (
        ["sub-project/**", "!sub-project/docs/**"],
        ["sub-project/index.js", "sub-project/src/index.js"],
        ["sub-project/docs/readme.md"],
    ),
    (["main", "mona/octocat", "releases/**"], ["main", "mona/octocat", "releases/10"], ["dev"]),
    (["v2", "v1.*"], ["v2", "v1.9.1"], ["v3", "v1"]),
    (["**.js"], ["app.js", "src/app.js"], ["app.ts"]),
    # A leading `!` removes nothing (nothing was included before it) and is legal.
    (["!a.md", "*.md"], ["a.md", "b.md"], ["c.txt"]),
    # Later positive entries re-include, later negative ones exclude again.
    (
        ["**", "!docs/**", "docs/api/**", "!**.tmp"],
        ["x", "docs/api/a"],
        ["docs/a", "docs/api/a.tmp"],
    ),
]


def _list_cases() -> list[object]:
    cases: list[object] = []
    for patterns, included, excluded in ORDERED_LISTS:
        name = ",".join(patterns)
        cases += [pytest.param(patterns, p, True, id=f"[{name}] + {p}") for p in included]
        cases += [pytest.param(patterns, p, False, id=f"[{name}] - {p}") for p in excluded]
    return cases


@pytest.mark.parametrize(("patterns", "path", "expected"), _list_cases())
def test_paths_ordered_list(patterns: list[str], path: str, expected: bool) -> None:
    assert PathFilter.from_paths(patterns).includes(path) is expected


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        (["docs/**"], "docs/a.md", False),
        (["docs/**"], "src/a.py", True),
        (["mona/octocat", "releases/**-alpha"], "releases/beta/3-alpha", False),
        (["mona/octocat", "releases/**-alpha"], "mona/octocat", False),
        (["mona/octocat", "releases/**-alpha"], "releases/beta", True),
        (["v2", "v1.*"], "v1.9", False),
        (["v2", "v1.*"], "v3", True),
    ],
)
def test_paths_ignore_drops_any_match(patterns: list[str], path: str, expected: bool) -> None:
    assert PathFilter.from_paths_ignore(patterns).includes(path) is expected


def test_everything_includes_every_path() -> None:
    everything = PathFilter.everything()
    assert everything.kind == "all"
    assert everything.patterns == ()
    assert all(everything.includes(p) for p in ["a", ".env", "a/b/c", "docs/"])


def test_filter_keeps_patterns_for_display() -> None:
    paths = PathFilter.from_paths(("core/**", "!core/tmp/**"))
    assert (paths.kind, paths.patterns) == ("paths", ("core/**", "!core/tmp/**"))
    ignore = PathFilter.from_paths_ignore(["docs/**"])
    assert (ignore.kind, ignore.patterns) == ("paths-ignore", ("docs/**",))
    assert paths == PathFilter.from_paths(["core/**", "!core/tmp/**"])


def test_pattern_records_source_and_negation() -> None:
    pattern = compile_pattern("!docs/**")
    assert (pattern.source, pattern.negated) == ("!docs/**", True)
    # `matches` tests the body; the negation is applied by PathFilter.
    assert pattern.matches("docs/a.md")
    assert not compile_pattern("docs/**").negated
    assert compile_pattern("!!x").matches("!x")


# (pattern, a fragment the one-line message must contain)
REJECTED = [
    # `?` / `+` with nothing they can repeat.
    ("**.c++", "an unescaped '+' must follow a character it can repeat; write '\\+'"),
    ("c++", "write '\\+' for a literal plus"),
    ("+a", "'+' must follow a character"),
    ("?a", "write '\\?' for a literal question mark"),
    ("!+a", "'+' must follow a character"),
    ("a*?", "'?' must follow a character"),
    ("a**+", "'+' must follow a character"),
    ("**/?a", "'?' must follow a character"),
    ("a??", "'?' must follow a character"),
    ("a?+", "'+' must follow a character"),
    # Stars, escapes, classes.
    ("a/***", "'***' is ambiguous"),
    ("a\\", "a trailing '\\' escapes nothing"),
    ("v[0-9", "never closed"),
    ("a[]", "empty character class"),
    ("[!a]*", "negated classes"),
    ("[^a]*", "negated classes"),
    ("[b-a]", "range 'b-a' is reversed; write 'a-b'"),
    ("[9-0]", "reversed"),
    ("[A-z]", "must stay within a-z, A-Z or 0-9"),
    ("[a-9]", "must stay within"),
    ("[a-]", "must join two characters"),
    ("[-a]", "must join two characters"),
    ("[a_b]", "found '_'"),
    ("[.]", "found '.'"),
    ("[\\]]", "found '\\'"),
    ("[é]", "found 'é'"),
    # Empty, whitespace, line breaks.
    ("", "cannot be empty"),
    ("!", "'!' must be followed by the pattern to exclude"),
    (" docs/**", "leading or trailing whitespace"),
    ("docs/** ", "write 'docs/**'"),
    ("!docs/**\t", "write '!docs/**'"),
    ("a\nb", "cannot contain a line break"),
    # Anchors that never match on GitHub.
    ("/docs/**", "never start with '/'; write 'docs/**'"),
    ("./docs/**", "never start with './'; write 'docs/**'"),
    ("!/docs/**", "write '!docs/**'"),
    ("docs/", "only files are matched, never directories; write 'docs/**'"),
]


@pytest.mark.parametrize(("pattern", "fragment"), REJECTED, ids=[repr(p) for p, _ in REJECTED])
def test_rejected_patterns(pattern: str, fragment: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_pattern(pattern)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert message.startswith("invalid pattern '")


def test_filter_error_is_a_config_error() -> None:
    assert issubclass(FilterError, ConfigError)
    assert FilterError("x").exit_code == 2


def test_github_rejection_message_matches_the_agreed_wording() -> None:
    with pytest.raises(FilterError) as info:
        compile_pattern("**.c++")
    assert str(info.value) == (
        "invalid pattern '**.c++': an unescaped '+' must follow a character it can repeat; "
        "write '\\+' for a literal plus"
    )


@pytest.mark.parametrize(
    "pattern", ["a/+b", "[0-9]?", "\\*+", "x?", "**/a+", "\\ lead", "in ner", "[x]", "!!x"]
)
def test_accepted_edge_patterns(pattern: str) -> None:
    compile_pattern(pattern)


@pytest.mark.parametrize(
    ("build", "patterns", "fragment"),
    [
        (PathFilter.from_paths, ["!docs/**"], "only '!' entries"),
        (PathFilter.from_paths, ["!a", "!b"], "put '**' first"),
        (PathFilter.from_paths, [], "an empty 'paths' list"),
        (PathFilter.from_paths_ignore, [], "an empty 'paths-ignore' list"),
        (PathFilter.from_paths, "docs/**", "must be a list"),
        (PathFilter.from_paths_ignore, ["docs/**", "!docs/api/**"], "use 'paths' with '!'"),
        (PathFilter.from_paths, ["ok/**", "**.c++"], "invalid pattern '**.c++'"),
        (PathFilter.from_paths_ignore, ["[]"], "empty character class"),
    ],
)
def test_rejected_lists(build: Callable[[Any], PathFilter], patterns: Any, fragment: str) -> None:
    with pytest.raises(FilterError) as info:
        build(patterns)
    assert fragment in str(info.value)


def test_escaped_bang_is_allowed_in_paths_ignore() -> None:
    ignore = PathFilter.from_paths_ignore(["\\!important.txt"])
    assert not ignore.includes("!important.txt")
    assert ignore.includes("important.txt")


# A 60-character name against patterns that make a backtracking engine try about C(60, 12)
# splits: today's `re` translation spins for hours; matching must be linear in the path length.
HOSTILE_NAME = "a" * 60
HOSTILE_PATTERNS = ["*a" * 12 + "b", "**a" * 12 + "b", "a?" * 30 + "a" * 30 + "b", "a+" * 12 + "b"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_catastrophic_backtracking_patterns_match_in_linear_time(pattern: str) -> None:
    assert not compile_pattern(pattern).matches(HOSTILE_NAME)
    assert not PathFilter.from_paths([pattern]).includes(HOSTILE_NAME)
    assert PathFilter.from_paths_ignore(["x", pattern]).includes(HOSTILE_NAME)
    assert compile_pattern(pattern[:-1]).matches(HOSTILE_NAME)
