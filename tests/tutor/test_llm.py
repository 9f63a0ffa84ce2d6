"""The LLM tutor against a real OpenAI-compatible server on 127.0.0.1: structured replies,
one retry on a bad reply, and the built-in tutor taking over (visibly) on any failure."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from accent_coach.tutor.builtin import BuiltinTutor
from accent_coach.tutor.conversation import add_turn, new_conversation
from accent_coach.tutor.llm import LLMConfig, LLMTutor, respond
from accent_coach.tutor.turns import take_turn
from tests.support.llm_server import ChatServer

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "tutor.py")


@pytest.fixture(scope="module")
def server():
    with ChatServer(slow_seconds=3.0) as running:
        yield running


@pytest.fixture
def chat(server):
    server.script.clear()
    server.requests.clear()
    return server


def _tutor(server: ChatServer, timeout: float = 1.0) -> LLMTutor:
    return LLMTutor(LLMConfig(server.url, "test-tutor", "secret-key", timeout))


def test_structured_reply_with_history_and_findings(chat):
    conv = new_conversation("doctor", "B1", "practice")
    add_turn(conv, "learner", "I have a headache.",
             feedback={"pronunciation": {"scores": {"overall": 71.0},
                                         "worst_words": [{"text": "headache", "score": 42.0}],
                                         "worst_sounds": []}})
    add_turn(conv, "tutor", "How long have you been feeling like this?")
    findings = {"scores": {"overall": 80.0}, "worst_words": [{"text": "days", "score": 55.0}],
                "worst_sounds": [{"expected": "z", "heard": "s", "word": "days"}]}
    reply = respond(_tutor(chat), conv, "Since three days.", findings)
    assert reply.source == "llm" and reply.note is None
    assert reply.reply.startswith("LLM heard: Since three days. [pronunciation:")
    assert reply.follow_up == "What else?" and reply.correction == "Say it like this."
    assert reply.model_answer == "I've felt like this since Monday."
    sent = chat.requests[0]["messages"]
    assert sent[0]["role"] == "system" and "B1" in sent[0]["content"]
    assert "At the doctor's" in sent[0]["content"] and "practice" in sent[0]["content"]
    assert [m["role"] for m in sent[1:]] == ["assistant", "user", "assistant", "user"]
    assert "headache 42/100" in sent[2]["content"]  # earlier findings travel with history
    assert "/z/ heard as /s/" in sent[-1]["content"]


def test_exam_mode_withholds_corrections(chat):
    conv = new_conversation("cafe", "A2", "exam")
    reply = respond(_tutor(chat), conv, "A tea please")
    assert reply.source == "llm" and reply.correction is None
    assert "exam" in chat.requests[0]["messages"][0]["content"]


@pytest.mark.parametrize("first", ["bad_json", "schema", "fenced"])
def test_one_bad_reply_is_retried_once(chat, first):
    chat.script.extend([first, "ok"])
    reply = respond(_tutor(chat), new_conversation("hotel", "A2", "practice"), "Yes, I have.")
    assert reply.source == "llm"
    assert len(chat.requests) == (1 if first == "fenced" else 2)
    if first != "fenced":
        assert "not valid" in chat.requests[1]["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("script", "reason", "calls"),
    [
        (["bad_json", "bad_json"], "not the JSON asked for", 2),
        (["schema", "schema"], "not the JSON asked for", 2),
        (["500"], "HTTP 500", 1),
        (["slow"], "no reply within 1 s", 1),
    ],
)
def test_failures_fall_back_to_builtin_with_a_note(chat, script, reason, calls):
    chat.script.extend(script)
    conv = new_conversation("cafe", "A2", "practice")
    start = time.perf_counter()
    reply = respond(_tutor(chat), conv, "I would like a coffee, please.")
    assert time.perf_counter() - start < 2.5  # the timeout holds; no hidden retries
    assert reply.source == "built-in" and reason in (reply.note or "")
    assert reply.text == BuiltinTutor().respond(conv, "I would like a coffee, please.").text
    assert len(chat.requests) == calls


def test_unreachable_endpoint_falls_back():
    config = LLMConfig("http://127.0.0.1:9/v1", "none", None, 1.0)
    reply = respond(LLMTutor(config), new_conversation("phone_call", "B2", "practice"), "Hi")
    assert reply.source == "built-in" and "could not reach" in (reply.note or "")


def test_turns_record_source_and_note(chat):
    conv = new_conversation("small_talk", "A2", "practice")
    chat.script.extend(["ok", "500"])
    take_turn(conv, text="I'm fine, thanks.", tutor=_tutor(chat))
    take_turn(conv, text="I went to the park.", tutor=_tutor(chat))
    tutor_turns = [t for t in conv["turns"] if t["role"] == "tutor"][1:]
    assert [t["feedback"]["source"] for t in tutor_turns] == ["llm", "built-in"]
    assert tutor_turns[0]["text"] == "LLM heard: I'm fine, thanks. What else?"
    assert "HTTP 500" in tutor_turns[1]["feedback"]["note"]
    assert len(chat.requests[1]["messages"]) == 1 + 3 + 1  # system, 3 turns so far, answer


def test_page_uses_the_llm_and_shows_the_fallback(chat, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ACCENT_COACH_LLM_URL", chat.url)
    monkeypatch.setenv("ACCENT_COACH_LLM_MODEL", "test-tutor")
    monkeypatch.setenv("ACCENT_COACH_LLM_TIMEOUT", "1")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["tutor.tutor"] = "llm"
    at.run()
    assert not at.exception
    at.chat_input(key="tutor.typed").set_value("A latte, please.").run()
    texts = [m.markdown[0].value for m in at.chat_message]
    assert texts[-1] == "LLM heard: A latte, please. What else?"
    assert not at.warning
    chat.script.append("500")
    at.chat_input(key="tutor.typed").set_value("Large.").run()
    assert not at.exception
    assert any("built-in tutor answered" in w.value for w in at.warning)
    assert [m.markdown[0].value for m in at.chat_message][-1].startswith("Large, perfect.")
