"""One Jupyter kernel for all the notebooks of a period run, its namespace emptied before each notebook.

Starting a kernel and importing pandas, matplotlib, seaborn, scikit-learn and statsmodels costs seconds; a period
run pays that once instead of once per notebook. Before every notebook the kernel forgets the previous one's
variables and figures (IPython's reset, a new session: execution counts start at 1 again) and moves to the
notebook's folder, so each notebook still runs as it would alone; only the imported modules are kept.

>>> with shared_kernel() as km:
...     km.has_kernel  # started by the first notebook that uses it
False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

KERNEL_NAME = "python3"
READY_SECONDS = 60

_FRESH = """\
get_ipython().reset(new_session=True)
import os as _os, sys as _sys
_os.chdir({folder!r})
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _os, _sys
"""


@contextmanager
def shared_kernel() -> Iterator[AsyncKernelManager]:
    """A kernel manager to pass to papermill as `km`; nbclient starts its kernel on first use and, since it does
    not own the manager, leaves it running; it is shut down here at the end."""
    km = AsyncKernelManager(kernel_name=KERNEL_NAME)
    try:
        yield km
    finally:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)


def fresh_namespace(km: AsyncKernelManager, folder: Path) -> None:
    """Empty the running kernel's namespace and close its figures before the next notebook, in `folder`."""
    if km.has_kernel:
        run_sync(_execute)(km, _FRESH.format(folder=str(folder)))


async def _execute(km: AsyncKernelManager, code: str) -> None:
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=READY_SECONDS)
        reply = await client.execute_interactive(code, store_history=False, timeout=READY_SECONDS)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the kernel could not be reset: {reply['content'].get('evalue', '')}")
    finally:
        client.stop_channels()
