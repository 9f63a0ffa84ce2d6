"""``GET /health``: answers at once, even while model work keeps the pool busy."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accent_coach import __version__
from accent_coach.service.api.state import get_state

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict:
    state = get_state(request)
    return {
        "status": "ok", "version": __version__,
        "models_loaded": len(state.manager.loaded_models()), "jobs_backend": state.jobs.backend,
        "auth": bool(state.settings.api_key),
    }
