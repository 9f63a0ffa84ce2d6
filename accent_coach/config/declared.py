"""Every ``ACCENT_COACH_*`` setting, declared once: type, default, range and meaning.

The groups are the sections of docs/configuration.md and of the Settings page; the
``Settings`` the code passes around is their union, so callers keep flat names
(``settings.api_key``) while each setting is written in exactly one place. The input
limits are a nested group (``settings.limits``) because the engine reads them alone,
leniently (see :func:`accent_coach.config.limits`).

A group made in code (``Settings(device="cpu")``) holds what it is given and the
defaults, never the environment: only :func:`accent_coach.config.get_settings` reads
the variables, so a bad variable cannot break a fallback built from defaults.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PREFIX = "ACCENT_COACH_"
DEFAULT_MODEL = "embedded"
DEFAULT_TRANSCRIBER = "whisper-tiny.en"
DEFAULT_LLM_TIMEOUT = 20.0
Dtype = Literal["auto", "float32", "float16", "bfloat16", "int8"]
DTYPES: tuple[str, ...] = get_args(Dtype)

_SWITCH = {"1": True, "true": True, "yes": True, "on": True,
           "0": False, "false": False, "no": False, "off": False}


@dataclass(frozen=True)
class Syntax:
    """How a value with its own parser is written (docs and error messages say it)."""

    text: str


SECRET = {"secret": True}  # Field(json_schema_extra=SECRET): masked wherever values are shown
NO_VARIABLE = {"variable": None}  # a field derived from another field's variable


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _expand(path: Path | None) -> Path | None:
    return path.expanduser() if path is not None else None


def _at_least_one(number: int) -> int:
    return max(number, 1)


def _comma_list(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _networks(value: Any) -> Any:
    """``10.0.0.0/8,192.168.1.5`` → normalized networks."""
    out = []
    for part in _comma_list(value):
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or network (e.g. 10.0.0.0/8)."
                             ) from None
    return tuple(out)


def _idle_unload(value: Any) -> Any:
    """``300`` (every kind) or ``recognizer=300,transcriber=60`` → ((kind, seconds), …)."""
    if not isinstance(value, str):
        return value
    out: dict[str, float] = {}
    for part in _comma_list(value):
        kind, _, seconds = part.rpartition("=")
        try:
            number = float(seconds)
            if not number >= 0:
                raise ValueError
        except ValueError:
            raise ValueError("use seconds (e.g. 300) or kind=seconds pairs "
                             "(e.g. recognizer=300,transcriber=60).") from None
        out[kind.strip() or "*"] = number
    return tuple(out.items())


Folder = Annotated[Path, AfterValidator(_expand)]
Networks = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_networks),
                     Syntax("comma-separated IP networks")]
IdleTable = Annotated[tuple[tuple[str, float], ...], NoDecode, BeforeValidator(_idle_unload),
                      Syntax("seconds, or kind=seconds pairs")]
Names = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)]
Switch = Annotated[bool, Syntax("1, 0, or comma-separated model ids")]  # see _preload_list


class Group(BaseSettings):
    """A group of settings; its ``title`` heads its section in the reference."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, case_sensitive=True, frozen=True,
                                      validate_by_name=True, validate_by_alias=True)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        **_: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Made in code: only the arguments and the defaults (the environment is read by
        ``get_settings`` alone)."""
        return (init_settings,)


class ModelSettings(Group):
    """Which recognizer and transcriber, on which device, and how long they stay loaded."""

    model_config = SettingsConfigDict(title="Speech models")

    model: str = Field(DEFAULT_MODEL, description=(
        "Recognizer: `embedded`, a Hugging Face id, or a local model folder."))
    device: Annotated[str, BeforeValidator(_lower)] = Field("auto", description=(
        "`auto` (CUDA, then MPS, then CPU), `cpu`, `cuda`, `cuda:N`, `mps`."))
    dtype: Annotated[Dtype, BeforeValidator(_lower)] = Field("auto", description=(
        "Recognizer weights: `auto` (embedded model on CPU in dynamic int8, else float32), "
        "`float32`, `float16`, `bfloat16`, `int8` (CPU only)."))
    max_loaded_models: int = Field(1, ge=1, validation_alias=f"{PREFIX}MAX_MODELS", description=(
        "How many recognizers stay in memory at once (switching back to a kept one is "
        "instant)."))
    preload: Switch = Field(True, description=(
        "`1`: load the selected recognizer at start (app, API, worker); `0`: on first use; "
        "or comma-separated model ids to load at start."))
    preload_models: Names = Field((), json_schema_extra=NO_VARIABLE, description=(
        "The model ids ACCENT_COACH_PRELOAD lists, if it lists any."))
    idle_unload: IdleTable = Field((), description=(
        "Seconds unused before a model is unloaded (unset or 0 = never); per kind: "
        "`recognizer=600,transcriber=60`."))
    gpu_min_free_mb: int = Field(0, ge=0, description=(
        "Free GPU memory (MiB) a load needs; below it the model loads on CPU and status "
        "says why."))
    transcriber: str = Field(DEFAULT_TRANSCRIBER, description=(
        "Speech-to-text for the tutor: `whisper-tiny.en`, `whisper-base`, a faster-whisper "
        "model id, or a CTranslate2 Whisper folder."))
    tts_threads: int = Field(1, ge=1, description=(
        "CPU threads the Piper reference voice may use (the recognizer needs the rest)."))

    @model_validator(mode="before")
    @classmethod
    def _preload_list(cls, data: Any) -> Any:
        """ACCENT_COACH_PRELOAD is a switch or a list: a list sets ``preload_models``."""
        raw = data.get("preload") if isinstance(data, dict) else None
        if isinstance(raw, str) and raw.strip().lower() not in _SWITCH:
            names = _comma_list(raw)
            return {**data, "preload": bool(names), "preload_models": names}
        return data

    def idle_seconds(self, kind: str) -> float:
        """Idle time after which an unused model of ``kind`` is unloaded (0 = never)."""
        table = dict(self.idle_unload)
        return table.get(kind, table.get("*", 0.0))


class TutorSettings(Group):
    """The optional LLM behind the conversation tutor."""

    model_config = SettingsConfigDict(title="Conversation tutor")

    llm_url: str | None = Field(None, description=(
        "OpenAI-compatible endpoint (base URL, e.g. `http://127.0.0.1:11434/v1`) for the "
        "conversation tutor; unset = the built-in tutor."))
    llm_model: str | None = Field(None, description=(
        "Model name to request from that endpoint (e.g. `llama3.2`)."))
    llm_key: str | None = Field(None, json_schema_extra=SECRET, description=(
        "API key for that endpoint, if it needs one (Streamlit secret `llm_key` also works)."))
    llm_timeout: float = Field(DEFAULT_LLM_TIMEOUT, gt=0, le=600, description=(
        "Seconds to wait for one LLM reply before the built-in tutor answers that turn."))


class StorageSettings(Group):
    """Where the learner's attempts, recordings and cached results are kept."""

    model_config = SettingsConfigDict(title="Data and history")

    data_dir: Folder = Field(Path("~/.accent_coach"), description=(
        "Where attempts, cached results and reference audio are stored."))
    db_url: str | None = Field(None, description=(
        "Where history is stored: any SQLAlchemy URL, e.g. `postgresql+psycopg://…` for a "
        "school; unset = `sqlite:///$ACCENT_COACH_DATA_DIR/accent_coach.db`."))
    save_audio: bool = Field(False, description=(
        "`1` to keep learners' recordings with their attempts by default (each learner can "
        "switch)."))
    audio_max_mb: float = Field(10.0, ge=0, description=(
        "Largest recording kept with an attempt, in MB (a larger one is scored but not "
        "kept)."))
    daily_goal: int = Field(10, ge=1, description=(
        "Attempts per day the Progress page counts towards."))
    cache_ttl: float = Field(0.0, ge=0, description=(
        "Seconds a cached assessment result stays valid (0 = until evicted)."))

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the learner's history: the setting, else a local SQLite file."""
        return self.db_url or f"sqlite:///{self.data_dir / 'accent_coach.db'}"


