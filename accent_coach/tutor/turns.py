"""One learner turn, end to end and without Streamlit: audio → text → feedback → reply.

A spoken answer is decoded, transcribed by Whisper, checked for grammar slips and
assessed by the pronunciation engine against what the learner said (and against the
step's model answer when the learner was close to it). A transcript Whisper was unsure
of is not scored: the feedback says so instead. Then the tutor (LLM or built-in, with
fallback) replies, and both turns are appended to the conversation. Models come in
through callables so the app, CLI and benchmarks all load them through the manager.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from accent_coach.engine.audio import load_audio
from accent_coach.engine.g2p import TextError
from accent_coach.speech.transcriber import Transcript, transcribe
from accent_coach.tutor import grammar
from accent_coach.tutor.builtin import BuiltinTutor, TutorReply, normalise, script_state, summary
from accent_coach.tutor.conversation import Conversation, add_turn, now_iso
from accent_coach.tutor.llm import LLMTutor, respond
from accent_coach.tutor.scenarios import LEVELS, get_scenario

# transcribers given the question and its expected answers as context (measured safe:
# see transcription_context; whisper-base copies prompt words into its transcripts)
CONTEXT_TRANSCRIBERS = frozenset({"whisper-tiny.en"})
CLOSE_TO_MODEL = 70  # rapidfuzz token-sort ratio: "the learner tried the model answer"
WORST = 3  # words / sounds shown per turn
UNSURE = (
    "I'm not sure I heard you clearly (the speech recognizer's confidence was low), so this "
    "answer is not scored. Try again a little closer to the microphone, or type it."
)


@dataclass
class TurnTimings:
    """Seconds spent on each part of a turn (for the benchmark and the UI)."""

    transcribe: float = 0.0
    assess: float = 0.0
    reply: float = 0.0
    total: float = 0.0


@dataclass
class TurnResult:
    learner: dict[str, Any]
    tutor: dict[str, Any]
    reply: TutorReply
    timings: TurnTimings = field(default_factory=TurnTimings)


def _worst(result: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    words = [w for w in result.get("words") or []
             if w.get("score") is not None and w.get("error") != "insertion"]
    worst_words = [{"text": w["text"], "score": float(w["score"])}
                   for w in sorted(words, key=lambda w: w["score"]) if w["score"] < 80][:WORST]
    phones = [(p, w["text"]) for w in words for p in w.get("phones") or []
              if p.get("expected") and p.get("error") != "none"]
    phones.sort(key=lambda pw: pw[0].get("score") if pw[0].get("score") is not None else -1)
    worst_sounds = [{"expected": p["expected"], "heard": p.get("heard"), "word": word,
                     "score": p.get("score")} for p, word in phones[:WORST]]
    return worst_words, worst_sounds


def _summarise(result: dict[str, Any], text: str) -> dict[str, Any]:
    worst_words, worst_sounds = _worst(result)
    tips = [t.get("tip", "") for t in result.get("tips") or []]
    return {"text": text, "scores": result.get("scores") or {}, "worst_words": worst_words,
            "worst_sounds": worst_sounds, "tips": list(dict.fromkeys(tips))[:WORST],
            "result": result}


def assess_spoken(
    samples: np.ndarray,
    transcript: Transcript,
    model_answer: str | None,
    *,
    accent: str,
    loaded: Any,
) -> dict[str, Any]:
    """Pronunciation findings for one spoken answer (16 kHz samples), or why there are none."""
    from accent_coach.engine.assess import assess
    from accent_coach.speech.posteriors import posteriors

    base = {"transcript": transcript.to_dict()}
    if not transcript.confident:
        return {**base, "uncertain": True, "message": UNSURE}
    post = posteriors(loaded, samples, states=True)  # a learned scorer may read them
    try:
        said = assess(samples, transcript.text, accent=accent, loaded=loaded,
                      with_prosody=False, precomputed=post).to_dict()
    except TextError as exc:
        return {**base, "uncertain": True, "message": f"This answer can't be scored: {exc}"}
    out = {**base, "uncertain": False, **_summarise(said, transcript.text), "model_answer": None}
    if model_answer:
        similarity = fuzz.token_sort_ratio(normalise(transcript.text), normalise(model_answer))
        if CLOSE_TO_MODEL <= similarity < 100:
            target = assess(samples, model_answer, accent=accent, loaded=loaded,
                            with_prosody=False, precomputed=post).to_dict()
            out["model_answer"] = {**_summarise(target, model_answer), "similarity": similarity}
    return out


def current_model_answer(conv: Conversation) -> str | None:
    spec, state = get_scenario(conv["scenario"]), script_state(conv)
    return spec.steps[state.step].model[conv["level"]] if state.step < len(spec.steps) else None


def transcription_context(conv: Conversation) -> str | None:
    """What Whisper is told before the learner's answer (its initial prompt): the tutor's
    question and the answers it expects (the step's model answers at every level).

    Measured on 36 takes of the 12 held-out speechocean762 learners with whisper-tiny.en
    (``benchmarks/transcribe_context.py``; figures in benchmarks/README.md): when the
    sentence said is among the expected ones WER falls from 87.6 % to 39.7 %; when three
    sentences the learner did not say are expected, WER stays at 87.6 % and 2 of their
    content words (vs 1 without context, per 242 words said) appear in the transcripts. It
    can still bend an off-topic answer ("My name is Anna…" → "…a banana…" on espeak speech).
    whisper-base copies prompt words it did not hear (14 of the distractor sentences' words
    with the expected answer among them, 4 with three unsaid sentences, vs 0 without
    context), so only tiny.en gets the context (:data:`CONTEXT_TRANSCRIBERS`).
    """
    spec, state = get_scenario(conv["scenario"]), script_state(conv)
    if state.step >= len(spec.steps):
        return None
    step = spec.steps[state.step]
    lines = [step.ask[conv["level"]], *dict.fromkeys(step.model[lv] for lv in LEVELS)]
    return " ".join(lines)


def take_turn(
    conv: Conversation,
    *,
    text: str | None = None,
    audio: bytes | None = None,
    tutor: LLMTutor | BuiltinTutor | None = None,
    load_transcriber: Callable[[], Any] | None = None,
    load_recognizer: Callable[[], Any] | None = None,
    accent: str = "us",
) -> TurnResult:
    """Add the learner's answer (typed ``text`` or encoded ``audio``) and the tutor's reply.

    Raises AudioError for an unusable recording and ModelLoadError when a model can't
    load, before anything is added, so a failed turn leaves the conversation as it was.
    """
    start = time.perf_counter()
    timings = TurnTimings()
    feedback: dict[str, Any] = {}
    transcript_text: str | None = None
    if audio is not None:
        if load_transcriber is None or load_recognizer is None:
            raise ValueError("A spoken turn needs a transcriber and a recognizer.")
        clip = load_audio(audio)
        t0 = time.perf_counter()
        transcriber = load_transcriber()
        context = (transcription_context(conv)
                   if getattr(transcriber, "name", None) in CONTEXT_TRANSCRIBERS else None)
        heard = transcribe(transcriber, clip.samples, prompt=context)
        timings.transcribe = time.perf_counter() - t0
        transcript_text = heard.text
        answer = heard.text
        t0 = time.perf_counter()
        feedback["pronunciation"] = assess_spoken(
            clip.samples, heard, current_model_answer(conv), accent=accent,
            loaded=load_recognizer(),
        )
        timings.assess = time.perf_counter() - t0
    else:
        answer = " ".join((text or "").split())
        if not answer:
            raise ValueError("Type an answer or record one.")
    feedback["grammar"] = [c.to_dict() for c in grammar.corrections(answer)]
    t0 = time.perf_counter()
    findings = feedback.get("pronunciation")
    reply = respond(tutor or BuiltinTutor(), conv, answer, findings)
    timings.reply = time.perf_counter() - t0
    if feedback["grammar"]:
        feedback["corrected"] = grammar.corrected(answer)
    if reply.model_answer:  # shown with the learner's answer, under the question it answers
        feedback["model_answer"] = {"question": reply.question, "text": reply.model_answer}
    learner = add_turn(conv, "learner", answer or "(nothing heard)", transcript=transcript_text,
                       audio=audio, feedback=feedback)
    tutor_turn = add_turn(conv, "tutor", reply.text, feedback=reply.feedback())
    if reply.done:
        end(conv)
    timings.total = time.perf_counter() - start
    return TurnResult(learner, tutor_turn, reply, timings)


def end(conv: Conversation) -> None:
    """Close the conversation with its summary (idempotent)."""
    if conv.get("ended_at") is None:
        conv["ended_at"] = now_iso()
    conv["summary"] = summary(conv)
