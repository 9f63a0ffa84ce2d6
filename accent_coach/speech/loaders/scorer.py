"""Loading a learned scorer, and telling which recognizer it belongs to.

Why a module of its own: a scorer is a model kind like the recognizer (loaded once,
cached, leased, unloadable), but its loading is different — a tiny safetensors folder
read on the CPU — and it comes with a rule of its own: it may only read the outputs of
the recognizer it was trained on, named in its ``config.json`` by the checksum of that
recognizer's weights. Both checksums are computed once per folder and process.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from accent_coach.speech.registry import ModelLoadError, ModelSpec
from accent_coach.speech.scorer import LoadedScorer, ScorerConfig, file_sha256, load_scorer


def prepare(spec: ModelSpec) -> dict[str, Any]:
    """Cheap check before a load: the folder has the scorer's config.json."""
    folder = Path(spec.path_or_id)
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"Folder '{folder}' has no config.json, so it is not a model.")
    return {}


def load(
    spec: ModelSpec, device: str, dtype: str = "float32", options: dict[str, Any] | None = None
) -> LoadedScorer:
    """A learned scorer folder (safetensors + config.json); tiny, so always on the CPU."""
    try:
        return load_scorer(Path(spec.path_or_id), name=spec.name)
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"Could not read scorer '{spec.name}': {exc}") from exc


@functools.cache
def trained_on_sha256(folder: str) -> str:
    """The checksum of the recognizer a scorer folder was trained on ("" if none)."""
    try:
        return ScorerConfig.read(Path(folder)).recognizer_sha256
    except (OSError, ValueError, TypeError):
        return ""


@functools.cache
def weights_sha256(folder: str) -> str:
    """Checksum of a recognizer folder's weights (once per folder and process)."""
    path = Path(folder) / "model.safetensors" if folder else None
    return file_sha256(path) if path is not None and path.is_file() else ""


def belongs_to(spec: ModelSpec, recognizer: Any) -> bool:
    """Whether the scorer ``spec`` was trained on ``recognizer``'s outputs."""
    wanted = trained_on_sha256(spec.path_or_id)
    return bool(wanted) and weights_sha256(getattr(recognizer, "path_or_id", "")) == wanted
