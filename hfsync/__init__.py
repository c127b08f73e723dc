"""hfsync: keep a Hugging Face repo or any git remote in sync with a git repository."""

__version__ = "0.1.0"
