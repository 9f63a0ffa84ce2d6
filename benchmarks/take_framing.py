"""Does the framing of a take move its scores? The same speech as a tight upload and as
a microphone take with leading silence (room noise) and a trailing partial repeat.

For held-out speakers of speechocean762-train, each take is scored as is and with
1.5 s of low noise before it and, after a 0.4 s pause, a repeat of its last 40 %
(what a learner who restarts the end produces). Prints the mean and largest absolute
change of every score.

    python -m benchmarks.take_framing [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from benchmarks.devdata import available, held_out

SR = 16_000


def mic_framing(samples: np.ndarray, seed: int = 0) -> np.ndarray:
    """Leading room noise + the take + a pause + a partial repeat of its end."""
    rng = np.random.default_rng(seed)
    lead = (rng.standard_normal(int(1.5 * SR)) * 0.002).astype(np.float32)
    pause = (rng.standard_normal(int(0.4 * SR)) * 0.002).astype(np.float32)
    tail = samples[int(0.6 * len(samples)) :]
    return np.concatenate([lead, samples, pause, tail]).astype(np.float32)


def evaluate(limit: int) -> dict:
    import torch

    from accent_coach.engine.assess import assess
    from accent_coach.engine.audio import load_audio
    from accent_coach.speech.manager import get_manager

    torch.set_num_threads(1)
    loaded = get_manager().load_model(None)
    utts = held_out()[::4][:limit]
    diffs: dict[str, list[float]] = {}
    for u in utts:
        clip = load_audio(u.audio)
        plain = assess(clip.samples, u.text, loaded=loaded).scores
        framed = assess(mic_framing(clip.samples), u.text, loaded=loaded).scores
        for name, value in plain.items():
            if value is not None and framed.get(name) is not None:
                diffs.setdefault(name, []).append(abs(framed[name] - value))
    return {
        "takes": len(utts),
        "mean_abs_change": {k: round(float(np.mean(v)), 1) for k, v in diffs.items()},
        "max_abs_change": {k: round(float(np.max(v)), 1) for k, v in diffs.items()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=30)
    args = ap.parse_args(argv)
    if not available():
        print("speechocean762-train not found (set ACCENT_COACH_DEV_DATA); skipped")
        return 0
    print(json.dumps(evaluate(args.limit), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
