"""The tutor's scenarios: everyday situations × levels, read from ``data/scenarios.json``.

Each scenario has, per level (A2, B1, B2), goals, useful phrases and a script of steps.
A step is what the tutor asks (worded for the level), a model answer, the intents
that count as an answer (keywords, each with the tutor's acknowledgement) and a
re-ask line. An intent may also name ``choices`` (what the learner picked, echoed in
``reply_choice``), ``early`` keywords (strict ones that count when the learner answers
the step before it is asked: "a large latte to go" answers three café steps at once)
and whether a question can be an answer (``questions``: "Where is the station?" is one).
A scenario's ``questions`` are what learners ask the tutor (price, options, times),
each with keywords and the answer. The opening line is the first step's question:
fixed, so it never changes across reruns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from accent_coach.errors import ScenarioError

DATA = Path(__file__).parent / "data" / "scenarios.json"
LEVELS = ("A2", "B1", "B2")
MODES = ("practice", "exam")


@dataclass(frozen=True)
class Intent:
    name: str
    keywords: tuple[str, ...]
    reply: str
    choices: tuple[str, ...] = ()  # what was picked, echoed by reply_choice ("{choice}")
    reply_choice: str | None = None
    early: tuple[str, ...] = ()  # strict keywords that answer this step before it is asked
    questions: bool = False  # a question can answer this step ("Where is the station?")


@dataclass(frozen=True)
class Step:
    ask: dict[str, str]
    model: dict[str, str]
    intents: tuple[Intent, ...]
    reask: str
    extras: tuple[str, ...] = ()  # add-ons echoed with the choice ("with oat milk")


@dataclass(frozen=True)
class Question:
    """Something a learner may ask the tutor in this scenario, and the tutor's answer."""

    name: str
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    role: str
    goals: dict[str, tuple[str, ...]]
    phrases: dict[str, tuple[str, ...]]
    steps: tuple[Step, ...]
    closing: dict[str, str]
    questions: tuple[Question, ...] = ()

    def opening(self, level: str) -> str:
        """The first tutor line: stable for a scenario and level."""
        return self.steps[0].ask[check_level(level)]


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ScenarioError(f"Level {level!r} is not one of {', '.join(LEVELS)}.")
    return level


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ScenarioError(f"Mode {mode!r} is not one of {', '.join(MODES)}.")
    return mode


def _lower(words: list[str] | None) -> tuple[str, ...]:
    return tuple(w.lower() for w in words or ())


def _step(raw: dict) -> Step:
    intents = tuple(
        Intent(i["name"], _lower(i["keywords"]), i["reply"], _lower(i.get("choices")),
               i.get("reply_choice"), _lower(i.get("early")), bool(i.get("questions")))
        for i in raw["intents"]
    )
    return Step(dict(raw["ask"]), dict(raw["model"]), intents, raw["reask"],
                _lower(raw.get("extras")))


@lru_cache(maxsize=1)
def scenarios() -> dict[str, Scenario]:
    """All scenarios by key, in the file's order."""
    raw = json.loads(DATA.read_text("utf-8"))
    return {
        key: Scenario(
            key=key,
            title=s["title"],
            role=s["role"],
            goals={lv: tuple(g) for lv, g in s["goals"].items()},
            phrases={lv: tuple(p) for lv, p in s["phrases"].items()},
            steps=tuple(_step(st) for st in s["steps"]),
            closing=dict(s["closing"]),
            questions=tuple(Question(q["name"], _lower(q["keywords"]), q["answer"])
                            for q in s.get("questions", ())),
        )
        for key, s in raw.items()
    }


def get_scenario(key: str) -> Scenario:
    try:
        return scenarios()[key]
    except KeyError:
        raise ScenarioError(
            f"Scenario {key!r} does not exist; choose one of {', '.join(scenarios())}."
        ) from None
