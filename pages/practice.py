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

from accent_coach.accents import ACCENTS, get_accent
from accent_coach.engine.g2p import TextError
from accent_coach.practice.drills import drill_for
from accent_coach.practice.sentences import LEVELS, SOUNDS, filter_sentences
from accent_coach.practice.session import UPLOAD_TYPES, Analysis
from ui import results
from ui.history import practise_weak_sounds, save_take
from ui.practice import (
    ANY,
    STATE,
    Take,
    analyse_and_keep,
    discard_take,
    drill,
    keep_take,
    left_out,
    model_problem,
    reference,
    results_for,
    take_round,
    target_ipa,
)

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
        "Accent", list(ACCENTS), format_func=lambda key: ACCENTS[key].label, horizontal=True,
        **STATE.bind("accent"),
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


def _take() -> Take | None:
    """The learner's take: a new recording or upload, else the one kept from before."""
    st.subheader("Say it")
    st.radio(
        "Recording",
        list(TAKES),
        format_func=TAKES.get,
        horizontal=True,
        label_visibility="collapsed",
        **STATE.bind("take"),
    )
    round_ = take_round()
    if STATE.get("take") == "record":
        audio = st.audio_input(
            "Record yourself reading the sentence", key=f"practice.recording.{round_}"
        )
    else:
        audio = st.file_uploader(
            "Upload a recording",
            type=UPLOAD_TYPES,
            key=f"practice.upload.{round_}",
            help="wav, mp3, ogg, webm, m4a or flac",
        )
    take = keep_take(audio.getvalue() if audio else None, audio.name if audio else "")
    if take is not None:
        cols = st.columns([5, 1])
        cols[0].caption(f"Your take ({take.name or 'recording'}), kept until you replace it:")
        cols[0].audio(take.data)
        cols[1].button("Discard", on_click=discard_take, help="Forget this take and its results")
    return take


# --- results -------------------------------------------------------------------------


def _show_results(saved: dict[str, Any], take: Take) -> None:
    """Everything about the analysed take; a wrong-text verdict comes first."""
    analysis: Analysis = saved["analysis"]
    result = analysis.result
    st.subheader("Results")
    st.caption(
        f"For “{saved['text']}” ({get_accent(saved['accent']).label}, "
        f"model {result.get('model', '?')})"
        + (" · from the result cache" if analysis.from_cache else "")
    )
    mismatch = results.is_mismatch(result)
    if mismatch:
        st.error(f"**{results.MISMATCH_HEADLINE}** Check the sentence above and record again.")
    for warning in results.warning_texts(result, analysis.warnings):
        if not (mismatch and "did you read the right text" in warning):
            st.warning(warning)
    details = st.expander("Show the scores anyway", expanded=False) if mismatch else st.container()
    with details:
        results.show_scores(result)
        results.show_words(result)
        st.button(
            "🎯 Drill weakest words",
            on_click=drill,
            args=(result,),
            disabled=drill_for(result) is None,
            help="Practise the words (or the sound) you found hardest",
        )
        results.show_listening(analysis, take.data, lambda t, sp: reference(t, saved["accent"], sp))
        results.show_sounds_and_tips(result)
        results.show_plots(saved, lambda: reference(saved["text"], saved["accent"], "normal"))


def _show_target(text: str, accent: str) -> None:
    """The sentence, its IPA with stress, and what the analysis leaves out."""
    st.markdown(f"### {text}")
    try:
        st.caption(f"Say it like this: {target_ipa(text, accent)}")
    except TextError as exc:
        st.warning(str(exc))
    skipped = left_out(text)
    if skipped:
        st.caption(
            f"Not read aloud and not scored: {' '.join(skipped)} (emoji and symbols have no sound)."
        )


def main() -> None:
    """Text → listen → record → analyse → results."""
    st.title("Practice")
    st.button("🎯 Practise my weak sounds", on_click=practise_weak_sounds, args=(STATE, ANY),
              help="A library sentence for the sounds your history says are due for review")
    text, accent = _choose_text()
    if not text:
        st.info("Type a sentence above, or switch to the sentence library.")
        return
    _show_target(text, accent)
    _show_reference(text, accent)
    take = _take()
    problem = model_problem()
    if problem:
        st.warning(problem)
    if st.button("Analyse", type="primary", disabled=take is None or problem is not None):
        assert take is not None
        analysis = analyse_and_keep(take, text, accent)
        if analysis is not None:
            save_take(analysis, text, accent, take.data, take.name)
    saved, stale = results_for(take, text, accent)
    if saved and take is not None and not problem:
        _show_results(saved, take)
    elif stale:
        st.info("Your last results were for another take or text. Press Analyse to score this one.")


main()
