"""Property tests of hfsync.core.filters: the laws the pattern language and the lists must obey."""

from __future__ import annotations

from hypothesis import given, reject
from hypothesis import strategies as st

from hfsync.core.filters import FilterError, PathFilter, compile_pattern

# Path characters, including ones that are special in patterns, regexes or shells.
_NAME_CHARS = st.sampled_from(list("abcxyzAB019.-_ *?+[]!\\{}()^$|é\n"))
segments = st.text(_NAME_CHARS, min_size=1, max_size=6)
paths = st.lists(segments, min_size=1, max_size=4).map("/".join)
# Paths over a small alphabet, so that generated patterns often match them.
_SMALL = st.text(st.sampled_from(list("ab.")), min_size=1, max_size=3)
small_paths = st.lists(_SMALL, min_size=1, max_size=4).map("/".join)

# Pattern pieces over the same small alphabet; a concatenation is valid or rejected (skipped).
_PIECES = st.sampled_from(["a", "b", ".", "/", "*", "**", "**/", "a?", "b+", "[ab]", "[a-b]+"])
patterns = st.lists(_PIECES, min_size=1, max_size=6).map("".join)


def _valid(pattern: str) -> str:
    try:
        compile_pattern(pattern)
    except FilterError:
        reject()
    return pattern


valid_patterns = patterns.map(_valid)


def _escape(path: str) -> str:
    return "".join("\\" + c for c in path)


@given(paths)
def test_double_star_matches_every_path(path: str) -> None:
    assert compile_pattern("**").matches(path)


@given(paths)
def test_star_never_matches_a_slash(path: str) -> None:
    assert compile_pattern("*").matches(path) is ("/" not in path)


@given(segments)
def test_star_matches_any_single_segment(segment: str) -> None:
    assert compile_pattern("*").matches(segment)


@given(paths, paths)
def test_escaped_literal_matches_exactly_itself(path: str, other: str) -> None:
    literal = compile_pattern(_escape(path))
    assert literal.matches(path)
    assert literal.matches(other) is (other == path)


@given(paths)
def test_dir_double_star_matches_everything_under_it_but_not_itself(path: str) -> None:
    under = compile_pattern("a/**")
    assert under.matches("a/" + path)
    assert not under.matches("a")


@given(valid_patterns, small_paths)
def test_pattern_then_its_negation_includes_nothing_it_matches(pattern: str, path: str) -> None:
    matched = compile_pattern(pattern).matches(path)
    assert PathFilter.from_paths([pattern]).includes(path) is matched
    if matched:
        assert not PathFilter.from_paths([pattern, "!" + pattern]).includes(path)


@given(st.lists(valid_patterns, min_size=1, max_size=4), st.booleans(), small_paths)
def test_last_positive_double_star_includes_everything(
    entries: list[str], negate: bool, path: str
) -> None:
    # The list may hold negative entries; a trailing `**` still wins.
    listed = [("!" + e if negate and i % 2 else e) for i, e in enumerate(entries)]
    assert PathFilter.from_paths([*listed, "**"]).includes(path)


@given(valid_patterns, small_paths)
def test_paths_ignore_is_the_complement_of_paths(pattern: str, path: str) -> None:
    paths_filter = PathFilter.from_paths([pattern])
    ignore_filter = PathFilter.from_paths_ignore([pattern])
    assert ignore_filter.includes(path) is not paths_filter.includes(path)


@given(st.lists(valid_patterns, min_size=1, max_size=4), small_paths)
def test_paths_ignore_drops_a_path_if_any_pattern_matches(entries: list[str], path: str) -> None:
    any_match = any(compile_pattern(e).matches(path) for e in entries)
    assert PathFilter.from_paths_ignore(entries).includes(path) is not any_match


@given(st.lists(valid_patterns, min_size=1, max_size=4), st.lists(st.booleans()), small_paths)
def test_paths_is_decided_by_the_last_matching_entry(
    entries: list[str], negations: list[bool], path: str
) -> None:
    listed = [
        "!" + e if i < len(negations) and negations[i] and i > 0 else e
        for i, e in enumerate(entries)
    ]
    decision = False
    for entry in listed:
        compiled = compile_pattern(entry)
        if compiled.matches(path):
            decision = not compiled.negated
    assert PathFilter.from_paths(listed).includes(path) is decision


@given(valid_patterns, small_paths)
def test_backtracking_and_linear_engines_agree(pattern: str, path: str) -> None:
    """Patterns run on Python's `re` or on RE2 depending on their shape: same answers."""
    import re

    import re2

    compiled = compile_pattern(pattern)
    on_re = re.fullmatch(compiled.regex, path, re.DOTALL) is not None
    on_re2 = re2.fullmatch("(?s)" + compiled.regex, path) is not None
    assert on_re == on_re2 == compiled.matches(path)
