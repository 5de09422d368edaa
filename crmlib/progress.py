"""Progress of long work, through the standard `logging` module: on a terminal a bar per table being read (tqdm)
and a line per notebook; elsewhere (a cron log) the same as plain timestamped lines. `crm --quiet` (and `--json`)
keeps to the results alone.

>>> configure(quiet=True)
>>> with rows("transactions") as add:
...     add(1000)
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator

from tqdm import tqdm

from crmlib.catalogue import t

LOG = logging.getLogger("crmlib.progress")
_state = {"bars": False}


def configure(quiet: bool = False) -> None:
    """Progress on the standard output from now on: plain lines with their time when it is no terminal, bars too
    when it is; nothing when `quiet`."""
    terminal = sys.stdout.isatty()
    handler = logging.StreamHandler(sys.stdout)
    layout = "%(message)s" if terminal else "%(asctime)s %(message)s"
    handler.setFormatter(logging.Formatter(layout, "%Y-%m-%d %H:%M:%S"))
    LOG.handlers[:] = [handler]
    LOG.propagate = False
    LOG.setLevel(logging.WARNING if quiet else logging.INFO)
    _state["bars"] = terminal and not quiet


def say(message: str) -> None:
    """One line of progress (a stage or a notebook begun or done)."""
    LOG.info(message)


@contextlib.contextmanager
def rows(table: str) -> Iterator[Callable[[int], None]]:
    """Count the records read of `table`: a bar while it runs on a terminal, one line with the count and the
    seconds when it ends."""
    started, count = time.monotonic(), [0]
    bar = tqdm(desc=table, unit=" rows", unit_scale=True, leave=False, file=sys.stderr) if _state["bars"] else None

    def add(n: int) -> None:
        count[0] += n
        if bar is not None:
            bar.update(n)

    try:
        yield add
    finally:
        if bar is not None:
            bar.close()
    say(t("progress.read", table=table, rows=count[0], seconds=round(time.monotonic() - started, 1)))
