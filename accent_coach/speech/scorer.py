"""The learned scorer: what five experts would say, from a recognizer's measurements.

A small transformer in the style of GOPT (Gong et al., ICASSP 2022) over one token per
expected sound — its measurements (``engine.stages.featurize``: GOP margins over the
inventory, posteriors, duration, what was heard, place in the word, stress) projected
and added to an embedding of the sound — plus one token for the take (timing, pauses,
pitch and energy, the hand-set scores). It predicts, on speechocean762's rubric:

* each sound 0–2 (2 correct, 1 heavily accented, 0 wrong or missing),
* each word's accuracy 0–10, stress (5 wrong / 10 right) and total 0–10 (from the mean
  of its sounds' states),
* the take's accuracy, fluency, prosody and total 0–10 (from the take's token and the
  mean of all sounds' states).

A scorer belongs to one recognizer: its inputs only mean what they meant in training
when they come from that recognizer (``config.json`` names it by the checksum of its
weights). It ships inside the package (``models/expert-scorer``), is loaded once by the
model manager (kind ``scorer``), and runs in about a millisecond per take on a CPU.
The recipe is ``training/scorer.py``; the model card is next to the weights.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

SCORER_DIR = Path(__file__).parent / "models" / "expert-scorer"
UTTERANCE_ASPECTS = ("accuracy", "fluency", "prosodic", "total")
WORD_ASPECTS = ("word_accuracy", "word_stress", "word_total")


@dataclass
class ScorerConfig:
    phone_dim: int
    utterance_dim: int
    vocab_size: int
    features_version: str
    d_model: int = 64
    heads: int = 4
    layers: int = 3
    ffn: int = 128
    dropout: float = 0.1
    state_dim: int = 0  # > 0: also reads the recognizer's hidden states pooled per sound
    recognizer_sha256: str = ""  # of the recognizer's model.safetensors the scorer read
    recognizer: str = ""  # its name, for people
    flags: dict[str, float | None] = field(default_factory=dict)  # operating points

    @classmethod
    def read(cls, folder: Path) -> ScorerConfig:
        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})


class ExpertScorer(nn.Module):
    """Phone tokens + one take token → a 3-layer transformer → the experts' aspects."""

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.register_buffer("phone_mean", torch.zeros(config.phone_dim))
        self.register_buffer("phone_std", torch.ones(config.phone_dim))
        self.register_buffer("utt_mean", torch.zeros(config.utterance_dim))
        self.register_buffer("utt_std", torch.ones(config.utterance_dim))
        self.phone_in = nn.Linear(config.phone_dim + 1, d)  # + relative position
        if config.state_dim:
            self.register_buffer("state_mean", torch.zeros(config.state_dim))
            self.register_buffer("state_std", torch.ones(config.state_dim))
            self.state_in = nn.Sequential(nn.Dropout(config.dropout),
                                          nn.Linear(config.state_dim, d))
        self.sound = nn.Embedding(config.vocab_size, d)
        self.take_in = nn.Linear(config.utterance_dim, d)
        layer = nn.TransformerEncoderLayer(
            d, config.heads, config.ffn, config.dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.phone_out = nn.Linear(d, 1)
        self.word_out = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 3))
        self.take_out = nn.Sequential(nn.Linear(2 * d, d), nn.GELU(), nn.Linear(d, 4))

    def forward(
        self,
        phone: torch.Tensor,  # [B, N, F]
        ids: torch.Tensor,  # [B, N]
        mask: torch.Tensor,  # [B, N] True where a sound is
        utterance: torch.Tensor,  # [B, U]
        word_of: torch.Tensor,  # [B, N] word index (0…W-1), -1 on padding
        n_words: int,
        states: torch.Tensor | None = None,  # [B, N, S] pooled recognizer states
    ) -> dict[str, torch.Tensor]:
        b, n, _ = phone.shape
        x = (phone - self.phone_mean) / self.phone_std
        count = mask.sum(1, keepdim=True).clamp(min=1)
        rel = torch.arange(n, device=phone.device)[None, :].float() / (count - 1).clamp(min=1)
        x = torch.cat([x, rel[..., None]], dim=-1)
        tokens = self.phone_in(x) + self.sound(ids.clamp(min=0))
        if self.config.state_dim:
            if states is None:
                raise ValueError("this scorer reads the recognizer's states; none given")
            tokens = tokens + self.state_in((states - self.state_mean) / self.state_std)
        take = self.take_in((utterance - self.utt_mean) / self.utt_std)[:, None]
        seq = torch.cat([take, tokens], dim=1)
        pad = torch.cat([torch.zeros(b, 1, dtype=torch.bool, device=mask.device), ~mask], 1)
        h = self.norm(self.encoder(seq, src_key_padding_mask=pad))
        take_h, phones_h = h[:, 0], h[:, 1:] * mask[..., None]
        pooled = phones_h.sum(1) / count
        # per word: mean of its sounds' states
        onehot = torch.nn.functional.one_hot(word_of.clamp(min=0), n_words).float()
        onehot = onehot * mask[..., None]
        word_h = onehot.transpose(1, 2) @ phones_h / onehot.sum(1)[..., None].clamp(min=1)
        take_y = self.take_out(torch.cat([take_h, pooled], dim=-1))
        word_y = self.word_out(word_h)
        return {
            "phone": 2 * torch.sigmoid(self.phone_out(phones_h).squeeze(-1)),
            "word_accuracy": 10 * torch.sigmoid(word_y[..., 0]),
            "word_stress": 5 + 5 * torch.sigmoid(word_y[..., 1]),
            "word_total": 10 * torch.sigmoid(word_y[..., 2]),
            **{k: 10 * torch.sigmoid(take_y[:, i]) for i, k in enumerate(UTTERANCE_ASPECTS)},
        }


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class LoadedScorer:
    """A scorer ready for the engine's score stage (see engine.stages.score)."""

    name: str
    folder: Path
    model: ExpertScorer
    config: ScorerConfig
    load_seconds: float = 0.0
    kind: str = "scorer"
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)
    weights_dtype: str = "float32"

    @property
    def path_or_id(self) -> str:
        return str(self.folder)

    @property
    def flags(self) -> dict[str, Any]:
        """Operating points (phone_below, word_below, stress_below), tuned in training."""
        return dict(self.config.flags)

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def memory_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.model.state_dict().values())

    def predict(
        self, phone: np.ndarray, ids: np.ndarray, word_of: np.ndarray, utterance: np.ndarray,
        n_words: int, states: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """One take's predictions as numpy: phone [N], word_* [n_words], utterance floats."""
        n = len(ids)
        if n == 0:
            zeros = np.zeros(n_words)
            return {"phone": np.zeros(0), **{k: zeros for k in WORD_ASPECTS},
                    **{k: 0.0 for k in UTTERANCE_ASPECTS}}
        with torch.inference_mode():
            out = self.model(
                torch.from_numpy(np.asarray(phone, dtype=np.float32))[None],
                torch.from_numpy(np.asarray(ids, dtype=np.int64))[None],
                torch.ones(1, n, dtype=torch.bool),
                torch.from_numpy(np.asarray(utterance, dtype=np.float32))[None],
                torch.from_numpy(np.asarray(word_of, dtype=np.int64))[None],
                max(1, n_words),
                None if states is None else torch.from_numpy(
                    np.asarray(states, dtype=np.float32))[None],
            )
        result: dict[str, Any] = {"phone": out["phone"][0].numpy().astype(np.float64)}
        for k in WORD_ASPECTS:
            result[k] = out[k][0, :n_words].numpy().astype(np.float64)
        for k in UTTERANCE_ASPECTS:
            result[k] = float(out[k][0])
        return result


def save_scorer(model: ExpertScorer, folder: Path) -> None:
    """Weights (safetensors) and config.json: no pickle, nothing executable."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "scorer.safetensors"))
    (folder / "config.json").write_text(
        json.dumps(model.config.__dict__, indent=2, ensure_ascii=False), encoding="utf-8"
    )


def load_scorer(folder: Path, name: str | None = None) -> LoadedScorer:
    """Read a scorer folder (weights and config.json)."""
    from safetensors.torch import load_file

    t0 = time.perf_counter()
    config = ScorerConfig.read(folder)
    model = ExpertScorer(config)
    model.load_state_dict(load_file(str(folder / "scorer.safetensors")))
    model.eval()
    return LoadedScorer(name or folder.name, folder, model, config,
                        load_seconds=time.perf_counter() - t0)
