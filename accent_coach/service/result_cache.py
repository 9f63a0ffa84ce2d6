"""Cache of assessment results, so analysing the same recording twice is instant.

Streamlit reruns the page on every click, learners press "Analyse" again on the same
take, and API clients resend files; recognition costs seconds on a laptop CPU. Results
are keyed by the audio's sha256 plus everything else that changes the answer (text,
accent, model, reference voice, engine version) and kept in an in-process LRU backed
by JSON files under the data dir, so they also survive a restart. Entries older than
the TTL (``ACCENT_COACH_CACHE_TTL``) are misses; a damaged file is removed, never fatal.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accent_coach import __version__

MAX_MEMORY_ITEMS = 64
MAX_DISK_ITEMS = 500


@functools.cache
def engine_version() -> str:
    """Package version + digest of what scores a take — the engine's code (its stages
    too), the learned scorer's code and its shipped weights: any scoring change
    invalidates."""
    package = Path(__file__).resolve().parents[1]
    scorer_dir = package / "speech" / "models" / "expert-scorer"
    files = [*sorted((package / "engine").rglob("*.py")), package / "speech" / "scorer.py",
             scorer_dir / "config.json", scorer_dir / "scorer.safetensors"]
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0"
                          + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _weights_setting() -> str:
    """ACCENT_COACH_DTYPE: int8 and float32 weights give slightly different posteriors."""
    from accent_coach.config import get_settings

    try:
        return get_settings().dtype
    except ValueError:
        return "invalid"


def result_key(audio: bytes, text: str, accent: str, model: str, extra: str = "") -> str:
    """Stable key of one analysis: what was said, what should have been said, by whom."""
    h = hashlib.sha256()
    h.update(hashlib.sha256(audio).digest())
    parts = (" ".join(text.split()), accent, model, _weights_setting(), extra, engine_version())
    for part in parts:
        h.update(b"\0" + part.encode("utf-8"))
    return h.hexdigest()


class ResultCache:
    """LRU + TTL in memory, JSON files on disk; thread-safe (many sessions and requests)."""

    def __init__(
        self, directory: Path | None, max_items: int = MAX_MEMORY_ITEMS, ttl: float = 0.0
    ) -> None:
        self.directory = directory
        self.max_items = max_items
        self.ttl = ttl  # seconds; 0 = entries never expire
        self._memory: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = self.expired = self.corrupt = 0

    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key}.json" if self.directory else None

    def _fresh(self, stored_at: float) -> bool:
        return self.ttl <= 0 or time.time() - stored_at <= self.ttl

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored result, or None; expired or damaged entries are removed and miss."""
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None and self._fresh(entry[0]):
                self._memory.move_to_end(key)
                self.hits += 1
                return entry[1]
        result = self._read_disk(key)
        with self._lock:
            if result is None:
                self.misses += 1
                return None
            self.hits += 1
        return result

    def _read_disk(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if path is None or not path.exists():
            with self._lock:
                self._memory.pop(key, None)
            return None
        try:
            stored_at = path.stat().st_mtime
            if not self._fresh(stored_at):
                self._drop(key, path, "expired")
                return None
            result = json.loads(path.read_text("utf-8"))
            if not isinstance(result, dict):
                raise ValueError("not a result object")
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self._drop(key, path, "corrupt")
            return None
        self._remember(key, result, stored_at)
        return result

    def _drop(self, key: str, path: Path, why: str) -> None:
        with self._lock:
            self._memory.pop(key, None)
            setattr(self, why, getattr(self, why) + 1)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass  # read-only data dir: the entry stays a miss

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Store ``result`` (a JSON-able dict) in memory and, best effort, on disk."""
        self._remember(key, result, time.time())
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

    def _remember(self, key: str, result: dict[str, Any], stored_at: float) -> None:
        with self._lock:
            self._memory[key] = (stored_at, result)
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_items:
                self._memory.popitem(last=False)

    def _files(self) -> list[Path]:
        if self.directory is None or not self.directory.is_dir():
            return []
        return list(self.directory.glob("*.json"))

    def forget_texts(self, texts: set[str]) -> int:
        """Remove every cached result for these sentences (a learner deleting their data);
        returns how many files went. Other learners' results for them are only re-computed."""
        with self._lock:
            for key in [k for k, (_, r) in self._memory.items() if r.get("text") in texts]:
                del self._memory[key]
        removed = 0
        for path in self._files():
            try:
                if json.loads(path.read_text("utf-8")).get("text") in texts:
                    path.unlink(missing_ok=True)
                    removed += 1
            except (OSError, ValueError):
                continue
        return removed

    def _prune(self) -> None:
        """Keep the newest MAX_DISK_ITEMS files so the cache cannot fill the disk."""
        files = sorted(self._files(), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - MAX_DISK_ITEMS)]:
            old.unlink(missing_ok=True)

    def stats(self) -> dict[str, Any]:
        """Hits, misses, hit rate, entries and bytes in memory and on disk, TTL."""
        files = self._files()
        disk_bytes = 0
        for path in files:
            try:
                disk_bytes += path.stat().st_size
            except OSError:
                pass
        with self._lock:
            lookups = self.hits + self.misses
            return {
                "hits": self.hits, "misses": self.misses,
                "hit_rate": round(self.hits / lookups, 4) if lookups else None,
                "memory_items": len(self._memory), "max_memory_items": self.max_items,
                "disk_items": len(files), "disk_bytes": disk_bytes,
                "expired": self.expired, "corrupt_removed": self.corrupt,
                "ttl_seconds": self.ttl, "directory": str(self.directory or ""),
                "engine_version": engine_version(),
            }

    def clear(self) -> int:
        """Forget every entry in memory and on disk; returns how many files were removed."""
        with self._lock:
            self._memory.clear()
            self.hits = self.misses = self.expired = self.corrupt = 0
        removed = 0
        for path in self._files():
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
        return removed


_DEFAULT: ResultCache | None = None
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> ResultCache:
    """The app-wide cache under ``<data dir>/results``, with the configured TTL."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            from accent_coach.config import data_dir, get_settings

            try:
                ttl = get_settings().cache_ttl
            except ValueError:
                ttl = 0.0
            _DEFAULT = ResultCache(data_dir() / "results", ttl=ttl)
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
