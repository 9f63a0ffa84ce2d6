"""The shipped recognizer recipe as one command: two training stages, then export.

The recipe is the model card's: one 12-epoch cosine schedule run in two stages
(epochs 1–5 with batches of ≤ 6,000 frames and 10 % channel dropout, epochs 6–8 with
batches of ≤ 3,500 frames), stopped after epoch 8. Runs holding out a cross-fitting
fold (``--holdout fold:K``) export their epoch-8 checkpoint (``last.pt``): choosing an
epoch on the held-out fold would let it leak into the model that scores it. Runs on
the usual dev split keep the best dev epoch, as the shipped model always did.

    python -m training.recipe --run runs/v3 --labels work_data/expert.pt
    python -m training.recipe --run runs/fold0 --holdout fold:0 --labels work_data/expert.pt

Each stage runs in its own process (``training.train`` resumes from ``last.pt``), so a
stopped recipe picks up where it was.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EPOCHS = "12"  # the cosine schedule's length; the recipe stops after epoch 8
STOP_AFTER = 8
STAGES = (
    ["--max-frames", "6000", "--channel-dropout", "0.1", "--warmup", "110", "--stop-after", "5"],
    ["--max-frames", "3500", "--stop-after", str(STOP_AFTER)],
)


def stage_commands(args: argparse.Namespace) -> list[list[str]]:
    common = [
        sys.executable, "-m", "training.train", "--features", str(args.features),
        "--run", str(args.run), "--epochs", EPOCHS, "--holdout", args.holdout,
        "--data", str(args.data), "--threads", str(args.threads),
    ]
    if args.labels:
        common += ["--labels", str(args.labels)]
        if args.use_weights:
            common.append("--use-weights")
    stages = list(STAGES)
    if args.qat_epochs:  # then in simulated int8 (training.qat), continuing the schedule
        stages.append(["--max-frames", "3500", "--qat",
                       "--stop-after", str(STOP_AFTER + args.qat_epochs)])
    return [common + list(stage) + list(args.extra) for stage in stages]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--features", type=Path, default=Path("work_data"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--holdout", default="dev")
    ap.add_argument("--labels", type=Path, help="label file (training.experts / relabel)")
    ap.add_argument("--use-weights", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--qat-epochs", type=int, default=0,
                    help="epochs 9… in simulated int8 (Whisper base: 2; see the model card)")
    ap.add_argument("--out", type=Path, help="model folder (default RUN/model)")
    ap.add_argument("extra", nargs="*", help="more training.train options, after --")
    args = ap.parse_args()
    for cmd in stage_commands(args):
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    checkpoint = "best.pt" if args.holdout == "dev" else "last.pt"
    out = args.out or args.run / "model"
    subprocess.run(
        [sys.executable, "-m", "training.export", "--run", str(args.run),
         "--checkpoint", checkpoint, "--out", str(out)],
        check=True,
    )


if __name__ == "__main__":
    main()
