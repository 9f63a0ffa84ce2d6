"""Plotly figures for results: waveform with word boundaries, learner-vs-reference pitch,
and score bars. UI-free (no Streamlit) so the figures can be tested and reused.

Colours follow :func:`score_band` so a word looks the same in the waveform, the word
list and the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

# (lower bound, name, colour, symbol): symbol + colour, so colour-blind learners see it too
BANDS = (
    (80.0, "good", "#17803d", "✓"),
    (60.0, "fair", "#a86f00", "~"),
    (0.0, "poor", "#d73027", "✗"),
)
MISSING_COLOUR = "#7f7f7f"
MAX_WAVE_POINTS = 4000


def score_band(score: float | None) -> tuple[str, str, str]:
    """(name, colour, symbol) of a 0–100 score; None (not scored) is grey."""
    if score is None:
        return "not scored", MISSING_COLOUR, "?"
    for low, name, colour, symbol in BANDS:
        if score >= low:
            return name, colour, symbol
    return BANDS[-1][1:]


def _envelope(samples: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min/max per bucket: a faithful outline at a few thousand points, not millions."""
    n = max(1, int(np.ceil(len(samples) / MAX_WAVE_POINTS)))
    pad = (-len(samples)) % n
    blocks = np.pad(samples, (0, pad)).reshape(-1, n)
    t = (np.arange(len(blocks)) * n + n / 2) / sr
    return t, blocks.min(axis=1), blocks.max(axis=1)


def waveform_figure(
    samples: np.ndarray, sr: int, words: Sequence[dict[str, Any]] = ()
) -> go.Figure:
    """The recording's waveform with each word's span shaded in its score colour."""
    t, lo, hi = _envelope(np.asarray(samples, dtype=np.float32), sr)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([t, t[::-1]]),
            y=np.concatenate([hi, lo[::-1]]),
            fill="toself",
            line={"width": 0.5, "color": "#4c78a8"},
            name="waveform",
            hoverinfo="skip",
        )
    )
    for word in words:
        start, end = word.get("start"), word.get("end")
        if start is None or end is None or end <= start:
            continue  # omitted words have no span in the audio
        _, colour, symbol = score_band(word.get("score"))
        label = f"{word.get('text', '')} {symbol}"
        if word.get("error") == "insertion":
            colour, label = MISSING_COLOUR, "+"  # extra sounds: marked, not graded
        fig.add_vrect(x0=start, x1=end, fillcolor=colour, opacity=0.18, line_width=0)
        fig.add_annotation(
            x=(start + end) / 2,
            y=1.0,
            yref="paper",
            text=label,
            showarrow=False,
            font={"color": colour, "size": 12},
            yanchor="bottom",
        )
    fig.update_layout(
        height=240,
        margin={"l": 40, "r": 10, "t": 30, "b": 35},
        xaxis_title="time (s)",
        yaxis={"showticklabels": False, "range": [-1.05, 1.05]},
        showlegend=False,
    )
    return fig


@dataclass
class PitchTrack:
    """Pitch in semitones relative to the speaker's median (so voices compare)."""

    times: np.ndarray  # seconds
    semitones: np.ndarray  # NaN where unvoiced
    energy: np.ndarray  # z-normalised dB, used to align the two readings


PITCH_RANGE = (60.0, 500.0)  # Hz: low male to high female/child voices


def pitch_track(samples: np.ndarray, sr: int) -> PitchTrack:
    """F0 in semitones around the speaker's median and energy for the alignment: the
    engine's contours, with a wider pitch range for the plot."""
    from accent_coach.engine.prosody import HOP, contours
    from accent_coach.speech import SAMPLE_RATE

    track = contours(np.asarray(samples, dtype=np.float32), sr, *PITCH_RANGE)
    return PitchTrack(np.arange(len(track)) * HOP / SAMPLE_RATE, track[:, 0], track[:, 1])


def align_reference(learner: PitchTrack, reference: PitchTrack) -> np.ndarray:
    """Reference pitch warped onto the learner's frames by DTW over energy and pitch.

    The readings differ in speed and pauses; DTW matches syllable to syllable so the
    two curves can be compared at the same moment of the learner's recording.
    """
    from accent_coach.engine.prosody import dtw

    def feats(track: PitchTrack) -> np.ndarray:
        return np.stack([track.energy, np.nan_to_num(track.semitones) / 4.0])

    step = max(1, int(np.ceil(max(len(learner.times), len(reference.times)) / 1500)))
    path = dtw(feats(learner)[:, ::step].T, feats(reference)[:, ::step].T)
    warped = np.full(len(learner.times), np.nan)
    for i, j in path[::-1] * step:
        warped[i : i + step] = reference.semitones[min(j, len(reference.semitones) - 1)]
    return warped


