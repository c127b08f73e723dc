"""Effects in order: sync, rollback, Space build wait, remote-edit diffs."""
