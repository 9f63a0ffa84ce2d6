"""A time limit for one API or job item that stops the work, not just the wait.

``engine.deadline.call_with_time_limit`` answers on time from a worker thread but
leaves the item running: with a 1 s limit, twelve 60 s clips all got 504 within
2.5 s while the server computed for ~55 s more. Here the item runs in its own thread
and, when the limit passes, that thread is sent an asynchronous exception
(``PyThreadState_SetAsyncExc``), raised at its next Python bytecode — after the C call
in progress (one model forward pass, one pitch track) returns, so at the latest at the
next stage boundary. The engine needs no hook for it.

The exception is only ever sent while the item is inside an :func:`interruptible`
block (the service wraps the engine call in one, inside the model lease), so the
lease's own bookkeeping and the result cache are never cut in half; a stop requested
outside it (say, during a model load) is raised when the block is entered.

The caller waits up to ``STOP_GRACE`` seconds for the item to stop before answering
``timeout``, so a worker is not handed new work while its last item still computes.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from accent_coach.errors import ItemTimeout

T = TypeVar("T")
log = logging.getLogger(__name__)
STOP_GRACE = 30.0  # longest single C call we wait out (a first model load from disk)


class ItemStopped(BaseException):
    """Raised inside a timed-out item; a BaseException, so ``except Exception`` in the
    engine or a library does not swallow it."""


class _StopPoint:
    """Whether one item's thread may be interrupted now, and whether it should stop."""

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread
        self.lock = threading.Lock()
        self.inside = False
        self.stop = False

    def request_stop(self) -> None:
        with self.lock:
            self.stop = True
            if self.inside:
                _raise_in(self.thread, ItemStopped)


_current = threading.local()


@contextmanager
def interruptible() -> Iterator[None]:
    """Mark the work a timed-out item may be stopped in (a no-op without a deadline)."""
    point: _StopPoint | None = getattr(_current, "point", None)
    if point is None:
        yield
        return
    with point.lock:
        if point.stop:
            raise ItemStopped
        point.inside = True
    try:
        yield
    finally:
        with point.lock:  # after this, no stop is sent; one sent before fires right here
            point.inside = False


def run_with_deadline(fn: Callable[[], T], seconds: float, grace: float = STOP_GRACE) -> T:
    """``fn()``; after ``seconds`` (0 or less: no limit) the work is stopped and
    :class:`ItemTimeout` raised, even if the item finishes while it is being stopped."""
    if seconds <= 0:
        return fn()
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        _current.point = point
        try:
            box["value"] = fn()
        except ItemStopped:  # only ever raised inside fn's interruptible block
            box["stopped"] = True
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=target, name="item", daemon=True)
    point = _StopPoint(worker)
    worker.start()
    if not done.wait(seconds):
        point.request_stop()
        if not done.wait(grace):
            log.warning("a timed-out item is still inside a C call after %g s", grace)
        # Past the limit the answer is a timeout whatever the thread ended with: a result
        # that came in the grace period (the stop landed outside the engine, or a library
        # swallowed it) or an error the stop provoked would make the limit a lottery.
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
