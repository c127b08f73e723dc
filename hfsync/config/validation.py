"""Building a config from its TOML tables: every problem found, each one line naming the key.

The tables are msgspec Structs (config/model.py). Each key is checked on its own (msgspec's
strict `convert` against the key's type, then the key's own check, a `checks` entry on the
Struct), so that one run reports every problem at once; the rules across keys (the Struct's
`problem()`) run once its keys are all good. Messages are written here from the types, in one
style: `key: must be WHAT (got VALUE)`. A key close to a known one says which one was meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec

Loc = tuple[int | str, ...]
S = TypeVar("S", bound=msgspec.Struct)
KeyCheck = Callable[[Any], Any]  # the value, as stored; ValueError(what is allowed) when bad


class ConfigProblems(Exception):
    """The problems of a config, each `key: what is wrong`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def build(data: Mapping[str, Any], struct: type[S], prefix: str = "") -> S:
    """`data` as a `struct`, or ConfigProblems with every problem found."""
    problems: list[str] = []
    built = _table(data, struct, (), prefix, problems)
    if problems or built is None:
        raise ConfigProblems(problems)
    return built


def _table(
    data: Mapping[str, Any], struct: type[S], loc: Loc, prefix: str, problems: list[str]
) -> S | None:
    from msgspec.inspect import ListType, StructType, type_info
    from msgspec.structs import fields

    found = len(problems)
    known = fields(struct)
    names = [f.name for f in known]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
            hint = f", did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(names)})"
            problems.append(f"{_key(prefix, (*loc, key))}: unknown key{hint}")
    checks: Mapping[str, KeyCheck] = getattr(struct, "checks", {})
    values: dict[str, Any] = {}
    for spec in known:
        where = (*loc, spec.name)
        if spec.name not in data:
            if spec.required:
                problems.append(f"{_key(prefix, where)}: required key is missing")
            continue
        value = data[spec.name]
        info = type_info(spec.type)
        if isinstance(info, StructType):
            value = _nested(value, info, where, prefix, problems)
        elif isinstance(info, ListType) and isinstance(info.item_type, StructType):
            value = _nested_list(value, info, where, prefix, problems)
        else:
            value = _plain(value, spec.type, checks.get(spec.name), where, prefix, problems)
        values[spec.name] = value
    if len(problems) > found:
        return None
    built = struct(**values)
    problem: str | None = built.problem() if hasattr(built, "problem") else None
    if problem is not None:
        problems.append(f"{_key(prefix, loc)}: {problem}" if loc else problem)
        return None
    return built


def _nested(value: Any, info: Any, loc: Loc, prefix: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{_key(prefix, loc)}: must be a table (got {_short(value)})")
        return None
    return _table(value, info.cls, loc, prefix, problems)


def _nested_list(value: Any, info: Any, loc: Loc, prefix: str, problems: list[str]) -> Any:
    if not isinstance(value, list) or len(value) < (info.min_length or 0):
        problems.append(f"{_key(prefix, loc)}: must be {_expected(info)} (got {_short(value)})")
        return None
    return [
        _nested(item, info.item_type, (*loc, n), prefix, problems) for n, item in enumerate(value)
    ]


def _plain(
    value: Any, kind: Any, check: KeyCheck | None, loc: Loc, prefix: str, problems: list[str]
) -> Any:
    from msgspec.inspect import type_info

    try:
        value = msgspec.convert(value, kind)
    except msgspec.ValidationError:
        expected = _expected(type_info(kind))
        problems.append(f"{_key(prefix, loc)}: must be {expected} (got {_short(value)})")
        return None
    if check is not None:
        try:
            value = check(value)
        except ValueError as exc:
            problems.append(f"{_key(prefix, loc)}: {exc}")
            return None
    return value


def _expected(info: Any) -> str:
    """What a type allows, in words: 'an integer greater than or equal to 0'."""
    from msgspec import inspect as mi

    if isinstance(info, mi.UnionType):
        kinds = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return " or ".join(_expected(t) for t in kinds)
    if isinstance(info, mi.BoolType):
        return "true or false"
    if isinstance(info, mi.IntType):
        return "an integer" + _bounds(info)
    if isinstance(info, mi.FloatType):
        return "a number" + _bounds(info)
    if isinstance(info, mi.StrType):
        return "a string"
    if isinstance(info, mi.LiteralType):
        shown = [repr(v) for v in info.values]
        return "one of " + (
            ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
        )
    if isinstance(info, mi.ListType):
        least = f" with at least {info.min_length} item(s)" if info.min_length else ""
        return f"a list{least}, each {_expected(info.item_type)}"
    if isinstance(info, mi.StructType):
        return "a table"
    return "a value of another kind"


def _bounds(info: Any) -> str:
    if info.ge is not None:
        return f" greater than or equal to {info.ge}"
    if info.gt is not None:
        return f" greater than {info.gt}"
    return ""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key(prefix: str, loc: Loc) -> str:
    """`targets[1].branch`: target tables counted from 1, as people count them."""
    text = ""
    for position, part in enumerate(loc):
        if isinstance(part, int):
            number = part + 1 if position == 1 and loc[0] == "targets" else part
            text += f"[{number}]"
        else:
            text += f".{part}" if text else str(part)
    return prefix + text
