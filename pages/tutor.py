"""Conversation Tutor page: pick a scenario, level and mode, then talk (or type) with the
tutor and get feedback on every spoken answer.

Layout only: scenarios, tutors, transcription and feedback live in
``accent_coach.tutor``; the Streamlit glue (saved choices, the conversation in the
session, model loading, the tutor's voice, feedback views) in ``ui.tutor``.
"""

from __future__ import annotations

import streamlit as st

from accent_coach.practice.session import UPLOAD_TYPES
from accent_coach.tutor.conversation import learner_turns, to_json, to_markdown
from accent_coach.tutor.scenarios import LEVELS, MODES, scenarios
from ui import tutor as glue
from ui.tutor import STATE

ANSWERS = {"type": "⌨️ Type", "record": "🎙️ Record", "upload": "📁 Upload"}
MODE_HELP = {"practice": "Practice (feedback after every turn)",
             "exam": "Exam (feedback and a summary at the end)"}


def _choices() -> None:
    """Scenario, level, mode and tutor; they reach the tutor on every turn."""
    cols = st.columns([3, 2, 3, 2])
    cards = scenarios()
    cols[0].selectbox("Scenario", list(cards), format_func=lambda k: cards[k].title,
                      **STATE.bind("scenario"))
    cols[1].radio("Level", LEVELS, horizontal=True, **STATE.bind("level"))
    cols[2].radio("Mode", MODES, format_func=MODE_HELP.get, **STATE.bind("mode"))
    configured = glue.llm_config()
    cols[3].radio(
        "Tutor", ["built-in", "llm"],
        format_func=lambda v: "Built-in (offline)" if v == "built-in" else "LLM",
        disabled=configured is None, **STATE.bind("tutor"),
        help=None if configured else "Set ACCENT_COACH_LLM_URL and _MODEL to use an LLM.",
    )


def _scenario_card(conv: dict) -> None:
    spec = scenarios()[conv["scenario"]]
    with st.expander(f"🎯 {spec.title} — goals and useful phrases ({conv['level']})"):
        st.markdown("**Goals**\n" + "\n".join(f"- {g}" for g in spec.goals[conv["level"]]))
        st.markdown("**Useful phrases**\n"
                    + "\n".join(f"- {p}" for p in spec.phrases[conv["level"]]))


def _turns(conv: dict) -> None:
    """The conversation so far; feedback per turn in practice mode, all at the end in exam."""
    show = conv["mode"] == "practice" or conv["ended_at"] is not None
    last = len(conv["turns"]) - 1
    for index, turn in enumerate(conv["turns"]):
        tutor_turn = turn["role"] == "tutor"
        with st.chat_message("assistant" if tutor_turn else "user"):
            st.markdown(turn["text"])
            if tutor_turn:
                if index == last and conv["ended_at"] is None:
                    voice = glue.tutor_voice(turn["text"])
                    if voice:
                        st.audio(voice, format="audio/wav")
                glue.show_tutor_notes(turn, practice=show)
                continue
            if turn.get("audio"):
                st.audio(turn["audio"])
            if show:
                glue.show_learner_feedback(turn, index)
            seconds = (turn.get("feedback") or {}).get("seconds")
            if seconds is not None and turn.get("audio"):
                st.caption(f"Reply and feedback in {seconds:.1f} s")


def _answer(conv: dict) -> None:
    """Typed, recorded or uploaded answer."""
    st.radio("Answer by", list(ANSWERS), format_func=ANSWERS.get, horizontal=True,
             label_visibility="collapsed", **STATE.bind("answer_by"))
    how = STATE.get("answer_by")
    turn_no = len(learner_turns(conv))
    if how == "type":
        typed = st.chat_input("Type your answer…", key="tutor.typed")
        if typed:
            glue.submit(text=typed)
            st.rerun()
        return
    glue.apply_transcriber_switch()
    cols = st.columns([2, 3])
    names = glue.transcriber_choices()
    chosen = glue.chosen_transcriber()
    cols[0].selectbox("Speech-to-text", names, index=names.index(chosen) if chosen in names
                      else 0, key="tutor.transcriber_pick", on_change=glue.pick_transcriber)
    cols[1].caption(glue.transcriber_status())
    if how == "record":
        clip = st.audio_input("Record your answer", key=f"tutor.recording.{turn_no}")
    else:
        clip = st.file_uploader("Upload your answer", type=UPLOAD_TYPES,
                                key=f"tutor.upload.{turn_no}")
    if st.button("Send", type="primary", disabled=clip is None, key="tutor.send"):
        assert clip is not None
        glue.submit(audio=clip.getvalue())
        st.rerun()


def _ending(conv: dict) -> None:
    st.subheader("Summary")
    st.markdown(conv["summary"] or "")
    cols = st.columns(3)
    stem = f"conversation-{conv['scenario']}-{conv['started_at'][:19].replace(':', '')}"
    cols[0].download_button("⬇️ Markdown", to_markdown(conv), f"{stem}.md", "text/markdown",
                            key="tutor.export_md")
    cols[1].download_button("⬇️ JSON", to_json(conv), f"{stem}.json", "application/json",
                            key="tutor.export_json")
    cols[2].button("New conversation", on_click=glue.restart, key="tutor.new")


def _history() -> None:
    earlier = st.session_state.get(glue.HISTORY) or []
    if not earlier:
        return
    with st.expander(f"Earlier conversations ({len(earlier)})"):
        for n, old in enumerate(reversed(earlier)):
            title = scenarios()[old["scenario"]].title
            st.markdown(f"**{title}** ({old['level']}, {old['mode']}) — {old['started_at']}")
            st.download_button("Markdown", to_markdown(old), f"conversation-{n}.md",
                               key=f"tutor.history_md.{n}")


def main() -> None:
    st.title("Conversation Tutor")
    _choices()
    conv = glue.conversation()
    if glue.settings_differ(conv):
        st.info("This conversation keeps its scenario, level and mode.")
        st.button("Start a new conversation with the new choices", on_click=glue.restart,
                  key="tutor.restart")
    _scenario_card(conv)
    _turns(conv)
    error = st.session_state.get(glue.ERROR)
    if error:
        st.error(error)
    if conv["ended_at"] is None:
        _answer(conv)
        st.button("End conversation", on_click=glue.finish, key="tutor.end",
                  disabled=not learner_turns(conv))
    else:
        _ending(conv)
    _history()


main()
