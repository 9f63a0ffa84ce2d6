"""Settings from ``ACCENT_COACH_*`` environment variables, read in one place.

Read afresh on each call so tests and long-lived processes see the current
environment; the values are cheap to parse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "embedded"
DEFAULT_TRANSCRIBER = "whisper-tiny.en"
DEFAULT_LLM_TIMEOUT = 20.0
DTYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Settings:
    """What the app, CLI and API are configured to use."""

    model: str = DEFAULT_MODEL
    device: str = "auto"
    dtype: str = "float32"
    data_dir: Path = Path("~/.accent_coach").expanduser()
    max_loaded_models: int = 1
    preload: bool = True
    tts_threads: int = 1
    llm_url: str | None = None
    llm_model: str | None = None
    llm_key: str | None = None
    llm_timeout: float = DEFAULT_LLM_TIMEOUT
    transcriber: str = DEFAULT_TRANSCRIBER


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
    ("ACCENT_COACH_PRELOAD", "1",
     "`1`: load the selected recognizer and warm the engine in the background at start; `0`: "
     "load on first use."),
    ("ACCENT_COACH_TTS_THREADS", "1",
     "CPU threads the Piper reference voice may use (the recognizer needs the rest)."),
    ("ACCENT_COACH_LLM_URL", "(unset)",
     "OpenAI-compatible endpoint (base URL, e.g. `http://127.0.0.1:11434/v1`) for the "
     "conversation tutor; unset = the built-in tutor."),
    ("ACCENT_COACH_LLM_MODEL", "(unset)",
     "Model name to request from that endpoint (e.g. `llama3.2`)."),
    ("ACCENT_COACH_LLM_KEY", "(unset)",
     "API key for that endpoint, if it needs one (Streamlit secret `llm_key` also works)."),
    ("ACCENT_COACH_LLM_TIMEOUT", "20",
     "Seconds to wait for one LLM reply before the built-in tutor answers that turn."),
    ("ACCENT_COACH_TRANSCRIBER", DEFAULT_TRANSCRIBER,
     "Speech-to-text for the tutor: `whisper-tiny.en`, `whisper-base`, a faster-whisper "
     "model id, or a CTranslate2 Whisper folder."),
)


_BOOLS = {"1": True, "true": True, "yes": True, "on": True,
          "0": False, "false": False, "no": False, "off": False}


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def data_dir() -> Path:
    """The app's data folder, even when an unrelated setting is bad (voices, caches)."""
    try:
        return get_settings().data_dir
    except ValueError:
        return Path(_env("ACCENT_COACH_DATA_DIR") or "~/.accent_coach").expanduser()


def _positive_int(name: str, default: str) -> int:
    raw = _env(name) or default
    try:
        value = int(raw)
        if value < 1:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}={raw!r} must be a whole number of at least 1.") from None
    return value


def get_settings() -> Settings:
    """Current settings; a bad value raises ``ValueError`` naming the variable."""
    dtype = (_env("ACCENT_COACH_DTYPE") or "float32").lower()
    if dtype not in DTYPES:
        raise ValueError(f"ACCENT_COACH_DTYPE={dtype!r} is not one of {', '.join(DTYPES)}.")
    max_models = _positive_int("ACCENT_COACH_MAX_MODELS", "1")
    preload_raw = (_env("ACCENT_COACH_PRELOAD") or "1").lower()
    if preload_raw not in _BOOLS:
        raise ValueError(f"ACCENT_COACH_PRELOAD={preload_raw!r} must be 1/0 (or true/false).")
    tts_threads = _positive_int("ACCENT_COACH_TTS_THREADS", "1")
    timeout_raw = _env("ACCENT_COACH_LLM_TIMEOUT") or str(DEFAULT_LLM_TIMEOUT)
    try:
        llm_timeout = float(timeout_raw)
        if not 0 < llm_timeout <= 600:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"ACCENT_COACH_LLM_TIMEOUT={timeout_raw!r} must be a number of seconds (0-600]."
        ) from None
    return Settings(
        preload=_BOOLS[preload_raw],
        tts_threads=tts_threads,
        model=_env("ACCENT_COACH_MODEL") or DEFAULT_MODEL,
        device=(_env("ACCENT_COACH_DEVICE") or "auto").lower(),
        dtype=dtype,
        data_dir=Path(_env("ACCENT_COACH_DATA_DIR") or "~/.accent_coach").expanduser(),
        max_loaded_models=max_models,
        llm_url=_env("ACCENT_COACH_LLM_URL"),
        llm_model=_env("ACCENT_COACH_LLM_MODEL"),
        llm_key=_env("ACCENT_COACH_LLM_KEY"),
        llm_timeout=llm_timeout,
        transcriber=_env("ACCENT_COACH_TRANSCRIBER") or DEFAULT_TRANSCRIBER,
    )
