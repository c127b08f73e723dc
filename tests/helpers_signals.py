"""Send a signal to one thread of another process, as the kernel may when it picks which thread
of a process receives a process-directed signal (`kill`, `docker stop`)."""

from __future__ import annotations

import ctypes
import os
import platform
import signal

import pytest

_SYS_TGKILL = {"x86_64": 234, "aarch64": 131}


def signal_a_worker_thread(pid: int, signum: signal.Signals = signal.SIGTERM) -> None:
    """Deliver `signum` to a thread of `pid` other than its main thread."""
    number = _SYS_TGKILL.get(platform.machine())
    if number is None or not os.path.isdir(f"/proc/{pid}/task"):
        pytest.skip("needs Linux's tgkill and /proc")
    threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid]
    assert threads, "the process runs a thread besides its main one"
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(number, pid, threads[0], signum) == 0, os.strerror(ctypes.get_errno())
