"""Practice page: pick or type a sentence, hear it, record it, see what to fix.

A thin view: the sentence library, reference voices, result cache, figures and
display rows live in ``accent_coach`` and are tested there. Values the learner
chose are kept under ``practice.*`` keys in ``st.session_state`` (widgets get a
``_w.`` copy) so they survive reruns and page switches.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from accent_coach import plots, views
from accent_coach.practice import UPLOAD_TYPES, Analysis, analyse, drill_for
from accent_coach.sentences import LEVELS, SOUNDS, filter_sentences

log = logging.getLogger(__name__)

ANY = "any"
ACCENTS = {"us": "American (US)", "uk": "British (UK)"}
SOURCES = {"library": "Sentence library", "custom": "My own text"}
TAKES = {"record": "🎙️ Record", "upload": "📁 Upload a file"}
DEFAULTS: dict[str, Any] = {
    "source": "library",
    "level": "beginner",
    "sound": ANY,
    "sentence": "",
    "custom": "",
    "accent": "us",
    "take": "record",
}


# --- state --------------------------------------------------------------------------


def _state(name: str) -> Any:
    """The learner's saved choice (or its default)."""
    return st.session_state.get(f"practice.{name}", DEFAULTS.get(name))


def _set(name: str, value: Any) -> None:
    """Save a choice where Streamlit won't clear it (not a widget key)."""
    st.session_state[f"practice.{name}"] = value


def _keep(name: str) -> None:
    """on_change: copy the widget's value to the permanent key."""
    _set(name, st.session_state[f"_w.practice.{name}"])


def _bind(name: str) -> dict[str, Any]:
    """Widget kwargs that restore the saved value (widget keys vanish on page switch)."""
    st.session_state[f"_w.practice.{name}"] = _state(name)
    return {"key": f"_w.practice.{name}", "on_change": _keep, "args": (name,)}


# --- choosing the text ---------------------------------------------------------------


def _library_text() -> str:
    """Level and sound filters, then a sentence from what is left."""
    cols = st.columns(2)
    cols[0].selectbox(
        "Level",
        [ANY, *LEVELS],
        format_func=lambda v: "any level" if v == ANY else v,
        **_bind("level"),
    )
    cols[1].selectbox(
        "Target sound",
        [ANY, *SOUNDS],
        format_func=lambda k: (
            "any sound" if k == ANY else f"{SOUNDS[k].label} — {SOUNDS[k].example}"
        ),
        **_bind("sound"),
    )
    level, sound = _state("level"), _state("sound")
    texts = [
        s.text
        for s in filter_sentences(None if level == ANY else level, None if sound == ANY else sound)
    ]
    if not texts:
        st.info(
            "No sentence has that level and sound together; showing all sentences for the sound."
        )
        texts = [s.text for s in filter_sentences(None, None if sound == ANY else sound)]
    if _state("sentence") not in texts:
        _set("sentence", texts[0])
    st.selectbox(f"Sentence ({len(texts)} to choose from)", texts, **_bind("sentence"))
    return str(_state("sentence"))


def _custom_text() -> str:
    """Free text: learners practise what they actually need to say."""
    st.text_area(
        "Your text",
        placeholder="Type any English sentence you want to practise…",
        max_chars=500,
        **_bind("custom"),
    )
    return str(_state("custom") or "")


def _choose_text() -> tuple[str, str]:
    """(text to practise, accent key) from the library or the learner's own text."""
    top = st.columns([3, 2])
    top[0].radio(
        "Practise", list(SOURCES), format_func=SOURCES.get, horizontal=True, **_bind("source")
    )
    top[1].radio(
        "Accent", list(ACCENTS), format_func=ACCENTS.get, horizontal=True, **_bind("accent")
    )
    notice = st.session_state.pop("practice.notice", None)
    if notice:
        st.success(notice)
    text = _library_text() if _state("source") == "library" else _custom_text()
    return " ".join(text.split()), str(_state("accent"))


