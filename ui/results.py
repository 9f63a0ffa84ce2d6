"""Streamlit rendering of one assessment result: what the scores mean, the coloured
words, listening (your take, word by word, minimal pairs), the sound table, tips, and
intonation over the waveform on one time axis.

Shared by every page that shows a scored take (Practice now, the tutor's turns next);
the display data itself comes from :mod:`ui.views` and :mod:`ui.plots`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from accent_coach.practice.session import Analysis
from accent_coach.speech.voices import wav_bytes
from ui import plots, views

# Dev greedy phone error rate of the embedded model (its MODEL_CARD.md); other models
# have no measured figure here.
MODEL_ERROR_RATES = {"embedded": 0.43}
MISMATCH_HEADLINE = "This does not sound like the sentence — did you read the right text?"
Reference = Callable[[str, str], Any]  # (text, speed) -> ReferenceAudio


def is_mismatch(result: dict[str, Any]) -> bool:
    return bool(((result.get("details") or {}).get("text_match") or {}).get("mismatch"))


def warning_texts(result: dict[str, Any], extra: list[Any] = ()) -> list[str]:
    """Warnings as plain text (the engine may give strings or {code, message})."""
    out = []
    for w in [*extra, *(result.get("warnings") or [])]:
        text = w.get("message", "") if isinstance(w, dict) else str(w)
        if text and text not in out:
            out.append(text)
    return out


def show_scores(result: dict[str, Any]) -> None:
    """The five sentence scores with their band symbol and what each one means."""
    scores = result.get("scores") or {}
    cols = st.columns(len(plots.SCORE_ORDER))
    for col, name in zip(cols, plots.SCORE_ORDER, strict=True):
        value = scores.get(name)
        _, _, symbol = plots.score_band(value)
        col.metric(
            name.capitalize(), "–" if value is None else f"{value:.0f} {symbol}",
            help=views.score_help(result)[name],
        )
    note = views.certainty_note(
        (result.get("details") or {}).get("certainty"),
        MODEL_ERROR_RATES.get(str(result.get("model"))),
    )
    if note:
        st.caption(note)
    with st.expander("What do these scores mean?"):
        for name in plots.SCORE_ORDER:
            st.markdown(f"**{name.capitalize()}** — {views.score_help(result)[name]}")
        st.markdown(views.sound_note(result))


def show_words(result: dict[str, Any]) -> None:
    """Coloured sentence, legend, and one expander of sounds and tips per word."""
    words = result.get("words") or []
    st.markdown(views.words_html(words), unsafe_allow_html=True)
    st.caption(views.WORD_LEGEND)
    tips = result.get("tips") or []
    for word in words:
        if word.get("error") == "insertion":
            label = "extra sounds heard: " + views.inserted_label(word, limit=40)
        else:
            label = views.word_title(word)
        with st.expander(label, expanded=False):
            stress = views.stress_line(word)
            if stress:
                st.markdown(stress)
            rows = views.phone_rows([word])
            if rows:
                st.dataframe(rows, hide_index=True, width="stretch")
            mine = [t for t in tips if t.get("word") == word.get("text")]
            for line in views.tip_lines(views.select_tips(mine)):
                st.markdown(line)


def show_listening(analysis: Analysis, take_audio: bytes, reference: Reference) -> None:
    """Your own take, any word of it next to the reference voice, and minimal pairs."""
    st.markdown("**Listen and compare**")
    st.caption("Your take")
    st.audio(take_audio)
    words = [
        w for w in analysis.result.get("words") or []
        if w.get("text") and w.get("start") is not None and w.get("end") is not None
    ]
    if words:
        cols = st.columns([2, 3, 3])
        index = cols[0].selectbox(
            "Hear a word", range(len(words)), format_func=lambda i: views.word_title(words[i]),
            key="results.word",
        )
        word = words[index]
        sr = analysis.sample_rate
        clip = analysis.samples[int(word["start"] * sr) : int(word["end"] * sr)]
        cols[1].caption("You")
        cols[1].audio(wav_bytes(clip, sr), format="audio/wav")
        _reference_player(cols[2], "Reference voice", word["text"], "slow", reference)
    pairs = list(dict.fromkeys(
        t["minimal_pair"] for t in analysis.result.get("tips") or [] if t.get("minimal_pair")
    ))
    if pairs:
        cols = st.columns([2, 6])
        pair = cols[0].selectbox("Hear a minimal pair", pairs, key="results.pair")
        _reference_player(cols[1], pair, pair.replace("/", ",") + ".", "slow", reference)


def _reference_player(box: Any, caption: str, text: str, speed: str, ref: Reference) -> None:
    try:
        audio = ref(text, speed)
    except Exception as exc:  # noqa: BLE001 - a missing voice must not hide the results
        box.caption(f"{caption}: no audio ({exc})")
        return
    box.caption(caption)
    box.audio(audio.wav_bytes(), format="audio/wav")


def show_sounds_and_tips(result: dict[str, Any]) -> None:
    """The expected-vs-heard table (worst first by default) and the distinct tips."""
    words = result.get("words") or []
    if any(w.get("phones") for w in words):
        st.markdown("**Expected vs. heard sounds**")
        worst = st.toggle("Worst sounds first", value=True, key="results.worst_first")
        rows = views.phone_rows(words, worst_first=worst)
        st.dataframe(rows, hide_index=True, width="stretch", height=min(36 * (len(rows) + 1), 600))
        st.caption(views.sound_note(result))
    else:  # letter-output models: words are checked by spelling, no phones to show
        st.caption("This model gives word-level results only, so there is no sound table.")
    tips = result.get("tips") or []
    chosen = views.select_tips(tips)
    if chosen:
        st.markdown("**Tips**")
        st.markdown("\n".join("- " + line for line in views.tip_lines(chosen)))
        if len(tips) > len(chosen):
            st.caption(f"{len(tips) - len(chosen)} more (repeated or minor) in the word details.")


def pitch_tracks(saved: dict[str, Any], reference: Callable[[], Any]) -> tuple[Any, Any]:
    """Learner and reference pitch, computed once per analysis.

    ``reference()`` returns the reference recording the learner listened to.
    """
    if "tracks" not in saved:
        analysis: Analysis = saved["analysis"]
        learner = plots.pitch_track(analysis.samples, analysis.sample_rate)
        try:
            ref = reference()
            ref_track = plots.pitch_track(ref.samples, ref.sample_rate)
        except Exception:  # noqa: BLE001 - the plot still shows the learner's own pitch
            ref_track = None
        saved["tracks"] = (learner, ref_track)
    return saved["tracks"]


def show_plots(saved: dict[str, Any], reference: Callable[[], Any]) -> None:
    """Intonation against the reference above the waveform, on the take's time axis."""
    analysis: Analysis = saved["analysis"]
    words = analysis.result.get("words") or []
    learner, ref_track = pitch_tracks(saved, reference)
    st.plotly_chart(
        plots.take_figure(analysis.samples, analysis.sample_rate, learner, ref_track, words),
        width="stretch",
    )
    st.caption(
        "Pitch in semitones around each speaker's own median, so voices of any range "
        "compare; the reference is time-aligned to your recording. Shaded spans are your "
        "words, in their score colour."
    )
