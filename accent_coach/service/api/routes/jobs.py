"""Batch jobs: submit (files + texts, or a JSON-lines manifest), status, cancel, retry."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from accent_coach.accents import get_accent
from accent_coach.errors import InvalidRequest
from accent_coach.service.api.state import get_state
from accent_coach.service.api.uploads import read_upload
from accent_coach.service.jobs.webhook import check_webhook
from accent_coach.service.model_names import accepted_model

router = APIRouter(prefix="/jobs", tags=["jobs"])
MAX_ITEMS = 1000


@router.post("", status_code=202)
async def submit(
    request: Request,
    files: Annotated[list[UploadFile] | None, File(description="recordings")] = None,
    texts: Annotated[list[str] | None, Form(description="one text per file, same order")] = None,
    manifest: Annotated[UploadFile | None, File(description="JSON lines {id, audio, text}")] = None,
    accent: Annotated[str, Form()] = "us",
    model: Annotated[str | None, Form()] = None,
    webhook_url: Annotated[str | None, Form(description="POSTed to on completion")] = None,
) -> JSONResponse:
    """Queue a batch; answers 202 with the job (poll ``GET /v1/jobs/{id}``)."""
    state = get_state(request)
    get_accent(accent)  # accent_unknown (422) before any upload is read
    model = accepted_model(model, state.settings)
    if webhook_url:  # resolves the host name: off the event loop
        await run_in_threadpool(check_webhook, webhook_url, state.settings.api_key,
                                state.settings.webhook_allow)
    names = [f.filename or str(i) for i, f in enumerate(files or [])]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidRequest(f"Two uploaded files are named '{twice[0]}': every file needs "
                             "its own name (items and manifest lines refer to files by name).")
    if len(names) > MAX_ITEMS:
        raise InvalidRequest(f"A job holds at most {MAX_ITEMS} items; split the batch.")
    uploads = {n: await read_upload(f, state.settings) for n, f in zip(names, files or [])}
    if manifest is not None:
        items = _manifest_items(await read_upload(manifest, state.settings), uploads)
    else:
        items = _paired_items(files or [], texts or [], list(uploads.values()))
    if len(items) > MAX_ITEMS:
        raise InvalidRequest(f"A job holds at most {MAX_ITEMS} items; split the batch.")
    job = state.jobs.submit(items, accent=accent, model=model, webhook_url=webhook_url)
    return JSONResponse(job, status_code=202, headers={"Location": f"/v1/jobs/{job['id']}"})


def _paired_items(files: list[UploadFile], texts: list[str], data: list[bytes]) -> list[dict]:
    if not files:
        raise InvalidRequest("Send recordings as repeated 'files' fields, or a 'manifest'.")
    if len(texts) != len(files):
        raise InvalidRequest(
            f"{len(files)} files but {len(texts)} texts: send one 'texts' field per file, "
            "in the same order."
        )
    return [{"item_id": f.filename or str(i), "text": t, "audio": d}
            for i, (f, t, d) in enumerate(zip(files, texts, data, strict=True))]


def _manifest_items(raw: bytes, uploads: dict[str, bytes]) -> list[dict[str, Any]]:
    """The CLI's manifest lines; ``audio`` names one of the uploaded files."""
    items = []
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not entry.get("audio") or entry.get("text") is None:
                raise ValueError('needs "audio" and "text"')
        except ValueError as exc:
            items.append({"item_id": str(n), "text": "", "error": {
                "code": "invalid_request", "message": f"manifest line {n}: {exc}"}})
            continue
        item_id, name = str(entry.get("id", n)), str(entry["audio"])
        audio = uploads.get(name) or uploads.get(name.rsplit("/", 1)[-1])
        item: dict[str, Any] = {"item_id": item_id, "text": str(entry["text"]), "audio": audio}
        if audio is None:
            item["error"] = {"code": "invalid_request", "message":
                             f"manifest line {n}: '{name}' is not among the uploaded files."}
        items.append(item)
    if not items:
        raise InvalidRequest("The manifest has no lines.")
    return items


@router.get("/{job_id}")
async def status(job_id: str, request: Request) -> dict:
    """The job with per-item status, progress counts, results and errors."""
    return get_state(request).jobs.get(job_id)


@router.delete("/{job_id}")
async def cancel(job_id: str, request: Request) -> dict:
    """Cancel: queued items never run; the job is marked cancelled."""
    return get_state(request).jobs.cancel(job_id)


@router.post("/{job_id}/retry")
async def retry(job_id: str, request: Request) -> dict:
    """Run the job's failed items again (e.g. after installing a missing model)."""
    return get_state(request).jobs.retry(job_id)
