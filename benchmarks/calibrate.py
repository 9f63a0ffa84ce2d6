"""Fit the GOP → 0–100 calibration (scoring.GOP_SLOPE/GOP_BIAS) on held-out speakers.

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


def _fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """P(y=1|x) = σ(a·x + b) by weighted log-loss (classes balanced), tiny L2 on a."""
    from scipy.optimize import minimize

    w = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))

    def loss(params: np.ndarray) -> float:
        z = params[0] * x + params[1]
        # log(1 + e^-z) for positives, log(1 + e^z) for negatives, computed stably
        nll = np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z))
        return float(np.sum(w * nll) + 1e-4 * params[0] ** 2)

    res = minimize(loss, np.array([1.0, 0.0]), method="Nelder-Mead",
                   options={"xatol": 1e-4, "fatol": 1e-8, "maxiter": 4000})
    return float(res.x[0]), float(res.x[1])


def collect(limit: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from accent_coach import scoring
    from accent_coach.alignment import forced_align
    from accent_coach.articulation import distance
    from accent_coach.assess import _candidates, _targets
    from accent_coach.audio import load_audio
    from accent_coach.model_manager import get_manager
    from accent_coach.phonemes import reference
    from accent_coach.recognition import posteriors

    torch.set_num_threads(1)
    utts = held_out()
    spk = sorted({u.speaker for u in utts})
    utts = [u for u in utts if u.speaker in spk[: len(spk) // 2]]
    rng = random.Random(seed)
    rng.shuffle(utts)
    utts = utts[:limit] if limit else utts
    loaded = get_manager().load_model(None)
    xs, ys = [], []
    for u in utts:
        post = posteriors(loaded, load_audio(u.audio).samples)
        targets, _ = _targets(reference(u.text, "us"), post)
        ids = [t.token_id for t in targets]
        cands = _candidates(post)
        fa = forced_align(post.logp, ids, post.blank_id)
        gops = scoring.phone_gops(post.logp, ids, fa, cands, post.blank_id)
        xs += [g.lpr for g in gops]
        ys += [1] * len(gops)
        for pos in range(rng.randrange(3), len(ids), 4):
            tok = post.vocab[ids[pos]]
            near = [c for c in cands if c != ids[pos] and distance(tok, post.vocab[c]) <= 0.45]
            pool = near if near and rng.random() < 0.5 else [c for c in cands if c != ids[pos]]
            fake = list(ids)
            fake[pos] = rng.choice(pool)
            ffa = forced_align(post.logp, fake, post.blank_id)
            g = scoring.phone_gops(post.logp, fake, ffa, cands, post.blank_id)[pos]
            xs.append(g.lpr)
            ys.append(0)
    return np.asarray(xs), np.asarray(ys)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    if not available():
        print("speechocean762-train not found (set ACCENT_COACH_DEV_DATA); skipped")
        return 0
    x, y = collect(args.limit)
    x = np.clip(x, -30, 30)
    pct = [5, 25, 50, 75, 95]
    a, b = _fit_logistic(x, y)
    pred = (a * x + b) > 0
    print(json.dumps({
        "GOP_SLOPE": round(a, 3), "GOP_BIAS": round(b, 3), "phones": int(len(y)),
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
