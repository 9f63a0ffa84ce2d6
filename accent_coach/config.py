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
    ("ACCENT_COACH_DTYPE", "float32", "Model weights dtype: `float32`, `float16`, `bfloat16`."),
    ("ACCENT_COACH_DATA_DIR", "~/.accent_coach",
     "Where attempts, cached results and reference audio are stored."),
    ("ACCENT_COACH_MAX_MODELS", "1",
     "How many recognizers stay in memory at once (switching back to a kept one is instant)."),
    ("ACCENT_COACH_PRELOAD", "1",
     "`1`: load the selected recognizer at start (app, API, worker); `0`: on first use; or "
     "comma-separated model ids to load at start."),
    ("ACCENT_COACH_LLM_URL", "(unset)",
     "OpenAI-compatible endpoint for the conversation tutor (not used yet)."),
    ("ACCENT_COACH_LLM_MODEL", "(unset)",
     "Model name to request from that endpoint (not used yet)."),
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
        **_preload(_env("ACCENT_COACH_PRELOAD") or "1"),
        idle_unload=_idle_unload(_env("ACCENT_COACH_IDLE_UNLOAD") or ""),
        gpu_min_free_mb=int(_number("ACCENT_COACH_GPU_MIN_FREE_MB", "0", whole=True)),
        cache_ttl=_number("ACCENT_COACH_CACHE_TTL", "0"),
        api_key=_env("ACCENT_COACH_API_KEY"),
        api_workers=max(1, int(_number("ACCENT_COACH_API_WORKERS", "2", whole=True))),
        max_upload_mb=_number("ACCENT_COACH_MAX_UPLOAD_MB", "20"),
        api_max_seconds=_number("ACCENT_COACH_API_MAX_SECONDS", "120"),
        broker_url=_env("ACCENT_COACH_BROKER_URL"),
        model=_env("ACCENT_COACH_MODEL") or DEFAULT_MODEL,
        device=(_env("ACCENT_COACH_DEVICE") or "auto").lower(),
        dtype=dtype,
        data_dir=Path(_env("ACCENT_COACH_DATA_DIR") or "~/.accent_coach").expanduser(),
        max_loaded_models=max_models,
        llm_url=_env("ACCENT_COACH_LLM_URL"),
        llm_model=_env("ACCENT_COACH_LLM_MODEL"),
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


_BOOLS = {"1": True, "true": True, "yes": True, "on": True,
          "0": False, "false": False, "no": False, "off": False}


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
}
SECRETS = {"ACCENT_COACH_API_KEY"}


def in_force(settings: Settings) -> dict[str, str]:
    """Each variable's value as the app uses it (secrets masked), for the Settings page."""
    shown = {}
    for name, attr in FIELDS.items():
        value = getattr(settings, attr)
        if name in SECRETS and value:
            text = "(set)"
        elif attr == "idle_unload":
            text = ", ".join(f"{k}={v:g} s" for k, v in value) or "0 (never)"
        elif attr == "preload_models":
            text = ", ".join(value) or ("1 (the selected model)" if settings.preload else "0")
        elif isinstance(value, tuple):
            text = ", ".join(value) or "(unset)"
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = "(unset)" if value is None else str(value)
        shown[name] = text
    return shown
