"""The tutor without models: scenarios, the built-in scripts, corrections, summary, export."""

from __future__ import annotations

import pytest

from accent_coach.tutor import grammar
from accent_coach.tutor.builtin import BuiltinTutor, match_intent, script_state
from accent_coach.tutor.conversation import (
    add_turn,
    from_json,
    new_conversation,
    to_json,
    to_markdown,
)
from accent_coach.tutor.scenarios import LEVELS, ScenarioError, get_scenario, scenarios
from accent_coach.tutor.turns import take_turn

REQUIRED = {"cafe", "job_interview", "doctor", "hotel", "directions", "returning_item",
            "small_talk", "phone_call"}
CASES = [(key, level) for key in sorted(REQUIRED) for level in LEVELS]


def test_every_required_scenario_has_every_level_filled_in():
    assert REQUIRED <= set(scenarios())
    for spec in scenarios().values():
        assert len(spec.steps) >= 3
        for level in LEVELS:
            assert spec.goals[level] and spec.phrases[level] and spec.closing[level]
            for step in spec.steps:
                assert step.ask[level].strip() and step.model[level].strip()
                assert step.intents and step.reask


@pytest.mark.parametrize(("key", "level"), CASES)
def test_builtin_holds_the_whole_script_on_model_answers(key, level):
    """Answering each question with its model answer gets through the script; a model
    answer that also answers a later question (the café's "a large latte") skips it."""
    spec = get_scenario(key)
    conv = new_conversation(key, level, "practice")
    assert conv["turns"][0]["text"] == new_conversation(key, level, "exam")["turns"][0]["text"]
    for _ in spec.steps:
        state = script_state(conv)
        if state.step >= len(spec.steps):
            break
        result = take_turn(conv, text=spec.steps[state.step].model[level])
        assert result.reply.matched, (key, level, state.step)
        after = script_state(conv).step
        assert after > state.step
        expected_next = spec.steps[after].ask[level] if after < len(spec.steps) else (
            spec.closing[level])
        assert result.reply.text.endswith(expected_next)
    assert conv["ended_at"] and "of the" in conv["summary"]
    assert f"{len(spec.steps)} of the {len(spec.steps)} questions" in conv["summary"]


def test_reask_then_move_on_with_the_model_answer():
    conv = new_conversation("cafe", "B1", "practice")
    first = take_turn(conv, text="The weather is nice today.").reply
    assert first.text == get_scenario("cafe").steps[0].reask and not first.matched
    second = take_turn(conv, text="Blue.").reply
    assert second.reply.startswith("Let's move on. You could say:")
    assert "Could I get a large latte" in second.reply
    assert second.text.endswith(get_scenario("cafe").steps[1].ask["B1"])
    assert script_state(conv).step == 1


def test_branches_pick_the_matching_reply():
    step = get_scenario("cafe").steps[2]
    assert match_intent(step, "I'll take it to go").name == "away"
    assert match_intent(step, "For here please, I want to sit down").name == "here"
    doctor = get_scenario("doctor").steps[2]
    assert match_intent(doctor, "No, nothing.").name == "no"
    assert match_intent(doctor, "I take ibuprofen").name == "yes"


def test_misheard_keywords_still_match_but_nonsense_does_not():
    step = get_scenario("cafe").steps[0]
    assert match_intent(step, "a capuccino please") is not None
    assert match_intent(step, "I would like a coffe") is not None
    assert match_intent(step, "") is None and match_intent(step, "the car is red") is None


def test_same_conversation_same_replies():
    def run() -> list[str]:
        conv = new_conversation("hotel", "B2", "practice")
        for answer in ("Hi", "I booked a room", "It's under Brown", "What about breakfast?"):
            take_turn(conv, text=answer)
        return [t["text"] for t in conv["turns"]]

    assert run() == run()


@pytest.mark.parametrize(
    ("said", "right"),
    [
        ("I am agree with you", "I agree"),
        ("Yesterday I goed home", "went"),
        ("I didn't bought it", "didn't buy"),
        ("I feel bad since three days", "for three days"),
        ("I have 25 years", "I am 25 years old"),
        ("I am engineer", "I am an engineer"),
        ("I have headache", "I have a headache"),
        ("I'd like large coffee", "I'd like a large"),
        ("You can to pay here", "can pay"),
        ("Can you explain me the way?", "explain to me"),
        ("I want to return it back", "return it"),
    ],
)
def test_frequent_errors_are_corrected(said, right):
    found = grammar.corrections(said)
    assert found and right in grammar.corrected(said)
    assert all(c.explanation for c in found)


@pytest.mark.parametrize(
    "fine",
    ["I agree with you.", "I went home yesterday.", "I have five years of experience.",
     "I am a nurse.", "I'd like a large coffee.", "I have had a cough since Monday.",
     "Can you explain it to me?", "I'd like some water."],
)
def test_no_false_alarms_on_correct_sentences(fine):
    assert grammar.corrections(fine) == []


def test_exam_mode_keeps_corrections_for_the_summary():
    conv = new_conversation("job_interview", "A2", "exam")
    take_turn(conv, text="My name is Ana, I am engineer")
    builtin_reply = BuiltinTutor().respond(conv, "I have 25 years")
    assert builtin_reply.model_answer
    from accent_coach.tutor.turns import end

    end(conv)
    assert "“I am engineer” → “I am an engineer”" in conv["summary"]


def test_unknown_choices_are_clear_errors():
    with pytest.raises(ScenarioError, match="does not exist"):
        new_conversation("mars", "A2", "practice")
    with pytest.raises(ScenarioError, match="Level"):
        new_conversation("cafe", "C2", "practice")
    with pytest.raises(ScenarioError, match="Mode"):
        new_conversation("cafe", "A2", "chat")


def test_export_round_trips_with_audio_as_base64():
    conv = new_conversation("directions", "A2", "practice")
    add_turn(conv, "learner", "Where is the station?", transcript="Where is the station?",
             audio=b"RIFF\x00fake-wav-bytes", feedback={"grammar": []})
    add_turn(conv, "tutor", "Go straight.", feedback={"source": "built-in"})
    text = to_json(conv)
    assert "audio_base64" in text and "fake-wav" not in text
    assert from_json(text) == conv
    assert "audio_base64" not in to_json(conv, with_audio=False)
    md = to_markdown(conv)
    assert md.startswith("# Asking for directions (A2, practice)")
    assert "- **You 🎙️:** Where is the station?" in md
