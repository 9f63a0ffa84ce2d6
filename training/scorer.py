"""Train the learned scorer (``accent_coach/speech/scorer.py``) on cross-fitted features.

    # speaker-fold cross-validation: one scorer per fold, trained without it
    python -m training.scorer crossval --out runs/scorer
    # the shipped scorer: trained on every take, operating points from the CV predictions
    python -m training.scorer export --cv runs/scorer \\
        --recognizer accent_coach/speech/models/whisper-tiny-ipa-ctc \\
        --out accent_coach/speech/models/expert-scorer

Features come from ``training.scorer_data`` (each fold's takes measured by a recognizer
that never heard its speakers). The loss is the mean squared error on every level at
once, each target on a 0–1 scale (sounds /2, words and takes /10, stress (s−5)/5), the
levels weighted equally as in GOPT. ``crossval`` writes ``FOLD{k}/`` scorer folders (so
``benchmarks/human_agreement.py`` can run the engine with them end to end), the
out-of-fold predictions, and the agreement table.

Operating points (``Flags``): a sound is flagged when its predicted expert score is
below θ, chosen on out-of-fold predictions as the highest F1 against "experts < 1.5"
among thresholds whose precision is at least ``--min-precision``: a learner should be
told about sounds that are really wrong. For the fold-k scorer θ is chosen on the
other folds' predictions only, so the benchmark's flag figures are held out too.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch

from accent_coach.engine.stages.featurize import FEATURES_VERSION
from accent_coach.speech.scorer import ExpertScorer, ScorerConfig, file_sha256, save_scorer
from training import experts, folds
from training.agreement import Collected, flag_quality, table
from training.scorer_data import TakeRecord, load_records, token_targets

ASPECTS = ("accuracy", "fluency", "prosodic", "total")


def batch(records: list[TakeRecord], use_states: bool = False) -> dict[str, torch.Tensor]:
    n = max(len(r.ids) for r in records)
    w = max(r.n_words for r in records)
    b, f = len(records), records[0].phone.shape[1]
    out = {
        "phone": torch.zeros(b, n, f), "ids": torch.zeros(b, n, dtype=torch.long),
        "mask": torch.zeros(b, n, dtype=torch.bool),
        "word_of": torch.full((b, n), -1, dtype=torch.long),
        "utterance": torch.from_numpy(np.stack([r.utterance for r in records])),
        "phone_y": torch.full((b, n), float("nan")),
        "word_y": torch.full((b, w, 3), float("nan")),
        "utt_y": torch.from_numpy(np.stack([r.utt_target for r in records])),
    }
    if use_states:
        out["states"] = torch.zeros(b, n, records[0].states.shape[1])
    for i, r in enumerate(records):
        k = len(r.ids)
        if use_states:
            out["states"][i, :k] = torch.from_numpy(r.states.astype(np.float32))
        out["phone"][i, :k] = torch.from_numpy(r.phone)
        out["ids"][i, :k] = torch.from_numpy(r.ids)
        out["mask"][i, :k] = True
        out["word_of"][i, :k] = torch.from_numpy(r.word_of)
        out["phone_y"][i, :k] = torch.from_numpy(r.phone_target)
        out["word_y"][i, : r.n_words] = torch.from_numpy(r.word_target)
    out["n_words"] = w
    return out


def _mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    ok = torch.isfinite(target)
    return ((pred[ok] - target[ok]) ** 2).mean() if ok.any() else pred.sum() * 0


def loss_of(out: dict, b: dict) -> torch.Tensor:
    word_y = b["word_y"]
    return (
        _mse(out["phone"] / 2, b["phone_y"] / 2)
        + (_mse(out["word_accuracy"] / 10, word_y[..., 0] / 10)
           + _mse((out["word_stress"] - 5) / 5, (word_y[..., 1] - 5) / 5)
           + _mse(out["word_total"] / 10, word_y[..., 2] / 10)) / 3
        + sum(_mse(out[a] / 10, b["utt_y"][:, i] / 10) for i, a in enumerate(ASPECTS)) / 4
    )


def _run(model: ExpertScorer, b: dict) -> dict:
    return model(b["phone"], b["ids"], b["mask"], b["utterance"], b["word_of"], b["n_words"],
                 b.get("states"))


def fit(records: list[TakeRecord], args: argparse.Namespace, vocab_size: int) -> ExpertScorer:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    phones = np.concatenate([r.phone for r in records])
    utts = np.stack([r.utterance for r in records])
    config = ScorerConfig(
        phone_dim=phones.shape[1], utterance_dim=utts.shape[1], vocab_size=vocab_size,
        features_version=FEATURES_VERSION, d_model=args.d_model, heads=args.heads,
        layers=args.layers, ffn=2 * args.d_model, dropout=args.dropout,
        state_dim=records[0].states.shape[1] if args.states else 0,
    )
    model = ExpertScorer(config)
    if args.states:
        st = np.concatenate([r.states.astype(np.float32) for r in records])
        model.state_mean.copy_(torch.from_numpy(st.mean(0)))
        model.state_std.copy_(torch.from_numpy(st.std(0) + 1e-3))
    model.phone_mean.copy_(torch.from_numpy(phones.mean(0)))
    model.phone_std.copy_(torch.from_numpy(phones.std(0) + 1e-3))
    model.utt_mean.copy_(torch.from_numpy(utts.mean(0)))
    model.utt_std.copy_(torch.from_numpy(utts.std(0) + 1e-3))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    order = sorted(records, key=lambda r: len(r.ids))
    batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
    steps = args.epochs * len(batches)
    step = 0
    model.train()
    for _ in range(args.epochs):
        rng.shuffle(batches)
        for chunk in batches:
            for g in opt.param_groups:
                g["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            loss = loss_of(_run(model, b := batch(chunk, args.states)), b)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
    return model.eval()


@torch.no_grad()
def predict(model: ExpertScorer, records: list[TakeRecord]) -> list[dict]:
    out = []
    for r in records:
        y = _run(model, batch([r], bool(model.config.state_dim)))
        out.append({
            "utt": r.utt,
            "phone": y["phone"][0, : len(r.ids)].numpy().tolist(),
            "word": torch.stack([y["word_accuracy"][0], y["word_stress"][0],
                                 y["word_total"][0]], -1)[: r.n_words].numpy().tolist(),
            **{a: float(y[a][0]) for a in ASPECTS},
        })
    return out


def agreement(records, predictions, takes, flags: dict) -> dict:
    """Agreement of predictions with the experts, flags at ``flags``' operating points."""
    c = Collected()
    for r, p in zip(records, predictions):
        take = takes[r.utt]
        phone_flags = [s * 50 < flags["phone_below"] for s in p["phone"]]
        # a word is flagged on its predicted accuracy alone, as the engine does
        words = [(acc, st, tot, acc * 10 < flags["word_below"]) for acc, st, tot in p["word"]]
        utterance = {a: p[a] for a in ASPECTS}
        utterance["completeness"] = r.rule["completeness"] / 10
        c.add_take(take, token_targets(r), p["phone"], phone_flags, words, utterance,
                   r.speaker)
    return c.report()


