"""The built-in tutor: deterministic scenario scripts that listen, no network, no model.

It reacts to what the learner said (:mod:`accent_coach.tutor.listening`): it answers
the scenario questions the learner asks (price, options, times), takes answers given
before their question was asked and skips those questions, echoes what was picked
("One latte with oat milk, good choice.") and only re-asks when nothing was understood;
after two such misses it shows the model answer and moves on. Where the script stands
is replayed from the learner's turns (nothing hidden in session state), so the same
conversation always gets the same next line. Every reply carries the model answer of
the question the learner was answering and gentle corrections
(:mod:`accent_coach.tutor.grammar`) with the corrected sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from accent_coach.tutor import grammar
from accent_coach.tutor.conversation import Conversation, learner_turns
from accent_coach.tutor.listening import Reading, match_intent, normalise, read_turn
from accent_coach.tutor.scenarios import Scenario, get_scenario

__all__ = ["BuiltinTutor", "ScriptState", "TutorReply", "match_intent", "normalise",
           "script_state", "summary"]

MAX_REASKS = 2  # misses on one step before the tutor moves on
UNKNOWN_QUESTION = "Hmm, I'm not sure about that, sorry."


@dataclass
class TutorReply:
    """One tutor turn: the structured parts and where it came from."""

    reply: str
    follow_up: str | None = None
    correction: str | None = None
    explanation: str | None = None
    model_answer: str | None = None  # for the question the learner was answering
    source: str = "built-in"
    note: str | None = None  # e.g. "the LLM did not answer; the built-in tutor did"
    done: bool = False
    intent: str | None = None
    step: int = 0
    matched: bool = False
    question: str | None = None  # the tutor's question the model answer belongs to
    answered_questions: list[str] | None = None  # scenario questions the tutor answered
    skipped: list[int] | None = None  # later steps the learner answered early

    @property
    def text(self) -> str:
        """What the tutor says aloud."""
        return " ".join(p for p in (self.reply, self.follow_up) if p)

    def feedback(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("reply", "follow_up")}


@dataclass(frozen=True)
class ScriptState:
    step: int  # index of the step the tutor is waiting on (== len(steps) when done)
    misses: int  # failed tries on that step
    answered: int = 0  # steps the learner's answers fitted
    done: frozenset[int] = frozenset()  # steps over: answered (maybe early) or moved past


def _next_step(spec: Scenario, done: frozenset[int]) -> int:
    return next((n for n in range(len(spec.steps)) if n not in done), len(spec.steps))


def _advance(spec: Scenario, state: ScriptState, reading: Reading) -> ScriptState:
    """The state after one learner turn read as ``reading``."""
    done = set(state.done) | set(reading.early)
    answered = state.answered + len(reading.early)
    misses = state.misses
    if reading.current is not None:
        done.add(state.step)
        answered += 1
    elif not reading.understood:
        misses += 1
        if misses >= MAX_REASKS:
            done.add(state.step)
    frozen = frozenset(done)
    step = _next_step(spec, frozen)
    return ScriptState(step, 0 if step != state.step else misses, answered, frozen)


def _read(spec: Scenario, state: ScriptState, text: str) -> Reading:
    return read_turn(spec, state.step, state.done, text)


def script_state(conv: Conversation) -> ScriptState:
    """Replay the learner's turns through the script."""
    spec = get_scenario(conv["scenario"])
    state = ScriptState(0, 0)
    for turn in learner_turns(conv):
        if state.step >= len(spec.steps):
            break
        state = _advance(spec, state, _read(spec, state, turn["text"]))
    return state


def _next_line(spec: Scenario, level: str, step: int) -> tuple[str, bool]:
    """The question of ``step``, or the closing line when the script is over."""
    if step < len(spec.steps):
        return spec.steps[step].ask[level], False
    return spec.closing[level], True


def _without_greeting(text: str) -> str:
    """"Hi there, welcome in! What can I get you today?" → "What can I get you today?"
    (leading exclamations go; what the question needs, like directions, stays)."""
    return re.sub(r"^(?:[^.?!]*!\s+)+", "", text.strip()) or text


def _correction(answer: str) -> tuple[str | None, str | None]:
    found = grammar.corrections(answer)
    if not found:
        return None, None
    return grammar.corrected(answer), " ".join(dict.fromkeys(c.explanation for c in found))


