"""A time limit for one API or job item that stops the work, not just the wait.

``engine.deadline.call_with_time_limit`` answers on time from a worker thread but
leaves the item running: with a 1 s limit, twelve 60 s clips all got 504 within
2.5 s while the server computed for ~55 s more. Here the item runs in its own thread
and, when the limit passes, that thread is sent an asynchronous exception
(``PyThreadState_SetAsyncExc``), raised at its next Python bytecode — after the C call
in progress (one model forward pass, one pitch track) returns, so at the latest at the
next stage boundary. The engine needs no hook for it, and nothing it holds leaks:
``with`` blocks (the model lease, locks) unwind as for any exception.

The caller waits up to ``STOP_GRACE`` seconds for the item to stop before answering
``timeout``, so a worker is not handed new work while its last item still computes.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from accent_coach.errors import ItemTimeout

T = TypeVar("T")
log = logging.getLogger(__name__)
STOP_GRACE = 30.0  # longest single C call we wait out (a first model load from disk)


class ItemStopped(BaseException):
    """Raised inside a timed-out item; a BaseException, so ``except Exception`` in the
    engine or a library does not swallow it."""


def run_with_deadline(fn: Callable[[], T], seconds: float, grace: float = STOP_GRACE) -> T:
    """``fn()``; after ``seconds`` (0 or less: no limit) the work is stopped and
    :class:`ItemTimeout` raised."""
    if seconds <= 0:
        return fn()
    box: dict[str, Any] = {}
    lock = threading.Lock()
    done = threading.Event()

    def target() -> None:
        try:
            try:
                box["value"] = fn()
            except ItemStopped:
                box["stopped"] = True
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                box["error"] = exc
            with lock:
                box["finished"] = True
            done.set()
        except ItemStopped:  # the stop arrived just as the work ended: nothing to stop
            box["finished"] = True
            done.set()

    worker = threading.Thread(target=target, name="item", daemon=True)
    worker.start()
    if not done.wait(seconds):
        with lock:
            if not box.get("finished"):
                _raise_in(worker, ItemStopped)
        if not done.wait(grace):
            log.warning("a timed-out item is still inside a C call after %g s", grace)
        if "value" not in box and "error" not in box or box.get("stopped"):
            raise ItemTimeout(
                f"the item took longer than {seconds:g} s and was stopped "
                "(set ACCENT_COACH_ITEM_TIMEOUT to change the limit)"
            )
    if "error" in box:
        raise box["error"]
    return box["value"]


def _raise_in(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    """Schedule ``exc_type`` in ``thread`` (CPython's documented C API)."""
    assert thread.ident is not None
    hit = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))
    if hit > 1:  # never expected: undo rather than hit the wrong threads
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), None)
