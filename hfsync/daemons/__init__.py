"""Long-running modes: the watcher and its debouncer."""
