"""Batch assessment: a JSON-lines manifest in, one JSON line per item out.

The model is loaded once for the whole batch; an item that fails gets its reason in
``error`` and the batch goes on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from accent_coach.engine.assess import assess, loaded_model
from accent_coach.engine.audio import AudioError
from accent_coach.engine.g2p import TextError


def _error_result(item_id: str | None, model: str, message: str) -> dict:
    return {
        "id": item_id, "model": model, "duration": None, "elapsed_ms": 0.0,
        "scores": None, "recognized": [], "words": [], "error": message,
    }


def assess_batch(
    manifest: str | os.PathLike,
    out: str | os.PathLike,
    *,
    accent: str = "us",
    model: str | None = None,
    loaded: Any = None,
    with_prosody: bool = True,
) -> dict[str, int]:
    """Assess every manifest line ``{"id", "audio", "text"[, "accent"]}`` into ``out`` (JSONL).

    The model is loaded once; an item that fails gets its reason in ``error`` and
    the batch continues. Audio paths are relative to the manifest's folder.
    Returns counts {"ok": n, "failed": n}.
    """
    loaded = loaded if loaded is not None else loaded_model(model)
    name = str(getattr(loaded, "name", model or "model"))
    base = Path(manifest).resolve().parent
    counts = {"ok": 0, "failed": 0}
    with open(manifest, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            record = _assess_line(line, n, base, accent, loaded, name, with_prosody)
            counts["failed" if record.get("error") else "ok"] += 1
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
            dst.flush()
    return counts


def _assess_line(line, n, base, accent, loaded, name, with_prosody) -> dict:
    item_id = None
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise ValueError("not a JSON object")
        item_id = str(item.get("id", n))
        audio, text = item.get("audio"), item.get("text")
        if not audio or text is None:
            raise ValueError('needs "audio" and "text"')
        path = Path(audio)
        path = path if path.is_absolute() else base / path
        res = assess(
            path, str(text), accent=item.get("accent", accent), loaded=loaded,
            item_id=item_id, with_prosody=with_prosody,
        )
        return res.to_dict()
    except json.JSONDecodeError as exc:
        return _error_result(item_id, name, f"line {n}: invalid JSON ({exc.msg})")
    except (AudioError, TextError, ValueError) as exc:
        return _error_result(item_id, name, f"line {n}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one bad item must not stop the batch
        return _error_result(item_id, name, f"line {n}: {type(exc).__name__}: {exc}")
