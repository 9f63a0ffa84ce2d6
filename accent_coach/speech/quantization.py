"""Dynamic int8 quantization of a recognizer's linear layers for CPU inference.

The embedded model spends most of its CPU time in ``nn.Linear`` (attention
projections and feed-forward layers). PyTorch's dynamic quantization stores their
weights as int8 and quantizes activations on the fly: no calibration data, no
retraining, and the measured cost on the dev speakers is in the model card.
The convolutional stem and the output layer stay in float32, so posteriors keep
their resolution.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

KEEP_FLOAT = ("lm_head",)  # output layer: its logits are the posteriors the scores read


def quantize_int8(model: Any, keep_float: Sequence[str] = ()) -> Any:
    """The model with its linear layers (but the output layer) in dynamic int8.

    ``keep_float``: more layers to leave in float32, as regular expressions matched
    against the whole module name (``layers\\.[0-3]\\.fc2``) — for measuring which
    layers int8 hurts (``training.evaluate --keep-float``).
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    def stays_float(name: str) -> bool:
        return name.split(".")[-1] in KEEP_FLOAT or any(re.fullmatch(p, name) for p in keep_float)

    names = {  # per output channel: one scale per row keeps small rows precise
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not stays_float(name)
    }
    with warnings.catch_warnings():  # torch marks the eager API as deprecated, not removed
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, names, dtype=torch.qint8, inplace=False)


def is_quantized(model: Any) -> bool:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return any(isinstance(m, DynamicLinear) for m in model.modules())


def weight_tensors(model: Any) -> list[Any]:
    """Parameters, buffers and the packed int8 weights, which ``parameters()`` misses."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    tensors = [*model.parameters(), *model.buffers()]
    for m in model.modules():
        if isinstance(m, DynamicLinear):
            weight, bias = m._weight_bias()
            tensors += [weight] + ([bias] if bias is not None else [])
    return tensors
