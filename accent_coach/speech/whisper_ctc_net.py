"""The embedded recognizer's network in plain torch: Whisper's encoder, a learned mix of
its layers and a small transformer head with a CTC output over phones.

Kept free of transformers so a one-shot ``accent-coach assess`` can build the model
from its safetensors without importing transformers (seconds of a 2-core machine's
time: its lazy module tables and ``modeling_utils``). :mod:`.whisper_ctc` wraps the
same layers in a ``PreTrainedModel`` for training and the Auto classes; both have the
same parameter names, so either reads the other's checkpoint. :func:`load_light`
builds the model, its feature extractor and its vocabulary from an exported folder.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MODEL_TYPE = "accent-coach-whisper-ctc"
_MAX_MEL_FRAMES = 3000  # Whisper's 30 s window, in 10 ms mel frames
DEFAULTS: dict[str, Any] = {  # WhisperCTCConfig's defaults
    "vocab_size": 52, "num_mel_bins": 80, "d_model": 384, "encoder_layers": 4,
    "encoder_attention_heads": 6, "encoder_ffn_dim": 1536, "max_source_positions": 1500,
    "head_layers": 2, "head_attention_heads": 6, "head_ffn_dim": 1024, "head_dropout": 0.1,
    "pad_token_id": 0, "ctc_loss_reduction": "mean", "ctc_zero_infinity": True,
}


class _SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, key_padding: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        mask = None if key_padding is None else key_padding[:, None, None, :]
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class _Block(nn.Module):
    """Pre-norm transformer block, the layout of Whisper's encoder layers."""

    def __init__(self, dim: int, heads: int, ffn: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = _SelfAttention(dim, heads, dropout)
        self.ffn_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, ffn)
        self.fc2 = nn.Linear(ffn, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_padding: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop(self.attn(self.attn_norm(x), key_padding))
        return x + self.drop(self.fc2(self.drop(F.gelu(self.fc1(self.ffn_norm(x))))))


class WhisperStem(nn.Module):
    """Whisper's convolutional front end and sinusoidal positions (50 frames/s)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(config.num_mel_bins, config.d_model, 3, padding=1)
        self.conv2 = nn.Conv1d(config.d_model, config.d_model, 3, stride=2, padding=1)
        self.embed_positions = nn.Parameter(
            torch.zeros(config.max_source_positions, config.d_model), requires_grad=False
        )

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel)))).transpose(1, 2)
        return x + self.embed_positions[: x.shape[1]]


@dataclass
class EncoderStates:
    """Every layer's output: the CTC head reads a learned mix of them."""

    states: list[torch.Tensor]
    key_padding: torch.Tensor | None


class WhisperCTCLayers:
    """The network's layers and computations, shared by the transformers model
    (:class:`accent_coach.speech.whisper_ctc.WhisperCTCForCTC`) and :class:`WhisperCTCNet`.
    A mixin: the class it is mixed into is the ``nn.Module``."""

    config: Any

    def _build_layers(self, config: Any) -> None:
        d = config.d_model
        self.stem = WhisperStem(config)
        self.layers = nn.ModuleList(
            _Block(d, config.encoder_attention_heads, config.encoder_ffn_dim)
            for _ in range(config.encoder_layers)
        )
        self.layer_norm = nn.LayerNorm(d)
        self.layer_weights = nn.Parameter(torch.zeros(config.encoder_layers + 1))
        self.head = nn.ModuleList(
            _Block(d, config.head_attention_heads, config.head_ffn_dim, config.head_dropout)
            for _ in range(config.head_layers)
        )
        self.head_norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, config.vocab_size)

    # --- encoder -------------------------------------------------------------------
    def encode(self, mel: torch.Tensor, upto: int | None = None) -> list[torch.Tensor]:
        """States after the stem and after each encoder layer (the last one normed)."""
        x = self.stem(mel)
        states = [x]
        n = self.config.encoder_layers if upto is None else upto
        for layer in self.layers[:n]:
            x = layer(x)
            states.append(x)
        if n == self.config.encoder_layers:
            states[-1] = self.layer_norm(x)
        return states

    def continue_encoding(self, states: list[torch.Tensor], key_padding=None) -> list[torch.Tensor]:
        """Run the remaining encoder layers on precomputed lower states (training)."""
        states = list(states)
        if len(states) > len(self.layers):  # a fully frozen encoder: stored states end
            return states  # with the normed top layer already (see encode)
        x = states[-1]
        for layer in self.layers[len(states) - 1 :]:
            x = layer(x, key_padding)
            states.append(x)
        states[-1] = self.layer_norm(x)
        return states

    # --- head ----------------------------------------------------------------------
    def mixed_states(self, states: list[torch.Tensor]) -> torch.Tensor:
        """The learned mix of every layer's (normalised) output: what the head reads."""
        weights = torch.softmax(self.layer_weights, dim=0)
        return sum(w * F.layer_norm(s, s.shape[-1:]) for w, s in zip(weights, states))

    def head_logits(self, states: list[torch.Tensor], key_padding=None) -> torch.Tensor:
        return self._head(self.mixed_states(states), key_padding)

    def _head(self, x: torch.Tensor, key_padding=None) -> torch.Tensor:
        for block in self.head:
            x = block(x, key_padding)
        return self.lm_head(self.head_norm(x))

    def _outputs(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, mixed encoder states), window by window beyond 30 s."""
        logits, mixes = [], []
        for window in torch.split(mel, _MAX_MEL_FRAMES, dim=-1):
            mix = self.mixed_states(self.encode(window))
            logits.append(self._head(mix))
            mixes.append(mix)
        return torch.cat(logits, dim=1), torch.cat(mixes, dim=1)

    def _forward_outputs(
        self, input_features: torch.Tensor, attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None, hidden: bool = False,
    ) -> tuple[torch.Tensor | None, torch.Tensor, tuple[torch.Tensor, ...] | None]:
        """(loss, logits, hidden states) of :meth:`forward` in both wrappers."""
        mel = input_features.to(self.stem.conv1.weight.dtype)  # int8 leaves it float
        logits, mix = self._outputs(mel)
        loss = None
        if labels is not None:
            loss = self.ctc_loss(logits, labels, attention_mask)
        return loss, logits, ((mix,) if hidden else None)

    def output_lengths(self, mel_lengths: torch.Tensor) -> torch.Tensor:
        return (mel_lengths - 1) // 2 + 1

    def ctc_loss(self, logits, labels, attention_mask=None) -> torch.Tensor:
        b, t, _ = logits.shape
        if attention_mask is None:
            frames = torch.full((b,), t, dtype=torch.long)
        else:
            frames = self.output_lengths(attention_mask.sum(-1)).clamp(max=t)
        mask = labels >= 0
        targets = labels.masked_select(mask)
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)
        return F.ctc_loss(
            log_probs,
            targets,
            frames,
            mask.sum(-1),
            blank=self.config.pad_token_id,
            reduction=self.config.ctc_loss_reduction,
            zero_infinity=self.config.ctc_zero_infinity,
        )



@dataclass
class NetOutput:
    """What ``forward`` returns: the fields of transformers' ``CausalLMOutput`` used here."""

    loss: torch.Tensor | None
    logits: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None = None


