"""Batch assessment: a JSON-lines manifest in, one JSON line per item out.

The model is loaded once for the whole batch. The batch never loses a good line: each
manifest line is decoded and validated on its own (a bad byte, a BOM, a wrong type
fails that item only, with ``error: {"code", "message"}``), every result is flushed
as soon as it is written, an interrupt (SIGINT/SIGTERM via the CLI) stops after the
current item with the lines done so far intact, ``resume`` skips ids already in the
output, and each item runs under ``ACCENT_COACH_ITEM_TIMEOUT``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accent_coach.accents import get_accent
from accent_coach.config import limits
from accent_coach.engine.assess import assess, loaded_model
from accent_coach.engine.deadline import call_with_time_limit
from accent_coach.errors import AccentCoachError, InputError, ManifestError

FIELDS = {"id", "audio", "text", "accent"}


class BatchInterrupted(BaseException):
    """Raised by the SIGTERM handler to stop the batch after the lines written so far
    (a BaseException, like KeyboardInterrupt, so no per-item handler swallows it)."""


@dataclass
class Item:
    """One validated manifest line."""

    id: str
    audio: Path
    text: str
    accent: str


def _error_result(item_id: str | None, model: str, error: dict[str, str]) -> dict:
    return {
        "id": item_id, "model": model, "duration": None, "elapsed_ms": 0.0,
        "scores": None, "recognized": [], "words": [], "warnings": [], "error": error,
    }


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (so writing one would destroy the other)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def done_ids(out: str | os.PathLike) -> set[str]:
    """Ids already in an output file (unreadable or half-written lines are ignored)."""
    ids = set()
    if not Path(out).is_file():
        return ids
    for raw in Path(out).read_bytes().splitlines():
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            ids.add(record["id"])
    return ids


def _keep_complete_lines(out: Path) -> None:
    """Drop a half-written last line (a batch killed mid-write) before appending."""
    data = out.read_bytes() if out.is_file() else b""
    if data and not data.endswith(b"\n"):
        out.write_bytes(data[: data.rfind(b"\n") + 1])


def assess_batch(
    manifest: str | os.PathLike,
    out: str | os.PathLike,
    *,
    accent: str = "us",
    model: str | None = None,
    loaded: Any = None,
    with_prosody: bool = True,
    resume: bool = False,
    item_timeout: float | None = None,
) -> dict[str, int]:
    """Assess every manifest line ``{"id", "audio", "text"[, "accent"]}`` into ``out`` (JSONL).

    Audio paths are relative to the manifest's folder. ``resume`` appends to ``out``
    and skips ids already there; otherwise ``out`` is replaced. Returns counts
    {"ok", "failed", "skipped", "interrupted" (0/1)}. Raises ManifestError when ``out``
    is the manifest itself.
    """
    if Path(out).exists() and same_file(manifest, out):
        raise ManifestError("the output file is the manifest itself; choose another --out",
                            code="out_is_input")
    loaded = loaded if loaded is not None else loaded_model(model)
    name = str(getattr(loaded, "name", model or "model"))
    base = Path(manifest).resolve().parent
    timeout = limits().item_timeout if item_timeout is None else item_timeout
    skip = done_ids(out) if resume else set()
    if resume:
        _keep_complete_lines(Path(out))
    counts = {"ok": 0, "failed": 0, "skipped": 0, "interrupted": 0}
    with open(manifest, "rb") as src, open(out, "a" if resume else "w", encoding="utf-8") as dst:
        try:
            for n, raw in enumerate(src, 1):
                if not raw.strip():
                    continue
                record = _assess_line(raw, n, base, accent, loaded, name, with_prosody,
                                      timeout, skip)
                if record is None:
                    counts["skipped"] += 1
                    continue
                counts["failed" if record.get("error") else "ok"] += 1
                dst.write(json.dumps(record, ensure_ascii=False) + "\n")
                dst.flush()
        except (KeyboardInterrupt, BatchInterrupted):
            counts["interrupted"] = 1
    return counts


def parse_line(raw: bytes, n: int, default_accent: str) -> Item:
    """Decode and type-check one manifest line (``n`` counts from 1); ManifestError if bad."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"line {n}: not UTF-8 text (byte {exc.start})") from None
    try:
        item = json.loads(line.lstrip("\ufeff"))  # a BOM may lead the file
    except json.JSONDecodeError as exc:
        raise ManifestError(f"line {n}: invalid JSON ({exc.msg})") from None
    if not isinstance(item, dict):
        raise ManifestError(f"line {n}: not a JSON object")
    item_id = item.get("id", str(n))
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int)) or item_id == "":
        raise ManifestError(f'line {n}: "id" must be a non-empty string or an integer')
    audio, text = item.get("audio"), item.get("text")
    if not isinstance(audio, str) or not audio.strip():
        raise ManifestError(f'line {n}: "audio" must be a file path (a non-empty string)')
    if not isinstance(text, str):
        raise ManifestError(f'line {n}: "text" must be a string')
    item_accent = item.get("accent", default_accent)
    try:
        get_accent(item_accent)
    except InputError as exc:  # the line number says where; the code stays accent_unknown
        raise ManifestError(f'line {n}: "accent": {exc}', code=exc.code) from None
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        raise ManifestError(f"line {n}: unknown field(s) {', '.join(unknown)}")
    return Item(str(item_id), Path(audio), text, item_accent)


def _line_id(raw: bytes, n: int) -> str | None:
    """The id of a line that failed validation, when it can still be read."""
    try:
        item_id = json.loads(raw.decode("utf-8").lstrip("\ufeff")).get("id", str(n))
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return str(item_id) if isinstance(item_id, (str, int)) and item_id != "" else None


def _assess_line(raw, n, base, accent, loaded, name, with_prosody, timeout, skip) -> dict | None:
    try:
        item = parse_line(raw, n, accent)
    except ManifestError as exc:
        return _error_result(_line_id(raw, n), name, exc.to_dict())
    if item.id in skip:
        return None
    path = item.audio if item.audio.is_absolute() else base / item.audio
    try:
        res = call_with_time_limit(
            lambda: assess(path, item.text, accent=item.accent, loaded=loaded,
                           item_id=item.id, with_prosody=with_prosody),
            timeout,
        )
        return res.to_dict()
    except AccentCoachError as exc:
        error = exc.to_dict()
        return _error_result(item.id, name, {**error, "message": f"line {n}: {error['message']}"})
    except Exception as exc:  # noqa: BLE001 - one bad item must not stop the batch
        message = f"line {n}: {type(exc).__name__}: {exc}"
        return _error_result(item.id, name, {"code": "internal_error", "message": message})
