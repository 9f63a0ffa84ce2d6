"""Does a trained run lean on the zeroed time masks? Dev PER with and without them.

``training.train`` masks 1–3 frames per ``--mask-every`` frames of the stored states by
zeroing them. A CTC head on a *fully frozen* encoder learned to use those constant
frames (attention sinks, as far as we can tell) and output blanks without them: its dev
PER from stored states falls sharply when the same masks are applied at evaluation. A
healthy run gets slightly worse with them.

    python -m training.mask_check --run runs/tiny_frozen
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from training import train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--checkpoint", default="last.pt")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck = torch.load(args.run / args.checkpoint, weights_only=False, map_location="cpu")
    a, vocab_list = ck["args"], ck["vocab"]
    sets = train.load_sets(Path(a["features"]), ["clean"])
    sets["clean"]["states"] = [s[: a["upto"] + 1] for s in sets["clean"]["states"]]
    dev = train.split_sets(sets, train.held_out_speakers(sets, a["holdout"], Path(a["data"])))
    model = train.new_model(vocab_list, a["upto"], a["head_dropout"], a["encoder"])
    model.load_state_dict(ck["model"])
    vocab = {p: i for i, p in enumerate(vocab_list)}
    every = a["mask_every"] or 60
    bare, masked = (train.evaluate(model, dev, vocab, m) for m in (0, every))
    print(f"{args.run / args.checkpoint}: dev PER without masks {100 * bare:.1f} %, "
          f"with training's masks (one per {every} frames) {100 * masked:.1f} %")


if __name__ == "__main__":
    main()
