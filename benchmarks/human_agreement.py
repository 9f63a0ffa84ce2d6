"""How well the engine's scores agree with five human experts, on speakers it never saw.

Runs the whole engine (``engine.assess``, as the app does) on speechocean762-train takes
and compares what a learner would see with the experts' scores (``training.agreement``):
PCC per phone, per word (accuracy, stress, total) and per take, and the flags'
precision / recall / F1 against phones the experts scored below 1.5 and 1.0.

Held out means held out from everything that produced the scores:

* ``--recognizers shipped``: the shipped recognizer on the 12 speakers it never trained
  on (``data.split``'s dev speakers);
* ``--recognizers 'runs/fold{k}/model'``: each take scored by the cross-fitting
  recognizer of its speaker's fold (``training.folds``), i.e. a model trained without
  that speaker — all 125 speakers;
* ``--scorer rules``: the hand-set formulas; ``--scorer 'runs/scorer/fold{k}'``: the
  learned scorer trained without the speaker's fold (``training/scorer.py crossval``).
  The shipped scorer saw every speaker and is never benchmarked here. Several scorers
  separated by commas (``--scorer 'rules,runs/scorer/fold{k}'``) are measured on the
  same recognition of each take (one row each): before and after in one run.

    python -m benchmarks.human_agreement --recognizers shipped --scorer rules
    python -m benchmarks.human_agreement --recognizers 'runs/fold{k}/model' \\
        --scorer 'runs/scorer/fold{k}'
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.devdata import available, data_dir


def _word_units(result, n_words: int):
    words = [w for w in result.words if w.error != "insertion"]
    if len(words) != n_words:
        raise ValueError(f"{len(words)} result words vs {n_words} expert words")
    out = []
    for w in words:
        stress = None if w.stress_score is None else 5 + w.stress_score / 20
        out.append((
            None if w.score is None else w.score / 10, stress,
            None if w.total is None else w.total / 10,
            w.error in ("mispronunciation", "omission"),
        ))
    return words, out


def score_take(result, take, targets, collected, speaker: str) -> None:
    words, units = _word_units(result, len(take.words))
    scores, flags = [], []
    for w in words:
        for p in w.phones:
            if p.expected is not None:
                scores.append(0.0 if p.score is None else p.score / 50)
                flags.append(p.error != "none")
    if len(scores) != len(targets):
        raise ValueError(f"{take.id}: {len(scores)} scored sounds vs {len(targets)} tokens")
    s = result.scores
    utterance = {
        "accuracy": s.get("accuracy"), "completeness": s.get("completeness"),
        "fluency": s.get("fluency"), "prosodic": s.get("prosody"), "total": s.get("overall"),
    }
    utterance = {k: None if v is None else v / 10 for k, v in utterance.items()}
    collected.add_take(take, targets, scores, flags, units, utterance, speaker)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="speechocean762-train folder")
    ap.add_argument("--recognizers", default="shipped")
    ap.add_argument("--scorer", default="rules")
    ap.add_argument("--limit", type=int, default=0, help="at most this many takes")
    ap.add_argument("--speakers", type=int, default=0, help="at most this many speakers")
    ap.add_argument("--name", default="", help="row name (one scorer) or prefix (several)")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    if not available(args.data):
        print("speechocean762-train not found (../shared/data); nothing to measure.")
        return 0
    import torch

    from accent_coach.engine.assess import assess
    from accent_coach.engine.audio import load_audio
    from accent_coach.speech.loaders.recognizer import load_checkpoint
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.posteriors import posteriors
    from accent_coach.speech.registry import resolve_model
    from accent_coach.speech.scorer import load_scorer
    from training import data, experts, folds
    from training.agreement import Collected, table

    torch.set_num_threads(1)
    root = data_dir(args.data)
    corpus = data.read_corpus(root)
    takes = experts.read_scores(root)
    fold_of = folds.speaker_folds({u.speaker for u in corpus}, folds.read_ages(root))
    if args.recognizers == "shipped":
        utts = data.split(corpus)[1]
        shipped = get_manager().load_model(None)
        recognizer = lambda k: shipped  # noqa: E731
    else:
        utts = corpus
        cache: dict[int, object] = {}

        def recognizer(k: int):
            if k not in cache:
                cache.clear()
                path = args.recognizers.format(k=k)
                cache[k] = load_checkpoint(resolve_model(path), "cpu", "int8")
            return cache[k]

    choices = [c for c in args.scorer.split(",") if c]
    scorers: dict[tuple[str, int], object] = {}

    def scorer(choice: str, k: int):
        if choice in ("rules", "auto"):
            return choice
        if (choice, k) not in scorers:
            scorers[choice, k] = load_scorer(Path(choice.format(k=k)))
        return scorers[choice, k]

    if args.speakers:
        keep = sorted({u.speaker for u in utts})[: args.speakers]
        utts = [u for u in utts if u.speaker in keep]
    utts = sorted(utts, key=lambda u: (fold_of[u.speaker], u.utt))
    utts = utts[: args.limit] if args.limit else utts
    collected = {c: Collected() for c in choices}
    t0 = time.perf_counter()
    skipped = 0
    for n, u in enumerate(utts):
        take = takes[u.utt]
        k = fold_of[u.speaker]
        refs = experts.expert_reference(take)
        targets = experts.token_targets(refs, take)
        text = " ".join(w.text for w in take.words).lower()
        loaded = recognizer(k)
        clip = load_audio(str(u.audio))
        post = posteriors(loaded, clip.samples, states=True)  # one recognition, all scorers
        try:
            for choice in choices:
                result = assess(clip.samples, text, loaded=loaded, references=refs,
                                precomputed=post, scorer=scorer(choice, k))
                score_take(result, take, targets, collected[choice], u.speaker)
        except ValueError as exc:
            skipped += 1
            print(f"skipped {exc}", file=sys.stderr)
        if n % 250 == 0:
            print(f"{n}/{len(utts)} takes, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows = {}
    for choice in choices:
        name = (args.name if len(choices) == 1 and args.name
                else f"{args.name}{args.recognizers} + {choice}")
        rows[name] = {**collected[choice].report(), "skipped": skipped}
    print(table(rows))
    print(json.dumps(rows, indent=1))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
