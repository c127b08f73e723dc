"""Simulated hot reload of a running Gradio Space: what huggingface_hub 2.4's `_hot_reload`
client reads (`hf spaces hot-reload`).

A commit to a Space's `main` with `?hot_reload=1` patches the running replicas in place instead
of starting a build, when the Space can take it (`refusal` says why not): it is RUNNING, its
README.md says `sdk: gradio` with `sdk_version` 6.1 or later, and the commit only adds or changes
`.py` files (no deletion, no other file, nothing in LFS). Then the runtime keeps its stage, runs
the new commit, and shows `hotReloading: {status: "created", replicaStatuses: [[hash,
"created"], ...]}`; otherwise `status: "canceled"`, no replica, and the Space builds as after any
commit.

What each replica did is derived from the change (`reload_events`), with `ast`, for each changed
file in path order, against the file the Space was running:

* `file` (`created`: the file is new) first;
* the new file does not compile: an `exception` at the syntax error's line, and nothing more;
* each top-level function or class, in the new file's order: `add` (a new name) or `update`
  (its code changed), with `objectType` `function` or `class`;
* each other top-level statement the old file did not have (an import, an assignment, the
  `with gr.Blocks() as demo:` block) is run again: a `run` event with its lines; a top-level
  `raise` raises: an `exception` with a traceback at its line, and the file's events end there;
* `delete` for each top-level function or class the new file no longer has;
* `ui` last: `updated` when a statement was run again (the app's layout is rebuilt), else not.

Regions are 1-based lines, written as huggingface_hub's CLI reads them (it prints `startLine - 1`
as the first line): `startLine` is the first line + 1, `endLine` the last line, and a one-line
region has `startLine == endLine == line + 1`. Every replica reports the same events.
"""

from __future__ import annotations

import ast
import hashlib
import re
import threading
import traceback
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIN_GRADIO = (6, 1, 0)
MAX_SOURCE = 1 << 20  # a larger file is not parsed: an `error` event instead
MAX_CODE_LINES = 20  # lines of a `run` event's code shown
MAX_REPLICAS = 16
RELOADS_KEPT = 8  # per Space: the reload ids a replica still answers for
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)")
_PRE_RELEASE = re.compile(r"[.-]?(a|b|c|rc|alpha|beta|pre|preview|dev)\d*", re.IGNORECASE)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

Event = dict[str, Any]


