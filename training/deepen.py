"""Add the remaining frozen encoder layers to stored states (``--upto 2`` → 4).

Lets a run with a fully frozen encoder reuse states extracted for partial fine-tuning
without decoding and augmenting the audio again.

    python -m training.deepen --features work_data --out work_data_frozen
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from training.extract import frozen_encoder


@torch.no_grad()
def deepen(states: torch.Tensor, model) -> torch.Tensor:
    x = states[-1][None].float()
    extra = []
    for layer in model.layers[states.shape[0] - 1 :]:
        x = layer(x)
        extra.append(x[0].half())
    return torch.cat([states, torch.stack(extra)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--features", type=Path, default=Path("work_data"))
    ap.add_argument("--out", type=Path, default=Path("work_data_frozen"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = frozen_encoder(4)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.features.glob("*.pt")):
        if (args.out / path.name).exists():
            continue
        d = torch.load(path, weights_only=False)
        d["states"] = [deepen(s, model) for s in d["states"]]
        torch.save(d, args.out / path.name)
        print(f"{path.name}: {len(d['states'])} clips", flush=True)


if __name__ == "__main__":
    main()
