"""Result cache statistics and clearing."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accent_coach.service.api.state import get_state

router = APIRouter(prefix="/cache", tags=["cache"])


@router.get("/stats")
async def stats(request: Request) -> dict:
    return get_state(request).cache.stats()


@router.post("/clear")
async def clear(request: Request) -> dict:
    return {"removed_files": get_state(request).cache.clear()}
