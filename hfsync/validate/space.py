"""A Space's configuration: the YAML front matter of its README.md, checked as the Hub reads it,
against the tree the Space will have after the sync, so that a sync never leaves it in
CONFIG_ERROR or NO_APP_FILE."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hfsync.core.findings import Finding
from hfsync.validate.tree import is_space

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target
    from hfsync.validate.tree import TreeAfter

README = "README.md"
SDKS = ("gradio", "streamlit", "docker", "static")
DEFAULT_APP_FILE = {"gradio": "app.py", "streamlit": "app.py", "static": "index.html"}
MAX_README_BYTES = 1_000_000
_VERSION_RE = re.compile(r"^\d+(\.\d+){0,3}((a|b|rc|\.dev|\.post)\d+)?$")
MAX_FRONT_MATTER_CHARS = 100_000
# The front matter as huggingface_hub's `metadata_load` finds it: optional leading whitespace,
# a line `---`, the block (as short as it can be), then a line `---` (trailing blanks allowed).
_FRONT_MATTER_RE = re.compile(
    r"\A(\s*---(?:\r\n|\r|\n))(.*?)(?:\r\n|\r|\n)---[ \t]*(?:\r\n|\n|$)", re.DOTALL
)
_FIX_YAML = "fix the YAML there (quote values holding ': ', '#' or brackets)"


def check(target: Target, source: Source, plan: Plan, after: TreeAfter) -> list[Finding]:
    """Findings on the Space's README.md in the tree the plan leaves, when the plan could break
    the Space's configuration or makes the Space: README.md written or deleted, any deletion
    (the app file's, say), or a Space the sync creates (which must start with a configuration,
    even when its README.md lies outside the target's paths). A configuration already missing
    or broken on an existing Space, which the plan does not touch, is not this sync's doing."""
    if not is_space(target):
        return []
    touched = any(op.path == README for op in (*plan.uploads, *plan.deletes))
    creating = target.remote.missing is not None
    if not (touched or creating or plan.deletes):
        return []
    if not after.has_file(README):
        if not (touched or creating):
            return []  # no README before the sync either: not this sync's doing
        return [
            _finding(
                0,
                "no README.md: the Space has no configuration",
                "add a README.md whose front matter sets at least `sdk` (and keep it in the "
                "target's paths)",
            )
        ]
    text = _readme_after(target, source, plan)
    meta, lines, problem = front_matter(text)
    if meta is None:
        if not (touched or creating):
            return []  # no configuration before the sync either: not this sync's doing
        return [problem or _NO_FRONT_MATTER]
    found = []
    sdk = meta.get("sdk")
    if sdk not in SDKS:
        got = "missing" if sdk is None else f"{str(sdk)[:40]!r}"
        found.append(
            _finding(
                lines.get("sdk", 1), f"`sdk` is {got}", f"set `sdk` to one of {', '.join(SDKS)}"
            )
        )
        return found
    version = meta.get("sdk_version")
    if version is not None and not _VERSION_RE.match(str(version)):
        found.append(
            _finding(
                lines["sdk_version"],
                f"`sdk_version` {str(version)[:40]!r} is not a version",
                "write it as '4.44.1' (quoted)",
            )
        )
    if sdk == "docker":
        port = meta.get("app_port", 7860)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            found.append(
                _finding(
                    lines.get("app_port", 1),
                    f"`app_port` {str(port)[:20]!r} is not a port",
                    "set `app_port` to the port the app listens on",
                )
            )
        if not after.has_file("Dockerfile"):
            found.append(
                _finding(
                    lines.get("sdk", 1),
                    "a docker Space without a Dockerfile",
                    "add a Dockerfile at the Space's root",
                )
            )
        return found
    app_file = meta.get("app_file", DEFAULT_APP_FILE[sdk])
    if not isinstance(app_file, str) or not after.has_file(app_file.removeprefix("./")):
        line = lines.get("app_file", lines.get("sdk", 1))
        found.append(
            _finding(
                line,
                f"`app_file` {str(app_file)[:100]!r} will not be in the "
                "Space after this sync (the Space would show NO_APP_FILE)",
                "sync that file too, or point `app_file` at the app's entry file",
            )
        )
    return found


def _finding(line: int, problem: str, fix: str) -> Finding:
    return Finding("space-config", README, line, problem, fix)


_NO_FRONT_MATTER = _finding(
    1,
    "README.md has no YAML front matter (between '---' lines)",
    "start README.md with '---', `sdk: gradio` (say), `app_file: app.py`, '---'",
)


def _readme_after(target: Target, source: Source, plan: Plan) -> str:
    from hfsync.remotes.target import local_files

    local = local_files(target, source).get(README)
    upload = next((op for op in plan.uploads if op.path == README), None)
    if upload is not None and upload.local is not None:
        data = source.read_bytes(upload.local.path)
    elif local is not None and not any(op.path == README for op in plan.operations):
        data = source.read_bytes(local.path)  # in sync: the same bytes as the remote's
    else:
        data = target.remote.read_file(plan.head, README) if plan.head else b""
    # "utf-8-sig": a UTF-8 byte order mark is skipped, as huggingface_hub's `metadata_load` does.
    return data[:MAX_README_BYTES].decode("utf-8-sig", errors="replace")


def front_matter(
    text: str,
) -> tuple[dict[str, Any] | None, dict[str, int], Finding | None]:
    """The front matter as huggingface_hub reads it (`metadata_load`: a UTF-8 BOM is skipped,
    blank lines may come first, the block ends at the next line that is `---`): a mapping (None
    when absent or unusable), each top-level key's 1-based line in README.md, and the finding
    that says why it is unusable (the YAML error with its line; None when there is no block)."""
    import yaml

    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        return None, {}, None
    first = len(match.group(1).splitlines()) + 1  # the block's first line in README.md
    block = match.group(2)
    if len(block) >= MAX_FRONT_MATTER_CHARS:
        return None, {}, _finding(first, "README.md's front matter is too large", _FIX_YAML)
    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first + mark.line if mark is not None else first
        what = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        return None, {}, _finding(line, f"invalid YAML in the front matter: {what}", _FIX_YAML)
    except RecursionError:
        return None, {}, _finding(first, "the front matter is nested too deeply", _FIX_YAML)
    if meta is None:
        meta = {}  # an empty block: the client reads it as no settings
    if not isinstance(meta, dict):
        return None, {}, _finding(first, "the front matter is not a mapping of keys", _FIX_YAML)
    where: dict[str, int] = {}
    for number, line in enumerate(block.splitlines(), start=first):
        key = line.partition(":")[0]
        if line[:1] not in (" ", "\t", "#") and key and key not in where:
            where[key.strip()] = number
    return meta, where, None