def tune_flags(records, predictions, takes, min_precision: float) -> dict:
    """Operating points from (held-out) predictions: see the module docstring."""
    phone_pred, phone_true = [], []
    word_pred, word_true = [], []
    stress_pred, stress_true = [], []
    for r, p in zip(records, predictions):
        take = takes[r.utt]
        for t, s in zip(token_targets(r), p["phone"]):
            if t.score is not None:
                phone_pred.append(s * 50)
                phone_true.append(t.score < experts.LOW)
        for (acc, st, _), word in zip(p["word"], take.words):
            word_pred.append(acc * 10)
            word_true.append(word.accuracy < 7)
            if sum(1 for ph in word.phones if ph.cmu[-1:].isdigit()) >= 2:
                stress_pred.append((st - 5) * 20)
                stress_true.append(word.stress < 10)
    return {
        "phone_below": _threshold(phone_pred, phone_true, min_precision),
        "word_below": _threshold(word_pred, word_true, min_precision),
        "stress_below": _threshold(stress_pred, stress_true, min_precision, allow_none=True),
    }


def _threshold(pred, truth, min_precision: float, allow_none: bool = False) -> float | None:
    """The cut (flag when pred < cut) with the best F1 among those precise enough; the
    most precise cut when none is (None, meaning never flag, if ``allow_none``)."""
    best, best_f1, fallback, fallback_p = None, -1.0, None, -1.0
    for cut in np.arange(5.0, 100.0, 0.5):
        p, _, f = flag_quality([x < cut for x in pred], truth)
        if not np.isfinite(p):
            continue
        if p >= min_precision and f > best_f1:
            best, best_f1 = float(cut), f
        if p > fallback_p and sum(x < cut for x in pred) >= 10:
            fallback, fallback_p = float(cut), p
    if best is None:
        return None if allow_none else fallback
    return best


