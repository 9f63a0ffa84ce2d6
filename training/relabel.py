"""Label refinement: labels that follow what the learner said, not only the prompt.

The corpus labels are the prompt's phones. For each training utterance this runs a
recognizer (the shipped model by default) on the raw audio and searches, greedily,
among the prompt's phones with single substitutions and deletions: an edit is kept
only when it raises the CTC log-likelihood of the whole utterance by more than a
confidence threshold (``--tau`` nats for substitutions, ``--tau-delete`` for
deletions, which a weak model would otherwise over-propose). Substitutes come from
what the model hears around that phone (its posterior peaks inside the phone's
forced-aligned span ±2 frames), so accent variants such as ɹ→l or θ→s enter only where
the audio supports them.

It also scores how far each take strays from even its refined label (restarts,
skipped or inserted words): the CTC negative log-likelihood per label phone. The
worst ``--stray-share`` of takes get weight ``--stray-weight`` in training.

    python -m training.relabel --data ../shared/data/speechocean762-train \
        --out work_data/refined.pt
    python -m training.train ... --labels work_data/refined.pt [--use-weights]

Dev labels are never touched: dev PER is measured against the prompts as before.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForCTC, AutoProcessor

import accent_coach.speech.whisper_ctc  # noqa: F401  (registers the architecture)
from accent_coach.engine.alignment import forced_align
from accent_coach.speech.registry import EMBEDDED_MODEL_DIR
from training import data

CONTEXT = 2  # frames either side of a phone's span where substitutes are looked for
MIN_POSTERIOR = 0.2  # a substitute must peak at least this high near the phone
MAX_SUBSTITUTES = 3


@dataclass(frozen=True)
class Edit:
    position: int
    phone: int | None  # None: deletion


def apply(prompt: list[int], edits: set[Edit]) -> list[int]:
    by_pos = {e.position: e.phone for e in edits}
    out = []
    for i, p in enumerate(prompt):
        if i not in by_pos:
            out.append(p)
        elif by_pos[i] is not None:
            out.append(by_pos[i])
    return out


def log_likelihoods(logp: torch.Tensor, labels: list[list[int]], blank: int) -> np.ndarray:
    """CTC log-likelihood of each label sequence under one clip's frame log-posteriors."""
    n = len(labels)
    lp = logp[:, None, :].expand(-1, n, -1)
    flat = torch.tensor([t for lab in labels for t in lab], dtype=torch.long)
    lengths = torch.tensor([len(lab) for lab in labels], dtype=torch.long)
    frames = torch.full((n,), logp.shape[0], dtype=torch.long)
    nll = torch.nn.functional.ctc_loss(
        lp, flat, frames, lengths, blank=blank, reduction="none", zero_infinity=False
    )
    return -nll.numpy()


def candidates(logp: np.ndarray, prompt: list[int], blank: int, unk: int) -> list[Edit]:
    """Deletions everywhere; substitutions by what the model hears near each phone."""
    fa = forced_align(logp, prompt, blank)
    out = []
    heard = logp.copy()
    heard[:, [blank, unk]] = -np.inf
    for i, (p, span) in enumerate(zip(prompt, fa.spans)):
        out.append(Edit(i, None))
        if span is None:
            continue
        lo, hi = max(0, span.start - CONTEXT), min(len(logp), span.end + CONTEXT)
        peak = heard[lo:hi].max(axis=0)
        peak[p] = -np.inf
        for c in np.argsort(-peak)[:MAX_SUBSTITUTES]:
            if peak[c] >= np.log(MIN_POSTERIOR):
                out.append(Edit(i, int(c)))
    return out


