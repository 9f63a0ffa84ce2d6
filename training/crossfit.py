"""Cross-fitting in one command: the recognizer recipe once per speaker fold, then the
scorer's features of every take from the recognizer that never heard its speaker.

    python -m training.crossfit --parallel 1 --threads 2    # all folds, resumable
    python -m training.crossfit --features work_data_base4 --runs runs/base_cf \
        --parallel 1 --threads 2 -- --encoder base --upto 4     # a Whisper base recognizer

1. ``training.recipe --holdout fold:K`` for K = 0…2 (``training.folds``): three
   recognizers, each trained without one third of the speakers, exported from their
   epoch-8 checkpoint to ``RUNS/fold{K}/model`` (``--labels`` trains them on other labels,
   e.g. ``training.experts``' — then the shipped recognizer must use the same ones);
2. ``training.scorer_data``: fold K's takes through the engine's first four stages with
   fold K's recognizer → ``FEATURES/scorer_features.pt``.

Cost on the 2-core development CPU (2026-12-02): three recognizer trainings of 28–36
minutes each (one at a time, two threads) plus about 1.5 minutes of measurement per
fold — the price of features a scorer can trust (see the scorer's model card). Stages already done
(a fold whose model folder exists) are skipped, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from training import folds


def recipe_command(args: argparse.Namespace, k: int) -> list[str]:
    cmd = [sys.executable, "-m", "training.recipe", "--features", str(args.features),
           "--data", str(args.data), "--run", str(args.runs / f"fold{k}"),
           "--holdout", f"fold:{k}", "--threads", str(args.threads)]
    if args.labels:
        cmd += ["--labels", str(args.labels)]
        if args.use_weights:
            cmd.append("--use-weights")
    if args.qat_epochs:
        cmd += ["--qat-epochs", str(args.qat_epochs)]
    if args.extra:  # more training.train options, e.g. --encoder base --upto 4
        cmd += ["--", *args.extra]
    return cmd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", type=Path, default=Path("work_data"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--runs", type=Path, default=Path("runs"))
    ap.add_argument("--labels", type=Path, help="recognizer labels (as the shipped recipe)")
    ap.add_argument("--use-weights", action="store_true")
    ap.add_argument("--qat-epochs", type=int, default=0,
                    help="as training.recipe: the shipped recognizer's int8 epochs")
    ap.add_argument("--parallel", type=int, default=2, help="folds trained at once")
    ap.add_argument("--threads", type=int, default=1, help="threads per training")
    ap.add_argument("extra", nargs="*",
                    help="more training.train options for every fold, after --")
    args = ap.parse_args()
    todo = [k for k in range(folds.FOLDS)
            if not (args.runs / f"fold{k}" / "model" / "model.safetensors").is_file()]
    running: list[tuple[int, subprocess.Popen]] = []
    failed = []
    while todo or running:
        while todo and len(running) < args.parallel:
            k = todo.pop(0)
            args.runs.mkdir(parents=True, exist_ok=True)
            log = open(args.runs / f"fold{k}.log", "w")  # noqa: SIM115
            print(f"fold {k}: training (log {log.name})", flush=True)
            running.append((k, subprocess.Popen(recipe_command(args, k), stdout=log,
                                                stderr=subprocess.STDOUT)))
        k, proc = running.pop(0)
        if proc.wait() != 0:
            failed.append(k)
        print(f"fold {k}: {'failed' if k in failed else 'done'}", flush=True)
    if failed:
        raise SystemExit(f"folds {failed} failed; see their logs")
    subprocess.run(
        [sys.executable, "-m", "training.scorer_data", "--data", str(args.data),
         "--recognizers", str(args.runs / "fold{k}" / "model"),
         "--out", str(args.features / "scorer_features.pt")],
        check=True,
    )


if __name__ == "__main__":
    main()
