"""The built-in tutor listens: a table of learner turns across every scenario and level,
each with what the tutor must do — answer the learner's question, take an answer given
before its question, echo what was picked, correct gently (or not at all), re-ask or
move on. Turns are played in order through the real tutor (``take_turn``, typed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from accent_coach.tutor.builtin import script_state
from accent_coach.tutor.conversation import new_conversation
from accent_coach.tutor.scenarios import LEVELS, get_scenario, scenarios
from accent_coach.tutor.turns import take_turn

DONE = -1


@dataclass(frozen=True)
class Expect:
    """What the tutor must do with one learner turn.

    ``nxt``: the step the tutor waits on afterwards (DONE: the conversation closed);
    ``says``/``not_says``: words in / not in the tutor's reply; ``fix``: words of the
    corrected sentence (None: no correction at all); ``answers``: the scenario
    questions answered; ``skips``: later steps taken as answered early.
    """

    nxt: int
    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    fix: str | None = None
    answers: tuple[str, ...] = ()
    skips: tuple[int, ...] = ()
    reask: bool = False  # the tutor re-asks with the step's re-ask line
    moves_on: bool = False  # the tutor gives the model answer and moves on
    extra: dict = field(default_factory=dict)


E = Expect
TABLE: list[tuple[str, str, list[tuple[str, Expect]]]] = [
    ("cafe", "B1", [  # the conversation
        ("I want a coffe with milk please",
         E(1, says=("coffee with milk",), fix="I want a coffee with milk please")),
        ("Large. How much it cost?",
         E(2, says=("Large", "a large four fifty"), fix="How much does it cost?",
           answers=("price",))),
        ("Can I pay with card",
         E(2, says=("we take card", "for here or to go"), not_says=("take a seat",),
           fix="Can I pay by card", answers=("payment",), skips=(3,))),
        ("For here", E(DONE, says=("take a seat", "receipt"))),
    ]),
    ("cafe", "A2", [
        ("Can I have a large latte with oat milk to go?",
         E(3, says=("latte with oat milk", "Large", "lid", "Card or cash?"),
           not_says=("skimmed",), skips=(1, 2))),
        ("How much is it?", E(3, says=("four fifty",), answers=("price",))),
        ("Cash", E(DONE, says=("Cash, no problem",))),
    ]),
    ("cafe", "B2", [
        ("What do you have?", E(0, says=("latte is very popular",), answers=("menu",))),
        ("Do you have oat milk?", E(0, says=("oat and soy milk",), answers=("milk",))),
        ("Hmm, purple elephants.", E(0, reask=True)),
        ("I'd like a capuccino, no sugar",
         E(1, says=("cappuccino without sugar",), fix="I'd like a cappuccino, no sugar")),
        ("Medium please", E(2, says=("Medium, perfect",))),
        ("Where is the toilet?", E(2, says=("at the back",), answers=("toilet",))),
        ("Take away please", E(3, says=("lid",))),
        ("Do you take contactless?", E(DONE, says=("we take card, cash and contactless",),
                                       answers=("payment",))),
    ]),
    ("doctor", "A2", [
        ("I have headache and fever",
         E(1, says=("headache",), fix="I have a headache and fever")),
        ("Since three days", E(2, fix="For three days")),
        ("Is it serious?", E(2, says=("doesn't look serious",), answers=("serious",))),
        ("No, nothing.", E(DONE, says=("Good to know",))),
    ]),
    ("doctor", "B1", [
        ("I feel sick and I have a sore throat since yesterday",
         E(2, says=("sore throat",), skips=(1,))),
        ("How often should I take the pills?",
         E(2, says=("three times a day",), answers=("dose",))),
        ("I take ibuprofen", E(DONE, says=("Ibuprofen, thank you",))),
    ]),
    ("doctor", "B2", [
        ("I've had a cough for a week", E(2, says=("cough",), skips=(1,))),
        ("Can I go to work?", E(2, says=("sick note",), answers=("work",))),
        ("Just paracetamol", E(DONE, says=("Paracetamol",))),
    ]),
    ("hotel", "A2", [
        ("Yes, I have reservation", E(1, fix="I have a reservation")),
        ("My name is Tom Brown", E(2)),
        ("What time is breakfast?", E(DONE, says=("seven to ten",), answers=("breakfast",))),
    ]),
    ("hotel", "B1", [
        ("Hello, I booked a room under the name Garcia", E(2, skips=(1,))),
        ("How much the wifi costs?",
         E(DONE, says=("wifi password",), fix="How much does the wifi cost?",
           answers=("wifi",))),
    ]),
    ("hotel", "B2", [
        ("No, I don't. Do you have any rooms?", E(1, says=("a few rooms free",))),
        ("How much is it per night?", E(1, says=("ninety euros",), answers=("price",))),
        ("Fine. The name is Lee, here is my passport", E(2)),
        ("Is there a gym?", E(DONE, says=("gym and the pool",), answers=("facilities",))),
    ]),
    ("directions", "A2", [
        ("Where is station?",
         E(1, says=("The station?",), not_says=("bus station",),
           fix="Where is the station?")),
        ("Sorry, can you say that again?",
         E(1, says=("say it again slowly",), answers=("repeat",))),
        ("Straight, second left, on the right. Thank you", E(2)),
        ("Is it far?", E(DONE, says=("ten minutes",), answers=("distance",))),
    ]),
    ("directions", "B1", [
        ("I'm looking for the museum. Is it far?",
         E(1, says=("museum", "ten minutes"), answers=("distance",))),
        ("Can I take the bus?", E(1, says=("number 12",), answers=("transport",))),
        ("OK, straight on and then the second left.", E(2)),
        ("No, thank you.", E(DONE, says=("All right.",), not_says=("ten minutes",))),
    ]),
    ("directions", "B2", [
        ("Hi! Could you tell me the way to the cathedral?", E(1, says=("cathedral",))),
        ("What time it closes?",
         E(1, says=("open until six",), fix="What time does it close?", answers=("open",))),
        ("Got it, second left and it's on my right.", E(2)),
        ("Blue.", E(2, reask=True)),
        ("Green.", E(DONE, moves_on=True)),
    ]),
    ("returning_item", "A2", [
        ("I want to return these shoes. They are too small.",
         E(2, says=("shoes",), skips=(1,))),
        ("I lost the receipt", E(3, says=("find it with your card",))),
        ("I'd like refund", E(DONE, says=("Refund, no problem",), fix="I'd like a refund")),
    ]),
    ("returning_item", "B1", [
        ("Hi, this kettle doesn't work. I buyed it last week.",
         E(2, says=("kettle",), fix="I bought it", skips=(1,))),
        ("How long do I have to return things?",
         E(2, says=("thirty days",), answers=("policy",))),
        ("Yes, here is the receipt", E(3)),
        ("Can I exchange it for a new one?", E(DONE, says=("Exchange, no problem",))),
    ]),
    ("returning_item", "B2", [
        ("Can I speak to the manager?", E(0, says=("call the manager",),
                                          answers=("manager",))),
        ("I'd like a refund for this jacket, it has a hole.",
         E(2, says=("jacket",), skips=(1, 3))),
        ("I don't have a receipt, I paid by card", E(DONE, says=("find it with your card",))),
    ]),
    ("small_talk", "A2", [
        ("I'm fine, thanks. And you?", E(1, says=("well too",))),
        ("Yesterday I go to the park with my family",
         E(2, fix="Yesterday I went to the park")),
        ("Yes, I like it. People is friendly.", E(DONE, fix="People are friendly")),
    ]),
    ("small_talk", "B1", [
        ("Pretty good! How long have you lived here?",
         E(1, says=("ten years",), answers=("how_long",))),
        ("I visited my friends on Saturday. What did you do?",
         E(2, says=("read a good book",), answers=("you_weekend",))),
        ("It's quiet and the shops are near.", E(DONE)),
    ]),
    ("small_talk", "B2", [
        ("Not bad, a bit tired", E(1)),
        ("Do you know a good restaurant near here?",
         E(1, says=("little café",), answers=("recommend",))),
        ("We went to the coast last weekend", E(2)),
        ("I love it, my son go to the school next door",
         E(DONE, fix="my son goes to the school")),
    ]),
    ("phone_call", "A2", [
        ("Hello, I want an apointment", E(1, fix="I want an appointment")),
        ("How much it cost?", E(1, says=("sixty dollars",), fix="How much does it cost?",
                                answers=("price",))),
        ("Tuesday morning, please", E(2, says=("Tuesday is fine",))),
        ("My number is 0 7 7 1 2 3", E(DONE)),
    ]),
    ("phone_call", "B1", [
        ("Hi, this is Maria, can I book a check-up for Thursday?",
         E(2, says=("Thursday is fine",), skips=(1,))),
        ("What should I bring?", E(2, says=("insurance card",), answers=("bring",))),
        ("It's 07712 345", E(DONE)),
    ]),
    ("phone_call", "B2", [
        ("What time are you open on Saturday?", E(0, says=("eight to six",),
                                                  answers=("hours",))),
        ("I'd like to book a cleaning with the dentist, please.", E(1)),
        ("Is next Friday afternoon available?", E(2, says=("Friday is fine",))),
        ("Sure, my number is 07712 345.", E(DONE)),
    ]),
    ("job_interview", "A2", [
        ("My name is Ana. I am engineer.", E(1, fix="I am an engineer")),
        ("I have worked in a shop for three years", E(2)),
        ("How much is the salary?", E(2, says=("twenty-eight thousand",),
                                      answers=("salary",))),
        ("Because I like helping people", E(3)),
        ("I can start next month", E(DONE)),
    ]),
    ("job_interview", "B1", [
        ("I'm Tom. I worked as a waiter for five years and I can start immediately.",
         E(2, skips=(1, 3))),
        ("Is it full-time?", E(2, says=("nine to five",), answers=("hours",))),
        ("I am interested because I want to learn", E(DONE)),
    ]),
    ("job_interview", "B2", [
        ("Sure. I'm a designer; I've spent six years at an agency.", E(1)),
        ("Could I work from home sometimes?", E(1, says=("two days a week",),
                                                answers=("remote",))),
        ("I led a team that redesigned our website.", E(2)),
        ("I think I'm a strong fit because I love solving problems.", E(3)),
        ("I'd need to give a month's notice.", E(DONE)),
    ]),
]


def _check(key: str, level: str, turns: list[tuple[str, Expect]]) -> None:
    spec = get_scenario(key)
    conv = new_conversation(key, level, "practice")
    for n, (said, want) in enumerate(turns):
        where = f"{key}/{level} turn {n + 1}: {said!r}"
        asked_step = script_state(conv).step
        reply = take_turn(conv, text=said).reply
        text = reply.text
        state = script_state(conv)
        assert (DONE if state.step >= len(spec.steps) else state.step) == want.nxt, (where, text)
        assert reply.done == (want.nxt == DONE), where
        for words in want.says:
            assert words in text, (where, words, text)
        for words in want.not_says:
            assert words not in text, (where, words, text)
        if want.fix is None:
            assert reply.correction is None, (where, reply.correction)
        else:
            assert reply.correction and want.fix in reply.correction, (where, reply.correction)
            assert reply.explanation, where
        assert tuple(reply.answered_questions or ()) == want.answers, (where, text)
        assert tuple(reply.skipped or ()) == want.skips, (where, text)
        assert (reply.reply == spec.steps[asked_step].reask) == want.reask, (where, text)
        assert reply.reply.startswith("Let's move on") == want.moves_on, (where, text)
        # the model answer belongs to the question the learner was answering
        assert reply.model_answer == spec.steps[asked_step].model[level], where
        assert reply.question == spec.steps[asked_step].ask[level], where
        if want.reask:
            continue  # the re-ask line is the whole reply
        if want.nxt == asked_step:  # asked again, without a greeting ("Hi there!")
            again = re.sub(r"^(?:[^.?!]*!\s+)+", "", spec.steps[want.nxt].ask[level])
            assert text.endswith(again) and not text.endswith("! " + again), (where, text)
        elif want.nxt != DONE:
            assert text.endswith(spec.steps[want.nxt].ask[level]), (where, text)
        else:
            assert text.endswith(spec.closing[level]), (where, text)


@pytest.mark.parametrize(("key", "level", "turns"), TABLE,
                         ids=[f"{k}-{lv}" for k, lv, _ in TABLE])
def test_tutor_reacts_to_what_was_said(key, level, turns):
    _check(key, level, turns)


def test_the_table_covers_every_scenario_and_level_with_60_turns_or_more():
    assert sum(len(turns) for _, _, turns in TABLE) >= 60
    assert {k for k, _, _ in TABLE} == set(scenarios())
    assert {lv for _, lv, _ in TABLE} == set(LEVELS)
    kinds = [e for _, _, turns in TABLE for _, e in turns]
    assert sum(bool(e.answers) for e in kinds) >= 15  # questions answered
    assert sum(bool(e.skips) for e in kinds) >= 8  # answers given out of step
    assert sum(e.fix is not None for e in kinds) >= 15  # gentle corrections


def test_a_different_answer_gets_a_different_reply():
    """The reply depends on what was said, not only on where the script stands."""
    replies = set()
    for said in ("A tea, please", "A large latte to go", "How much is a latte?",
                 "Where is the toilet?", "The car is red"):
        conv = new_conversation("cafe", "B1", "practice")
        replies.add(take_turn(conv, text=said).reply.text)
    assert len(replies) == 5
