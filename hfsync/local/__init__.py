"""The source side: working tree or commit, hash index, symlink rules, local state."""