def pitch_figure(
    learner: PitchTrack, reference: PitchTrack | None, words: Sequence[dict[str, Any]] = ()
) -> go.Figure:
    """Learner intonation against the reference voice's, on the learner's time axis."""
    fig = go.Figure()
    if reference is not None and np.isfinite(reference.semitones).any():
        fig.add_trace(
            go.Scatter(
                x=learner.times,
                y=align_reference(learner, reference),
                name="reference",
                line={"color": "#9e9e9e", "width": 3, "dash": "dot"},
                connectgaps=False,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=learner.times,
            y=learner.semitones,
            name="you",
            line={"color": "#4c78a8", "width": 2},
            connectgaps=False,
        )
    )
    for word in words:
        if word.get("text") and word.get("start") is not None:
            fig.add_vline(x=word["start"], line={"color": "#dddddd", "width": 1})
            fig.add_annotation(
                x=word["start"],
                y=1.0,
                yref="paper",
                text=word.get("text", ""),
                showarrow=False,
                xanchor="left",
                yanchor="bottom",
                font={"size": 11},
            )
    fig.update_layout(
        height=260,
        margin={"l": 40, "r": 10, "t": 30, "b": 35},
        xaxis_title="time in your recording (s)",
        yaxis_title="pitch (semitones from median)",
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


SCORE_ORDER = ("accuracy", "completeness", "fluency", "prosody", "overall")


def scores_figure(scores: dict[str, float | None]) -> go.Figure:
    """Horizontal bars of the sentence scores, coloured by band and labelled with symbols."""
    names = [k for k in SCORE_ORDER if k in scores and scores[k] is not None]
    values = [float(scores[k]) for k in names]  # type: ignore[arg-type]
    bands = [score_band(v) for v in values]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=[b[1] for b in bands],
            text=[f"{v:.0f} {b[2]}" for v, b in zip(values, bands, strict=True)],
            textposition="auto",
        )
    )
    fig.update_layout(
        height=60 + 36 * len(names),
        margin={"l": 90, "r": 10, "t": 10, "b": 30},
        xaxis={"range": [0, 100]},
        yaxis={"autorange": "reversed"},
    )
    return fig


def take_figure(
    samples: np.ndarray,
    sr: int,
    learner: PitchTrack | None,
    reference: PitchTrack | None,
    words: Sequence[dict[str, Any]] = (),
) -> go.Figure:
    """Intonation above the waveform on one shared time axis (seconds of the take), with
    each word's span shaded in its score colour across both."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.58, 0.42],
        subplot_titles=("Intonation: you vs. the reference voice", "Your recording"),
    )
    if learner is not None:
        for trace in pitch_figure(learner, reference).data:
            fig.add_trace(trace, row=1, col=1)
    for trace in waveform_figure(samples, sr).data:
        fig.add_trace(trace, row=2, col=1)
    for word in words:
        start, end = word.get("start"), word.get("end")
        if start is None or end is None or end <= start:
            continue
        _, colour, symbol = score_band(word.get("score"))
        label = f"{word.get('text', '')} {symbol}"
        if word.get("error") == "insertion":
            colour, label = MISSING_COLOUR, "+"
        fig.add_vrect(x0=start, x1=end, fillcolor=colour, opacity=0.15, line_width=0,
                      row="all", col=1)
        fig.add_annotation(x=(start + end) / 2, y=0, yref="y2 domain", text=label,
                           showarrow=False, font={"color": colour, "size": 12},
                           yanchor="top")
    duration = len(samples) / sr if sr else 0.0
    fig.update_xaxes(range=[0, max(duration, 0.1)])
    fig.update_xaxes(title_text="time in your recording (s)", row=2, col=1)
    fig.update_yaxes(title_text="semitones", row=1, col=1)
    fig.update_yaxes(showticklabels=False, range=[-1.05, 1.05], row=2, col=1)
    fig.update_layout(height=480, margin={"l": 50, "r": 10, "t": 40, "b": 60},
                      legend={"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"})
    return fig
