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
    db_url: str | None = None  # None: the SQLite file in data_dir (see database_url)
    save_audio: bool = False
    audio_max_mb: float = 10.0
    daily_goal: int = 10

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the learner's history: the setting, else a local SQLite file."""
        return self.db_url or f"sqlite:///{self.data_dir / 'accent_coach.db'}"


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
    ("ACCENT_COACH_DB_URL", "sqlite:///$ACCENT_COACH_DATA_DIR/accent_coach.db",
     "Where history is stored: any SQLAlchemy URL, e.g. `postgresql+psycopg://…` for a school."),
    ("ACCENT_COACH_SAVE_AUDIO", "0",
     "`1` to keep learners' recordings with their attempts by default (each learner can switch)."),
    ("ACCENT_COACH_AUDIO_MAX_MB", "10",
     "Largest recording kept with an attempt, in MB (a larger one is scored but not kept)."),
    ("ACCENT_COACH_DAILY_GOAL", "10", "Attempts per day the Progress page counts towards."),
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


def _number(name: str, default: str, kind: type, minimum: float) -> float:
    raw = _env(name) or default
    try:
        value = kind(raw)
        if value < minimum:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}={raw!r} must be a number of at least {minimum:g}.") from None
    return value


def _flag(name: str) -> bool:
    raw = (_env(name) or "0").lower()
    if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise ValueError(f"{name}={raw!r} must be 1 or 0.")
    return raw in ("1", "true", "yes", "on")


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
        db_url=_env("ACCENT_COACH_DB_URL"),
        save_audio=_flag("ACCENT_COACH_SAVE_AUDIO"),
        audio_max_mb=float(_number("ACCENT_COACH_AUDIO_MAX_MB", "10", float, 0)),
        daily_goal=int(_number("ACCENT_COACH_DAILY_GOAL", "10", int, 1)),
    )
