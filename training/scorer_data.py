"""Cross-fitted features for the learned scorer, with the experts' scores as targets.

Every take of speechocean762-train is run through the engine's first four stages
(``engine.assess.measure``: prepare → recognize → align → featurize, exactly as the app
runs them, int8 on CPU) with the recognizer that did *not* train on its speaker: fold
K's takes with ``runs/fold{K}/model`` (``training.crossfit``). A recognizer's posteriors on
speakers it trained on are too clean, and a scorer that learned from them would trust
them too much on a new learner.

    python -m training.scorer_data --recognizers 'runs/fold{k}/model' \\
        --out work_data/scorer_features.pt
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training import data, experts, folds


@dataclass
class TakeRecord:
    """One take's scorer inputs and the experts' judgments of it."""

    utt: str
    speaker: str
    fold: int
    phone: np.ndarray  # [N, F] features per token
    ids: np.ndarray  # [N] token ids
    word_of: np.ndarray  # [N] word index per token
    utterance: np.ndarray  # [U]
    n_words: int
    phone_target: np.ndarray  # [N] expert score 0–2 of the token's phone, NaN if none
    token_phone: np.ndarray  # [N] index of that phone within its word, -1 if none
    word_target: np.ndarray  # [W, 3] accuracy, stress, total (0–10)
    utt_target: np.ndarray  # [4] accuracy, fluency, prosodic, total (0–10)
    completeness: float  # experts' 0–10 (not learned; reported)
    rule: dict  # the hand-set scores of this take (featurize's rule dict)
    states: np.ndarray | None = None  # [N, S] float16 recognizer states per token


def record(take_result, take: experts.ExpertTake, targets, utt, fold: int) -> TakeRecord:
    feats, rec = take_result.features, take_result.recognition
    if len(rec.targets) != len(targets):
        raise ValueError(f"{take.id}: {len(rec.targets)} scored tokens vs {len(targets)}")
    return TakeRecord(
        utt=take.id, speaker=utt.speaker, fold=fold, phone=feats.phone,
        ids=np.array([t.token_id for t in rec.targets], dtype=np.int64),
        word_of=np.array([t.word for t in rec.targets], dtype=np.int64),
        utterance=feats.utterance, n_words=len(take.words),
        phone_target=np.array([np.nan if t.score is None else t.score for t in targets],
                              dtype=np.float32),
        token_phone=np.array([-1 if t.phone is None else t.phone for t in targets],
                             dtype=np.int64),
        word_target=np.array([[w.accuracy, w.stress, w.total] for w in take.words],
                             dtype=np.float32),
        utt_target=np.array([take.accuracy, take.fluency, take.prosodic, take.total],
                            dtype=np.float32),
        completeness=take.completeness, rule=dict(feats.rule),
        states=None if feats.states is None else feats.states.astype(np.float16),
    )


def load_records(path: Path) -> list[TakeRecord]:
    """Records written by this module, also those pickled as ``__main__.TakeRecord`` by
    an earlier version of its command line."""
    import sys

    import torch

    main = sys.modules["__main__"]
    added = not hasattr(main, "TakeRecord")
    if added:
        main.TakeRecord = TakeRecord  # type: ignore[attr-defined]
    try:
        raw = torch.load(path, weights_only=False)
    finally:
        if added:
            del main.TakeRecord  # type: ignore[attr-defined]
    return [r if type(r) is TakeRecord else TakeRecord(**vars(r)) for r in raw]


def token_targets(r: TakeRecord) -> list[experts.TokenTarget]:
    """The record's tokens as ``experts.TokenTarget`` (for ``training.agreement``)."""
    return [
        experts.TokenTarget(int(w), None if p < 0 else int(p),
                            None if np.isnan(s) else float(s), None)
        for w, p, s in zip(r.word_of, r.token_phone, r.phone_target)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--recognizers", default="runs/fold{k}/model",
                    help="folder pattern of the cross-fitting recognizers ({k} = fold)")
    ap.add_argument("--out", type=Path, default=Path("work_data/scorer_features.pt"))
    ap.add_argument("--folds", type=int, nargs="*", help="only these folds")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import torch

    from accent_coach.engine.assess import measure
    from accent_coach.speech.loaders.recognizer import load_checkpoint, quiet_transformers
    from accent_coach.speech.registry import resolve_model

    torch.set_num_threads(args.threads)
    corpus = data.read_corpus(args.data)
    takes = experts.read_scores(args.data)
    fold_of = folds.speaker_folds({u.speaker for u in corpus}, folds.read_ages(args.data))
    wanted = args.folds if args.folds else list(range(folds.FOLDS))
    out: list[TakeRecord] = []
    if args.out.exists():  # resume: keep the folds already done
        out = [r for r in load_records(args.out) if r.fold not in wanted]
    for k in wanted:
        with quiet_transformers():
            loaded = load_checkpoint(resolve_model(args.recognizers.format(k=k)), "cpu", "int8")
        t0 = time.time()
        utts = [u for u in corpus if fold_of[u.speaker] == k]
        for n, u in enumerate(utts):
            take = takes[u.utt]
            refs = experts.expert_reference(take)
            targets = experts.token_targets(refs, take)
            text = " ".join(w.text for w in take.words).lower()
            result = measure(u.audio, text, loaded=loaded, references=refs, states=True)
            out.append(record(result, take, targets, u, k))
            if n % 100 == 0:
                print(f"fold {k}: {n}/{len(utts)} takes, {time.time() - t0:.0f} s", flush=True)
        torch.save(out, args.out)
        print(f"fold {k}: {len(utts)} takes in {time.time() - t0:.0f} s → {args.out}", flush=True)


if __name__ == "__main__":
    # run the module's own main so pickled records name ``training.scorer_data.TakeRecord``
    # (not ``__main__.TakeRecord``, which no other program could load)
    from training.scorer_data import main as module_main

    module_main()
