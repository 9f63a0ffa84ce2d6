"""The lifecycle every loaded model goes through, whatever its kind.

Why one generic pool: recognizers, transcribers and learned scorers (and any kind added
later) all need the same care — a model is loaded once, however many sessions ask at
the same moment; an analysis that uses it holds a lease, so an unload waits for it; an
unused model goes after its kind's idle time; at most ``max_per_kind`` stay loaded per
kind, least recently used out first, never one in use; and every load and unload is
recorded with the process memory around it, which is how a status page (or a test)
proves that unloading frees memory. Kinds differ only in how they load (see
:mod:`accent_coach.speech.loaders`) and in what the manager selects; none of that is here.

Locks: :attr:`ModelPool.lock` (re-entrant) is held across a load or an unload, so a
model is loaded once; a short book-keeping lock guards the pool's order and the ref
counts and is never held during a load, so looking up a loaded model never waits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from accent_coach.speech.memory import MemoryReading, free_memory

log = logging.getLogger(__name__)

CacheKey = tuple[str, str, str]  # (path or hub id, device, dtype setting)


@dataclass(frozen=True)
class LoadEvent:
    """One real load, recorded so status pages and tests can see what happened."""

    name: str
    device: str
    seconds: float
    at: float
    kind: str = "recognizer"


@dataclass(frozen=True)
class MemoryEvent:
    """Process memory around one load or unload: proof that unloading frees memory."""

    action: str  # "load" | "unload"
    name: str
    reason: str  # "request", "idle", "lru"
    rss_before: int | None
    rss_after: int | None
    cuda_before: int | None
    cuda_after: int | None
    at: float


@dataclass(eq=False)
class Handle:
    """One loaded model of any kind, with who uses it and since when."""

    key: CacheKey
    kind: str
    model: Any  # LoadedModel, LoadedTranscriber, LoadedScorer, ...
    loaded_at: float
    last_used: float
    refs: int = 0  # leases in progress
    pending_unload: bool = False  # unload asked while leased: done when the last ends
    rss_delta: int | None = None  # process RSS growth caused by the load
    cuda_delta: int | None = None

    @property
    def name(self) -> str:
        return str(self.model.name)


class ModelPool:
    """Every loaded model of this process, of every kind. Thread-safe."""

    def __init__(self, max_per_kind: int, idle_seconds: Callable[[str], float]) -> None:
        self.max_per_kind = max(1, max_per_kind)
        self.idle_seconds = idle_seconds  # kind -> seconds (0 = never unloaded when idle)
        self.lock = threading.RLock()
        self._books = threading.Lock()
        self._handles: OrderedDict[CacheKey, Handle] = OrderedDict()  # least recent first
        self.events: list[LoadEvent] = []
        self.memory_events: list[MemoryEvent] = []
        self._stop = threading.Event()
        self.reaper: threading.Thread | None = None

    # --- looking up ------------------------------------------------------------------

    def get(self, key: CacheKey) -> Handle | None:
        """The handle under ``key``, marked most recently used."""
        with self._books:
            handle = self._handles.get(key)
            if handle is not None:
                self._handles.move_to_end(key)
            return handle

    def peek(self, key: CacheKey | None) -> Handle | None:
        """The handle without marking it used (status pages must not change LRU order)."""
        with self._books:
            return self._handles.get(key) if key is not None else None

    def keys(self) -> list[CacheKey]:
        with self._books:
            return list(self._handles)

    def handles(self) -> list[Handle]:
        with self._books:
            return list(self._handles.values())

    def handle_of(self, model: Any) -> Handle | None:
        """The handle holding ``model`` (by identity), if it is still loaded."""
        with self._books:
            return next((h for h in self._handles.values() if h.model is model), None)

    def touch(self, model: Any) -> None:
        """Note a use of ``model`` (its idle countdown starts again)."""
        handle = self.handle_of(model)
        if handle is not None:
            handle.last_used = time.time()

    def busy(self, key: CacheKey) -> bool:
        handle = self.peek(key)
        return handle is not None and handle.refs > 0

    # --- loading ---------------------------------------------------------------------

    def load(self, key: CacheKey, kind: str, build: Callable[[], Any]) -> Handle:
        """Run ``build`` (one real load) and keep its model under ``key``, with the
        memory figures around it. Call :meth:`trim` afterwards to apply the LRU limit."""
        with self.lock:
            before = MemoryReading.now()
            model = build()
            model.kind = kind
            after = MemoryReading.now()
            rss, cuda = after.growth_since(before)
            now = time.time()
            handle = Handle(key, kind, model, now, now, rss_delta=rss, cuda_delta=cuda)
            with self._books:
                self._handles[key] = handle
                self._handles.move_to_end(key)
            self.events.append(LoadEvent(model.name, model.device, model.load_seconds, now, kind))
            self.memory_events.append(MemoryEvent(
                "load", model.name, "request", before.rss, after.rss, before.cuda, after.cuda,
                now))
            return handle

    def trim(self, keep: Iterable[CacheKey] = ()) -> list[str]:
        """Unload idle models, least recently used first, until at most ``max_per_kind``
        of each kind remain (a recognizer never pushes out a scorer or a transcriber).
        ``keep`` (the models in use as each kind's current one) and leased models stay."""
        spared = set(keep)
        with self._books:
            doomed, counts = [], {}
            for handle in self._handles.values():
                counts[handle.kind] = counts.get(handle.kind, 0) + 1
            for key, handle in self._handles.items():
                if counts[handle.kind] <= self.max_per_kind:
                    continue
                if key not in spared and handle.refs == 0:
                    doomed.append(key)
                    counts[handle.kind] -= 1
        return [name for key in doomed if (name := self.forget(key, "lru"))]

    # --- leases ----------------------------------------------------------------------

    def hold(self, model: Any) -> Handle | None:
        """Count one more user of ``model``; None if it was unloaded in the meantime."""
        with self._books:
            handle = next((h for h in self._handles.values() if h.model is model), None)
            if handle is not None:
                handle.refs += 1
            return handle

    def release(self, handle: Handle) -> bool:
        """One user fewer; True when an unload was waiting for the last one (now due)."""
        with self._books:
            handle.refs -= 1
            handle.last_used = time.time()
            return handle.refs == 0 and handle.pending_unload

    # --- unloading -------------------------------------------------------------------

    def unload(self, key: CacheKey, reason: str = "request") -> bool:
        """Unload ``key`` now (True), or when its last lease ends (False; also when absent)."""
        with self.lock:
            with self._books:
                handle = self._handles.get(key)
                if handle is None:
                    return False
                if handle.refs > 0:
                    handle.pending_unload = True
                    return False
                del handle
            return bool(self.forget(key, reason))

    def forget(self, key: CacheKey, reason: str) -> str | None:
        """Drop ``key`` from the pool and free its memory, recording memory around it;
        returns the model's name (None if it was not loaded). Callers hold no reference."""
        with self.lock:
            before = MemoryReading.now()
            with self._books:
                handle = self._handles.pop(key, None)
            if handle is None:
                return None
            name = handle.name
            del handle
            free_memory()
            after = MemoryReading.now()
            self.memory_events.append(MemoryEvent(
                "unload", name, reason, before.rss, after.rss, before.cuda, after.cuda,
                time.time()))
            return name

    def idle_deadline(self, handle: Handle) -> float | None:
        """When ``handle`` is unloaded if nobody uses it (None = never)."""
        ttl = self.idle_seconds(handle.kind)
        return None if ttl <= 0 else handle.last_used + ttl

    def unload_idle(self, now: float | None = None) -> list[str]:
        """Unload every model unused for its kind's idle time; returns their names."""
        now = time.time() if now is None else now
        due = [h.key for h in self.handles()
               if h.refs == 0 and (d := self.idle_deadline(h)) is not None and now >= d]
        freed = []
        for key in due:
            with self.lock:
                if self.busy(key):  # leased since: stays
                    continue
                name = self.forget(key, "idle")
            if name:
                freed.append(name)
                log.info("unloaded idle model %s", name)
        return freed

    def start_reaper(self, interval: float) -> None:
        """Check for idle models every ``interval`` seconds in a daemon thread."""

        def run() -> None:
            while not self._stop.wait(interval):
                self.unload_idle()

        self.reaper = threading.Thread(target=run, name="model-idle-unload", daemon=True)
        self.reaper.start()

    def close(self) -> None:
        """Stop the idle-unload thread and free every model."""
        self._stop.set()
        for key in self.keys():
            self.forget(key, "request")
