"""Fit the GOP → 0–100 calibration (scoring.GOP_SLOPE/GOP_BIAS) on held-out speakers.

Features: the phone's LPR and whether free recognition heard it (m).
Positives: every phone of the true text (learner speech, so slightly noisy).
Negatives: phones replaced in the reference by another phone — half by a close
confusion (articulatory distance ≤ 0.45, the hard case), half by any phone —
re-aligned and scored exactly as the engine does. A 1-D logistic regression of
label on LPR gives slope and bias; the first half of the held-out speakers is
used, so swap_detection can report on the second half.

    python -m benchmarks.calibrate [--limit N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import numpy as np

from benchmarks.devdata import available, held_out


def _fit_logistic(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """P(y=1) = σ(a·x + b + c·m) by weighted log-loss (classes balanced), tiny L2;
    a, c ≥ 0 so the score never falls when the evidence for the phone grows."""
    from scipy.optimize import minimize

    w = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))

    def loss(params: np.ndarray) -> float:
        z = params[0] * x + params[1] + params[2] * m
        # log(1 + e^-z) for positives, log(1 + e^z) for negatives, computed stably
        nll = np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z))
        return float(np.sum(w * nll) + 1e-4 * (params[0] ** 2 + params[2] ** 2))

    # hearing the phone can only add evidence for it: c ≥ 0 (and a ≥ 0)
    res = minimize(loss, np.array([0.5, 0.0, 0.0]), method="L-BFGS-B",
                   bounds=[(0, None), (None, None), (0, None)])
    return float(res.x[0]), float(res.x[1]), float(res.x[2])


def _score_phones(post, ids, targets, cands, accepted):
    """LPRs and heard-match flags exactly as the engine computes them."""
    from accent_coach.engine import scoring
    from accent_coach.engine.alignment import forced_align, greedy_decode
    from accent_coach.engine.g2p import to_ipa
    from accent_coach.engine.stages.align import heard_per_target, heard_vs_expected

    fa = forced_align(post.logp, ids, post.blank_id)
    heard = greedy_decode(post.logp, post.blank_id)
    recognized = [to_ipa(post.vocab[t], post.output_kind) for t, _, _ in heard]
    pairs = heard_vs_expected(targets, heard, recognized, fa)
    match = [h == "" for h in heard_per_target(targets, recognized, pairs)]
    gops = scoring.phone_gops(post.logp, ids, fa, cands, post.blank_id, accepted, match)
    return [g.lpr for g in gops], match


def collect(limit: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import dataclasses

    import torch

    from accent_coach.engine.articulation import distance
    from accent_coach.engine.audio import load_audio
    from accent_coach.engine.g2p import reference
    from accent_coach.engine.stages.featurize import accepted_variants, candidates
    from accent_coach.engine.stages.recognize import targets_of
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.posteriors import posteriors

    torch.set_num_threads(1)
    utts = held_out()
    spk = sorted({u.speaker for u in utts})
    utts = [u for u in utts if u.speaker in spk[: len(spk) // 2]]
    rng = random.Random(seed)
    rng.shuffle(utts)
    utts = utts[:limit] if limit else utts
    loaded = get_manager().load_model(None)
    xs: list[float] = []
    ms: list[bool] = []
    ys: list[int] = []
    for u in utts:
        post = posteriors(loaded, load_audio(u.audio).samples)
        targets, _ = targets_of(reference(u.text, "us"), post)
        ids = [t.token_id for t in targets]
        cands = candidates(post)
        lpr, match = _score_phones(post, ids, targets, cands, accepted_variants(post, ids))
        xs += lpr
        ms += match
        ys += [1] * len(ids)
        for pos in range(rng.randrange(3), len(ids), 4):
            tok = post.vocab[ids[pos]]
            near = [c for c in cands if c != ids[pos] and distance(tok, post.vocab[c]) <= 0.45]
            pool = near if near and rng.random() < 0.5 else [c for c in cands if c != ids[pos]]
            fake_ids = list(ids)
            fake_ids[pos] = rng.choice(pool)
            fake = list(targets)
            fake[pos] = dataclasses.replace(targets[pos], ipa=post.vocab[fake_ids[pos]],
                                            token_id=fake_ids[pos])
            accepted = accepted_variants(post, fake_ids)
            lpr, match = _score_phones(post, fake_ids, fake, cands, accepted)
            xs.append(lpr[pos])
            ms.append(match[pos])
            ys.append(0)
    return np.asarray(xs), np.asarray(ms, dtype=float), np.asarray(ys)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    if not available():
        print("speechocean762-train not found (set ACCENT_COACH_DEV_DATA); skipped")
        return 0
    x, m, y = collect(args.limit)
    x = np.clip(x, -30, 30)
    pct = [5, 25, 50, 75, 95]
    a, b, c = _fit_logistic(x, m, y)
    pred = (a * x + b + c * m) > 0
    print(json.dumps({
        "GOP_SLOPE": round(a, 3), "GOP_BIAS": round(b, 3), "GOP_MATCH": round(c, 3),
        "phones": int(len(y)),
        "heard_match_correct": round(float(m[y == 1].mean()), 3),
        "heard_match_substituted": round(float(m[y == 0].mean()), 3),
        "negatives": int((y == 0).sum()),
        "recall_correct": round(float(pred[y == 1].mean()), 3),
        "recall_substituted": round(float((~pred[y == 0]).mean()), 3),
        "lpr_percentiles": pct,
        "lpr_correct": np.percentile(x[y == 1], pct).round(2).tolist(),
        "lpr_substituted": np.percentile(x[y == 0], pct).round(2).tolist(),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
