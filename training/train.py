"""Train the top Whisper encoder layers and the CTC head on stored lower-layer states.

    python -m training.train --features work_data --run runs/tiny --minutes 45

Resumes from ``RUN/last.pt`` when it exists; the best dev-PER checkpoint is kept as
``RUN/best.pt``; ``python -m training.export`` turns it into the shipped model.
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

from accent_coach.engine.alignment import greedy_decode
from accent_coach.speech.whisper_ctc import WhisperCTCConfig, WhisperCTCForCTC
from training import data, folds, qat
from training.metrics import edit_distance
from training.whisper_weights import (
    ENCODERS,
    encoder_file,
    encoder_state_dict,
    packaged_tiny_en,
    read_ct2,
)

SPECIALS = ["<pad>", "<unk>"]
TRAIN_SETS = ("clean", "speed", "noisy", "synth")


def load_sets(root: Path, names) -> dict[str, dict]:
    """The stored sets, memory-mapped: the states stay in the page cache, which runs in
    parallel (``training.crossfit --parallel 2``) share instead of holding a copy each."""
    return {
        n: torch.load(root / f"{n}.pt", weights_only=False, mmap=True)
        for n in names
        if (root / f"{n}.pt").exists()
    }


def build_vocab(sets: dict[str, dict]) -> list[str]:
    tokens = {p for s in sets.values() for lab in s["labels"] for p in lab}
    return SPECIALS + sorted(tokens)


def encode_labels(labels: list[str], vocab: dict[str, int]) -> list[int]:
    return [vocab.get(p, 1) for p in labels]


def new_model(
    vocab: list[str], upto: int, head_dropout: float = 0.1, encoder: str = "tiny.en"
) -> WhisperCTCForCTC:
    config = WhisperCTCConfig(vocab_size=len(vocab), head_dropout=head_dropout,
                              **ENCODERS[encoder])
    model = WhisperCTCForCTC(config)
    weights = packaged_tiny_en() if encoder == "tiny.en" else encoder_file(encoder)
    model.load_state_dict(encoder_state_dict(read_ct2(weights)), strict=False)
    return freeze_below(model, upto)


def freeze_below(model: WhisperCTCForCTC, upto: int) -> WhisperCTCForCTC:
    """Freeze the conv stem and encoder layers 0…upto-1 (their states are stored)."""
    for p in list(model.stem.parameters()) + list(model.layers[:upto].parameters()):
        p.requires_grad = False
    return model


def param_groups(model: WhisperCTCForCTC, args) -> list[dict]:
    """Head at ``--lr``; encoder layers at ``--encoder-lr``, shrinking by ``--layer-decay``
    per layer downwards, so the lowest (most general) layers move least."""
    n = len(model.layers)
    groups = [{"params": list(model.layer_norm.parameters()), "lr": args.encoder_lr}]
    for i in range(args.upto, n):
        lr = args.encoder_lr * args.layer_decay ** (n - 1 - i)
        groups.append({"params": list(model.layers[i].parameters()), "lr": lr})
    taken = {id(p) for g in groups for p in g["params"]}
    head = [p for p in model.parameters() if p.requires_grad and id(p) not in taken]
    return [{"params": head, "lr": args.lr}, *groups]


REAL_SETS = ("clean", "speed", "noisy")


def held_out_speakers(sets: dict[str, dict], holdout: str, data_root: Path) -> set[str]:
    """The speakers a run never trains on: ``dev`` = the last DEV_SPEAKERS speaker ids
    (the shipped recipe's dev set), ``fold:K`` = fold K of ``training.folds``."""
    speakers = {s for s in sets["clean"]["speakers"] if s != "synth"}
    if holdout == "dev":
        return set(sorted(speakers)[-data.DEV_SPEAKERS:])
    if holdout.startswith("fold:"):
        k = int(holdout.split(":", 1)[1])
        by_speaker = folds.speaker_folds(speakers, folds.read_ages(data_root))
        return {s for s in speakers if by_speaker[s] == k}
    raise SystemExit(f"--holdout must be 'dev' or 'fold:K', not {holdout!r}")


def split_sets(sets: dict[str, dict], held_out: set[str]) -> dict:
    """The held-out speakers' clean clips as the evaluation set; every copy of their
    clips (clean, speed, noisy) leaves the training sets."""
    clean = sets["clean"]
    keep = [i for i, s in enumerate(clean["speakers"]) if s in held_out]
    dev = {k: [v[i] for i in keep] for k, v in clean.items() if isinstance(v, list)}
    for name in REAL_SETS:
        if name not in sets:
            continue
        s = sets[name]
        rows = [i for i, spk in enumerate(s["speakers"]) if spk not in held_out]
        for k, v in list(s.items()):
            if isinstance(v, list):
                s[k] = [v[i] for i in rows]
    return dev


def epoch_items(sets, rng: random.Random, synth_share: float) -> list[tuple]:
    """One variant (clean/speed/noisy) of each real clip, plus a share of synthetic clips."""
    real = [n for n in REAL_SETS if n in sets]
    where = {n: {u: i for i, u in enumerate(sets[n]["ids"])} for n in real}
    items = []
    for uid in dict.fromkeys(u for n in real for u in sets[n]["ids"]):
        name = rng.choice([n for n in real if uid in where[n]])
        items.append((name, where[name][uid]))
    if "synth" in sets:
        n = len(sets["synth"]["ids"])
        items += [("synth", i) for i in rng.sample(range(n), int(n * synth_share))]
    return items


def batches(items, sets, max_frames: int, rng: random.Random) -> list[list[tuple]]:
    """Length-bucketed batches of at most ``max_frames`` padded frames."""
    items = sorted(items, key=lambda it: sets[it[0]]["states"][it[1]].shape[1] + rng.random())
    out, cur, longest = [], [], 0
    for it in items:
        t = sets[it[0]]["states"][it[1]].shape[1]
        if cur and max(longest, t) * (len(cur) + 1) > max_frames:
            out.append(cur)
            cur, longest = [], 0
        cur.append(it)
        longest = max(longest, t)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(
    batch, sets, vocab, augment: bool, rng: np.random.Generator, channel_dropout=0.0, mask_every=60
):
    states = [sets[n]["states"][i].float() for n, i in batch]
    labels = [encode_labels(sets[n]["labels"][i], vocab) for n, i in batch]
    t_max = max(s.shape[1] for s in states)
    k, _, d = states[0].shape
    x = torch.zeros(k, len(batch), t_max, d)
    pad = torch.zeros(len(batch), t_max, dtype=torch.bool)
    for b, s in enumerate(states):
        t = s.shape[1]
        x[:, b, :t] = s
        pad[b, :t] = True
        if augment and mask_every:  # light SpecAugment on the states: short time masks
            # (zeroed frames: a head on a fully frozen encoder learns to lean on them and
            # fails without them, see training.mask_check; such runs use --mask-every 0)
            for _ in range(t // mask_every):
                w = int(rng.integers(1, 4))
                s0 = int(rng.integers(0, max(1, t - w)))
                x[:, b, s0 : s0 + w] = 0
    if augment and channel_dropout:
        keep = (torch.rand(1, len(batch), 1, d) > channel_dropout).float()
        x = x * keep / (1 - channel_dropout)
    lab = torch.full((len(batch), max(len(lb) for lb in labels)), -100, dtype=torch.long)
    for b, lb in enumerate(labels):
        lab[b, : len(lb)] = torch.tensor(lb)
    return list(x), pad, lab


def logits_of(model, states, pad):
    states = model.continue_encoding(states, pad)
    return model.head_logits(states, pad)


def ctc_loss(model, logits, pad, labels, weights: torch.Tensor | None = None):
    """CTC loss per label phone, averaged over the batch; ``weights`` scale each clip."""
    frames = pad.sum(-1)
    mask = labels >= 0
    lp = torch.log_softmax(logits, -1).transpose(0, 1)
    per_clip = torch.nn.functional.ctc_loss(
        lp, labels.masked_select(mask), frames, mask.sum(-1), blank=0, zero_infinity=True,
        reduction="none",
    ) / mask.sum(-1).clamp(min=1)
    if weights is not None:
        per_clip = per_clip * weights
    return per_clip.mean()


def refine_labels(sets: dict[str, dict], path: Path, use_weights: bool) -> None:
    """Replace the prompt labels of the real clips by ``training.relabel``'s refined ones
    (speed and noise copies share their clip's id) and, optionally, attach its weights."""
    refined = torch.load(path, weights_only=False)
    for name, s in sets.items():
        if name == "synth":
            continue
        s["labels"] = [refined["labels"].get(u, lab) for u, lab in zip(s["ids"], s["labels"])]
        if use_weights:
            s["weights"] = [refined["weights"].get(u, 1.0) for u in s["ids"]]


def batch_weights(batch, sets) -> torch.Tensor | None:
    if not any("weights" in sets[n] for n, _ in batch):
        return None
    return torch.tensor([sets[n]["weights"][i] if "weights" in sets[n] else 1.0 for n, i in batch])


@torch.no_grad()
def evaluate(model, dev, vocab, mask_every: int = 0) -> float:
    """Greedy dev PER from stored states; ``mask_every`` > 0 zeroes frames as training
    does (``training.mask_check``: does a run depend on them?)."""
    model.eval()
    errors = total = 0
    rng = np.random.default_rng(0)
    for i, (s, lab) in enumerate(zip(dev["states"], dev["labels"])):
        if mask_every:
            states, pad, _ = collate([("dev", i)], {"dev": dev}, vocab, True, rng,
                                     mask_every=mask_every)
            logits = logits_of(model, states, pad)[0]
        else:
            logits = logits_of(model, [x[None].float() for x in s], None)[0]
        hyp = [tok for tok, _, _ in greedy_decode(logits.numpy(), blank=0)]
        ref = encode_labels(lab, vocab)
        errors += edit_distance(ref, hyp)
        total += len(ref)
    model.train()
    return errors / max(total, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--features", type=Path, default=Path("work_data"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"),
                    help="corpus folder (speaker ages, for --holdout fold:K)")
    ap.add_argument("--holdout", default="dev",
                    help="'dev' (the last 12 speakers) or 'fold:K' (cross-fitting fold K)")
    ap.add_argument("--run", type=Path, default=Path("runs/tiny"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--minutes", type=float, default=0, help="stop after this wall time")
    ap.add_argument(
        "--upto", type=int, default=2, help="frozen encoder layers (≤ the extracted depth)"
    )
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--encoder-lr", type=float, default=2e-4)
    ap.add_argument("--layer-decay", type=float, default=1.0, help="encoder lr factor per layer")
    ap.add_argument("--max-frames", type=int, default=3500)
    ap.add_argument("--warmup", type=int, default=100, help="warm-up steps")
    ap.add_argument("--channel-dropout", type=float, default=0.0)
    ap.add_argument("--head-dropout", type=float, default=0.1)
    ap.add_argument("--mask-every", type=int, default=60,
                    help="one 1–3 frame mask per N frames (0: none)")
    ap.add_argument("--stop-after", type=int, default=0, help="stop after this epoch")
    ap.add_argument("--sets", nargs="+", default=list(TRAIN_SETS), help="stored sets to train on")
    ap.add_argument("--synth-share", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--encoder", default="tiny.en", choices=sorted(ENCODERS),
                    help="packaged Whisper encoder (must match the extracted states)")
    ap.add_argument("--labels", type=Path, help="refined labels from training.relabel")
    ap.add_argument("--use-weights", action="store_true", help="with --labels: stray weights")
    ap.add_argument("--qat", action="store_true",
                    help="train (and measure dev PER) in simulated int8, as the app runs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.run.mkdir(parents=True, exist_ok=True)
    sets = load_sets(args.features, sorted(set(args.sets) | {"clean"}))
    for d in sets.values():  # states stored deeper than --upto: train from lower ones
        d["states"] = [s[: args.upto + 1] for s in d["states"]]
    vocab_list = build_vocab(sets)
    dev = split_sets(sets, held_out_speakers(sets, args.holdout, args.data))
    if "clean" not in args.sets:
        del sets["clean"]
    print(f"holdout {args.holdout}: {len(dev['ids'])} clips held out, "
          f"{sum(len(s['ids']) for s in sets.values())} training clips", flush=True)
    if args.labels:
        refine_labels(sets, args.labels, args.use_weights)
    vocab = {p: i for i, p in enumerate(vocab_list)}
    model = new_model(vocab_list, args.upto, args.head_dropout, args.encoder)
    if args.qat:
        print(f"simulated int8: {len(qat.fake_quantize(qat.trained_modules(model)))} linear layers")
    opt = torch.optim.AdamW(param_groups(model, args), weight_decay=0.01)
    base_lrs = [g["lr"] for g in opt.param_groups]
    warmup = args.warmup
    state = {"epoch": 0, "step": 0, "best": math.inf, "log": []}
    last = args.run / "last.pt"
    if last.exists():
        ck = torch.load(last, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        print(f"resumed at epoch {state['epoch']} step {state['step']}")
    if args.qat and not state.get("qat"):  # float epochs' dev PER is not the app's: the
        state["qat"], state["best"] = True, math.inf  # best checkpoint is an int8 one
    (args.run / "vocab.json").write_text(json.dumps(vocab_list, ensure_ascii=False))
    if args.stop_after and state["epoch"] >= args.stop_after:  # a resumed recipe's done stage
        print(f"already past epoch {args.stop_after}: nothing to do", flush=True)
        return
    t_start = time.time()
    model.train()
    for epoch in range(state["epoch"], args.epochs):
        rng = random.Random(args.seed * 1000 + epoch)
        nrng = np.random.default_rng(args.seed * 1000 + epoch)
        t0, losses = time.time(), []
        items = epoch_items(sets, rng, args.synth_share)
        epoch_batches = batches(items, sets, args.max_frames, rng)
        for b, batch in enumerate(epoch_batches):
            # cosine decay over epochs (not steps), so a resumed run may change batch size
            progress = (epoch + b / len(epoch_batches)) / args.epochs
            warm = min(1.0, (state["step"] + 1) / warmup)
            scale = warm * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
            for g, lr in zip(opt.param_groups, base_lrs):
                g["lr"] = lr * max(scale, 0.02)
            states, pad, labels = collate(
                batch, sets, vocab, True, nrng, args.channel_dropout, args.mask_every
            )
            loss = ctc_loss(
                model, logits_of(model, states, pad), pad, labels, batch_weights(batch, sets)
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(loss.item())
            state["step"] += 1
            if state["step"] % 100 == 0:
                print(
                    f"epoch {epoch} step {state['step']} loss {np.mean(losses[-100:]):.3f} "
                    f"{time.time() - t0:.0f}s",
                    flush=True,
                )
        # fold runs keep their last epoch, so held-out PER is only measured at the end of
        # a stage (it costs minutes per epoch); dev runs choose their best epoch by it
        stage_end = epoch + 1 in (args.stop_after, args.epochs)
        per = evaluate(model, dev, vocab) if args.holdout == "dev" or stage_end else math.nan
        state["epoch"] = epoch + 1
        state["log"].append(
            {
                "epoch": epoch + 1,
                "loss": float(np.mean(losses)),
                "dev_per": per,
                "seconds": time.time() - t0,
            }
        )
        print(
            f"== epoch {epoch + 1}: loss {np.mean(losses):.3f} dev PER {per:.4f} "
            f"({time.time() - t0:.0f}s)",
            flush=True,
        )
        ck = {
            "model": model.state_dict(),
            "opt": opt.state_dict(),
            "state": state,
            "vocab": vocab_list,
            "args": vars(args),
        }
        if per < state["best"]:
            state["best"] = per
            torch.save(ck, args.run / "best.pt")
        torch.save(ck, last)
        (args.run / "log.json").write_text(json.dumps(state["log"], indent=1))
        if args.stop_after and epoch + 1 >= args.stop_after:
            break
        if args.minutes and time.time() - t_start > args.minutes * 60:
            print("time budget reached")
            break


if __name__ == "__main__":
    main()