@dataclass(frozen=True)
class Reload:
    """One hot-reload commit of a Space: its status, each replica's status, and the events every
    replica streams for it."""

    commit: str
    status: str  # "created" or "canceled"
    replicas: tuple[tuple[str, str | None], ...]
    events: tuple[Event, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The runtime's `hotReloading` (hub-api §9.1)."""
        return {"status": self.status, "replicaStatuses": [list(r) for r in self.replicas]}


class HotReloads:
    """Per Space (in memory): how many replicas run, and its latest hot-reload commits."""

    def __init__(self) -> None:
        self._replicas: dict[str, int] = {}
        self._reloads: dict[str, OrderedDict[str, Reload]] = {}
        self._spaces: dict[str, str] = {}  # subdomain -> repo id
        self._lock = threading.Lock()

    def set_replicas(self, repo_id: str, count: int) -> None:
        """Run `count` replicas of the Space (default 1)."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_REPLICAS:
            raise ValueError(f"a Space runs 1 to {MAX_REPLICAS} replicas")
        with self._lock:
            self._replicas[repo_id] = count

    def replica_hashes(self, repo_id: str) -> list[str]:
        """The replicas' ids: fixed per Space and replica number."""
        with self._lock:
            count = self._replicas.get(repo_id, 1)
        return [hashlib.sha256(f"{repo_id}#{n}".encode()).hexdigest()[:10] for n in range(count)]

    def record(self, repo_id: str, subdomain: str, reload: Reload) -> None:
        with self._lock:
            reloads = self._reloads.setdefault(repo_id, OrderedDict())
            reloads[reload.commit] = reload
            while len(reloads) > RELOADS_KEPT:
                reloads.popitem(last=False)
            self._spaces[subdomain] = repo_id

    def hot_reloading(self, repo_id: str, running: str) -> dict[str, Any] | None:
        """`hotReloading` of a Space running commit `running`: None unless that commit was
        hot-reloaded (a build since then runs a version that was not)."""
        with self._lock:
            reload = self._reloads.get(repo_id, OrderedDict()).get(running)
        return reload.to_json() if reload else None

    def space_of(self, subdomain: str) -> str | None:
        """The Space a subdomain names, once it was hot-reloaded."""
        with self._lock:
            return self._spaces.get(subdomain)

    def find(self, repo_id: str, commit: str) -> Reload | None:
        with self._lock:
            return self._reloads.get(repo_id, OrderedDict()).get(commit)

    def reset(self) -> None:
        with self._lock:
            self._replicas.clear()
            self._reloads.clear()
            self._spaces.clear()


def gradio_refusal(front_matter: Mapping[str, Any] | None, created_sdk: str | None) -> str | None:
    """Why a Space with this README.md front matter cannot hot-reload, or None."""
    meta = front_matter or {}
    sdk = meta.get("sdk", created_sdk)
    if sdk != "gradio":
        return f"the Space's SDK is {sdk!r}, not gradio"
    version = meta.get("sdk_version")
    if not isinstance(version, str) or not version_allows(version):
        return f"sdk_version {version!r} is not Gradio 6.1 or later"
    return None


def version_allows(version: str) -> bool:
    """Whether a Gradio version is 6.1.0 or later (a pre-release of 6.1.0 is not)."""
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        return False
    release = tuple(int(part or 0) for part in match.group(1, 2, 3))
    if release != MIN_GRADIO:
        return release > MIN_GRADIO
    return _PRE_RELEASE.match(match.group(4)) is None


def reload_events(path: str, old: bytes | None, new: bytes) -> list[Event]:
    """What a replica reports for `path` changing from `old` (None: a new file) to `new`."""
    events: list[Event] = [_event("file", created=old is None)]
    new_tree = _parse(path, new, events)
    if new_tree is None:
        return events
    old_tree = _parse(path, old, []) if old is not None else None
    try:
        _compare(path, old_tree, new_tree, new, events)
    except RecursionError:  # an expression nested too deeply for `ast.dump`
        events.append(_event("error", traceback=f"RecursionError: {path} is nested too deeply"))
    return events


def _compare(
    path: str, old_tree: ast.Module | None, new_tree: ast.Module, new: bytes, events: list[Event]
) -> None:
    """The events of the top-level changes from `old_tree` to `new_tree`, added to `events`."""
    old_body = old_tree.body if old_tree else []
    old_definitions = {node.name: node for node in old_body if isinstance(node, _DEFINITIONS)}
    old_statements = Counter(ast.dump(node) for node in old_body if not _is_definition(node))
    lines = new.decode("utf-8", errors="replace").splitlines()
    ran = False
    for node in new_tree.body:
        if isinstance(node, _DEFINITIONS):
            before = old_definitions.pop(node.name, None)
            if before is None or ast.dump(before) != ast.dump(node):
                change = "add" if before is None else "update"
                events.append(_object_event(change, node, _region(node)))
            continue
        dumped = ast.dump(node)
        if old_statements[dumped] > 0:  # unchanged: not run again
            old_statements[dumped] -= 1
            continue
        if isinstance(node, ast.Raise):
            events.append(_raised(path, node, lines))
            return
        code = lines[node.lineno - 1 : (node.end_lineno or node.lineno)][:MAX_CODE_LINES]
        events.append(_event("run", region=_region(node), codeLines="\n".join(code)))
        ran = True
    for gone in old_definitions.values():
        events.append(_object_event("delete", gone, _region(gone)))
    events.append(_event("ui", updated=ran))


def _parse(path: str, source: bytes, events: list[Event]) -> ast.Module | None:
    """The module's syntax tree; None, with an event saying why, when it cannot be had."""
    if len(source) > MAX_SOURCE:
        events.append(_event("error", traceback=f"{path} is over {MAX_SOURCE} bytes"))
        return None
    try:
        tree = compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        text = "".join(traceback.format_exception_only(type(error), error))
        events.append(_event("exception", region=_one_line(error.lineno or 1), traceback=text))
        return None
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, nesting too deep
        events.append(_event("error", traceback=f"{type(error).__name__}: {error}"))
        return None
    assert isinstance(tree, ast.Module)
    return tree


def _raised(path: str, node: ast.Raise, lines: list[str]) -> Event:
    """The exception a top-level `raise` statement raises, as a traceback at its line."""
    exception = node.exc
    if isinstance(exception, ast.Call):
        name = ast.unparse(exception.func)
        first = exception.args[0] if exception.args else None
        message = str(first.value) if isinstance(first, ast.Constant) else ""
        last = f"{name}: {message}" if message else name
    elif exception is not None:
        last = ast.unparse(exception)
    else:
        last = "RuntimeError: No active exception to reraise"
    code = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
    text = (
        "Traceback (most recent call last):\n"
        f'  File "{path}", line {node.lineno}, in <module>\n'
        f"    {code}\n{last}\n"
    )
    return _event("exception", region=_one_line(node.lineno), traceback=text)


def _is_definition(node: ast.stmt) -> bool:
    return isinstance(node, _DEFINITIONS)


def _object_event(
    change: str, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, region: Any
) -> Event:
    kind = "class" if isinstance(node, ast.ClassDef) else "function"
    return _event(change, region=region, objectType=kind, objectName=node.name)


def _region(node: ast.stmt) -> dict[str, int]:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    last = node.end_lineno or node.lineno
    if last == first:
        return _one_line(first)
    return {
        "startLine": first + 1,
        "startCol": node.col_offset,
        "endLine": last,
        "endCol": node.end_col_offset or 0,
    }


def _one_line(line: int) -> dict[str, int]:
    return {"startLine": line + 1, "startCol": 0, "endLine": line + 1, "endCol": 0}


def _event(kind: str, **data: Any) -> Event:
    """One server-sent event's JSON: `{"data": {"kind": ..., ...}}`."""
    return {"data": {"kind": kind, **data}}
