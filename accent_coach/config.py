"""Settings from ``ACCENT_COACH_*`` environment variables, read in one place.

Read afresh on each call so tests and long-lived processes see the current
environment; the values are cheap to parse.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "embedded"
DEFAULT_TRANSCRIBER = "whisper-tiny.en"
DEFAULT_LLM_TIMEOUT = 20.0
DTYPES = ("auto", "float32", "float16", "bfloat16", "int8")


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
    dtype: str = "auto"
    data_dir: Path = Path("~/.accent_coach").expanduser()
    max_loaded_models: int = 1
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
    preload: bool = True  # load the selected recognizer at start
    preload_models: tuple[str, ...] = ()  # or exactly these models
    idle_unload: tuple[tuple[str, float], ...] = ()  # (kind or "*" for any, seconds)
    gpu_min_free_mb: int = 0
    cache_ttl: float = 0.0
    api_key: str | None = None
    api_workers: int = 2
    max_upload_mb: float = 20.0
    api_max_seconds: float = 120.0
    broker_url: str | None = None
    max_job_mb: float = 200.0  # all uploads of one batch job together
    body_timeout: float = 60.0  # seconds a client may take to send a request body
    job_retention: float = 3600.0  # seconds failed items' audio is kept for a retry
    webhook_allow: tuple[str, ...] = ()  # networks webhooks may reach though not public
    models_dir: Path | None = None  # None: data_dir / "models" (see api_models_dir)
    limits: Limits = Limits()

    @property
    def api_models_dir(self) -> Path:
        """The only folder whose model folders the API may load by name."""
        return self.models_dir or self.data_dir / "models"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the learner's history: the setting, else a local SQLite file."""
        return self.db_url or f"sqlite:///{self.data_dir / 'accent_coach.db'}"

    def idle_seconds(self, kind: str) -> float:
        """Idle time after which an unused model of ``kind`` is unloaded (0 = never)."""
        table = dict(self.idle_unload)
        return table.get(kind, table.get("*", 0.0))


