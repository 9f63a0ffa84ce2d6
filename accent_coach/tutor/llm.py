"""The optional LLM tutor: any OpenAI-compatible endpoint through the official client.

Each turn sends the whole conversation, the scenario (role, level, mode, goals, script)
and the learner's pronunciation findings, and asks for one JSON object validated by
:class:`LLMReply`. A reply that is not valid JSON or breaks the schema is asked for
once more; a timeout, an HTTP error or a second bad reply raises :class:`LLMError`, and
:func:`respond` lets the built-in tutor answer that turn with a visible note — never a
silent canned line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accent_coach.errors import LLMError
from accent_coach.tutor.builtin import BuiltinTutor, TutorReply, script_state
from accent_coach.tutor.conversation import Conversation
from accent_coach.tutor.scenarios import get_scenario


class LLMReply(BaseModel):
    """What the LLM must answer with, one JSON object."""

    model_config = ConfigDict(extra="ignore")

    reply: str = Field(min_length=1, max_length=1500)
    correction: str | None = Field(default=None, max_length=500)
    explanation: str | None = Field(default=None, max_length=800)
    follow_up: str | None = Field(default=None, max_length=500)
    done: bool = False


@dataclass(frozen=True)
class LLMConfig:
    url: str
    model: str
    key: str | None = None
    timeout: float = 20.0


SCHEMA_HINT = (
    '{"reply": str, "correction": str | null, "explanation": str | null, '
    '"follow_up": str | null, "done": bool}'
)


def system_prompt(conv: Conversation) -> str:
    spec, level = get_scenario(conv["scenario"]), conv["level"]
    script = "\n".join(f"{n + 1}. {s.ask[level]}" for n, s in enumerate(spec.steps))
    mode = (
        "practice: correct the learner's last answer gently in `correction`/`explanation`"
        if conv["mode"] == "practice"
        else "exam: do NOT correct during the conversation (leave correction null); just talk"
    )
    return (
        f"You are {spec.role}, helping an English learner at CEFR level {level} practise "
        f"the situation '{spec.title}'. Stay in role, use language suited to {level}, keep "
        f"each reply to one or two short sentences and ask one question at a time.\n"
        f"Learner goals: {'; '.join(spec.goals[level])}.\n"
        f"Questions to cover, in order:\n{script}\nFinish with: {spec.closing[level]}\n"
        f"Mode: {mode}. Pronunciation findings from a speech engine come with spoken "
        "answers; mention one briefly only if it matters.\n"
        f"Answer with ONE JSON object and nothing else: {SCHEMA_HINT}. "
        "`reply` reacts to the learner, `follow_up` is your next question (null when the "
        "conversation is over), `done` is true only when all questions are covered."
    )


def _findings_note(findings: dict[str, Any] | None) -> str:
    if not findings:
        return ""
    if findings.get("uncertain"):
        return " [speech engine: recording unclear, not scored]"
    words = ", ".join(f"{w['text']} {w['score']:.0f}/100" for w in findings.get("worst_words", []))
    sounds = ", ".join(
        f"/{s['expected']}/ heard as /{s.get('heard') or '-'}/"
        for s in findings.get("worst_sounds", [])
    )
    scores = findings.get("scores") or {}
    parts = [f"overall {scores.get('overall', 0):.0f}/100"] if scores else []
    parts += [f"weak words: {words}"] if words else []
    parts += [f"sounds: {sounds}"] if sounds else []
    return f" [pronunciation: {'; '.join(parts)}]" if parts else ""


def messages(conv: Conversation, answer: str, findings: dict[str, Any] | None) -> list[dict]:
    """System prompt, the whole history (with earlier findings), then the new answer."""
    out: list[dict[str, str]] = [{"role": "system", "content": system_prompt(conv)}]
    for turn in conv["turns"]:
        if turn["role"] == "tutor":
            out.append({"role": "assistant", "content": turn["text"]})
        else:
            earlier = (turn.get("feedback") or {}).get("pronunciation")
            out.append({"role": "user", "content": turn["text"] + _findings_note(earlier)})
    out.append({"role": "user", "content": answer + _findings_note(findings)})
    return out


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


def parse_reply(content: str | None) -> LLMReply:
    """Validate one reply; raises ValueError (bad JSON) or ValidationError (bad schema)."""
    text = _FENCE.sub("", content or "")
    return LLMReply.model_validate(json.loads(text))


class LLMTutor:
    """Talks to an OpenAI-compatible chat endpoint; raises LLMError when it can't."""

    name = "llm"

    def __init__(self, config: LLMConfig) -> None:
        from openai import OpenAI

        self.config = config
        self.client = OpenAI(
            base_url=config.url, api_key=config.key or "not-needed",
            timeout=config.timeout, max_retries=0,
        )

    def _ask(self, chat: list[dict]) -> str | None:
        import openai

        try:
            done = self.client.chat.completions.create(
                model=self.config.model, messages=chat, temperature=0,
                response_format={"type": "json_object"},
            )
        except openai.APITimeoutError as exc:
            raise LLMError(f"no reply within {self.config.timeout:g} s") from exc
        except openai.APIStatusError as exc:
            raise LLMError(f"the server answered HTTP {exc.status_code}") from exc
        except openai.APIError as exc:
            raise LLMError(f"could not reach {self.config.url} ({exc.__class__.__name__})") from exc
        if not done.choices:
            return None
        return done.choices[0].message.content

    def respond(
        self, conv: Conversation, answer: str, findings: dict[str, Any] | None = None
    ) -> TutorReply:
        chat = messages(conv, answer, findings)
        content = self._ask(chat)
        try:
            parsed = parse_reply(content)
        except (ValueError, ValidationError) as first:
            chat += [
                {"role": "assistant", "content": content or ""},
                {"role": "user", "content": "That was not valid. Answer again with only one "
                 f"JSON object of this shape: {SCHEMA_HINT}. ({str(first)[:200]})"},
            ]
            content = self._ask(chat)
            try:
                parsed = parse_reply(content)
            except (ValueError, ValidationError) as second:
                raise LLMError(
                    f"two replies that were not the JSON asked for ({type(second).__name__})"
                ) from second
        spec, level = get_scenario(conv["scenario"]), conv["level"]
        state = script_state(conv)
        asked = spec.steps[state.step] if state.step < len(spec.steps) else None
        practice = conv["mode"] == "practice"
        return TutorReply(
            parsed.reply, parsed.follow_up, parsed.correction if practice else None,
            parsed.explanation if practice else None, asked.model[level] if asked else None,
            source="llm", done=parsed.done, step=state.step,
            question=asked.ask[level] if asked else None,
        )


def respond(
    tutor: LLMTutor | BuiltinTutor,
    conv: Conversation,
    answer: str,
    findings: dict[str, Any] | None = None,
    builtin: BuiltinTutor | None = None,
) -> TutorReply:
    """The tutor's reply; if the LLM fails, the built-in tutor's, saying so in ``note``."""
    builtin = builtin or BuiltinTutor()
    if isinstance(tutor, BuiltinTutor):
        return tutor.respond(conv, answer, findings)
    try:
        return tutor.respond(conv, answer, findings)
    except Exception as exc:  # noqa: BLE001 - any LLM failure: the built-in tutor answers
        reason = str(exc) if isinstance(exc, LLMError) else f"{type(exc).__name__}: {exc}"
        reply = builtin.respond(conv, answer, findings)
        reply.note = f"The LLM tutor did not answer ({reason}); the built-in tutor answered."
        return reply
