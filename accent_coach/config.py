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
class Settings:
    """What the app, CLI and API are configured to use."""

    model: str = DEFAULT_MODEL
    device: str = "auto"
    dtype: str = "float32"
    data_dir: Path = Path("~/.accent_coach").expanduser()
    max_loaded_models: int = 1
    llm_url: str | None = None
    llm_model: str | None = None
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
    ("ACCENT_COACH_LLM_URL", "(unset)",
     "OpenAI-compatible endpoint for the conversation tutor (not used yet)."),
    ("ACCENT_COACH_LLM_MODEL", "(unset)",
     "Model name to request from that endpoint (not used yet)."),
    ("ACCENT_COACH_DB_URL", "sqlite:///$ACCENT_COACH_DATA_DIR/accent_coach.db",
     "Where history is stored: any SQLAlchemy URL, e.g. `postgresql+psycopg://…` for a school."),
    ("ACCENT_COACH_SAVE_AUDIO", "0",
     "`1` to keep learners' recordings with their attempts by default (each learner can switch)."),
    ("ACCENT_COACH_AUDIO_MAX_MB", "10",
     "Largest recording kept with an attempt, in MB (a larger one is scored but not kept)."),
    ("ACCENT_COACH_DAILY_GOAL", "10", "Attempts per day the Progress page counts towards."),
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
        db_url=_env("ACCENT_COACH_DB_URL"),
        save_audio=_flag("ACCENT_COACH_SAVE_AUDIO"),
        audio_max_mb=float(_number("ACCENT_COACH_AUDIO_MAX_MB", "10", float, 0)),
        daily_goal=int(_number("ACCENT_COACH_DAILY_GOAL", "10", int, 1)),
    )
