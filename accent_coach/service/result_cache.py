"""Cache of assessment results, so analysing the same recording twice is instant.

Streamlit reruns the page on every click, and learners press "Analyse" again on the
same take; recognition costs seconds on a laptop CPU. Results are keyed by the
audio's sha256 plus everything else that changes the answer (text, accent, model,
reference voice, package version) and kept in a small in-process LRU backed by JSON
files under the data dir, so they also survive an app restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accent_coach import __version__
from accent_coach.engine.assess import ENGINE_VERSION

MAX_MEMORY_ITEMS = 64
MAX_DISK_ITEMS = 500


def result_key(audio: bytes, text: str, accent: str, model: str, extra: str = "") -> str:
    """Stable key of one analysis: what was said, what should have been said, by whom."""
    h = hashlib.sha256()
    h.update(hashlib.sha256(audio).digest())
    for part in (" ".join(text.split()), accent, model, extra, __version__, ENGINE_VERSION):
        h.update(b"\0" + part.encode("utf-8"))
    return h.hexdigest()


class ResultCache:
    """LRU in memory, JSON files on disk; thread-safe (Streamlit serves many sessions)."""

    def __init__(self, directory: Path | None, max_items: int = MAX_MEMORY_ITEMS) -> None:
        self.directory = directory
        self.max_items = max_items
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key}.json" if self.directory else None

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored result, or None; a damaged file counts as a miss."""
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            result = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        self._remember(key, result)
        return result

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Store ``result`` (a JSON-able dict) in memory and, best effort, on disk."""
        self._remember(key, result)
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(result, ensure_ascii=False), "utf-8")
            tmp.replace(path)
            self._prune()
        except OSError:
            pass  # a read-only data dir only costs the disk layer

    def _remember(self, key: str, result: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = result
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_items:
                self._memory.popitem(last=False)

    def _prune(self) -> None:
        """Keep the newest MAX_DISK_ITEMS files so the cache cannot fill the disk."""
        assert self.directory is not None
        files = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - MAX_DISK_ITEMS)]:
            old.unlink(missing_ok=True)


_DEFAULT: ResultCache | None = None


def default_cache() -> ResultCache:
    """The app-wide cache under ``<data dir>/results``."""
    global _DEFAULT
    if _DEFAULT is None:
        from accent_coach.config import data_dir

        _DEFAULT = ResultCache(data_dir() / "results")
    return _DEFAULT


def cached_call(
    key: str, compute: Callable[[], dict[str, Any]], cache: ResultCache | None = None
) -> tuple[dict[str, Any], bool]:
    """``(result, served_from_cache)``: ``compute()`` runs only on a miss.

    Errors propagate and are not cached, so a fixed problem is retried next time.
    """
    store = cache or default_cache()
    hit = store.get(key)
    if hit is not None:
        return hit, True
    result = compute()
    store.put(key, result)
    return result, False
