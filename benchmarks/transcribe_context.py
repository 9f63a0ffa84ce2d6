"""Whisper for the tutor: which transcriber, and does the question's context help?

    nice -n 19 python -m benchmarks.transcribe_context [--utterances 48] [--models ...]

On held-out learners of speechocean762-train (the last 12 speakers, as in training/;
``--utterances`` spread evenly over them), one CPU thread, for each transcriber:

* ``plain``: no context — WER over all takes and over the takes it was confident about,
  the share flagged unsure, and the latency of a turn's transcription (p50 / p95 s);
* ``expected``: the context a tutor has when the learner says what it expected — the
  sentence read, among two others (as a step's model answers are), as Whisper's
  initial prompt (``prompt``) or as hotwords (``hotwords``);
* ``other``: the learner said something else — the prompt holds three sentences that
  were not read. ``invented`` counts the words of the prompt (not in the sentence read)
  that appear in the transcript, per 100 reference words, against the same count
  without context: how often the context makes Whisper write expected words the
  learner did not say (content words only: "the" or "is" say nothing).

Prints one JSON object (also written to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from benchmarks.devdata import spread_over_speakers

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _sentence(text: str) -> str:
    """CORPUS CAPITALS → "Corpus capitals." (a prompt reads like what is said)."""
    t = text.strip().lower()
    return t[:1].upper() + t[1:] + "."


def _contexts(utts: list, i: int) -> tuple[str, str]:
    """(expected: the sentence read among two others, other: three sentences not read)."""
    n = len(utts)
    others = [utts[(i + k) % n].text for k in (7, 13, 19)]
    expected = [others[0], utts[i].text, others[1]]
    return " ".join(map(_sentence, expected)), " ".join(map(_sentence, others))


# function words: every sentence has them, so they say nothing about the prompt
FUNCTION_WORDS = set(
    "a an the and or but of to in on at by for with from as is are was were be been it "
    "its he she they we you i me my his her their our your him them us this that these "
    "those there here not no do did does have has had will would can could so if then "
    "than up out about into over very just".split())


def _invented(ref: str, hyp: str, prompt: str) -> int:
    """Content words of ``prompt`` that were not said but are in the transcript."""
    from accent_coach.tutor.wer import words

    foreign = set(words(prompt)) - set(words(ref)) - FUNCTION_WORDS
    return sum(w in foreign for w in words(hyp))


CONDITIONS = {
    "plain": {},
    "prompt_expected": {"prompt": 0}, "prompt_other": {"prompt": 1},
    "hotwords_expected": {"hotwords": 0}, "hotwords_other": {"hotwords": 1},
}


def run_model(loaded, clips: list, utts: list, names: list[str]) -> dict:
    from accent_coach.speech.transcriber import transcribe
    from accent_coach.tutor.wer import wer

    transcribe(loaded, clips[0][1])  # warm-up, not counted
    ref_words = sum(len(u.text.split()) for u, _ in clips)
    out: dict = {}
    for name in names:
        how = CONDITIONS[name]
        pairs, sure, seconds, flagged, invented, hyps = [], [], [], 0, 0, []
        for i, (u, samples) in enumerate(clips):
            expected, other = _contexts(utts, i)
            kwargs = {k: (expected, other)[v] for k, v in how.items()}
            heard = transcribe(loaded, samples, **kwargs)
            pairs.append((u.text, heard.text))
            hyps.append([u.utt, heard.text, kwargs.get("prompt") or kwargs.get("hotwords")])
            seconds.append(heard.seconds)
            if heard.confident:
                sure.append((u.text, heard.text))
            else:
                flagged += 1
            invented += _invented(u.text, heard.text, other)
        out[name] = {
            "wer": round(100 * wer(pairs), 1),
            "wer_confident": round(100 * wer(sure), 1) if sure else None,
            "flagged_unsure": flagged,
            "turn_s_p50": round(statistics.median(seconds), 3),
            "turn_s_p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 3),
            "invented_per_100_words": round(100 * invented / ref_words, 2),
            "invented_words": invented,
            "transcripts": hyps,
        }
        if name == "plain":
            out["rtf_plain"] = round(sum(seconds) / (sum(len(c) for _, c in clips) / 16_000), 3)
    return out


def _summary(result: dict) -> dict:
    """The result without the transcripts (what is printed)."""
    return {k: ({c: ({m: x for m, x in v.items() if m != "transcripts"}
                     if isinstance(v, dict) else v) for c, v in r.items()}
                if isinstance(r, dict) else r) for k, r in result.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--utterances", type=int, default=48)
    ap.add_argument("--models", nargs="+", default=["whisper-tiny.en", "whisper-base"])
    ap.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from accent_coach.engine.audio import load_audio
    from accent_coach.speech.manager import get_manager
    from benchmarks.devdata import available, held_out

    if not available():
        print("skipped: ../shared/data/speechocean762-train not found")
        return 0
    utts = spread_over_speakers(held_out(), args.utterances)
    clips = [(u, load_audio(str(u.audio)).samples) for u in utts]
    result: dict = {
        "utterances": len(clips), "speakers": len({u.speaker for u in utts}),
        "audio_s": round(sum(len(c) for _, c in clips) / 16_000, 1),
        "reference_words": sum(len(u.text.split()) for u in utts),
    }
    manager = get_manager()
    for name in args.models:
        result[name] = run_model(manager.load_transcriber(name), clips, utts, args.conditions)
        print(json.dumps({name: result[name]}), file=sys.stderr, flush=True)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(json.dumps(_summary(result), indent=2))
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
