"""Swapped-word detection on held-out speakers of speechocean762-train.

Each utterance is scored twice on one forward pass: against its true text and
against the text with one word replaced by a different corpus word (with a
clearly different pronunciation). Reports the share of swapped words flagged
(error != "none") and the false-flag rate of the other words, in both texts.

    python -m benchmarks.swap_detection [--limit N] [--speakers first|second|all]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import numpy as np

from benchmarks.devdata import available, corpus_words, held_out
from benchmarks.scorer_choice import resolve


def _swap(words: list[str], vocab: list[str], rng: random.Random) -> tuple[list[str], int]:
    from accent_coach.engine.g2p import text_to_phones

    pos = rng.randrange(len(words))
    orig = text_to_phones(words[pos])
    for _ in range(50):
        cand = rng.choice(vocab)
        phones = text_to_phones(cand)
        shared = len(set(phones) & set(orig))
        if cand.lower() != words[pos].lower() and shared <= max(1, len(orig) // 3):
            break
    new = list(words)
    new[pos] = cand
    return new, pos


def _sweep(swapped: list[float], others: list[float], true: list[float]) -> list[dict]:
    """Detection / false flags if words were flagged by score < T alone, for a range of T."""
    rows = []
    for t in range(30, 85, 5):
        rows.append({
            "threshold": t,
            "detection": round(float(np.mean(np.asarray(swapped) < t)), 3),
            "false_flags_swapped_text": round(float(np.mean(np.asarray(others) < t)), 3),
            "false_flags_true_text": round(float(np.mean(np.asarray(true) < t)), 3),
        })
    return rows


def evaluate(limit: int | None, speakers: str, seed: int = 0, sweep: bool = False,
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
    utts = [u for u in utts if u.speaker in keep]
    rng = random.Random(seed)
    rng.shuffle(utts)
    utts = utts[:limit] if limit else utts
    vocab = corpus_words()
    loaded = get_manager().load_model(None)
    stats = {"utterances": 0, "swapped_flagged": 0, "true_words": 0, "true_flagged": 0,
             "other_words": 0, "other_flagged": 0}
    scores: dict[str, list[float]] = {"swapped": [], "others": [], "true": []}
    t0 = time.time()
    for u in utts:
        clip = load_audio(u.audio)
        post = posteriors(loaded, clip.samples)
        words = u.text.split()
        swapped, pos = _swap(words, vocab, rng)
        true = assess(clip.samples, u.text, loaded=loaded, precomputed=post, with_prosody=False,
                      scorer=scorer)
        fake = assess(clip.samples, " ".join(swapped), loaded=loaded, precomputed=post,
                      with_prosody=False,
                      scorer=scorer)
        tw = [w for w in true.words if w.error != "insertion"]
        fw = [w for w in fake.words if w.error != "insertion"]
        if len(tw) != len(words) or len(fw) != len(words):
            continue  # a word without phones (should not happen with corpus text)
        stats["utterances"] += 1
        stats["true_words"] += len(tw)
        stats["true_flagged"] += sum(w.error != "none" for w in tw)
        stats["swapped_flagged"] += fw[pos].error != "none"
        others = [w for i, w in enumerate(fw) if i != pos]
        stats["other_words"] += len(others)
        stats["other_flagged"] += sum(w.error != "none" for w in others)
        scores["swapped"].append(fw[pos].score or 0.0)
        scores["others"] += [w.score or 0.0 for w in others]
        scores["true"] += [w.score or 0.0 for w in tw]
    n = max(1, stats["utterances"])
    extra = {"sweep": _sweep(**scores)} if sweep else {}
    return {
        **stats,
        "speakers": keep,
        "detection_rate": round(stats["swapped_flagged"] / n, 3),
        "false_flag_rate_true_text": round(stats["true_flagged"] / max(1, stats["true_words"]), 3),
        "false_flag_rate_swapped_text": round(
            stats["other_flagged"] / max(1, stats["other_words"]), 3),
        "mean_score_swapped": round(float(np.mean(scores["swapped"])), 1),
        "mean_score_other_words": round(float(np.mean(scores["others"])), 1),
        "seconds": round(time.time() - t0, 1),
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="at most N utterances")
    ap.add_argument("--speakers", choices=["first", "second", "all"], default="second",
                    help="which half of the held-out speakers (first half tunes thresholds)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweep", action="store_true", help="rates for word-score thresholds")
    ap.add_argument("--scorer", default="auto", help="auto | rules | scorer folder")
    args = ap.parse_args(argv)
    if not available():
        print("speechocean762-train not found (set ACCENT_COACH_DEV_DATA); skipped")
        return 0
    print(json.dumps(evaluate(args.limit, args.speakers, args.seed, args.sweep,
                                     resolve(args.scorer)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
