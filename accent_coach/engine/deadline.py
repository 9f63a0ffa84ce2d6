"""A wall-clock limit for one assessment (``ACCENT_COACH_ITEM_TIMEOUT``).

In the main thread of a POSIX process (the CLI batch) the limit is a real interrupt:
``SIGALRM`` raises :class:`ItemTimeout` inside the running item, between Python
bytecodes (a single long C call, e.g. one model forward pass, finishes first). In other
threads (a web server's workers) signals cannot be used, so the item runs in a helper
thread and the caller gets ``ItemTimeout`` on time; the abandoned work finishes in the
background and its result is dropped.
"""

from __future__ import annotations

import concurrent.futures
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

from accent_coach.errors import ItemTimeout

T = TypeVar("T")


def _timeout_error(seconds: float) -> ItemTimeout:
    return ItemTimeout(
        f"the item took longer than {seconds:g} s and was stopped "
        "(set ACCENT_COACH_ITEM_TIMEOUT to change the limit)"
    )


def call_with_time_limit(fn: Callable[[], T], seconds: float) -> T:
    """``fn()``, or ItemTimeout after ``seconds`` (0 or less: no limit)."""
    if seconds <= 0:
        return fn()
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _with_alarm(fn, seconds)
    return _with_helper_thread(fn, seconds)


def _with_alarm(fn: Callable[[], T], seconds: float) -> T:
    fired = False

    def on_alarm(_signum, _frame):
        nonlocal fired
        fired = True
        raise _timeout_error(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    except Exception as exc:
        # The alarm raises wherever the item happens to be; code there may catch it and
        # raise something else (a library wrapping errors). Past the limit, the answer
        # is a timeout whatever the item ended with.
        if fired and not isinstance(exc, ItemTimeout):
            raise _timeout_error(seconds) from exc
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_helper_thread(fn: Callable[[], T], seconds: float) -> T:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="item")
    try:
        return pool.submit(fn).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise _timeout_error(seconds) from None
    finally:
        pool.shutdown(wait=False)
