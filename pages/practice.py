"""Practice page: pick or type a sentence, hear it, record it, see what to fix.

Layout only: the sentence library, voices and analysis live in ``accent_coach``; the
Streamlit glue (saved choices, cached reference audio, the analysis run and its
messages) in ``ui.practice``; result rendering in ``ui.results``. Values the learner
chose are kept under ``practice.*`` keys (``ui.state.PageState``) so they survive
reruns and page switches.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from accent_coach.practice.drills import drill_for
from accent_coach.practice.sentences import LEVELS, SOUNDS, filter_sentences
from accent_coach.practice.session import UPLOAD_TYPES, Analysis
from ui import results
from ui.practice import ANY, STATE, analyse_and_keep, drill, model_problem, reference

ACCENTS = {"us": "American (US)", "uk": "British (UK)"}
SOURCES = {"library": "Sentence library", "custom": "My own text"}
TAKES = {"record": "🎙️ Record", "upload": "📁 Upload a file"}


# --- choosing the text ---------------------------------------------------------------


def _library_text() -> str:
    """Level and sound filters, then a sentence from what is left."""
    cols = st.columns(2)
    cols[0].selectbox(
        "Level",
        [ANY, *LEVELS],
        format_func=lambda v: "any level" if v == ANY else v,
        **STATE.bind("level"),
    )
    cols[1].selectbox(
        "Target sound",
        [ANY, *SOUNDS],
        format_func=lambda k: (
            "any sound" if k == ANY else f"{SOUNDS[k].label} — {SOUNDS[k].example}"
        ),
        **STATE.bind("sound"),
    )
    level, sound = STATE.get("level"), STATE.get("sound")
    texts = [
        s.text
        for s in filter_sentences(None if level == ANY else level, None if sound == ANY else sound)
    ]
    if not texts:
        st.info(
            "No sentence has that level and sound together; showing all sentences for the sound."
        )
        texts = [s.text for s in filter_sentences(None, None if sound == ANY else sound)]
    if STATE.get("sentence") not in texts:
        STATE.set("sentence", texts[0])
    st.selectbox(f"Sentence ({len(texts)} to choose from)", texts, **STATE.bind("sentence"))
    return str(STATE.get("sentence"))


def _custom_text() -> str:
    """Free text: learners practise what they actually need to say."""
    st.text_area(
        "Your text",
        placeholder="Type any English sentence you want to practise…",
        max_chars=500,
        **STATE.bind("custom"),
    )
    return str(STATE.get("custom") or "")


def _choose_text() -> tuple[str, str]:
    """(text to practise, accent key) from the library or the learner's own text."""
    top = st.columns([3, 2])
    top[0].radio(
        "Practise", list(SOURCES), format_func=SOURCES.get, horizontal=True, **STATE.bind("source")
    )
    top[1].radio(
        "Accent", list(ACCENTS), format_func=ACCENTS.get, horizontal=True, **STATE.bind("accent")
    )
    notice = st.session_state.pop("practice.notice", None)
    if notice:
        st.success(notice)
    text = _library_text() if STATE.get("source") == "library" else _custom_text()
    return " ".join(text.split()), str(STATE.get("accent"))


# --- reference audio -----------------------------------------------------------------


def _show_reference(text: str, accent: str) -> None:
    """Normal and slow players, and which voice is speaking."""
    st.subheader("Listen")
    cols = st.columns(2)
    voice = ""
    for col, speed in zip(cols, ("normal", "slow"), strict=True):
        try:
            with st.spinner(f"Preparing the {speed} reference…"):
                ref = reference(text, accent, speed)
        except Exception as exc:  # noqa: BLE001 - a missing voice must not break practice
            col.warning(f"No reference audio: {exc}")
            continue
        col.caption(f"{speed.capitalize()} speed")
        col.audio(ref.wav_bytes(), format="audio/wav")
        voice = ref.voice
    if voice.startswith("espeak"):
        st.caption(
            "Voice: espeak-ng (synthetic). The natural Piper voice is American only and is "
            "used for the US accent when installed."
        )
    elif voice:
        st.caption("Voice: Piper en_US joe (neural, offline).")


# --- recording -----------------------------------------------------------------------


def _take() -> tuple[bytes | None, str]:
    """(audio bytes, file name) from the microphone or an upload; (None, "") if neither."""
    st.subheader("Say it")
    st.radio(
        "Recording",
        list(TAKES),
        format_func=TAKES.get,
        horizontal=True,
        label_visibility="collapsed",
        **STATE.bind("take"),
    )
    if STATE.get("take") == "record":
        audio = st.audio_input("Record yourself reading the sentence", key="practice.recording")
    else:
        audio = st.file_uploader(
            "Upload a recording",
            type=UPLOAD_TYPES,
            key="practice.upload",
            help="wav, mp3, ogg, webm, m4a or flac",
        )
    if audio is None:
        return None, ""
    return audio.getvalue(), audio.name


# --- results -------------------------------------------------------------------------


def _show_results(saved: dict[str, Any]) -> None:
    """Everything about the last analysed take (kept until the next one)."""
    analysis: Analysis = saved["analysis"]
    result = analysis.result
    st.subheader("Results")
    st.caption(
        f"For “{saved['text']}” ({ACCENTS.get(saved['accent'], saved['accent'])}, "
        f"model {result.get('model', '?')})"
        + (" · from the result cache" if analysis.from_cache else "")
    )
    for warning in analysis.warnings:
        st.warning(warning["message"])
    results.show_scores(result)
    results.show_words(result)
    st.button(
        "🎯 Drill weakest words",
        on_click=drill,
        args=(result,),
        disabled=drill_for(result) is None,
        help="Practise the words (or the sound) you found hardest",
    )
    results.show_sounds_and_tips(result)
    results.show_plots(saved, lambda: reference(saved["text"], saved["accent"], "normal"))


def main() -> None:
    """Text → listen → record → analyse → results."""
    st.title("Practice")
    text, accent = _choose_text()
    if not text:
        st.info("Type a sentence above, or switch to the sentence library.")
        return
    st.markdown(f"### {text}")
    _show_reference(text, accent)
    audio, _ = _take()
    problem = model_problem()
    if problem:
        st.warning(problem)
    if st.button("Analyse", type="primary", disabled=audio is None or problem is not None):
        assert audio is not None
        analyse_and_keep(audio, text, accent)
    saved = st.session_state.get("practice.analysis")
    if saved and not problem:
        _show_results(saved)


main()