class ServiceSettings(Group):
    """The REST API's key, bounds and workers, and where batch jobs run."""

    model_config = SettingsConfigDict(title="REST API and batch jobs")

    api_key: str | None = Field(None, json_schema_extra=SECRET, description=(
        "Key the REST API requires (`Authorization: Bearer KEY`); a must off loopback. "
        "Also signs webhooks."))
    api_workers: Annotated[int, AfterValidator(_at_least_one)] = Field(2, ge=0, description=(
        "Threads the API and embedded jobs use for model work (0 counts as 1)."))
    max_upload_mb: float = Field(20.0, ge=0, description="Largest upload the API accepts, in MB.")
    api_max_seconds: float = Field(120.0, ge=0, description=(
        "Longest recording the API accepts, in seconds."))
    broker_url: str | None = Field(None, description=(
        "Redis URL: batch jobs go to Celery workers (`accent-coach worker`) instead of the "
        "API."))
    max_job_mb: float = Field(200.0, ge=0, description=(
        "Largest batch-job request (all its uploads together), in MB."))
    body_timeout: float = Field(60.0, ge=0.1, description=(
        "Seconds a client may take to send a request body (then `408 body_timeout`)."))
    job_retention: float = Field(3600.0, ge=0, description=(
        "Seconds a finished job keeps its failed items' audio for a retry (0: deleted at "
        "once; other items' audio goes when the job finishes)."))
    webhook_allow: Networks = Field((), description=(
        "Comma-separated networks (`10.0.0.0/8,192.168.1.5`) webhooks may reach although "
        "they are private or loopback; public addresses are always allowed."))
    models_dir: Folder | None = Field(None, description=(
        "Folder whose model folders API clients may name (besides the registered ids); "
        "unset = `$ACCENT_COACH_DATA_DIR/models`."))