# --- reference audio -----------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _reference(text: str, accent: str, speed: str) -> Any:
    """The reference recording, kept in memory so reruns don't re-read and decode it.

    Imported late: piper loads only when needed. The disk cache under the data dir
    keeps it across restarts.
    """
    from accent_coach.reference import reference_audio

    return reference_audio(text, accent, speed)


def _show_reference(text: str, accent: str) -> None:
    """Normal and slow players, and which voice is speaking."""
    st.subheader("Listen")
    cols = st.columns(2)
    voice = ""
    for col, speed in zip(cols, ("normal", "slow"), strict=True):
        try:
            with st.spinner(f"Preparing the {speed} reference…"):
                ref = _reference(text, accent, speed)
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
        **_bind("take"),
    )
    if _state("take") == "record":
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


# --- analysis ------------------------------------------------------------------------


class _ShownError(Exception):
    """The problem was already shown to the learner (by the model loader)."""


def _load_model(name: str) -> Any:
    """The app's documented loader: spinner/toast only on a real load, errors shown."""
    from ui.models import load_with_feedback

    loaded = load_with_feedback(name)
    if loaded is None:
        raise _ShownError
    return loaded


def model_problem() -> str | None:
    """Why no scores can be given right now (embedded model missing), else None."""
    from accent_coach.model_manager import EMBEDDED, ModelLoadError, embedded_installed
    from ui.models import app_manager

    try:
        selected = app_manager().selected_name
    except (ModelLoadError, ValueError) as exc:  # bad settings: say which
        return str(exc)
    if selected == EMBEDDED and not embedded_installed():
        return (
            "The embedded pronunciation model is not installed in this copy of Accent Coach, "
            "so recordings can't be scored yet. You can still listen and record; choose "
            "another model in Settings to get scores."
        )
    return None


def run_analysis(audio: bytes, text: str, accent: str) -> Analysis:
    """Text check → cached assessment (model loaded only on a cache miss).

    Raises TextError, AudioError, ModelLoadError with messages meant for the learner.
    """
    from accent_coach.model_manager import resolve_model
    from accent_coach.phonemes import reference as text_reference
    from ui.models import app_manager

    text_reference(text, accent)  # TextError before any model work
    name = resolve_model(app_manager().selected_name).name
    # The prosody score compares against the engine's own espeak reading, the reference
    # its formula is calibrated on: its coarse pYIN finds too few voiced frames in the
    # low Piper voice, which would zero the pitch similarity. Piper is for listening.
    return analyse(
        audio,
        text,
        accent=accent,
        model_name=name,
        reference=None,
        reference_id="engine-espeak",
        load_model=lambda: _load_model(name),
    )


def _analyse_clicked(audio: bytes, text: str, accent: str) -> None:
    """Run the analysis; any problem becomes a message, never a traceback."""
    from accent_coach.audio import AudioError
    from accent_coach.model_manager import ModelLoadError
    from accent_coach.phonemes import TextError

    try:
        analysis = run_analysis(audio, text, accent)
    except (AudioError, TextError, ModelLoadError) as exc:
        st.error(str(exc)[:1].upper() + str(exc)[1:])
        return
    except _ShownError:
        return
    except Exception as exc:  # noqa: BLE001 - never show a learner a traceback
        log.exception("analysis failed")
        st.error(f"The analysis failed unexpectedly ({type(exc).__name__}: {exc}).")
        return
    st.session_state["practice.analysis"] = {"analysis": analysis, "text": text, "accent": accent}


# --- results -------------------------------------------------------------------------


def _drill(result: dict[str, Any]) -> None:
    """on_click: make the weakest words (or a sentence for the weakest sound) the text."""
    level = _state("level")
    drill = drill_for(result, None if level == ANY else level)
    if drill is None:
        return
    _set("source", "custom")
    _set("custom", drill.text)
    st.session_state["practice.notice"] = f"Drill: {drill.reason}. Listen, then record again."
    st.session_state.pop("practice.analysis", None)


