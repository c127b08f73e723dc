"""Configuration: the hfsync.toml schema and loader, workflow trigger paths, the starter config."""