class Limits(Group):
    """Input bounds that keep one assessment's time and memory bounded."""

    model_config = SettingsConfigDict(title="Input limits")

    max_seconds: float = Field(600.0, gt=0, description=(
        "Longest recording accepted, in seconds (longer ones get the error "
        "`audio_too_long`)."))  # feedback stops being useful beyond ten minutes
    max_text_words: int = Field(2000, gt=0, description=(
        "Most words a target text may have (more: `text_too_long`)."))  # 10 min at 200 wpm
    max_text_chars: int = Field(20000, gt=0, description=(
        "Most characters a target text may have (more: `text_too_long`)."))
    item_timeout: float = Field(120.0, ge=0, description=(
        "Seconds one batch or API item may take before it fails with `timeout` (0: no "
        "limit)."))


class Settings(ModelSettings, TutorSettings, StorageSettings, ServiceSettings):
    """What the app, CLI and API are configured to use: every group, flat, plus the limits."""

    model_config = SettingsConfigDict(title="Settings")

    limits: Limits = Field(default_factory=Limits, description="The input limits group.")

    @property
    def api_models_dir(self) -> Path:
        """The only folder whose model folders the API may load by name."""
        return self.models_dir or self.data_dir / "models"


GROUPS: tuple[type[Group], ...] = (ModelSettings, TutorSettings, StorageSettings,
                                   ServiceSettings, Limits)


def variable_of(field_name: str, group: type[Group]) -> str | None:
    """The one environment variable that sets ``field_name`` (None: derived, or a group)."""
    field = group.model_fields[field_name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    annotation = field.annotation
    if "variable" in extra or (isinstance(annotation, type) and issubclass(annotation, Group)):
        return None
    alias = field.validation_alias
    return alias if isinstance(alias, str) else PREFIX + field_name.upper()
