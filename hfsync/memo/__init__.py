"""The last answer of `hfsync run`, given again when nothing it depends on changed."""