# (variable, default shown in the README, what it does) — the README table mirrors this.
ENV_VARS: tuple[tuple[str, str, str], ...] = (
    ("ACCENT_COACH_MODEL", DEFAULT_MODEL,
     "Recognizer: `embedded`, a Hugging Face id, or a local model folder."),
    ("ACCENT_COACH_DEVICE", "auto",
     "`auto` (CUDA, then MPS, then CPU), `cpu`, `cuda`, `cuda:N`, `mps`."),
    ("ACCENT_COACH_DTYPE", "auto", "Recognizer weights: `auto` (embedded model on CPU in "
     "dynamic int8, else float32), `float32`, `float16`, `bfloat16`, `int8` (CPU only)."),
    ("ACCENT_COACH_DATA_DIR", "~/.accent_coach",
     "Where attempts, cached results and reference audio are stored."),
    ("ACCENT_COACH_MAX_MODELS", "1",
     "How many recognizers stay in memory at once (switching back to a kept one is instant)."),
    ("ACCENT_COACH_PRELOAD", "1",
     "`1`: load the selected recognizer at start (app, API, worker); `0`: on first use; or "
     "comma-separated model ids to load at start."),
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
    ("ACCENT_COACH_IDLE_UNLOAD", "0",
     "Seconds unused before a model is unloaded (0 = never); per kind: "
     "`recognizer=600,transcriber=60`."),
    ("ACCENT_COACH_GPU_MIN_FREE_MB", "0",
     "Free GPU memory (MiB) a load needs; below it the model loads on CPU and status says why."),
    ("ACCENT_COACH_CACHE_TTL", "0",
     "Seconds a cached assessment result stays valid (0 = until evicted)."),
    ("ACCENT_COACH_API_KEY", "(unset)",
     "Key the REST API requires (`Authorization: Bearer KEY`); a must off loopback. "
     "Also signs webhooks."),
    ("ACCENT_COACH_API_WORKERS", "2", "Threads the API and embedded jobs use for model work."),
    ("ACCENT_COACH_MAX_UPLOAD_MB", "20", "Largest upload the API accepts, in MB."),
    ("ACCENT_COACH_API_MAX_SECONDS", "120", "Longest recording the API accepts, in seconds."),
    ("ACCENT_COACH_BROKER_URL", "(unset)",
     "Redis URL: batch jobs go to Celery workers (`accent-coach worker`) instead of the API."),
    ("ACCENT_COACH_MAX_JOB_MB", "200",
     "Largest batch-job request (all its uploads together), in MB."),
    ("ACCENT_COACH_BODY_TIMEOUT", "60",
     "Seconds a client may take to send a request body (then `408 body_timeout`)."),
    ("ACCENT_COACH_JOB_RETENTION", "3600",
     "Seconds a finished job keeps its failed items' audio for a retry (0: deleted at once; "
     "other items' audio goes when the job finishes)."),
    ("ACCENT_COACH_WEBHOOK_ALLOW", "(unset)",
     "Comma-separated networks (`10.0.0.0/8,192.168.1.5`) webhooks may reach although they "
     "are private or loopback; public addresses are always allowed."),
    ("ACCENT_COACH_MODELS_DIR", "$ACCENT_COACH_DATA_DIR/models",
     "Folder whose model folders API clients may name (besides the registered ids)."),
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


def _bounded(name: str, default: str, kind: type, minimum: float) -> float:
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
    dtype = (_env("ACCENT_COACH_DTYPE") or "auto").lower()
    if dtype not in DTYPES:
        raise ValueError(f"ACCENT_COACH_DTYPE={dtype!r} is not one of {', '.join(DTYPES)}.")
    max_models = _positive_int("ACCENT_COACH_MAX_MODELS", "1")
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
        **_preload(_env("ACCENT_COACH_PRELOAD") or "1"),
        idle_unload=_idle_unload(_env("ACCENT_COACH_IDLE_UNLOAD") or ""),
        gpu_min_free_mb=int(_number("ACCENT_COACH_GPU_MIN_FREE_MB", "0", whole=True)),
        cache_ttl=_number("ACCENT_COACH_CACHE_TTL", "0"),
        api_key=_env("ACCENT_COACH_API_KEY"),
        api_workers=max(1, int(_number("ACCENT_COACH_API_WORKERS", "2", whole=True))),
        max_upload_mb=_number("ACCENT_COACH_MAX_UPLOAD_MB", "20"),
        api_max_seconds=_number("ACCENT_COACH_API_MAX_SECONDS", "120"),
        broker_url=_env("ACCENT_COACH_BROKER_URL"),
        max_job_mb=_number("ACCENT_COACH_MAX_JOB_MB", "200"),
        body_timeout=_bounded("ACCENT_COACH_BODY_TIMEOUT", "60", float, 0.1),
        job_retention=_number("ACCENT_COACH_JOB_RETENTION", "3600"),
        webhook_allow=_networks(_env("ACCENT_COACH_WEBHOOK_ALLOW") or ""),
        models_dir=Path(raw).expanduser() if (raw := _env("ACCENT_COACH_MODELS_DIR")) else None,
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
        audio_max_mb=float(_bounded("ACCENT_COACH_AUDIO_MAX_MB", "10", float, 0)),
        daily_goal=int(_bounded("ACCENT_COACH_DAILY_GOAL", "10", int, 1)),
        limits=_read_limits(strict=True),
    )


def _number(name: str, default: str, whole: bool = False) -> float:
    """A non-negative number from ``name``; ``ValueError`` naming the variable otherwise."""
    raw = _env(name) or default
    try:
        value = int(raw) if whole else float(raw)
        if value < 0 or value != value:
            raise ValueError
    except ValueError:
        kind = "whole number" if whole else "number"
        raise ValueError(f"{name}={raw!r} must be a non-negative {kind}.") from None
    return float(value)


def _networks(raw: str) -> tuple[str, ...]:
    """``10.0.0.0/8,192.168.1.5`` → normalized networks; ValueError naming the variable."""
    import ipaddress

    out = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(f"ACCENT_COACH_WEBHOOK_ALLOW: {part!r} is not an IP address or "
                             "network (e.g. 10.0.0.0/8).") from None
    return tuple(out)


