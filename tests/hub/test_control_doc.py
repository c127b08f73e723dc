"""docs/test-hub.md's control table says what the control API takes: the names it documents
for a fault are the ones the Python call and the HTTP route accept."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import httpx2
from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.control import Fault

DOC = Path(__file__).resolve().parents[2] / "docs" / "test-hub.md"


def documented_fault_keys() -> list[str]:
    row = next(line for line in DOC.read_text().splitlines() if line.startswith("| Inject a fault"))
    call = re.search(r"control\.inject\(([^)]*)\)", row)
    assert call is not None, row
    return [part.split("=")[0].strip() for part in call.group(1).split(",")]


def test_the_documented_fault_keys_are_the_ones_the_http_route_takes(
    hub: TestHub, api: HfApi
) -> None:
    keys = documented_fault_keys()
    fields = {field.name for field in dataclasses.fields(Fault) if field.init}
    assert set(keys) == fields, f"docs/test-hub.md names {keys}; a fault has {sorted(fields)}"

    # The documented example, over HTTP, arms a fault the client then meets.
    answer = httpx2.post(
        f"{hub.url}/_testhub/faults", json={"path": "/api/whoami", "status": 503, "times": 1}
    )
    assert answer.status_code == 200, answer.text
    assert '`{"path": "/preupload/", "status": 503}`' in DOC.read_text()
    assert httpx2.get(f"{hub.url}/api/whoami-v2").status_code == 503
