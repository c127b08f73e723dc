"""Pure rules of the test hub, table-driven: upload modes and raw-path routing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pathspec import GitIgnoreSpec
from werkzeug.wrappers import Response

from hfsync.testing.hub.errors import HubError
from hfsync.testing.hub.routing import Router, api_routes, git_routes
from hfsync.testing.hub.upload_rules import REGULAR_FILE_LIMIT, LfsAttributes, upload_mode

ATTRIBUTES = LfsAttributes(
    "# comment\n"
    "*.bin filter=lfs diff=lfs merge=lfs -text\n"
    "saved_model/**/* filter=lfs diff=lfs merge=lfs -text\n"
    "small.bin -filter\n"
    "docs/*.pdf filter=lfs\n"
)


@pytest.mark.parametrize(
    ("path", "size", "sample", "mode"),
    [
        ("a.txt", 10, b"text", "regular"),
        ("deep/w.bin", 10, b"text", "lfs"),
        ("small.bin", 10, b"text", "regular"),  # a later line unsets the filter
        ("sub/small.bin", 10, b"text", "regular"),
        ("saved_model/v1/vars", 10, b"text", "lfs"),
        ("docs/a.pdf", 10, b"text", "lfs"),
        ("other/docs/a.pdf", 10, b"text", "regular"),  # a pattern with a slash is anchored
        ("a.txt", 10, b"te\0xt", "lfs"),
        ("a.txt", REGULAR_FILE_LIMIT, b"text", "lfs"),
        ("a.txt", REGULAR_FILE_LIMIT - 1, b"text", "regular"),
    ],
)
def test_upload_mode(path: str, size: int, sample: bytes, mode: str) -> None:
    assert upload_mode(path, size, sample, ATTRIBUTES) == mode


def _echo(hub: object, request: object, params: dict[str, str]) -> Response:
    return Response(repr(sorted(params.items())))


ROUTER = Router(
    [
        *api_routes("GET", "tree/{revision}/{path*}", _echo),
        *git_routes("GET HEAD", "resolve/{revision}/{path*}", _echo),
        *git_routes("POST", "info/lfs/objects/batch", _echo, suffix=".git"),
    ]
)


@pytest.mark.parametrize(
    ("method", "raw_path", "expected"),
    [
        (
            "GET",
            "/api/spaces/u/s/tree/refs%2Fpr%2F1/a%2Fb",
            {
                "repo_type": "space",
                "namespace": "u",
                "name": "s",
                "revision": "refs/pr/1",
                "path": "a/b",
            },
        ),
        (
            "HEAD",
            "/spaces/u/s/resolve/main/dir/file%20name.txt",
            {
                "repo_type": "space",
                "namespace": "u",
                "name": "s",
                "revision": "main",
                "path": "dir/file name.txt",
            },
        ),
        (
            "GET",
            "/u/m/resolve/v1/x.bin",
            {
                "repo_type": "model",
                "namespace": "u",
                "name": "m",
                "revision": "v1",
                "path": "x.bin",
            },
        ),
        (
            "POST",
            "/datasets/u/d.git/info/lfs/objects/batch",
            {"repo_type": "dataset", "namespace": "u", "name": "d"},
        ),
    ],
)
def test_routing_splits_the_raw_path_before_decoding(
    method: str, raw_path: str, expected: dict[str, str]
) -> None:
    _, params = ROUTER.find(method, raw_path)

    assert params == expected


def test_routing_errors() -> None:
    with pytest.raises(HubError) as missing:
        ROUTER.find("GET", "/api/nothing")
    with pytest.raises(HubError) as wrong_method:
        ROUTER.find("DELETE", "/u/m/resolve/main/x")

    assert missing.value.status == 404
    assert wrong_method.value.status == 405


_PATTERNS = [
    "*.bin",
    "*.txt",
    "a",
    "a/",
    "/a",
    "a/**",
    "**/b",
    "a/*.bin",
    "!*.bin",
    "\\!x",
    "*",
    "b/**/c",
]
_PATHS = ["a", "a/b", "a/x.bin", "b", "b/c", "b/d/c", "x.bin", "!x", "c/a", "a/b/c.txt", "d/b"]


@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(_PATTERNS),
            st.sampled_from(["filter=lfs", "-filter", "!filter", "filter=other", "-text"]),
        ),
        max_size=8,
    ),
    path=st.sampled_from(_PATHS),
)
def test_a_path_is_lfs_when_the_last_line_matching_it_says_so(
    lines: list[tuple[str, str]], path: str
) -> None:
    """The rules read line by line, as the class documents them: the one-spec shortcut for
    paths no line matches must never change an answer."""
    text = "".join(f"{pattern} {attribute}\n" for pattern, attribute in lines)
    expected = False
    for pattern, attribute in lines:
        if attribute != "-text" and GitIgnoreSpec.from_lines([pattern]).match_file(path):
            expected = attribute == "filter=lfs"
    assert LfsAttributes(text).is_lfs(path) is expected
