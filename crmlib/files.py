"""Files the suite writes in one step and keeps private: a folder swapped in by one rename, files and folders
holding personal data created readable by their owner only (whatever the umask), and what a killed process left.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> with private_file(folder / "list.csv") as handle:
...     _ = handle.write("Email\\n")
>>> oct((folder / "list.csv").stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from pathlib import Path

AT_FDCWD, RENAME_EXCHANGE = -100, 2  # from Linux's fcntl.h and fs.h
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def private_file(path: Path, mode: str = "w"):
    """`path` opened for writing (text, UTF-8), created 0600: readable and writable by its owner only."""
    opener = lambda name, flags: os.open(name, flags, PRIVATE_FILE)
    handle = open(path, mode, encoding="utf-8", newline="", opener=opener)
    os.chmod(path, PRIVATE_FILE)  # an existing file keeps its mode on open: set it
    return handle


@contextlib.contextmanager
def private_umask():
    """Inside the block every file and folder this process creates is its owner's only (umask 077), so files that
    other code creates (a database and its log, spilled Parquet) hold personal data privately."""
    before = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(before)


def exchange(a: Path, b: Path) -> None:
    """Swap two paths in one step (Linux's renameat2 with RENAME_EXCHANGE); elsewhere in two renames."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None and renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return
    aside = b.with_name(b.name + ".aside")
    os.replace(b, aside)
    os.replace(a, b)
    os.replace(aside, a)


def alive(pid: int | None) -> bool:
    """Whether process `pid` is running (this process counts; None is no process).

    >>> alive(os.getpid()), alive(None)
    (True, False)
    """
    if pid is None or pid == os.getpid():
        return pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