def _acknowledge(spec: Scenario, reading: Reading, step: int) -> list[str]:
    """The tutor's reaction to each step answered, in script order, choices echoed."""
    answered = dict(reading.early)
    if reading.current is not None:
        answered[step] = reading.current
    lines = []
    for n in sorted(set(answered) - reading.quiet):
        intent, picked = answered[n], reading.choices.get(n)
        if picked and intent.reply_choice:
            line = intent.reply_choice.format(choice=picked)
            lines.append(line[:1].upper() + line[1:])
        else:
            lines.append(intent.reply)
    return lines


class BuiltinTutor:
    """Scenario scripts that answer questions, take early answers, echo choices, correct."""

    name = "built-in"

    def respond(
        self, conv: Conversation, answer: str, findings: dict[str, Any] | None = None
    ) -> TutorReply:
        """The reply to ``answer`` (not yet in ``conv``). ``findings`` is unused here."""
        spec, level = get_scenario(conv["scenario"]), conv["level"]
        state = script_state(conv)
        if state.step >= len(spec.steps):
            return TutorReply(spec.closing[level], done=True, step=state.step)
        step = spec.steps[state.step]
        correction, explanation = _correction(answer)
        reading = _read(spec, state, answer)
        after = _advance(spec, state, reading)
        common = dict(correction=correction, explanation=explanation,
                      model_answer=step.model[level], step=state.step,
                      question=step.ask[level],
                      answered_questions=[q.name for q in reading.questions] or None,
                      skipped=sorted(reading.early) or None)
        if reading.understood:
            parts = _acknowledge(spec, reading, state.step) + [q.answer for q in reading.questions]
            follow, done = _next_line(spec, level, after.step)
            if after.step == state.step:  # asked again: without the greeting
                follow = _without_greeting(follow)
            return TutorReply(" ".join(dict.fromkeys(parts)), follow, done=done,
                              intent=reading.current.name if reading.current else None,
                              matched=reading.current is not None, **common)
        lead = f"{UNKNOWN_QUESTION} " if reading.unknown_question else ""
        if after.step != state.step:
            follow, done = _next_line(spec, level, after.step)
            reply = f"{lead}Let's move on. You could say: “{step.model[level]}”"
            return TutorReply(reply, follow, done=done, **common)
        return TutorReply(lead + step.reask, None, **common)


def _pronunciation_lines(conv: Conversation) -> list[str]:
    scored = [t["feedback"]["pronunciation"] for t in learner_turns(conv)
              if (t.get("feedback") or {}).get("pronunciation", {}).get("scores")]
    unsure = sum(1 for t in learner_turns(conv)
                 if ((t.get("feedback") or {}).get("pronunciation") or {}).get("uncertain"))
    lines = []
    if scored:
        overall = sum(p["scores"].get("overall", 0) for p in scored) / len(scored)
        fluency = sum(p["scores"].get("fluency", 0) for p in scored) / len(scored)
        lines.append(f"- Pronunciation over {len(scored)} spoken answer(s): "
                     f"{overall:.0f}/100 on average, fluency {fluency:.0f}/100.")
        words = sorted((w for p in scored for w in p.get("worst_words", [])),
                       key=lambda w: w["score"])
        if words:
            names = list(dict.fromkeys(w["text"] for w in words))[:5]
            lines.append("- Words to practise: " + ", ".join(names) + ".")
        sounds = Counter(s["expected"] for p in scored for s in p.get("worst_sounds", []))
        if sounds:
            lines.append("- Sounds to practise: "
                         + ", ".join(f"/{s}/" for s, _ in sounds.most_common(4)) + ".")
    if unsure:
        lines.append(f"- {unsure} recording(s) were too unclear to score.")
    return lines


def summary(conv: Conversation) -> str:
    """End-of-conversation summary: script progress, corrections, pronunciation, phrases."""
    spec, level = get_scenario(conv["scenario"]), conv["level"]
    state = script_state(conv)
    lines = [f"**{spec.title}** — level {level}, {conv['mode']} mode.",
             f"- You answered {state.answered} of the "
             f"{len(spec.steps)} questions in the script"
             + ("." if state.step >= len(spec.steps) else " (the conversation ended early).")]
    lines.append("- Goals: " + "; ".join(spec.goals[level]) + ".")
    fixes = [g for t in learner_turns(conv) for g in (t.get("feedback") or {}).get("grammar", [])]
    if fixes:
        lines.append("- Corrections: " + "; ".join(
            dict.fromkeys(f"“{g['wrong']}” → “{g['right']}”" for g in fixes)) + ".")
    else:
        lines.append("- No grammar slips the tutor could spot.")
    lines += _pronunciation_lines(conv)
    lines.append("- Useful phrases: " + " · ".join(spec.phrases[level]))
    return "\n".join(lines)
