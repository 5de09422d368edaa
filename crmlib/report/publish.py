"""Publishing a period's report in one atomic step, so a reader (or a killed run) finds the old report or the new
one, never none and never half of one.

`reports/<period>` is a symbolic link to a folder in `reports/.versions/`. A run writes its pages into a new
version folder (`staging`), then one rename swaps a new link over the old one; only then is the old version
removed. What a killed run leaves (a version folder no link names, a link not yet swapped in) is removed by the
next run, once the process that made it is gone.

>>> import tempfile
>>> reports = Path(tempfile.mkdtemp())
>>> first = staging(reports, "2025-06"); _ = (first / "index.html").write_text("old")
>>> publish(first, reports / "2025-06")
>>> second = staging(reports, "2025-06"); _ = (second / "index.html").write_text("new")
>>> publish(second, reports / "2025-06")
>>> (reports / "2025-06" / "index.html").read_text(), first.exists()
('new', False)
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from filelock import FileLock

from crmlib.files import alive, exchange

VERSIONS = ".versions"


def staging(reports: Path, period: str) -> Path:
    """A new, empty version folder for `period`'s pages, named after this process (so a stale one is known)."""
    folder = reports / VERSIONS / f"{period}.{os.getpid()}.{time.time_ns()}"
    folder.mkdir(parents=True)
    return folder


def publish(version: Path, target: Path) -> None:
    """Make `target` show `version`: one rename of a new link over the old; then remove the version it showed."""
    reports = target.parent
    with FileLock(str(reports / f".{target.name}.lock")):
        before = _shown(target)
        link = reports / f".link-{target.name}.{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(version, reports))
        if target.exists() and not target.is_symlink():  # a folder published before links: swap it out at once
            exchange(link, target)
            before = link
        else:
            os.replace(link, target)
        if before is not None and before.resolve() != version.resolve():
            shutil.rmtree(before, ignore_errors=True)


def remove_stale(reports: Path) -> list[str]:
    """Remove what killed runs left: version folders no link shows and unswapped links, of processes now gone
    (and the `.staging-*`/`.old-*` folders of earlier versions of the suite); return their names."""
    if not reports.is_dir():
        return []
    shown = {_shown(link) for link in reports.iterdir() if link.is_symlink() and not link.name.startswith(".")}
    candidates = [*(reports / VERSIONS).glob("*"), *reports.glob(".link-*"), *reports.glob(".staging-*"),
                  *reports.glob(".old-*")]  # fmt: skip
    removed = []
    for path in candidates:
        if path in shown or alive(_pid(path.name)):
            continue
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def _shown(link: Path) -> Path | None:
    """The version folder a report link shows (None if `link` is no link)."""
    return (link.parent / os.readlink(link)).resolve() if link.is_symlink() else None


def _pid(name: str) -> int | None:
    """The process id in a version folder `<period>.<pid>.<ns>`, a link `.link-<period>.<pid>` or an earlier
    version's `.staging-<period>-<pid>` / `.old-<period>-<pid>`.

    >>> _pid("2025-Q2.4711.1733000000"), _pid(".link-2025-06.4711"), _pid(".staging-2025-06-4711"), _pid("x.y")
    (4711, 4711, 4711, None)
    """
    if name.startswith(".link-"):
        found = name.rsplit(".", 1)[-1]
    elif name.startswith((".staging-", ".old-")):
        found = name.rsplit("-", 1)[-1]
    else:
        parts = name.rsplit(".", 2)
        found = parts[1] if len(parts) == 3 else ""
    return int(found) if found.isdigit() else None