def _show_scores(result: dict[str, Any]) -> None:
    """The five sentence scores, each with its band symbol."""
    scores = result.get("scores") or {}
    cols = st.columns(len(plots.SCORE_ORDER))
    for col, name in zip(cols, plots.SCORE_ORDER, strict=True):
        value = scores.get(name)
        _, _, symbol = plots.score_band(value)
        col.metric(name.capitalize(), "–" if value is None else f"{value:.0f} {symbol}")


def _show_words(result: dict[str, Any]) -> None:
    """Coloured sentence, legend, and one expander of phones and tips per word."""
    words = result.get("words") or []
    st.markdown(views.words_html(words), unsafe_allow_html=True)
    st.caption(
        "✓ good (80+) · ~ fair (60–79) · ✗ needs work · struck through = missing · "
        "+sounds in grey = extra sounds heard"
    )
    tips = result.get("tips") or []
    for word in words:
        if word.get("error") == "insertion":
            label = "extra sounds heard: " + views.inserted_label(word, limit=40)
        else:
            label = views.word_title(word)
        with st.expander(label, expanded=False):
            rows = views.phone_rows([word])
            if rows:
                st.dataframe(rows, hide_index=True, width="stretch")
            mine = [t for t in tips if t.get("word") == word.get("text")]
            for line in views.tip_lines(views.select_tips(mine)):
                st.markdown(line)


def _pitch_tracks(saved: dict[str, Any]) -> tuple[Any, Any]:
    """Learner and reference pitch, computed once per analysis (pYIN takes ~0.5 s)."""
    if "tracks" not in saved:
        analysis: Analysis = saved["analysis"]
        learner = plots.pitch_track(analysis.samples, analysis.sample_rate)
        try:
            ref = _reference(saved["text"], saved["accent"], "normal")
            reference = plots.pitch_track(ref.samples, ref.sample_rate)
        except Exception:  # noqa: BLE001 - the plot still shows the learner's own pitch
            reference = None
        saved["tracks"] = (learner, reference)
    return saved["tracks"]


def _show_plots(saved: dict[str, Any]) -> None:
    """Intonation against the reference, and the waveform with word spans."""
    analysis: Analysis = saved["analysis"]
    words = analysis.result.get("words") or []
    learner, reference = _pitch_tracks(saved)
    st.markdown("**Intonation: you vs. the reference voice**")
    st.plotly_chart(plots.pitch_figure(learner, reference, words), width="stretch")
    st.caption(
        "Pitch in semitones around each speaker's own median, so voices of any range "
        "compare; the reference is time-aligned to your recording."
    )
    st.markdown("**Your recording**")
    st.plotly_chart(
        plots.waveform_figure(analysis.samples, analysis.sample_rate, words), width="stretch"
    )


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
        st.warning(warning)
    _show_scores(result)
    _show_words(result)
    st.button(
        "🎯 Drill weakest words",
        on_click=_drill,
        args=(result,),
        disabled=drill_for(result) is None,
        help="Practise the words (or the sound) you found hardest",
    )
    rows = views.phone_rows(result.get("words") or [])
    if rows:
        st.markdown("**Expected vs. heard sounds**")
        st.dataframe(rows, hide_index=True, width="stretch")
    else:  # letter-output models: words are checked by spelling, no phones to show
        st.caption("This model gives word-level results only, so there is no sound table.")
    tips = result.get("tips") or []
    chosen = views.select_tips(tips)
    if chosen:
        st.markdown("**Tips**")
        st.markdown("\n".join("- " + line for line in views.tip_lines(chosen)))
        if len(tips) > len(chosen):
            st.caption(f"{len(tips) - len(chosen)} more (repeated or minor) in the word details.")
    _show_plots(saved)


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
        _analyse_clicked(audio, text, accent)
    saved = st.session_state.get("practice.analysis")
    if saved and not problem:
        _show_results(saved)


main()
