"""The built-in tutor: deterministic scenario scripts, no network, no model.

Where the script stands is replayed from the learner's turns (nothing hidden in
session state), so the same conversation always gets the same next line. Answers
are matched to a step's intents by keywords (word-boundary, stem and fuzzy matches
through ``rapidfuzz``, so transcription slips like "capuccino" still count) and by
closeness to the step's model answers. An answer that does not fit is re-asked; after
two misses the tutor shows the model answer and moves on. Every reply carries the
model answer for the step and gentle corrections (:mod:`accent_coach.tutor.grammar`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz import fuzz

from accent_coach.tutor import grammar
from accent_coach.tutor.conversation import Conversation, learner_turns
from accent_coach.tutor.scenarios import Intent, Scenario, Step, get_scenario

MAX_REASKS = 2  # misses on one step before the tutor moves on
FUZZY_KEYWORD = 85  # rapidfuzz ratio for a word to count as a misheard keyword
MODEL_SIMILARITY = 80  # token-set ratio for an answer to count as close to a model answer
_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class TutorReply:
    """One tutor turn: the structured parts and where it came from."""

    reply: str
    follow_up: str | None = None
    correction: str | None = None
    explanation: str | None = None
    model_answer: str | None = None
    source: str = "built-in"
    note: str | None = None  # e.g. "the LLM did not answer; the built-in tutor did"
    done: bool = False
    intent: str | None = None
    step: int = 0
    matched: bool = False

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


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


def _keyword_hit(keyword: str, text: str, words: list[str]) -> bool:
    if len(keyword) <= 3 or any(ch.isdigit() for ch in keyword):
        return re.search(rf"(?<![\w']){re.escape(keyword)}(?![\w'])", text) is not None
    if re.search(rf"(?<![\w']){re.escape(keyword)}", text):
        return True
    if len(keyword) < 5:
        return False
    size = len(keyword.split())
    grams = [" ".join(words[i:i + size]) for i in range(len(words) - size + 1)]
    return any(fuzz.ratio(keyword, g) >= FUZZY_KEYWORD for g in grams)


def match_intent(step: Step, answer: str) -> Intent | None:
    """The intent the answer expresses (most keyword hits, first on ties), else None."""
    text = normalise(answer)
    if not text:
        return None
    words = text.split()
    hits = [(sum(_keyword_hit(k, text, words) for k in i.keywords), -n, i)
            for n, i in enumerate(step.intents)]
    best = max(hits, key=lambda h: (h[0], h[1]))
    if best[0] > 0:
        return best[2]
    close = max(fuzz.token_set_ratio(text, normalise(m)) for m in step.model.values())
    return step.intents[0] if close >= MODEL_SIMILARITY else None


def script_state(conv: Conversation) -> ScriptState:
    """Replay the learner's turns through the script."""
    spec = get_scenario(conv["scenario"])
    step = misses = answered = 0
    for turn in learner_turns(conv):
        if step >= len(spec.steps):
            break
        if match_intent(spec.steps[step], turn["text"]) is not None:
            step, misses, answered = step + 1, 0, answered + 1
        else:
            misses += 1
            if misses >= MAX_REASKS:
                step, misses = step + 1, 0
    return ScriptState(step, misses, answered)


def _next_line(spec: Scenario, level: str, step: int) -> tuple[str, bool]:
    """The question of ``step``, or the closing line when the script is over."""
    if step < len(spec.steps):
        return spec.steps[step].ask[level], False
    return spec.closing[level], True


def _correction(answer: str) -> tuple[str | None, str | None]:
    found = grammar.corrections(answer)
    if not found:
        return None, None
    return grammar.corrected(answer), " ".join(dict.fromkeys(c.explanation for c in found))


class BuiltinTutor:
    """Scenario scripts with intent matching, re-asks, model answers and corrections."""

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
        model = step.model[level]
        correction, explanation = _correction(answer)
        intent = match_intent(step, answer)
        if intent is not None:
            follow, done = _next_line(spec, level, state.step + 1)
            return TutorReply(intent.reply, follow, correction, explanation, model,
                              done=done, intent=intent.name, step=state.step, matched=True)
        if state.misses + 1 >= MAX_REASKS:
            follow, done = _next_line(spec, level, state.step + 1)
            reply = f"Let's move on. You could say: “{model}”"
            return TutorReply(reply, follow, correction, explanation, model, done=done,
                              step=state.step)
        return TutorReply(step.reask, None, correction, explanation, model, step=state.step)


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
