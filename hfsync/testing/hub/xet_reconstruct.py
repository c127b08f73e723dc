"""Reconstruction answers (xet-cas.md §3.7): which chunk ranges of which xorbs make up a byte
range of a file, and where to fetch them. Pure: works on the file record and xorb tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .xet_store import XetFile, XorbTable


@dataclass(frozen=True)
class Reconstruction:
    offset_into_first_range: int
    terms: list[dict[str, Any]]
    ranges: dict[str, list[tuple[int, int]]]  # xorb -> merged chunk ranges [start, end)


def reconstruct(
    xet_file: XetFile, tables: dict[str, XorbTable], first: int, last: int
) -> Reconstruction:
    """The terms covering bytes `first..last` (inclusive, `last` < file size)."""
    position = 0
    first_kept: int | None = None
    terms: list[dict[str, Any]] = []
    wanted: dict[str, list[tuple[int, int]]] = {}
    for term in xet_file.terms:
        table = tables[term.xorb]
        kept: list[int] = []
        for index in range(term.start, term.end):
            start, position = position, position + table.sizes[index]
            if position > first and start <= last:
                if first_kept is None:
                    first_kept = start
                kept.append(index)
        if kept:
            chunk_range = (kept[0], kept[-1] + 1)
            terms.append(
                {
                    "hash": term.xorb,
                    "unpacked_length": sum(table.sizes[chunk_range[0] : chunk_range[1]]),
                    "range": {"start": chunk_range[0], "end": chunk_range[1]},
                }
            )
            wanted.setdefault(term.xorb, []).append(chunk_range)
    assert first_kept is not None, "the byte range is inside the file"
    return Reconstruction(first - first_kept, terms, {x: _merge(r) for x, r in wanted.items()})


def v1_json(
    plan: Reconstruction, tables: dict[str, XorbTable], url_of: Callable[[str], str]
) -> dict[str, Any]:
    fetch_info = {
        xorb: [
            {
                "range": {"start": start, "end": end},
                "url": url_of(xorb),
                "url_range": _byte_range(tables[xorb], start, end),
            }
            for start, end in ranges
        ]
        for xorb, ranges in plan.ranges.items()
    }
    return {
        "offset_into_first_range": plan.offset_into_first_range,
        "terms": plan.terms,
        "fetch_info": fetch_info,
    }


def v2_json(
    plan: Reconstruction, tables: dict[str, XorbTable], url_of: Callable[[str], str]
) -> dict[str, Any]:
    xorbs = {
        xorb: [
            {
                "url": url_of(xorb),
                "ranges": [
                    {
                        "chunks": {"start": start, "end": end},
                        "bytes": _byte_range(tables[xorb], start, end),
                    }
                    for start, end in ranges
                ],
            }
        ]
        for xorb, ranges in plan.ranges.items()
    }
    return {
        "offset_into_first_range": plan.offset_into_first_range,
        "terms": plan.terms,
        "xorbs": xorbs,
    }


def _byte_range(table: XorbTable, start: int, end: int) -> dict[str, int]:
    """The stored bytes of chunks `[start, end)`, end-inclusive as the client wants them."""
    return {"start": table.offsets[start], "end": table.offsets[end] - 1}


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
