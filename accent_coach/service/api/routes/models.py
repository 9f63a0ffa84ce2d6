"""Models: what exists, what is loaded (with memory and idle countdown), load and unload.

Load and unload take the model's kind (``?kind=recognizer|transcriber|scorer``): one
name can mean two models (``small.en`` is a faster-whisper transcriber and also a
valid Hugging Face id for a recognizer). Without it, the kind is what the name most
likely means (:func:`~accent_coach.speech.registry.kind_of`), as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request

from accent_coach.errors import NotFound
from accent_coach.service.api.state import get_state
from accent_coach.service.model_names import accepted_model
from accent_coach.speech.memory import process_anon_bytes, process_rss_bytes
from accent_coach.speech.registry import (
    EMBEDDED,
    ModelLoadError,
    embedded_installed,
    hub_cached,
    kind_of,
    registry,
    resolve,
    scorers,
    transcribers,
)
from accent_coach.speech.transcriber import transcriber_status

Kind = Literal["recognizer", "transcriber", "scorer"]

router = APIRouter(prefix="/models", tags=["models"])


@router.get("")
async def list_models(request: Request) -> dict:
    """Registered models (ids as ``accent-coach models`` lists them) and their availability."""
    default = get_state(request).manager.selected_name
    rows = []
    for spec in [*registry(), *transcribers(), *scorers()]:
        if spec.name == EMBEDDED:
            available = embedded_installed()
        elif spec.kind == "scorer":
            available = (Path(spec.path_or_id) / "scorer.safetensors").is_file()
        elif spec.kind == "transcriber":
            available = transcriber_status(spec).startswith("installed")
        else:
            available = hub_cached(spec.path_or_id)
        rows.append({
            "id": spec.name, "kind": spec.kind, "source": spec.source,
            "outputs": spec.output_kind, "description": spec.description,
            "available_offline": available, "recommended": spec.recommended,
            "default": spec.name == default,
        })
    return {"models": rows}


@router.get("/status")
async def models_status(request: Request) -> dict:
    """Every registered model: id, kind, loaded, device, memory, last use, idle countdown."""
    manager = get_state(request).manager
    status = manager.status()
    return {
        "models": manager.catalog(), "loaded": status["models"],
        "device": status["device"], "process_rss_bytes": status["process_rss_bytes"],
        "cuda_allocated_bytes": status.get("cuda_allocated_bytes"),
        "max_models": status["max_models"], "preload": status["preload"],
        "idle_unload": status["idle_unload"], "memory_events": status["memory_events"],
        "warnings": status["warnings"],
    }


def _row(manager, name: str, kind: str | None = None) -> dict | None:
    return next((r for r in manager.loaded_models()
                 if r["id"] == name and kind in (None, r["kind"])), None)


@router.post("/{model_id:path}/load")
async def load(model_id: str, request: Request, kind: Kind | None = None) -> dict:
    """Load ``model_id`` of ``kind`` now (no-op when loaded); answers with its memory figures."""
    state = get_state(request)
    name = accepted_model(model_id, state.settings)
    kind = kind or kind_of(name or "")
    name = name or state.manager.selected(kind)
    rss_before, anon_before = process_rss_bytes(), process_anon_bytes()
    loaded = await state.run(state.manager.load, name, kind)
    return {"model": _row(state.manager, loaded.name, kind), "rss_before_bytes": rss_before,
            "rss_after_bytes": process_rss_bytes(), "anon_before_bytes": anon_before,
            "anon_after_bytes": process_anon_bytes()}


@router.post("/{model_id:path}/unload")
async def unload(model_id: str, request: Request, kind: Kind | None = None) -> dict:
    """Unload ``model_id`` (of ``kind``, if given); if an analysis is using it, it goes
    when that analysis ends."""
    state = get_state(request)
    model_id = accepted_model(model_id, state.settings) or state.manager.selected_name
    row = _row(state.manager, model_id, kind)
    if row is None:
        try:
            row = _row(state.manager, resolve(model_id, kind or kind_of(model_id)).name, kind)
        except ModelLoadError:
            row = None
    if row is None:
        raise NotFound(f"Model '{model_id}' is not loaded.")
    rss_before, anon_before = process_rss_bytes(), process_anon_bytes()
    freed = await state.run(state.manager.unload, row["id"], "request", row["kind"])
    return {"id": row["id"], "unloaded": freed, "deferred_until_done": not freed,
            "rss_before_bytes": rss_before, "rss_after_bytes": process_rss_bytes(),
            "anon_before_bytes": anon_before, "anon_after_bytes": process_anon_bytes()}
