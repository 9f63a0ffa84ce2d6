"""Quantization-aware fine-tuning: train the layers the app will run in int8 as int8.

The app runs the recognizer with PyTorch's dynamic int8 (``quantize_int8``). Whisper
base's fine-tuned layers lose 0.6 points of dev PER to it, and nearly all of that is
in their ``fc2`` projections, whose inputs carry a few channels 15–40× larger than the
rest: one scale per tensor leaves the other channels a handful of levels (measured in
the recognizer's model card). Training against the same rounding lets the layers
learn weights and activations that survive it.

``fake_quantize`` hooks every ``nn.Linear`` of the given modules (but the output
layer, which the app keeps in float32) so that its forward computes what the int8
kernel computes — the FBGEMM dynamic scheme:

- the input, per tensor and per call, to 7-bit unsigned integers over [min, max]
  (FBGEMM's ``reduce_range``: 0…127, with zero exactly representable);
- the weight, per output row, to symmetric signed 8-bit integers (scale = |w|max/127.5);

with straight-through gradients (``torch.fake_quantize_*``). The model's weights stay
float32, so checkpoints, export and the app are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from accent_coach.speech.quantization import KEEP_FLOAT

INPUT_LEVELS = 127  # FBGEMM dynamic linear: reduce_range=True


def fake_quant_input(x: torch.Tensor) -> torch.Tensor:
    lo = min(float(x.detach().min()), 0.0)
    hi = max(float(x.detach().max()), 0.0)
    scale = (hi - lo) / INPUT_LEVELS or 0.1
    zero_point = int(min(max(round(-lo / scale), 0), INPUT_LEVELS))
    return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, 0, INPUT_LEVELS)


def fake_quant_weight(w: torch.Tensor) -> torch.Tensor:
    scale = (w.detach().abs().amax(dim=1) / 127.5).clamp(min=1e-8).float()
    zero = torch.zeros(w.shape[0], dtype=torch.int32, device=w.device)
    return torch.fake_quantize_per_channel_affine(w, scale, zero, 0, -128, 127)


def _forward(self: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    return nn.functional.linear(fake_quant_input(x), fake_quant_weight(self.weight), self.bias)


def fake_quantize(modules: Iterable[nn.Module]) -> list[str]:
    """Make every linear layer in ``modules`` compute in simulated int8; returns their
    names (relative to each module) for the log."""
    names = []
    for module in modules:
        for name, layer in module.named_modules():
            if isinstance(layer, nn.Linear) and name.split(".")[-1] not in KEEP_FLOAT:
                layer.forward = _forward.__get__(layer, nn.Linear)
                names.append(name)
    return names


def trained_modules(model) -> list[nn.Module]:
    """The parts a run trains and the app quantizes: the unfrozen encoder layers and the
    head's blocks (the frozen layers' int8 cost is nil, measured in the model card)."""
    return [layer for layer in model.layers if any(p.requires_grad for p in layer.parameters())
            ] + list(model.head)
