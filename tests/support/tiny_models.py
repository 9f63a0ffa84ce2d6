"""Tiny but real Wav2Vec2 CTC checkpoints written to disk, for model-loading tests."""

from __future__ import annotations

import json
from pathlib import Path

IPA_VOCAB = ["<pad>", "<unk>", "|", "ə", "ɪ", "θ", "tʃ", "s", "t", "k", "æ", "ð"]
CHAR_VOCAB = ["<pad>", "<unk>", "|", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"]


def build_tiny_ctc(
    folder: Path, vocab: list[str] = IPA_VOCAB, seed: int = 0, base_sized: bool = False
) -> Path:
    """Save a 1-layer, hidden-size-16 Wav2Vec2ForCTC with its processor to ``folder``.

    ``base_sized`` gives wav2vec2-base dimensions (95 M parameters, random weights)
    instead, for benchmarks that need realistic load times.
    """
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.json"
    vocab_file.write_text(json.dumps({t: i for i, t in enumerate(vocab)}), encoding="utf-8")
    tokenizer = Wav2Vec2CTCTokenizer(
        str(vocab_file), pad_token="<pad>", unk_token="<unk>", word_delimiter_token="|"
    )
    extractor = Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True
    )
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    torch.manual_seed(seed)
    tiny = dict(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    config = Wav2Vec2Config(
        vocab_size=len(vocab), pad_token_id=0, **({} if base_sized else tiny)
    )
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    return folder


def build_tiny_scorer(folder: Path, recognizer_sha: str = "", vocab: int = 12):
    """Save a 1-layer, width-16 learned scorer (random weights) bound to the recognizer
    whose weights hash to ``recognizer_sha``; returns the model."""
    import torch

    from accent_coach.speech.scorer import ExpertScorer, ScorerConfig, save_scorer

    config = ScorerConfig(phone_dim=7, utterance_dim=5, vocab_size=vocab,
                          features_version="test", d_model=16, heads=2, layers=1, ffn=32,
                          recognizer_sha256=recognizer_sha,
                          flags={"phone_below": 60.0, "word_below": 55.0,
                                 "stress_below": None})
    torch.manual_seed(0)
    model = ExpertScorer(config).eval()
    save_scorer(model, folder)
    return model
