"""Greedy PER of a shipped model folder on held-out speakers, from raw audio.

Runs the model exactly as the app does (AutoProcessor + AutoModelForCTC, one clip at
a time), prints PER two ways — against the prompts (what the learner was asked to
read; the historical figure) and against the expert-corrected labels (what the
learner said, as far as the five experts named it: ``training.experts``), the honest
measure of the ears — then the top confusions and per-phone recall.

    python -m training.evaluate --model accent_coach/speech/models/whisper-tiny-ipa-ctc
    python -m training.evaluate --model runs/fold0/model --holdout fold:0
    python -m training.evaluate --model A --model B --int8     # an ensemble of A and B

Several ``--model`` folders are measured as an ensemble: their frame posteriors are
averaged (they must share the vocabulary and frame rate) before greedy decoding.
``--blank-penalty`` subtracts a constant from the blank's log-posterior before decoding
(> 0 trades deletions for insertions).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import torch
from transformers import AutoModelForCTC, AutoProcessor

import accent_coach.speech.whisper_ctc  # noqa: F401  (registers the architecture)
from accent_coach.engine.alignment import greedy_decode
from accent_coach.speech.quantization import quantize_int8
from accent_coach.speech.registry import EMBEDDED_MODEL_DIR
from training import data, experts, folds
from training.metrics import align


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", action="append",
                    help="model folder (default: the shipped one); repeat for an ensemble")
    ap.add_argument("--blank-penalty", type=float, default=0.0)
    ap.add_argument("--keep-float", action="append", default=[], metavar="REGEX",
                    help="with --int8: linear layers left in float32 (whole module name)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--int8", action="store_true", help="dynamic int8, as the app runs on CPU")
    ap.add_argument("--holdout", default="dev", help="'dev' (last 12 speakers) or 'fold:K'")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    folders = args.model or [str(EMBEDDED_MODEL_DIR)]
    processor = AutoProcessor.from_pretrained(folders[0])
    models = [AutoModelForCTC.from_pretrained(f).eval() for f in folders]
    if args.int8:
        models = [quantize_int8(m, args.keep_float) for m in models]
    vocab = processor.tokenizer.convert_ids_to_tokens(list(range(models[0].config.vocab_size)))
    for folder in folders[1:]:
        other = AutoProcessor.from_pretrained(folder).tokenizer
        if other.convert_ids_to_tokens(list(range(len(vocab)))) != vocab:
            raise SystemExit(f"{folder}: another vocabulary; an ensemble needs one")
    blank = processor.tokenizer.pad_token_id
    dev = held_out(args.data, args.holdout)
    dev = dev[: args.limit] if args.limit else dev
    corrected = corrected_labels(args.data, [u.utt for u in dev])
    said_total = 0
    said_kinds: Counter = Counter()  # substitutions, deletions, insertions vs what was said
    pairs: Counter = Counter()
    ref_count: Counter = Counter()
    by_speaker: dict[str, list[int]] = {}
    audio_s = compute_s = 0.0
    for u in dev:
        audio = data.load(u.audio)
        t0 = time.perf_counter()
        logp = frame_logprobs(models, processor(audio, sampling_rate=data.SR,
                                                return_tensors="pt"))
        compute_s += time.perf_counter() - t0
        audio_s += len(audio) / data.SR
        logp[:, blank] -= args.blank_penalty
        ref = u.phones()
        hyp = [vocab[t] for t, _, _ in greedy_decode(logp.numpy(), blank)]
        spk = by_speaker.setdefault(u.speaker, [0, 0])
        for r, h in align(ref, hyp):
            pairs[(r, h)] += 1
            spk[0] += r != h
            if r is not None:
                ref_count[r] += 1
        spk[1] += len(ref)
        if u.utt in corrected:
            for r, h in align(corrected[u.utt], hyp):
                said_kinds[error_kind(r, h)] += 1
            said_total += len(corrected[u.utt])
    errors, total = (sum(col) for col in zip(*by_speaker.values()))
    speakers = len(by_speaker)
    print(f"dev: {len(dev)} utterances, {speakers} held-out speakers, {total} phones")
    print(f"greedy PER: {100 * errors / total:.2f}% against the prompts")
    if said_total:
        said_errors = sum(n for kind, n in said_kinds.items() if kind)
        print(f"greedy PER: {100 * said_errors / said_total:.2f}% against the expert-corrected "
              f"labels ({len(corrected)} takes, {said_total} phones; substitutions "
              f"{said_kinds['S']}, deletions {said_kinds['D']}, insertions {said_kinds['I']})")
    print(f"real-time factor ({args.threads} thread): {compute_s / audio_s:.4f}")
    print(
        "per speaker: " + ", ".join(f"{s} {100 * e / n:.0f}%" for s, (e, n) in by_speaker.items())
    )
    print("\ntop-15 confusions (expected → heard, '∅' = nothing):")
    conf = [(k, n) for k, n in pairs.items() if k[0] != k[1]]
    for (r, h), n in sorted(conf, key=lambda kv: -kv[1])[:15]:
        print(f"  {r or '∅':>4} → {h or '∅':<4} {n}")
    print("\nper-phone recall (correct / expected):")
    for p in sorted(ref_count, key=lambda p: -ref_count[p]):
        print(f"  {p:>4} {pairs[(p, p)] / ref_count[p]:6.1%}  (n={ref_count[p]})")


def error_kind(ref: str | None, hyp: str | None) -> str:
    """'S', 'D' or 'I' for an aligned pair that differs, '' for a match."""
    if ref == hyp:
        return ""
    return "I" if ref is None else "D" if hyp is None else "S"


@torch.no_grad()
def frame_logprobs(models: list, inputs) -> torch.Tensor:
    """Log-posteriors [T, V] of one clip: one model's, or the mean posterior of several."""
    logps = [torch.log_softmax(m(**inputs).logits[0], -1) for m in models]
    if len(logps) == 1:
        return logps[0]
    frames = min(lp.shape[0] for lp in logps)
    stacked = torch.stack([lp[:frames] for lp in logps])
    return torch.logsumexp(stacked, 0) - torch.log(torch.tensor(float(len(logps))))


def held_out(root: Path, holdout: str) -> list[data.Utterance]:
    """The utterances of the speakers a run held out (see train.py --holdout)."""
    corpus = data.read_corpus(root)
    if holdout == "dev":
        return data.split(corpus)[1]
    k = int(holdout.split(":", 1)[1])
    by_speaker = folds.speaker_folds({u.speaker for u in corpus}, folds.read_ages(root))
    return [u for u in corpus if by_speaker[u.speaker] == k]


def corrected_labels(root: Path, utts: list[str]) -> dict[str, list[str]]:
    """Expert-corrected tokens of ``utts`` (empty without the corpus's scores.jsonl)."""
    if not (root / "scores.jsonl").is_file():
        return {}
    takes = experts.read_scores(root)
    out = {}
    for u in utts:
        if u in takes:
            refs = experts.expert_reference(takes[u])
            out[u] = experts.corrected_tokens(refs, experts.token_targets(refs, takes[u]))
    return out


if __name__ == "__main__":
    main()
