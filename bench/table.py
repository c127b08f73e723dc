"""One benchmark row (hfsync's times beside a comparison's), and the printed table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Row:
    name: str
    hfsync: dict[str, float]  # seconds: median, min, max, runs
    comparison: str
    compared: dict[str, float] | None  # the comparison's seconds, same keys
    ratio: float | None = None  # hfsync / comparison (below 1: hfsync is faster)
    goal: str = ""
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    unit: str = "s"  # of the hfsync and comparison figures (seconds, or MB for a memory row)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _figures(stats: dict[str, float] | None, unit: str) -> str:
    if stats is None:
        return ""
    low, high = (f"{stats[key]:.{3 if unit == 's' else 1}f}" for key in ("min", "max"))
    return f"{stats['median']:.{3 if unit == 's' else 1}f} {unit} [{low}-{high}]"


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return ""
    if row.ratio < 1 and row.unit == "s":
        return f"{1 / row.ratio:.1f}x faster"
    return f"{row.ratio:.2f}x"


def _extra(row: Row) -> str:
    shown = []
    for key, value in row.extra.items():
        if isinstance(value, float):  # seconds below 10 to the millisecond
            shown.append(f"{key}={value:.{1 if abs(value) >= 10 else 3}f}")
        else:
            shown.append(f"{key}={value}")
    return ", ".join(shown)


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table (median [min-max] of each side)."""
    lines = [
        "| run | hfsync | comparison | its time | ratio | goal | met | details |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(
            f"| {row.name} | {_figures(row.hfsync, row.unit)} | {row.comparison}"
            f" | {_figures(row.compared, row.unit)}"
            f" | {_ratio(row)} | {row.goal} | {met} | {_extra(row)} |"
        )
    return "\n".join(lines)