class WhisperCTCNet(WhisperCTCLayers, nn.Module):
    """The recognizer as a plain ``nn.Module`` (inference; training uses the
    transformers wrapper)."""

    def __init__(self, config: Any) -> None:
        nn.Module.__init__(self)
        self.config = config
        self._build_layers(config)

    def forward(self, input_features: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **kwargs: Any) -> NetOutput:
        return NetOutput(*self._forward_outputs(input_features, attention_mask, labels,
                                       bool(kwargs.get("output_hidden_states"))))


def sinusoids(length: int, channels: int, max_timescale: float = 10000.0) -> torch.Tensor:
    """Whisper's fixed positional embedding."""
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


def frame_seconds() -> float:
    """Duration of one output frame: 2 × 10 ms mel hop."""
    return 0.02


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    freq = np.asarray(freq, dtype=np.float64)
    mels = 3.0 * freq / 200.0
    logstep = 27.0 / np.log(6.4)
    above = freq >= 1000.0
    return np.where(above, 15.0 + np.log(np.maximum(freq, 1e-10) / 1000.0) * logstep, mels)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    freq = 200.0 * mels / 3.0
    logstep = np.log(6.4) / 27.0
    above = mels >= 15.0
    return np.where(above, 1000.0 * np.exp(logstep * (mels - 15.0)), freq)


