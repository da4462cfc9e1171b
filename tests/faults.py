"""Real storage faults for tests: a full disk and a read-only data folder.

Tests run as root here, where ``chmod`` stops nothing, so the faults are real file systems:

* full disk: a small tmpfs mounted on the data folder and filled up (``mount -t tmpfs -o size=``);
  where mounting is impossible, a child process whose file size limit is tiny (``RLIMIT_FSIZE``,
  with SIGXFSZ ignored so a write fails with EFBIG instead of killing it).
* read-only: the data folder bind-mounted read-only over itself (``mount -o remount,bind,ro``);
  without the right to mount, the same inside a user and mount namespace of the child alone
  (``unshare -rm``); as a user other than root, plain ``chmod``.

``FULL_DISK_MODES`` and ``READ_ONLY_MODES`` list what this machine can do, so tests parametrize over
them (here: every mode runs) and never skip.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def _ok(*cmd: str) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def can_mount() -> bool:
    with tempfile.TemporaryDirectory() as d:
        if not _ok("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d):
            return False
        _ok("umount", d)
        return True


@functools.cache
def can_unshare() -> bool:
    return _ok("unshare", "-rm", "true")


FULL_DISK_MODES = (["tmpfs"] if can_mount() else []) + ["rlimit"]
READ_ONLY_MODES = (
    (["mount"] if can_mount() else [])
    + (["namespace"] if can_unshare() else [])
    + (["chmod"] if os.geteuid() != 0 else [])
)


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A ``size`` tmpfs mounted on ``path`` (created empty) for the block."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte; returns the filler (delete it to free)."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 16, 1 << 12, 1 << 8, 1):
            with contextlib.suppress(OSError):
                while f.write(b"\0" * size):
                    pass
    return filler


def file_size_limit(max_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn`` for a child whose writes past ``max_bytes`` in any file fail (EFBIG)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return limit


@contextlib.contextmanager
def read_only(path: Path, mode: str) -> Iterator[Callable[[list[str]], list[str]]]:
    """``path`` read-only for the block; yields how to wrap a child's command line so that it sees
    it read-only (only the ``namespace`` mode needs that; the others change the host)."""
    if mode == "mount":
        subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
            yield lambda argv: argv
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    elif mode == "namespace":
        setup = f'mount --bind "{path}" "{path}" && mount -o remount,bind,ro "{path}"'
        yield lambda argv: ["unshare", "-rm", "sh", "-c", f'{setup} && exec "$@"', "sh", *argv]
    elif mode == "chmod":
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield lambda argv: argv
        finally:
            for p, m in modes.items():
                p.chmod(m)
    else:
        raise ValueError(mode)
