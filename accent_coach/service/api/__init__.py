"""The REST API: FastAPI over the same core as the app and the CLI.

``create_app(settings)`` builds one app per configuration (tests build several);
``accent-coach serve`` runs it with uvicorn. Model work runs in a bounded thread pool,
so ``/health`` answers while long assessments run; every error is ``{code, message}``.
``guard.RequestGuard`` judges key and size before a body is read (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial

from fastapi import Depends, FastAPI

from accent_coach import __version__
from accent_coach.config import Settings, get_settings
from accent_coach.errors import ServiceConfigError
from accent_coach.service.api.errors import install_error_handlers
from accent_coach.service.api.guard import RequestGuard
from accent_coach.service.api.routes import assess, cache, health, jobs, models
from accent_coach.service.api.state import ServiceState, require_key
from accent_coach.service.assessment import assess_bytes
from accent_coach.service.jobs import make_job_service
from accent_coach.service.result_cache import ResultCache
from accent_coach.speech.manager import ModelManager


def is_loopback(host: str) -> bool:
    """True only when every address ``host`` resolves to is a loopback address.

    "" and "0.0.0.0" mean every interface; a hostname counts by what it resolves to
    (``localhost`` may be rebound in /etc/hosts); a name that does not resolve is not
    loopback.
    """
    host = host.strip().strip("[]")
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to serve beyond this machine without an API key."""
    if not is_loopback(host) and not settings.api_key:
        raise ServiceConfigError(
            f"Refusing to listen on {host or 'every interface'} without an API key: set "
            "ACCENT_COACH_API_KEY (clients then send 'Authorization: Bearer <key>'), "
            "or bind to 127.0.0.1."
        )


def build_state(settings: Settings, manager: ModelManager | None = None) -> ServiceState:
    """Manager, cache, pools and job backend for one app."""
    manager = manager or ModelManager(settings)
    cache = ResultCache(settings.data_dir / "results", ttl=settings.cache_ttl)
    runner = partial(_run_item, manager, cache, settings.api_max_seconds)
    return ServiceState(
        settings=settings, manager=manager, cache=cache,
        pool=ThreadPoolExecutor(settings.api_workers, thread_name_prefix="api"),
        jobs=make_job_service(settings, runner),
    )


def _run_item(manager, cache, max_seconds, audio, text, accent, model):
    return assess_bytes(audio, text, accent=accent, model=model, manager=manager, cache=cache,
                        max_seconds=max_seconds)


def create_app(settings: Settings | None = None, manager: ModelManager | None = None) -> FastAPI:
    """A ready API for ``settings`` (default: the environment's)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings, manager)
        app.state.service = state
        if settings.preload:
            await state.run(state.manager.preload)
        try:
            yield
        finally:
            state.jobs.close()
            state.pool.shutdown(wait=False, cancel_futures=True)
            if manager is None:
                state.manager.close()

    app = FastAPI(
        title="Accent Coach API", version=__version__, lifespan=lifespan,
        description="Pronunciation assessment, model lifecycle, result cache and batch jobs.",
    )
    install_error_handlers(app)
    app.add_middleware(RequestGuard, settings=settings)  # key and size before the body

    app.include_router(health.router)
    secured = [Depends(require_key)]
    for module in (assess, models, cache, jobs):
        app.include_router(module.router, prefix="/v1", dependencies=secured)
    return app
