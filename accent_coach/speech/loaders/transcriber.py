"""Loading a speech-to-text transcriber (faster-whisper) for the model manager.

Why so small: where Whisper's weights are and how ``WhisperModel`` is built live with
transcription in :mod:`accent_coach.speech.transcriber`; this module only gives that
loader the shape every kind's loader has (prepare, then load on a device), so the
manager loads, leases and unloads transcribers like any other kind.
"""

from __future__ import annotations

from typing import Any

from accent_coach.speech.registry import ModelSpec
from accent_coach.speech.transcriber import LoadedTranscriber, load_transcriber


def prepare(spec: ModelSpec) -> dict[str, Any]:
    """Nothing to check beforehand: where the weights are is found while loading."""
    return {}


def load(
    spec: ModelSpec, device: str, dtype: str = "float32", options: dict[str, Any] | None = None
) -> LoadedTranscriber:
    """One ``WhisperModel`` for ``spec`` (int8 on CPU, float16 on CUDA; ``dtype`` unused)."""
    return load_transcriber(spec, device)
