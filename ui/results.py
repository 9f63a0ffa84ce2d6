"""Streamlit rendering of one assessment result: scores, coloured words, the sound
table, tips, and the pitch and waveform plots.

Shared by every page that shows a scored take (Practice now, the tutor's turns next);
the display data itself comes from :mod:`ui.views` and :mod:`ui.plots`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from accent_coach.practice.session import Analysis
from ui import plots, views


def show_scores(result: dict[str, Any]) -> None:
    """The five sentence scores, each with its band symbol."""
    scores = result.get("scores") or {}
    cols = st.columns(len(plots.SCORE_ORDER))
    for col, name in zip(cols, plots.SCORE_ORDER, strict=True):
        value = scores.get(name)
        _, _, symbol = plots.score_band(value)
        col.metric(name.capitalize(), "–" if value is None else f"{value:.0f} {symbol}")


def show_words(result: dict[str, Any]) -> None:
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


def show_sounds_and_tips(result: dict[str, Any]) -> None:
    """The expected-vs-heard table and the distinct tips, most telling first."""
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


def pitch_tracks(saved: dict[str, Any], reference: Callable[[], Any]) -> tuple[Any, Any]:
    """Learner and reference pitch, computed once per analysis (pYIN takes ~0.5 s).

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
    """Intonation against the reference, and the waveform with word spans."""
    analysis: Analysis = saved["analysis"]
    words = analysis.result.get("words") or []
    learner, ref_track = pitch_tracks(saved, reference)
    st.markdown("**Intonation: you vs. the reference voice**")
    st.plotly_chart(plots.pitch_figure(learner, ref_track, words), width="stretch")
    st.caption(
        "Pitch in semitones around each speaker's own median, so voices of any range "
        "compare; the reference is time-aligned to your recording."
    )
    st.markdown("**Your recording**")
    st.plotly_chart(
        plots.waveform_figure(analysis.samples, analysis.sample_rate, words), width="stretch"
    )
