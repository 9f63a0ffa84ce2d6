"""Result cache lifecycle: TTL, statistics, clear, corrupt files, engine version in the key."""

from __future__ import annotations

import os
import time
from pathlib import Path

from accent_coach.service.result_cache import ResultCache, engine_version, result_key

KEY = result_key(b"audio", "Think", "us", "embedded")


def test_key_changes_with_every_input_and_names_the_engine():
    assert KEY != result_key(b"audio", "Think", "uk", "embedded")
    assert KEY != result_key(b"audi0", "Think", "us", "embedded")
    assert KEY != result_key(b"audio", "Think", "us", "other")
    assert KEY == result_key(b"audio", " Think ", "us", "embedded")
    assert engine_version().count("+") == 1


def test_stats_count_hits_misses_and_sizes(tmp_path: Path):
    cache = ResultCache(tmp_path)
    assert cache.get(KEY) is None
    cache.put(KEY, {"scores": {"overall": 50}})
    assert cache.get(KEY) == {"scores": {"overall": 50}}
    stats = cache.stats()
    assert (stats["hits"], stats["misses"], stats["hit_rate"]) == (1, 1, 0.5)
    assert stats["disk_items"] == 1 and stats["disk_bytes"] > 10 and stats["memory_items"] == 1


def test_survives_restart_and_expires_after_ttl(tmp_path: Path):
    ResultCache(tmp_path).put(KEY, {"x": 1})
    assert ResultCache(tmp_path, ttl=60).get(KEY) == {"x": 1}  # a new process reads the disk
    path = tmp_path / f"{KEY}.json"
    old = time.time() - 120
    os.utime(path, (old, old))
    later = ResultCache(tmp_path, ttl=60)
    assert later.get(KEY) is None and not path.exists() and later.stats()["expired"] == 1
    memory = ResultCache(None, ttl=0.2)
    memory.put(KEY, {"x": 2})
    assert memory.get(KEY) == {"x": 2}
    time.sleep(0.3)
    assert memory.get(KEY) is None


def test_corrupt_entry_is_a_miss_and_removed(tmp_path: Path):
    path = tmp_path / f"{KEY}.json"
    for damage in (b"{not json", b"[1, 2]", b"\xff\xfe\x00"):
        path.write_bytes(damage)
        cache = ResultCache(tmp_path)
        assert cache.get(KEY) is None
        assert not path.exists() and cache.stats()["corrupt_removed"] == 1


def test_clear_empties_memory_and_disk(tmp_path: Path):
    cache = ResultCache(tmp_path)
    cache.put(KEY, {"x": 1})
    cache.put(result_key(b"b", "t", "us", "m"), {"x": 2})
    assert cache.clear() == 2
    assert cache.get(KEY) is None and cache.stats()["disk_items"] == 0
