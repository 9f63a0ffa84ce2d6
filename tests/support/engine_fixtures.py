"""Shared helpers for the engine tests: a tiny random CTC model and the real one."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accent_coach.speech.registry import EMBEDDED_MODEL_DIR

REPO = Path(__file__).resolve().parents[2]
EMBEDDED = EMBEDDED_MODEL_DIR
DATA = REPO.parent / "shared" / "data" / "speechocean762-train"
if str(REPO) not in sys.path:  # benchmarks/ is imported by the data tests
    sys.path.insert(0, str(REPO))


@dataclass
class FakeLoaded:
    """Stands in for speech.loaders.recognizer.LoadedModel (same fields the engine reads)."""

    name: str
    processor: Any
    model: Any
    device: str
    dtype: Any
    output_kind: str
    vocab: list[str]
    blank_id: int
    load_seconds: float = 0.0


@functools.cache
def tiny_random_model(output_kind: str = "ipa") -> FakeLoaded:
    """A randomly initialised 2-layer Wav2Vec2ForCTC: plumbing tests, not quality."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    from accent_coach.engine.g2p import text_to_phones

    if output_kind == "chars":
        vocab = ["<pad>", "<unk>", "|", *"abcdefghijklmnopqrstuvwxyz'"]
    elif output_kind == "arpabet":
        from accent_coach.engine.g2p import ARPABET_TO_IPA

        vocab = ["<pad>", "<unk>", *sorted(ARPABET_TO_IPA)]
    else:
        sample = "the quick brown fox jumps over the lazy dog think sheep ship water"
        vocab = ["<pad>", "<unk>", *sorted(set(text_to_phones(sample)))]
    torch.manual_seed(0)
    cfg = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, conv_dim=(32, 32), conv_stride=(5, 64), conv_kernel=(10, 64),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0,
    )
    model = Wav2Vec2ForCTC(cfg).eval()
    proc = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                    do_normalize=True, return_attention_mask=True)
    return FakeLoaded("tiny-random", proc, model, "cpu", None, output_kind, vocab, 0)


@functools.cache
def embedded_model() -> Any:
    """The real embedded recognizer exactly as the app runs it on a CPU (int8), loaded
    once for the test process and private to it: whatever another test selects in the
    process-wide model manager, quality tests score with this model."""
    from accent_coach.speech.loaders.recognizer import load_checkpoint
    from accent_coach.speech.registry import embedded_spec

    return load_checkpoint(embedded_spec(), "cpu", "auto")


def speech(text: str, voice: str = "us", rate: int = 150) -> np.ndarray:
    """espeak-ng speech of ``text`` at 16 kHz."""
    from accent_coach.engine.audio import resample
    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(text, voice=voice, rate_wpm=rate)
    return resample(wav, sr)


# --- the real embedded model through the manager, and one spoken sentence --------------

ROOT = REPO
FOX = "The quick brown fox jumps over the lazy dog"
needs_embedded = pytest.mark.skipif(not (EMBEDDED / "config.json").is_file(),
                                    reason="embedded model not installed")


def managed_embedded_model() -> Any:
    """The real embedded recognizer by name, loaded once by the process-wide model
    manager — the path the app, the CLI and a child process take, which the
    determinism tests compare against (other tests may have switched the manager's
    selection, so it is asked for by name)."""
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.registry import EMBEDDED as EMBEDDED_NAME

    return get_manager().load_model(EMBEDDED_NAME)


@pytest.fixture(scope="module")
def fox_clip() -> np.ndarray:
    """espeak-ng reading FOX (import the fixture into a test module to use it)."""
    return speech(FOX)
