"""ASGI middleware that judges a request before its body is read.

FastAPI parses a multipart body (spooling it to a temporary file) before any
dependency runs, so a key check or size check in a route comes too late: a 200 MB
upload without a key once sat in a temp file before its 401. This middleware sits in
front of the app and, from the headers alone, answers 401 (no or wrong key) and 413
(``Content-Length`` over the path's limit). While the app reads the body it counts the
bytes — a chunked body has no ``Content-Length`` — and answers 413 the moment the
limit is passed, and 408 when the whole body has not arrived within
``ACCENT_COACH_BODY_TIMEOUT``. Either way the app is told the client went away, and
whatever it tries to send afterwards is dropped.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from accent_coach.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SINGLE_UPLOAD_PATHS = ("/v1/assess", "/v1/transcribe")
JOB_PATH = "/v1/jobs"
MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the files
OTHER_BODY_LIMIT = 64 * 1024  # no other endpoint takes a body worth more
KEY_MESSAGE = "Missing or wrong API key: send 'Authorization: Bearer <ACCENT_COACH_API_KEY>'."


def given_key(headers: dict[str, str]) -> str:
    """The key a client sent: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get("x-api-key", "")


def key_ok(headers: dict[str, str], key: str | None) -> bool:
    """True when no key is configured, or the client sent it (constant-time compare)."""
    if not key:
        return True
    given = given_key(headers)
    return bool(given) and hmac.compare_digest(given.encode(), key.encode())


def body_limit(path: str, settings: Settings) -> int:
    """Most bytes a request body to ``path`` may have."""
    if path in SINGLE_UPLOAD_PATHS:
        return int(settings.max_upload_mb * 1_000_000) + MULTIPART_SLACK
    if path.rstrip("/") == JOB_PATH:
        return int(settings.max_job_mb * 1_000_000) + MULTIPART_SLACK
    return OTHER_BODY_LIMIT


def too_large_message(path: str, settings: Settings) -> str:
    if path.rstrip("/") == JOB_PATH:
        return (f"The job's uploads are larger than {settings.max_job_mb:g} MB in all "
                "(ACCENT_COACH_MAX_JOB_MB).")
    if path in SINGLE_UPLOAD_PATHS:
        return (f"The upload is larger than {settings.max_upload_mb:g} MB "
                "(ACCENT_COACH_MAX_UPLOAD_MB).")
    return f"The request body is larger than {OTHER_BODY_LIMIT // 1024} KB."


class RequestGuard:
    """Auth, size and time limits on every HTTP request, enforced outside the app."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if path.startswith("/v1") and not key_ok(headers, self.settings.api_key):
            await _answer(send, 401, "unauthorized", KEY_MESSAGE)
            return
        limit = body_limit(path, self.settings)
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > limit):
            status, code = (413, "upload_too_large") if length.isdigit() else (
                400, "bad_request")
            message = (too_large_message(path, self.settings) if status == 413
                       else "Content-Length must be a whole number.")
            await _answer(send, status, code, message)
            return
        await _Guarded(self.app, self.settings, path, limit).run(scope, receive, send)


class _Guarded:
    """One request's body, counted and timed while the app reads it."""

    def __init__(self, app: ASGIApp, settings: Settings, path: str, limit: int) -> None:
        self.app, self.settings, self.path, self.limit = app, settings, path, limit
        self.received = 0
        self.body_done = False
        self.deadline = time.monotonic() + settings.body_timeout
        self.answered = False  # this middleware sent the response; the app is muted
        self.started = False  # the app began its own response

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_receive() -> Message:
            if self.answered:
                return {"type": "http.disconnect"}
            if self.body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(
                    receive(), max(0.0, self.deadline - time.monotonic()))
            except TimeoutError:
                await self._refuse(send, 408, "body_timeout", (
                    f"The request body did not arrive within {self.settings.body_timeout:g} s "
                    "(ACCENT_COACH_BODY_TIMEOUT)."))
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                self.body_done = not message.get("more_body", False)
                if self.received > self.limit:
                    await self._refuse(send, 413, "upload_too_large",
                                       too_large_message(self.path, self.settings))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if self.answered:
                return
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not self.answered:
                raise
            # the app failed because we cut its body off; the client has its answer

    async def _refuse(self, send: Send, status: int, code: str, message: str) -> None:
        if not self.started and not self.answered:
            self.answered = True
            await _answer(send, status, code, message)


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    """A complete ``{code, message}`` JSON response; the connection closes after it."""
    body = json.dumps({"code": code, "message": message}).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})
