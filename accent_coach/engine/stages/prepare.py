"""Stage 1, prepare: validate the request and build what the take will be judged against.

Cheap checks first (accent, text) so bad input fails before any audio is decoded or
model touched; then the reference phones of the text and the decoded, checked clip.
"""

from __future__ import annotations

import os

import numpy as np

from accent_coach.accents import get_accent
from accent_coach.engine.audio import SAMPLE_RATE, load_audio
from accent_coach.engine.g2p import RefWord, reference
from accent_coach.engine.take import Prepared

AudioSource = np.ndarray | str | os.PathLike | bytes


def prepare(
    audio: AudioSource,
    text: str,
    accent: str = "us",
    sample_rate: int = SAMPLE_RATE,
    references: list[RefWord] | None = None,
) -> Prepared:
    """Raises TextError, AudioError or InputError (accent) — never anything else."""
    get_accent(accent)
    refs = references if references is not None else reference(text, accent)
    return Prepared(text=text, accent=accent, refs=refs, clip=load_audio(audio, sample_rate))
