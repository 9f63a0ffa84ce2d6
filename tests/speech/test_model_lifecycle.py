"""Model lifecycle: leases, deferred unload, idle unload, LRU that spares busy models,
preload, GPU free-memory threshold, memory figures around loads and unloads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from accent_coach.config import Settings
from accent_coach.speech import manager as mm
from accent_coach.speech.manager import ModelManager
from accent_coach.speech.posteriors import posteriors
from tests.support.service_helpers import wait_for


def manager(**settings) -> ModelManager:
    return ModelManager(Settings(device="cpu", **settings))


def _infer(loaded) -> int:
    return posteriors(loaded, np.zeros(16000, dtype=np.float32)).logp.shape[0]


def test_unload_waits_for_the_analysis_in_progress(tiny_models, load_counts):
    m = manager()
    a = str(tiny_models["ipa_a"])
    with m.lease(a) as loaded:
        assert m.loaded_models()[0]["in_use"] == 1
        assert m.unload(a) is False  # deferred: someone is using it
        assert m.is_loaded(a) and _infer(loaded) > 0  # the analysis goes on unharmed
    assert not m.is_loaded(a) and m.pool.keys() == []
    assert [(e.action, e.reason) for e in m.memory_events] == [("load", "request"),
                                                               ("unload", "request")]
    with m.lease(a):
        pass
    assert load_counts["from_pretrained"] == 2  # a later use reloads


def test_unload_from_another_thread_never_breaks_a_lease(tiny_models):
    m = manager()
    a = str(tiny_models["ipa_a"])
    inside, release, results = threading.Event(), threading.Event(), []

    def analysis() -> None:
        with m.lease(a) as loaded:
            inside.set()
            release.wait(10)
            results.append(_infer(loaded))

    worker = threading.Thread(target=analysis)
    worker.start()
    assert inside.wait(30)
    threading.Thread(target=m.unload_all).start()
    release.set()
    worker.join(30)
    assert results and results[0] > 0 and m.pool.keys() == []


def test_lru_keeps_busy_models_and_evicts_when_they_are_free(tiny_models, load_counts):
    m = manager(max_loaded_models=1)
    a, b = str(tiny_models["ipa_a"]), str(tiny_models["ipa_b"])
    with m.lease(a):
        m.load_model(b)  # over the limit, but a is in use: kept
        assert len(m.pool.keys()) == 2
    assert [row["id"] for row in m.loaded_models()] == [m.current.name]
    assert m.memory_events[-1].reason == "lru"


def test_idle_unload_fires_per_kind_and_next_use_reloads(tiny_models, load_counts):
    m = manager(idle_unload=(("recognizer", 1.0),))
    try:
        a = str(tiny_models["ipa_a"])
        m.load_model(a)
        countdown = m.loaded_models()[0]["idle_unload_in"]
        assert 0 < countdown <= 1.0
        with m.lease(a):  # in use: never unloaded, however long it takes
            assert m.unload_idle(now=1e12) == []
        # the idle thread (not this test) unloads it
        wait_for(lambda: m.memory_events[-1].action == "unload", 15, 0.05)
        assert m.pool.keys() == []
        assert m.current is None and m.unloaded
        assert m.memory_events[-1].reason == "idle"
        m.load_model(a)
        assert load_counts["from_pretrained"] == 2
    finally:
        m.close()
    assert manager(idle_unload=(("transcriber", 1.0),)).settings.idle_seconds("recognizer") == 0


def test_preload_loads_named_models_and_reports_failures(tiny_models, load_counts):
    a, b = str(tiny_models["ipa_a"]), str(tiny_models["ipa_b"])
    m = manager(preload_models=(a, "/no/such/model"))
    assert m.preload() == [a]
    assert m.is_loaded(a) and load_counts["from_pretrained"] == 1
    assert any("Preloading '/no/such/model' failed" in w for w in m.warnings)
    assert manager(model=b, preload=True).preload() == [b]  # 1 = the selected model
    assert manager(model=b, preload=False).preload() == []


@pytest.mark.parametrize(("raw", "preload", "models"), [
    ("1", True, ()), ("0", False, ()), ("off", False, ()),
    ("embedded, some/model", True, ("embedded", "some/model")),
])
def test_preload_setting_is_a_switch_or_a_list(monkeypatch, raw, preload, models):
    from accent_coach.config import get_settings

    monkeypatch.setenv("ACCENT_COACH_PRELOAD", raw)
    settings = get_settings()
    assert (settings.preload, settings.preload_models) == (preload, models)


def test_gpu_below_free_memory_threshold_loads_on_cpu_and_says_why(monkeypatch, tiny_models):
    """No GPU here: CUDA's answers are substituted; the manager's decision is what is tested."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda *a: 0)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (300 * 2**20, 8 * 2**30))
    m = ModelManager(Settings(device="cuda", gpu_min_free_mb=1024))
    loaded = m.load_model(str(tiny_models["ipa_a"]))
    assert loaded.device == "cpu"
    note = m.status()["models"][0]["notes"][0]
    assert "300 MiB free" in note and "ACCENT_COACH_GPU_MIN_FREE_MB=1024" in note


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_real_gpu_memory_is_freed_and_threshold_falls_back(tiny_models):
    big = str(tiny_models["ipa_a"])
    m = ModelManager(Settings(device="cuda", gpu_min_free_mb=1))
    before = torch.cuda.memory_allocated()
    loaded = m.load_model(big)
    assert loaded.device.startswith("cuda") and torch.cuda.memory_allocated() > before
    del loaded
    m.unload()
    assert torch.cuda.memory_allocated() == before
    free_mb = torch.cuda.mem_get_info()[0] // 2**20
    m2 = ModelManager(Settings(device="cuda", gpu_min_free_mb=free_mb + 10_000))
    assert m2.load_model(big).device == "cpu" and "loaded on CPU" in m2.current.notes[-1]


def test_catalog_lists_every_registered_model_and_loaded_folders(tiny_models):
    m = manager()
    a = str(tiny_models["ipa_a"])
    m.load_model(a)
    rows = {row["id"]: row for row in m.catalog()}
    assert rows["embedded"]["loaded"] is False and rows["embedded"]["kind"] == "recognizer"
    assert rows[a]["loaded"] and rows[a]["device"] == "cpu" and rows[a]["memory_bytes"] > 0
    status = m.status()
    assert status["memory_events"][0]["action"] == "load"
    assert all(isinstance(status["memory_events"][0][k], int) for k in ("rss_before", "rss_after"))


def test_reset_manager_stops_the_idle_thread(fresh_manager, monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_IDLE_UNLOAD", "5")
    m = mm.get_manager()
    assert m.pool.reaper is not None and m.pool.reaper.is_alive()
    mm.reset_manager()
    m.pool.reaper.join(10)
    assert not m.pool.reaper.is_alive()
