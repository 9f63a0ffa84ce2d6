"""What every request handler shares: settings, model manager, result cache, pools, jobs."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request

from accent_coach.config import Settings
from accent_coach.service.errors import Unauthorized
from accent_coach.service.jobs import JobService
from accent_coach.service.result_cache import ResultCache
from accent_coach.speech.manager import ASRModelManager

T = TypeVar("T")


@dataclass
class ServiceState:
    settings: Settings
    manager: ASRModelManager
    cache: ResultCache
    pool: ThreadPoolExecutor  # model work runs here, never on the event loop
    jobs: JobService

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking model work in the bounded pool; the event loop stays free."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


def require_key(request: Request) -> None:
    """API-key check: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` when a key is set."""
    key = get_state(request).settings.api_key
    if not key:
        return
    given = request.headers.get("x-api-key") or ""
    auth = request.headers.get("authorization") or ""
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if not given or not hmac.compare_digest(given.encode(), key.encode()):
        raise Unauthorized(
            "Missing or wrong API key: send 'Authorization: Bearer <ACCENT_COACH_API_KEY>'."
        )
