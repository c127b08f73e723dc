"""Symlinks on targets that keep them (git): a link stays a link (mode 120000, its target text as
the blob) when, after the folder mapping, its text still names the file it named in the source;
any other link is synced as the file it names, as on the Hub."""

from __future__ import annotations

import os
import posixpath
from dataclasses import replace

from hfsync.core.scope import Scope
from hfsync.core.snapshot import MODE_LINK, LocalFile
from hfsync.local.hashindex import git_blob_sha1


def keep_links(scope: Scope, files: dict[str, LocalFile]) -> dict[str, LocalFile]:
    """`files` (keyed by remote path, the caller's own dict: changed in place) with each link
    that stays right on the remote made a link."""
    links = [(path, file, file.link) for path, file in files.items() if file.link is not None]
    for remote_path, file, text in links:
        named = posixpath.normpath(posixpath.join(posixpath.dirname(file.path), text))
        on_remote = posixpath.normpath(posixpath.join(posixpath.dirname(remote_path), text))
        if on_remote.startswith("../") or on_remote != scope.to_remote(named):
            continue  # the text would name another file, or leave the remote folder
        data = os.fsencode(text)
        files[remote_path] = replace(
            file, sha1=git_blob_sha1(data), size=len(data), sha256=None, mode=MODE_LINK
        )
    return files