def crossval(args) -> None:
    records = load_records(args.features)
    takes = experts.read_scores(args.data)
    vocab = int(max(r.ids.max() for r in records if len(r.ids))) + 1
    vocab = max(vocab, args.vocab_size)
    present = sorted({r.fold for r in records})
    args.out.mkdir(parents=True, exist_ok=True)
    oof: dict[int, list[dict]] = {}
    models = {}
    for k in present:
        t0 = time.time()
        train = [r for r in records if r.fold != k]
        models[k] = fit(train, args, vocab)
        oof[k] = predict(models[k], [r for r in records if r.fold == k])
        print(f"fold {k}: trained on {len(train)} takes in {time.time() - t0:.0f} s", flush=True)
    by_fold = {k: [r for r in records if r.fold == k] for k in present}
    rows = {}
    all_recs, all_preds = [], []
    for k in present:  # operating points for fold k from the other folds' predictions
        others = [j for j in present if j != k]
        flags = tune_flags([r for j in others for r in by_fold[j]],
                           [p for j in others for p in oof[j]], takes, args.min_precision)
        models[k].config.flags = flags
        save_scorer(models[k], args.out / f"fold{k}")
        rows[f"fold {k}"] = agreement(by_fold[k], oof[k], takes, flags)
        all_recs += by_fold[k]
        all_preds += oof[k]
    flags_all = tune_flags(all_recs, all_preds, takes, args.min_precision)
    rows["all folds (flags tuned on all)"] = agreement(all_recs, all_preds, takes, flags_all)
    print(table(rows))
    (args.out / "oof.json").write_text(json.dumps(
        {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows, "flags": flags_all,
         "predictions": all_preds}, indent=None))


def export(args) -> None:
    records = load_records(args.features)
    takes = experts.read_scores(args.data)
    cv = json.loads((args.cv / "oof.json").read_text())
    by_utt = {r.utt: r for r in records}
    preds = cv["predictions"]
    flags = tune_flags([by_utt[p["utt"]] for p in preds], preds, takes, args.min_precision)
    vocab = max(int(max(r.ids.max() for r in records if len(r.ids))) + 1, args.vocab_size)
    model = fit(records, args, vocab)
    model.config.flags = flags
    model.config.recognizer_sha256 = file_sha256(args.recognizer / "model.safetensors")
    model.config.recognizer = args.recognizer.name
    save_scorer(model, args.out)
    print(f"exported → {args.out} ({sum(p.numel() for p in model.parameters())} parameters), "
          f"flags {flags}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["crossval", "export"])
    ap.add_argument("--features", type=Path, default=Path("work_data/scorer_features.pt"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--out", type=Path, default=Path("runs/scorer"))
    ap.add_argument("--cv", type=Path, default=Path("runs/scorer"), help="export: CV folder")
    ap.add_argument("--recognizer", type=Path,
                    default=Path("accent_coach/speech/models/whisper-tiny-ipa-ctc"))
    ap.add_argument("--vocab-size", type=int, default=51)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--states", action="store_true",
                    help="also read the recognizer's hidden states per sound")
    ap.add_argument("--min-precision", type=float, default=0.55)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    assert folds.FOLDS  # the folds the features were made on (training.folds)
    {"crossval": crossval, "export": export}[args.command](args)


if __name__ == "__main__":
    main()
