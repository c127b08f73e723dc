"""Test helpers shipped with hfsync (a local Hub-compatible server, fixtures)."""
