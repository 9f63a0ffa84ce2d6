"""What every request handler shares: settings, model manager, result cache, pools, jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request

from accent_coach.config import Settings
from accent_coach.errors import Unauthorized
from accent_coach.service.api.guard import KEY_MESSAGE, key_ok
from accent_coach.service.jobs import JobService
from accent_coach.service.result_cache import ResultCache
from accent_coach.speech.manager import ModelManager

T = TypeVar("T")


@dataclass
class ServiceState:
    settings: Settings
    manager: ModelManager
    cache: ResultCache
    pool: ThreadPoolExecutor  # model work runs here, never on the event loop
    jobs: JobService

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking model work in the bounded pool; the event loop stays free."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


def require_key(request: Request) -> None:
    """The key check again, per route (``RequestGuard`` makes it before the body is read)."""
    if not key_ok(dict(request.headers), get_state(request).settings.api_key):
        raise Unauthorized(KEY_MESSAGE)
