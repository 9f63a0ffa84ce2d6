"""Wrong-text detection on held-out speakers of speechocean762-train.

Each take is scored (one forward pass) against its own text and against another
take's text. Reports the share of other-text scorings that carry the
``text_mismatch`` warning (caught) and of own-text scorings that carry it (wrongly
warned). The first half of the held-out speakers chose the rule's constants
(``accent_coach/engine/verification.py``); the second half gives the figures.

    python -m benchmarks.text_mismatch [--speakers first|second|all] [--limit N] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import numpy as np

from benchmarks.devdata import available, held_out
from benchmarks.scorer_choice import resolve


def _sweep(own: list[dict], other: list[dict]) -> list[dict]:
    """Rates for other thresholds on the same evidence (to re-choose MISMATCH_ABOVE)."""
    rows = []
    for t in np.arange(2.0, 6.5, 0.5):
        rows.append({
            "mismatch_above": float(t),
            "caught": round(float(np.mean([m["evidence"] > t for m in other])), 3),
            "wrongly_warned": round(float(np.mean([m["evidence"] > t for m in own])), 3),
        })
    return rows


def evaluate(speakers: str, limit: int | None, seed: int = 0, sweep: bool = False,
             scorer: object = "auto") -> dict:
    import torch

    from accent_coach.engine.assess import assess
    from accent_coach.engine.audio import load_audio
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.posteriors import posteriors

    torch.set_num_threads(1)
    utts = held_out()
    spk = sorted({u.speaker for u in utts})
    keep = {"first": spk[: len(spk) // 2], "second": spk[len(spk) // 2 :], "all": spk}[speakers]
    texts = [u.text for u in utts]
    rng = random.Random(seed)
    utts = [u for u in utts if u.speaker in keep]
    utts = utts[:limit] if limit else utts
    loaded = get_manager().load_model(None)
    own, other = [], []
    t0 = time.time()
    for u in utts:
        clip = load_audio(u.audio)
        post = posteriors(loaded, clip.samples)
        wrong = rng.choice([t for t in texts if t != u.text])
        for text, bucket in ((u.text, own), (wrong, other)):
            res = assess(clip.samples, text, loaded=loaded, precomputed=post, with_prosody=False,
                      scorer=scorer)
            bucket.append(res.details["text_match"])
    out = {
        "speakers": keep,
        "takes": len(own),
        "caught": round(float(np.mean([m["mismatch"] for m in other])), 3),
        "wrongly_warned": round(float(np.mean([m["mismatch"] for m in own])), 3),
        "seconds": round(time.time() - t0, 1),
    }
    if sweep:
        out["sweep"] = _sweep(own, other)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speakers", choices=["first", "second", "all"], default="second")
    ap.add_argument("--limit", type=int, default=None, help="at most N takes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--scorer", default="auto", help="auto | rules | scorer folder")
    args = ap.parse_args(argv)
    if not available():
        print("speechocean762-train not found (set ACCENT_COACH_DEV_DATA); skipped")
        return 0
    print(json.dumps(evaluate(args.speakers, args.limit, args.seed, args.sweep,
                                     resolve(args.scorer)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
