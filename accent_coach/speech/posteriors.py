"""Run a loaded CTC recognizer on audio → frame log-posteriors, in bounded memory.

Long recordings are cut into windows of CHUNK_SECONDS with OVERLAP_SECONDS of
context on each side; only each window's central frames are kept, so memory and
per-window cost stay flat whatever the length, and frames near a cut still see
context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accent_coach.speech import SAMPLE_RATE

CHUNK_SECONDS = 20.0
OVERLAP_SECONDS = 1.0


@dataclass
class Posteriors:
    """Frame log-posteriors of one recording and what is needed to read them."""

    logp: np.ndarray  # [T, V] float32, log-softmax over the vocabulary
    frame_seconds: float
    vocab: list[str]
    blank_id: int
    output_kind: str  # "ipa" | "arpabet" | "chars"
    # [T, D] the model's last hidden states per frame, when asked for (the learned scorer)
    states: np.ndarray | None = None

    def frame_time(self, frame: int) -> float:
        return round(frame * self.frame_seconds, 3)


def _run(loaded: Any, wav: np.ndarray, states: bool = False) -> tuple[np.ndarray, Any]:
    import torch

    inputs = loaded.processor(wav, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    feeds = {}
    for k, v in inputs.items():
        if hasattr(v, "to"):
            v = v.to(loaded.device)
            if v.is_floating_point() and getattr(loaded, "dtype", None) is not None:
                v = v.to(loaded.dtype)
            feeds[k] = v
    with torch.inference_mode():
        out = loaded.model(**feeds, output_hidden_states=True) if states else loaded.model(**feeds)
        logits = out.logits[0].float()
        hidden = out.hidden_states[-1][0].float().cpu().numpy() if states else None
    return torch.log_softmax(logits, dim=-1).cpu().numpy(), hidden


def posteriors(
    loaded: Any,
    wav: np.ndarray,
    chunk_seconds: float = CHUNK_SECONDS,
    overlap_seconds: float = OVERLAP_SECONDS,
    states: bool = False,
) -> Posteriors:
    """Frame log-posteriors of a 16 kHz mono clip; long clips run window by window.
    ``states``: keep the model's last hidden states too (one vector per frame)."""
    n = len(wav)
    chunk = int(chunk_seconds * SAMPLE_RATE)
    if n <= chunk + 2 * int(overlap_seconds * SAMPLE_RATE):
        logp, hidden = _run(loaded, wav, states)
        frame_s = n / SAMPLE_RATE / max(1, logp.shape[0])
    else:
        logp, hidden, frame_s = _run_chunked(
            loaded, wav, chunk, int(overlap_seconds * SAMPLE_RATE), states
        )
    return Posteriors(
        logp=logp.astype(np.float32, copy=False),
        frame_seconds=frame_s,
        vocab=list(loaded.vocab),
        blank_id=int(loaded.blank_id),
        output_kind=str(loaded.output_kind),
        states=None if hidden is None else hidden.astype(np.float32, copy=False),
    )


def _run_chunked(
    loaded: Any, wav: np.ndarray, chunk: int, overlap: int, states: bool = False
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Windowed inference; frames are kept when their centre lies in the window's own part."""
    n = len(wav)
    parts: list[np.ndarray] = []
    hidden_parts: list[np.ndarray] = []
    frame_s = 0.0
    for own_start in range(0, n, chunk):
        own_end = min(n, own_start + chunk)
        lo, hi = max(0, own_start - overlap), min(n, own_end + overlap)
        logp, hidden = _run(loaded, wav[lo:hi], states)
        frame_s = (hi - lo) / SAMPLE_RATE / max(1, logp.shape[0])
        centres = lo / SAMPLE_RATE + (np.arange(logp.shape[0]) + 0.5) * frame_s
        keep = (centres >= own_start / SAMPLE_RATE) & (centres < own_end / SAMPLE_RATE)
        parts.append(logp[keep])
        if hidden is not None:
            hidden_parts.append(hidden[keep])
    logp = np.concatenate(parts)
    hidden_all = np.concatenate(hidden_parts) if hidden_parts else None
    return logp, hidden_all, n / SAMPLE_RATE / max(1, logp.shape[0])