def mel_filters(n_fft: int = 400, n_mels: int = 80, sampling_rate: int = 16000) -> np.ndarray:
    """[n_fft/2 + 1, n_mels] Slaney-normalised triangular filters on the Slaney mel scale,
    0–8 kHz: the filters of Whisper's feature extractor."""
    mel_freqs = np.linspace(_hz_to_mel(0.0), _hz_to_mel(8000.0), n_mels + 2)
    filter_freqs = _mel_to_hz(mel_freqs)
    fft_freqs = np.linspace(0, sampling_rate // 2, 1 + n_fft // 2)
    filter_diff = np.diff(filter_freqs)
    slopes = np.expand_dims(filter_freqs, 0) - np.expand_dims(fft_freqs, 1)
    down = -slopes[:, :-2] / filter_diff[:-1]
    up = slopes[:, 2:] / filter_diff[1:]
    filters = np.maximum(np.zeros(1), np.minimum(down, up))
    enorm = 2.0 / (filter_freqs[2 : n_mels + 2] - filter_freqs[:n_mels])
    return filters * np.expand_dims(enorm, 0)


class Features(dict):
    """Model inputs by name, also as attributes (like transformers' ``BatchFeature``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class LogMel:
    """Whisper's log-mel features of one clip at its own length (no 30 s padding): the
    torch path of ``WhisperFeatureExtractor`` as ``WhisperCTCFeatureExtractor`` calls it,
    with its attention mask."""

    def __init__(self, n_fft: int = 400, hop_length: int = 160, feature_size: int = 80,
                 sampling_rate: int = 16000) -> None:
        self.n_fft, self.hop_length, self.sampling_rate = n_fft, hop_length, sampling_rate
        self.filters = torch.from_numpy(mel_filters(n_fft, feature_size, sampling_rate)).float()

    def __call__(self, audio: np.ndarray, sampling_rate: int | None = None,
                 return_tensors: str | None = "pt", **_: Any) -> Features:
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ValueError(f"Features need {self.sampling_rate} Hz audio, not {sampling_rate}.")
        wave = torch.from_numpy(np.asarray(audio, dtype=np.float32)).reshape(1, -1)
        window = torch.hann_window(self.n_fft)
        stft = torch.stft(wave, self.n_fft, self.hop_length, window=window, return_complex=True)
        power = (stft[..., :-1].abs() ** 2).contiguous()
        log_spec = torch.clamp(self.filters.T @ power, min=1e-10).log10()
        top = log_spec.max(dim=2, keepdim=True)[0].max(dim=1, keepdim=True)[0]
        log_spec = (torch.maximum(log_spec, top - 8.0) + 4.0) / 4.0
        mask = torch.ones(1, wave.shape[1], dtype=torch.int32)[:, :: self.hop_length]
        if wave.shape[1] % self.hop_length:
            mask = mask[:, :-1]
        return Features(input_features=log_spec, attention_mask=mask)


@dataclass
class LightProcessor:
    """The processor's two jobs without transformers: features (call) and the vocabulary."""

    feature_extractor: LogMel
    tokens: list[str]
    pad_token_id: int

    def __call__(self, audio: np.ndarray, **kwargs: Any) -> Features:
        return self.feature_extractor(audio, **kwargs)


def is_light_loadable(folder: str | Path) -> bool:
    """Whether ``folder`` holds a model of this architecture, exported with safetensors."""
    folder = Path(folder)
    try:
        config = json.loads((folder / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return config.get("model_type") == MODEL_TYPE and (folder / "model.safetensors").is_file()


def load_light(folder: str | Path) -> tuple[WhisperCTCNet, LightProcessor]:
    """The model (eval mode, weights as stored) and its processor from an exported folder.

    The network is built on the meta device and takes the stored tensors as they are
    (``assign=True``): no random initialisation to throw away, no copy.
    """
    from safetensors.torch import load_file

    folder = Path(folder)
    raw = json.loads((folder / "config.json").read_text("utf-8"))
    config = SimpleNamespace(**{**DEFAULTS, **{k: raw[k] for k in DEFAULTS if k in raw}})
    with torch.device("meta"):
        model = WhisperCTCNet(config)
    model.load_state_dict(load_file(folder / "model.safetensors"), strict=True, assign=True)
    model.eval()
    fe = json.loads((folder / "processor_config.json").read_text("utf-8")).get(
        "feature_extractor", {})
    vocab = json.loads((folder / "vocab.json").read_text("utf-8"))
    tokens = [""] * config.vocab_size
    for token, index in vocab.items():
        if 0 <= index < len(tokens):
            tokens[index] = token
    pad = json.loads((folder / "tokenizer_config.json").read_text("utf-8")).get(
        "pad_token", "<pad>")
    extractor = LogMel(fe.get("n_fft", 400), fe.get("hop_length", 160),
                       fe.get("feature_size", config.num_mel_bins),
                       fe.get("sampling_rate", 16000))
    return model, LightProcessor(extractor, tokens, vocab.get(pad, config.pad_token_id))