def _preload(raw: str) -> dict[str, object]:
    """``1``/``0`` (the selected model or nothing) or a comma-separated list of model ids."""
    if raw.lower() in _BOOLS:
        return {"preload": _BOOLS[raw.lower()], "preload_models": ()}
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    return {"preload": bool(names), "preload_models": names}


def _idle_unload(raw: str) -> tuple[tuple[str, float], ...]:
    """``300`` (every kind) or ``recognizer=300,transcriber=60`` → {kind: seconds}."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        kind, _, seconds = part.rpartition("=")
        try:
            value = float(seconds)
            if value < 0:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"ACCENT_COACH_IDLE_UNLOAD={raw!r}: use seconds (e.g. 300) or "
                "kind=seconds pairs (e.g. recognizer=300,transcriber=60)."
            ) from None
        out[kind.strip() or "*"] = value
    return tuple(out.items())


# Which Settings field each variable sets, so pages can show the values in force.
FIELDS: dict[str, str] = {
    "ACCENT_COACH_MODEL": "model", "ACCENT_COACH_DEVICE": "device",
    "ACCENT_COACH_DTYPE": "dtype", "ACCENT_COACH_DATA_DIR": "data_dir",
    "ACCENT_COACH_MAX_MODELS": "max_loaded_models", "ACCENT_COACH_LLM_URL": "llm_url",
    "ACCENT_COACH_LLM_MODEL": "llm_model", "ACCENT_COACH_PRELOAD": "preload_models",
    "ACCENT_COACH_IDLE_UNLOAD": "idle_unload", "ACCENT_COACH_GPU_MIN_FREE_MB": "gpu_min_free_mb",
    "ACCENT_COACH_CACHE_TTL": "cache_ttl", "ACCENT_COACH_API_KEY": "api_key",
    "ACCENT_COACH_API_WORKERS": "api_workers", "ACCENT_COACH_MAX_UPLOAD_MB": "max_upload_mb",
    "ACCENT_COACH_API_MAX_SECONDS": "api_max_seconds", "ACCENT_COACH_BROKER_URL": "broker_url",
    "ACCENT_COACH_MAX_JOB_MB": "max_job_mb", "ACCENT_COACH_BODY_TIMEOUT": "body_timeout",
    "ACCENT_COACH_JOB_RETENTION": "job_retention",
    "ACCENT_COACH_WEBHOOK_ALLOW": "webhook_allow", "ACCENT_COACH_MODELS_DIR": "api_models_dir",
    "ACCENT_COACH_TTS_THREADS": "tts_threads", "ACCENT_COACH_LLM_KEY": "llm_key",
    "ACCENT_COACH_LLM_TIMEOUT": "llm_timeout", "ACCENT_COACH_TRANSCRIBER": "transcriber",
    "ACCENT_COACH_DB_URL": "database_url", "ACCENT_COACH_SAVE_AUDIO": "save_audio",
    "ACCENT_COACH_AUDIO_MAX_MB": "audio_max_mb", "ACCENT_COACH_DAILY_GOAL": "daily_goal",
    "ACCENT_COACH_MAX_SECONDS": "limits.max_seconds",
    "ACCENT_COACH_MAX_TEXT_WORDS": "limits.max_text_words",
    "ACCENT_COACH_MAX_TEXT_CHARS": "limits.max_text_chars",
    "ACCENT_COACH_ITEM_TIMEOUT": "limits.item_timeout",
}
SECRETS = {"ACCENT_COACH_API_KEY", "ACCENT_COACH_LLM_KEY"}


def in_force(settings: Settings) -> dict[str, str]:
    """Each variable's value as the app uses it (secrets masked), for the Settings page."""
    shown = {}
    for name, attr in FIELDS.items():
        value: object = settings
        for part in attr.split("."):
            value = getattr(value, part)
        if name in SECRETS and value:
            text = "(set)"
        elif attr == "idle_unload":
            text = ", ".join(f"{k}={v:g} s" for k, v in value) or "0 (never)"
        elif attr == "preload_models":
            text = ", ".join(value) or ("1 (the selected model)" if settings.preload else "0")
        elif isinstance(value, tuple):
            text = ", ".join(value) or "(unset)"
        elif attr == "database_url":
            text = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", value)  # no password shown
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = "(unset)" if value is None else str(value)
        shown[name] = text
    return shown
