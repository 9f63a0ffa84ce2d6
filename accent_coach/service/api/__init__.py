"""The REST API: FastAPI over the same core as the app and the CLI.

``create_app(settings)`` builds one app per configuration (tests build several);
``accent-coach serve`` runs it with uvicorn. Model work runs in a bounded thread pool,
so ``/health`` answers while long assessments run; every error is ``{code, message}``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from accent_coach import __version__
from accent_coach.config import Settings, get_settings
from accent_coach.service.api.errors import error_response, install_error_handlers
from accent_coach.service.api.routes import assess, cache, health, jobs, models
from accent_coach.service.api.state import ServiceState, require_key
from accent_coach.service.assessment import assess_bytes
from accent_coach.service.errors import ServiceConfigError
from accent_coach.service.jobs import make_job_service
from accent_coach.service.result_cache import ResultCache
from accent_coach.speech.manager import ASRModelManager

SINGLE_UPLOAD_PATHS = ("/v1/assess", "/v1/transcribe")
MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the file


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to serve beyond this machine without an API key."""
    if not is_loopback(host) and not settings.api_key:
        raise ServiceConfigError(
            f"Refusing to listen on {host} without an API key: set ACCENT_COACH_API_KEY "
            "(clients then send 'Authorization: Bearer <key>'), or bind to 127.0.0.1."
        )


def build_state(settings: Settings, manager: ASRModelManager | None = None) -> ServiceState:
    """Manager, cache, pools and job backend for one app."""
    manager = manager or ASRModelManager(settings)
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


def create_app(settings: Settings | None = None, manager: ASRModelManager | None = None) -> FastAPI:
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
    limit = int(settings.max_upload_mb * 1_000_000)

    @app.middleware("http")
    async def reject_oversized(request: Request, call_next) -> JSONResponse:
        """Refuse a too-large single upload from its Content-Length, before reading it."""
        length = request.headers.get("content-length", "")
        if (request.url.path in SINGLE_UPLOAD_PATHS and length.isdigit()
                and int(length) > limit + MULTIPART_SLACK):
            return error_response(413, "upload_too_large", upload_too_large_message(settings))
        return await call_next(request)

    app.include_router(health.router)
    secured = [Depends(require_key)]
    for module in (assess, models, cache, jobs):
        app.include_router(module.router, prefix="/v1", dependencies=secured)
    return app


def upload_too_large_message(settings: Settings) -> str:
    return (f"The upload is larger than {settings.max_upload_mb:g} MB "
            "(ACCENT_COACH_MAX_UPLOAD_MB).")
