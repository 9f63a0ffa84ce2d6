"""Settings from ``ACCENT_COACH_*`` environment variables, read in one place.

Read afresh on each call so tests and long-lived processes see the current
environment; the values are cheap to parse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "embedded"
DTYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Limits:
    """Input bounds that keep one assessment's time and memory bounded."""

    max_seconds: float = 600.0  # longest recording; feedback stops being useful beyond
    max_text_words: int = 2000  # ten minutes of reading (the audio limit) at 200 wpm
    max_text_chars: int = 20000
    item_timeout: float = 120.0  # seconds one batch/API item may take (0 = no limit)


@dataclass(frozen=True)
class Settings:
    """What the app, CLI and API are configured to use."""

    model: str = DEFAULT_MODEL
    device: str = "auto"
    dtype: str = "float32"
    data_dir: Path = Path("~/.accent_coach").expanduser()
    max_loaded_models: int = 1
    llm_url: str | None = None
    llm_model: str | None = None
    limits: Limits = Limits()


# (variable, default shown in the README, what it does) — the README table mirrors this.
ENV_VARS: tuple[tuple[str, str, str], ...] = (
    ("ACCENT_COACH_MODEL", DEFAULT_MODEL,
     "Recognizer: `embedded`, a Hugging Face id, or a local model folder."),
    ("ACCENT_COACH_DEVICE", "auto",
     "`auto` (CUDA, then MPS, then CPU), `cpu`, `cuda`, `cuda:N`, `mps`."),
    ("ACCENT_COACH_DTYPE", "float32", "Model weights dtype: `float32`, `float16`, `bfloat16`."),
    ("ACCENT_COACH_DATA_DIR", "~/.accent_coach",
     "Where attempts, cached results and reference audio are stored."),
    ("ACCENT_COACH_MAX_MODELS", "1",
     "How many recognizers stay in memory at once (switching back to a kept one is instant)."),
    ("ACCENT_COACH_LLM_URL", "(unset)",
     "OpenAI-compatible endpoint for the conversation tutor (not used yet)."),
    ("ACCENT_COACH_LLM_MODEL", "(unset)",
     "Model name to request from that endpoint (not used yet)."),
    ("ACCENT_COACH_MAX_SECONDS", "600",
     "Longest recording accepted, in seconds (longer ones get the error `audio_too_long`)."),
    ("ACCENT_COACH_MAX_TEXT_WORDS", "2000",
     "Most words a target text may have (more: `text_too_long`)."),
    ("ACCENT_COACH_MAX_TEXT_CHARS", "20000",
     "Most characters a target text may have (more: `text_too_long`)."),
    ("ACCENT_COACH_ITEM_TIMEOUT", "120",
     "Seconds one batch or API item may take before it fails with `timeout` (0: no limit)."),
)

_LIMIT_VARS = (  # Limits field, variable, type
    ("max_seconds", "ACCENT_COACH_MAX_SECONDS", float),
    ("max_text_words", "ACCENT_COACH_MAX_TEXT_WORDS", int),
    ("max_text_chars", "ACCENT_COACH_MAX_TEXT_CHARS", int),
    ("item_timeout", "ACCENT_COACH_ITEM_TIMEOUT", float),
)


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def data_dir() -> Path:
    """The app's data folder, even when an unrelated setting is bad (voices, caches)."""
    try:
        return get_settings().data_dir
    except ValueError:
        return Path(_env("ACCENT_COACH_DATA_DIR") or "~/.accent_coach").expanduser()


def _read_limits(strict: bool) -> Limits:
    """Limits from the environment. A bad value raises ``ValueError`` naming the variable
    when ``strict``, else that one limit keeps its default."""
    values = {}
    for field_name, var, kind in _LIMIT_VARS:
        raw = _env(var)
        if raw is None:
            continue
        try:
            value = kind(raw)
            if not value >= 0 or (value == 0 and field_name != "item_timeout"):
                raise ValueError
        except ValueError:
            if strict:
                raise ValueError(f"{var}={raw!r} must be a positive number.") from None
            continue
        values[field_name] = value
    return Limits(**values)


def limits() -> Limits:
    """The input limits, even when a setting is bad (the Settings page reports it)."""
    return _read_limits(strict=False)


def get_settings() -> Settings:
    """Current settings; a bad value raises ``ValueError`` naming the variable."""
    dtype = (_env("ACCENT_COACH_DTYPE") or "float32").lower()
    if dtype not in DTYPES:
        raise ValueError(f"ACCENT_COACH_DTYPE={dtype!r} is not one of {', '.join(DTYPES)}.")
    max_models_raw = _env("ACCENT_COACH_MAX_MODELS") or "1"
    try:
        max_models = int(max_models_raw)
        if max_models < 1:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"ACCENT_COACH_MAX_MODELS={max_models_raw!r} must be a whole number of at least 1."
        ) from None
    return Settings(
        model=_env("ACCENT_COACH_MODEL") or DEFAULT_MODEL,
        device=(_env("ACCENT_COACH_DEVICE") or "auto").lower(),
        dtype=dtype,
        data_dir=Path(_env("ACCENT_COACH_DATA_DIR") or "~/.accent_coach").expanduser(),
        max_loaded_models=max_models,
        llm_url=_env("ACCENT_COACH_LLM_URL"),
        llm_model=_env("ACCENT_COACH_LLM_MODEL"),
        limits=_read_limits(strict=True),
    )