def refine(
    logp: np.ndarray, prompt: list[int], blank: int, unk: int, tau: float, tau_delete: float,
    max_share: float,
) -> tuple[list[int], list[Edit], float]:
    """Greedy best-first single edits while each one gains more than its threshold."""
    lp = torch.from_numpy(logp)
    edits: set[Edit] = set()
    base = float(log_likelihoods(lp, [prompt], blank)[0])
    pool = candidates(logp, prompt, blank, unk)
    limit = max(1, int(max_share * len(prompt)))
    while pool and len(edits) < limit:
        trial = [apply(prompt, edits | {e}) for e in pool]
        keep = [k for k, lab in enumerate(trial) if lab]
        if not keep:
            break
        scores = log_likelihoods(lp, [trial[k] for k in keep], blank)
        gains = np.nan_to_num(scores - base, nan=-np.inf)  # both infeasible: no gain
        need = np.array([tau_delete if pool[k].phone is None else tau for k in keep])
        best = int(np.argmax(gains - need))
        if gains[best] <= need[best]:
            break
        chosen = pool[keep[best]]
        edits.add(chosen)
        base = float(scores[best])
        pool = [e for e in pool if e.position != chosen.position]
    return apply(prompt, edits), sorted(edits, key=lambda e: e.position), base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=str(EMBEDDED_MODEL_DIR))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--out", type=Path, default=Path("work_data/refined.pt"))
    ap.add_argument("--tau", type=float, default=2.0, help="nats a substitution must gain")
    ap.add_argument("--tau-delete", type=float, default=4.0, help="nats a deletion must gain")
    ap.add_argument("--max-share", type=float, default=0.25, help="most edits per label")
    ap.add_argument("--stray-share", type=float, default=0.1)
    ap.add_argument("--stray-weight", type=float, default=0.3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    processor = AutoProcessor.from_pretrained(args.model)
    model = AutoModelForCTC.from_pretrained(args.model).eval()
    vocab = processor.tokenizer.convert_ids_to_tokens(list(range(model.config.vocab_size)))
    index = {p: i for i, p in enumerate(vocab)}
    blank, unk = processor.tokenizer.pad_token_id, index.get("<unk>", 1)
    train, _ = data.split(data.read_corpus(args.data))
    train = train[: args.limit] if args.limit else train
    labels, stray, kinds = {}, {}, Counter()
    changed = total = 0
    t0 = time.time()
    for n, u in enumerate(train):
        prompt_phones = u.phones()
        prompt = [index.get(p, unk) for p in prompt_phones]
        audio = data.load(u.audio)
        with torch.no_grad():
            logits = model(**processor(audio, sampling_rate=data.SR, return_tensors="pt")).logits
        logp = torch.log_softmax(logits[0].float(), -1).numpy()
        refined, edits, ll = refine(
            logp, prompt, blank, unk, args.tau, args.tau_delete, args.max_share
        )
        labels[u.utt] = [vocab[t] for t in refined]
        stray[u.utt] = -ll / max(1, len(refined))
        for e in edits:
            kinds[(prompt_phones[e.position], "∅" if e.phone is None else vocab[e.phone])] += 1
        changed += len(edits)
        total += len(prompt)
        if n % 200 == 0:
            print(f"{n} utterances, {changed} edits / {total} phones, {time.time() - t0:.0f}s",
                  flush=True)
    cut = np.quantile(list(stray.values()), 1 - args.stray_share)
    weights = {u: (args.stray_weight if s > cut else 1.0) for u, s in stray.items()}
    torch.save({"labels": labels, "weights": weights, "stray": stray, "args": vars(args)},
               args.out)
    print(f"{len(labels)} utterances: {changed} of {total} phones edited "
          f"({100 * changed / max(1, total):.1f} %), {time.time() - t0:.0f}s")
    print(f"stray score (NLL per phone): median {np.median(list(stray.values())):.2f}, "
          f"cut {cut:.2f} → weight {args.stray_weight} for {args.stray_share:.0%}")
    print("top-20 edits (prompt → refined):")
    for (p, h), k in kinds.most_common(20):
        print(f"  {p:>4} → {h:<4} {k}")


if __name__ == "__main__":
    main()
