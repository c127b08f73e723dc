"""The README.md the Hub writes into a new Space's initial commit: its configuration (title,
emoji, colours, `sdk`, the app file for the SDKs that have one), so that `metadata_update` and
the Space's settings find a card from the start. Deleting it is up to the owner, as on the Hub."""

from __future__ import annotations

from .naming import RepoKey

README = "README.md"
_APP_FILES = {"gradio": "app.py", "streamlit": "app.py"}


def space_readme(key: RepoKey, sdk: str) -> bytes:
    lines = [
        "---",
        f"title: {key.name}",
        "emoji: 🚀",
        "colorFrom: blue",
        "colorTo: green",
        f"sdk: {sdk}",
    ]
    if sdk in _APP_FILES:
        lines.append(f"app_file: {_APP_FILES[sdk]}")
    lines += [
        "pinned: false",
        "---",
        "",
        "Check out the configuration reference at "
        "https://huggingface.co/docs/hub/spaces-config-reference",
        "",
    ]
    return "\n".join(lines).encode()
