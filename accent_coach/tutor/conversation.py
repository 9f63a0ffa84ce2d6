"""A conversation as plain data (a dict the storage layer saves as is), and its exports.

Shape::

    {"scenario": str, "level": "A2"|"B1"|"B2", "mode": "practice"|"exam",
     "started_at": iso str, "ended_at": iso str | None, "summary": str | None,
     "turns": [{"role": "tutor"|"learner", "text": str, "transcript": str | None,
                "audio": bytes | None, "feedback": dict | None, "created_at": iso str}]}

Tutor turns keep their metadata (who answered, corrections, notes) in ``feedback``;
learner turns keep grammar findings (and the corrected sentence), pronunciation findings
and the model answer of the question they answer (``{"question", "text"}``) there, so
the model answer is shown under that question, not under the tutor's next one.
JSON export: audio is base64 in ``audio_base64`` (or dropped with ``with_audio=False``);
bytes never appear raw.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from accent_coach.tutor.scenarios import check_level, check_mode, get_scenario

Conversation = dict[str, Any]
Turn = dict[str, Any]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_conversation(scenario: str, level: str, mode: str) -> Conversation:
    """A conversation opened by the scenario's fixed first line."""
    spec = get_scenario(scenario)
    conv: Conversation = {
        "scenario": spec.key, "level": check_level(level), "mode": check_mode(mode),
        "started_at": now_iso(), "ended_at": None, "summary": None, "turns": [],
    }
    add_turn(conv, "tutor", spec.opening(level), feedback={"source": "built-in", "step": 0})
    return conv


def add_turn(
    conv: Conversation,
    role: str,
    text: str,
    *,
    transcript: str | None = None,
    audio: bytes | None = None,
    feedback: dict[str, Any] | None = None,
) -> Turn:
    turn: Turn = {
        "role": role, "text": text, "transcript": transcript, "audio": audio,
        "feedback": feedback, "created_at": now_iso(),
    }
    conv["turns"].append(turn)
    return turn


def learner_turns(conv: Conversation) -> list[Turn]:
    return [t for t in conv["turns"] if t["role"] == "learner"]


def to_json(conv: Conversation, *, with_audio: bool = True) -> str:
    """The conversation as JSON; audio as base64 (``audio_base64``) or left out."""

    def turn(t: Turn) -> dict[str, Any]:
        out = {k: v for k, v in t.items() if k != "audio"}
        if with_audio and t.get("audio"):
            out["audio_base64"] = base64.b64encode(t["audio"]).decode("ascii")
        return out

    data = {k: v for k, v in conv.items() if k != "turns"}
    data["turns"] = [turn(t) for t in conv["turns"]]
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def from_json(text: str) -> Conversation:
    """Read back :func:`to_json` output (audio restored from base64 when present)."""
    data = json.loads(text)
    for t in data["turns"]:
        encoded = t.pop("audio_base64", None)
        t["audio"] = base64.b64decode(encoded) if encoded else None
    return data


def _feedback_lines(turn: Turn) -> list[str]:
    fb = turn.get("feedback") or {}
    lines = [f"  - ✏️ {g['wrong']} → **{g['right']}** ({g['explanation']})"
             for g in fb.get("grammar") or []]
    if fb.get("corrected"):
        lines.append(f"  - ✏️ Better: {fb['corrected']}")
    model = fb.get("model_answer")
    if isinstance(model, dict) and model.get("text"):
        lines.append(f"  - 💬 Model answer: “{model['text']}”")
    speech = fb.get("pronunciation") or {}
    if speech.get("uncertain"):
        lines.append(f"  - 🎧 {speech.get('message')}")
    elif speech.get("scores"):
        worst = ", ".join(f"{w['text']} ({w['score']:.0f})" for w in speech.get("worst_words", []))
        lines.append(f"  - 🎯 pronunciation {speech['scores'].get('overall', 0):.0f}/100, "
                     f"fluency {speech['scores'].get('fluency', 0):.0f}/100"
                     + (f"; work on: {worst}" if worst else ""))
        lines += [f"  - 💡 {tip}" for tip in speech.get("tips", [])[:3]]
    if fb.get("note"):
        lines.append(f"  - ℹ️ {fb['note']}")
    return lines


def to_markdown(conv: Conversation) -> str:
    """A readable transcript with each turn's feedback and the summary."""
    spec = get_scenario(conv["scenario"])
    out = [f"# {spec.title} ({conv['level']}, {conv['mode']})", "",
           f"Started {conv['started_at']}" + (f", ended {conv['ended_at']}" if conv["ended_at"]
                                               else ""), ""]
    for t in conv["turns"]:
        who = "Tutor" if t["role"] == "tutor" else "You"
        spoken = " 🎙️" if t.get("audio") else ""
        out.append(f"- **{who}{spoken}:** {t['text']}")
        out += _feedback_lines(t)
    if conv.get("summary"):
        out += ["", "## Summary", "", conv["summary"]]
    return "\n".join(out) + "\n"
