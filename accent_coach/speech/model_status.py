"""What the model manager reports: loaded models, the catalog, the status JSON.

Why a module of its own: the status is read by three audiences — the Settings page,
``GET /v1/models/status`` and ``accent-coach status`` — and its JSON is a contract
(the same keys for the same state). Building it is plain reading of the manager's pool
and selection, kept apart from the code that decides when to load.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any, Protocol

from accent_coach.config import Settings
from accent_coach.speech.lifecycle import CacheKey, LoadEvent, ModelPool
from accent_coach.speech.memory import cuda_allocated, process_rss_bytes
from accent_coach.speech.registry import embedded_installed, registry, scorers, transcribers


class ManagerView(Protocol):
    """What the status reads of :class:`accent_coach.speech.manager.ModelManager`."""

    settings: Settings
    pool: ModelPool
    device: str
    dtype: str
    warnings: list[str]

    @property
    def current(self) -> Any: ...
    @property
    def transcriber(self) -> Any: ...
    @property
    def selected_name(self) -> str: ...
    @property
    def selected_transcriber(self) -> str: ...
    @property
    def events(self) -> list[LoadEvent]: ...
    @property
    def transcriber_events(self) -> list[LoadEvent]: ...
    def current_keys(self) -> set[CacheKey]: ...


def loaded_models(manager: ManagerView) -> list[dict[str, Any]]:
    """Every model in memory, any kind: device, memory, load time, last use, idle countdown."""
    now = time.time()
    current = manager.current_keys()
    rows = []
    for handle in manager.pool.handles():
        loaded = handle.model
        deadline = manager.pool.idle_deadline(handle)
        rows.append({
            "id": loaded.name, "kind": handle.kind, "device": loaded.device,
            "dtype": loaded.weights_dtype,
            "parameters": loaded.parameters, "memory_bytes": loaded.memory_bytes,
            "rss_delta_bytes": handle.rss_delta, "cuda_delta_bytes": handle.cuda_delta,
            "load_seconds": round(loaded.load_seconds, 3), "loaded_at": handle.loaded_at,
            "last_used": handle.last_used, "in_use": handle.refs,
            "idle_unload_in": None if deadline is None else max(0.0, deadline - now),
            "current": handle.key in current, "notes": list(loaded.notes),
        })
    return rows


def catalog(manager: ManagerView) -> list[dict[str, Any]]:
    """Every registered model (and any other loaded one) with whether it is loaded."""
    loaded = {(row["id"], row["kind"]): row for row in loaded_models(manager)}
    rows = []
    for spec in [*registry(), *transcribers(), *scorers()]:
        row = loaded.pop((spec.name, spec.kind), None)
        rows.append(_catalog_row(spec.name, spec.kind, row))
    rows += [_catalog_row(name, kind, row) for (name, kind), row in loaded.items()]
    return rows


def _catalog_row(name: str, kind: str, row: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": name, "kind": kind, "loaded": row is not None,
        "device": row["device"] if row else None,
        "memory_bytes": row["memory_bytes"] if row else None,
        "last_used": row["last_used"] if row else None,
        "idle_unload_in": row["idle_unload_in"] if row else None,
        "in_use": row["in_use"] if row else 0,
    }


def status(manager: ManagerView) -> dict[str, Any]:
    """What is loaded where, and how much memory it takes."""
    settings = manager.settings
    current = manager.current
    info: dict[str, Any] = {
        "selected": manager.selected_name,
        "device": manager.device,
        "warnings": list(manager.warnings),
        "dtype": manager.dtype,
        "embedded_installed": embedded_installed(),
        "loads": len(manager.events),
        # the recognizer and scorer cache; transcribers are reported under "transcriber"
        "cached": [h.key[0] for h in manager.pool.handles() if h.kind != "transcriber"],
        "process_rss_bytes": process_rss_bytes(),
        "max_models": manager.pool.max_per_kind,
        "preload": list(settings.preload_models) or (
            [manager.selected_name] if settings.preload else []),
        "idle_unload": dict(settings.idle_unload),
        "gpu_min_free_mb": settings.gpu_min_free_mb,
        "models": loaded_models(manager),
        "memory_events": [asdict(e) for e in manager.pool.memory_events[-10:]],
        "current": None,
    }
    if current is not None:
        info["current"] = {
            "name": current.name,
            "kind": current.kind,
            "source": current.source,
            "path_or_id": current.path_or_id,
            "device": current.device,
            "dtype": current.weights_dtype,
            "output_kind": current.output_kind,
            "vocab_size": len(current.vocab),
            "parameters": current.parameters,
            "memory_bytes": current.memory_bytes,
            "load_seconds": round(current.load_seconds, 3),
            "notes": list(current.notes),
        }
    info["transcriber_selected"] = manager.selected_transcriber
    info["transcriber_loads"] = len(manager.transcriber_events)
    info["transcriber"] = None
    t = manager.transcriber
    if t is not None:
        info["transcriber"] = {
            "name": t.name, "kind": t.kind, "source": t.source,
            "path_or_id": t.path_or_id, "device": t.device,
            "compute_type": t.compute_type, "memory_bytes": t.memory_bytes,
            "load_seconds": round(t.load_seconds, 3), "notes": list(t.notes),
        }
    cuda = cuda_allocated()
    if manager.device.startswith("cuda") and cuda is not None:
        info["cuda_allocated_bytes"] = cuda
    return info
