"""The Progress page's glue: filters that survive reruns, the figures, attempt details,
export and "delete my data".

The numbers come from :mod:`accent_coach.storage` (queries) and
:mod:`accent_coach.practice.weak_sounds` (the review schedule); this module turns them
into plotly figures and Streamlit widgets.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from accent_coach.service.result_cache import default_cache
from accent_coach.storage import (
    Filters,
    accents_used,
    activity,
    attempt_audio,
    attempt_texts,
    delete_profile_data,
    export_csv,
    export_json,
    history_version,
    load_attempt,
    open_storage,
    phone_days,
    recent_attempts,
    score_trend,
)
from ui.profile import STATE as PROFILE
from ui.profile import Learner
from ui.state import PageState

ALL = "all"
STATE = PageState("progress", {"range": (), "accent": ALL, "confirm": ""})
SCORE_LINES = ("overall", "accuracy", "fluency", "completeness", "prosody")
CONFIRM_WORD = "DELETE"


# What the page draws, by name: (storage, profile id, *args) → result. Filters travel as
# (start, end, accent) tuples so Streamlit can hash them.
_QUERIES: dict[str, Any] = {
    "activity": lambda s, p, goal, _today: activity(s, p, goal),
    "trend": lambda s, p, f: score_trend(s, p, Filters(*f)),
    "phone_days": lambda s, p, f: phone_days(s, p, Filters(*f)),
    "recent": lambda s, p, f: recent_attempts(s, p, Filters(*f), limit=50),
}


@st.cache_data(show_spinner=False, max_entries=128)
def _query(name: str, url: str, profile_id: int, version: tuple[int, int], args: tuple) -> Any:
    return _QUERIES[name](open_storage(url), profile_id, *args)


def query(me: Learner, name: str, *args: Any) -> Any:
    """A Progress query, recomputed only when this learner's history changed.

    Reruns with an unchanged history (picking an attempt, switching tabs, going back to
    a filter seen before) cost one indexed count instead of the queries (0.3–0.6 s for
    10,000 attempts on the 2-core test machine; ``benchmarks/storage.py``).
    """
    version = history_version(me.storage, me.profile.id)
    url = me.storage.url.render_as_string(hide_password=False)
    args = tuple((f.start, f.end, f.accent) if isinstance(f, Filters) else f for f in args)
    return _query(name, url, me.profile.id, version, args)


def filters(me: Learner) -> Filters:
    """Date range and accent pickers → the Filters every view uses."""
    cols = st.columns([3, 2])
    cols[0].date_input("Dates", value=STATE.get("range") or (), format="YYYY-MM-DD",
                       help="Leave empty for all time; pick a start and an end day.",
                       key="_w.progress.range",
                       on_change=lambda: STATE.set("range", st.session_state["_w.progress.range"]))
    accents = [ALL, *accents_used(me.storage, me.profile.id)]
    if STATE.get("accent") not in accents:
        STATE.set("accent", ALL)
    cols[1].selectbox("Accent", accents, format_func=lambda a: "all accents" if a == ALL else a,
                      **STATE.bind("accent"))
    chosen = tuple(STATE.get("range") or ())
    start = chosen[0] if chosen else None
    end = chosen[1] if len(chosen) > 1 else start
    accent = STATE.get("accent")
    return Filters(start, end, None if accent == ALL else accent)


def _layout(fig: go.Figure, title: str, y: str) -> go.Figure:
    fig.update_layout(title=title, yaxis_title=y, height=340, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.2))
    return fig


DAY_MS = 86_400_000  # plotly date axes count in milliseconds


def day_axis(fig: go.Figure, days: list[date]) -> go.Figure:
    """A date axis that reads as days whatever the number of points.

    Left alone, plotly zooms a one-day axis to the millisecond ("23:59:59.999 …
    00:00:00.0005"); with a few days it labels half-days. Each day gets one tick
    ("3 Mar") up to two weeks, and the range has half a day of margin each side.
    """
    if not days:
        return fig
    first, last = min(days), max(days)
    pad = timedelta(hours=12)
    axis: dict[str, Any] = dict(type="date", tickformat="%-d %b", hoverformat="%a %-d %b %Y",
                                range=[datetime.combine(first, datetime.min.time()) - pad,
                                       datetime.combine(last, datetime.min.time()) + pad])
    if (last - first).days <= 14:
        axis.update(dtick=DAY_MS, tick0=datetime.combine(first, datetime.min.time()))
    fig.update_xaxes(**axis)
    return fig


def _attempts_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """One day of practice: each attempt at its time of day (a daily mean would be one
    lonely point)."""
    xs = [r["created_at"] for r in rows]
    fig = go.Figure()
    for name in SCORE_LINES:
        fig.add_trace(go.Scatter(x=xs, y=[r[name] for r in rows], mode="lines+markers",
                                 name=name, line=dict(width=3 if name == "overall" else 1.5)))
    first, last = min(xs), max(xs)
    pad = max(timedelta(minutes=10), (last - first) / 10)
    fig.update_xaxes(type="date", tickformat="%H:%M", hoverformat="%H:%M:%S",
                     range=[first - pad, last + pad], nticks=8,
                     title_text=first.strftime("%A %-d %B %Y"))
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, "Scores on the day (each attempt)", "score")


def trend_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Daily mean of each sentence score (every attempt of the day counts once); with a
    single day of data, each attempt at its time instead."""
    days: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        days[row["created_at"].date()].append(row)
    if len(days) == 1:
        return _attempts_figure(rows)
    xs = sorted(days)
    fig = go.Figure()
    for name in SCORE_LINES:
        ys = []
        for day in xs:
            values = [r[name] for r in days[day] if r[name] is not None]
            ys.append(round(sum(values) / len(values), 1) if values else None)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name,
                                 line=dict(width=3 if name == "overall" else 1.5)))
    fig.update_yaxes(range=[0, 100])
    day_axis(fig, xs)
    return _layout(fig, "Scores over time (daily mean)", "score")


def weakness_figure(stats: list[Any], limit: int = 12) -> go.Figure:
    """The sounds that fail most: mean score per expected IPA sound, weakest first."""
    worst = stats[:limit]
    fig = go.Figure(go.Bar(
        x=[f"/{s.phone}/" for s in worst], y=[s.mean_score for s in worst],
        text=[f"{s.miss_rate:.0%} missed · {s.count}×" for s in worst],
        marker_color=["#d62728" if s.mean_score < 60 else "#ff7f0e" if s.mean_score < 80
                      else "#2ca02c" for s in worst],
    ))
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, "Weakest sounds (mean score)", "score")


def sound_change_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """How each of the weakest sounds changes, day by day."""
    fig = go.Figure()
    by_phone: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_phone[row["phone"]].append(row)
    for phone, points in by_phone.items():
        fig.add_trace(go.Scatter(x=[p["day"] for p in points], y=[p["mean_score"] for p in points],
                                 mode="lines+markers", name=f"/{phone}/"))
    fig.update_yaxes(range=[0, 100])
    day_axis(fig, [r["day"] for r in rows])
    return _layout(fig, "Weakest sounds over time (daily mean, UTC days)", "score")


def attempt_label(row: dict[str, Any]) -> str:
    score = "–" if row["overall"] is None else f"{row['overall']:.0f}"
    audio = " 🔊" if row["has_audio"] else ""
    return f"{row['created_at']:%Y-%m-%d %H:%M} · {score} · {row['text'][:60]}{audio}"


def attempt_details(me: Learner, attempt_id: int) -> None:
    """One stored attempt: its scores, replay when the audio was kept, words and sounds."""
    result = load_attempt(me.storage, me.profile.id, attempt_id)
    if result is None:
        st.info("That attempt is no longer stored.")
        return
    st.markdown(f"**{result.get('text', '')}** ({result.get('accent', '')}, "
                f"model {result.get('model', '?')})")
    scores = result.get("scores") or {}
    for col, name in zip(st.columns(len(SCORE_LINES)), SCORE_LINES, strict=True):
        value = scores.get(name)
        col.metric(name.capitalize(), "–" if value is None else f"{value:.0f}")
    if result.get("has_audio"):
        stored = attempt_audio(me.storage, me.profile.id, attempt_id)
        if stored is not None:
            st.audio(stored[0], format=stored[1])
    else:
        st.caption("Recording not kept (turn on “Keep my recordings” in the sidebar).")
    rows = [
        {"word": w.get("text"), "word score": w.get("score"), "expected": p.get("expected"),
         "heard": p.get("heard"), "sound score": p.get("score"), "error": p.get("error")}
        for w in result.get("words") or [] for p in (w.get("phones") or [{}])
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def export_buttons(me: Learner) -> None:
    """CSV (one row per attempt) and JSON (everything) downloads, built on click."""
    storage, pid, stem = me.storage, me.profile.id, f"accent-coach-{me.profile.id}"
    cols = st.columns(2)
    cols[0].download_button("⬇️ Export CSV", data=lambda: export_csv(storage, pid),
                            file_name=f"{stem}.csv", mime="text/csv", on_click="ignore")
    cols[1].download_button("⬇️ Export JSON", data=lambda: export_json(storage, pid),
                            file_name=f"{stem}.json", mime="application/json",
                            on_click="ignore")


def _delete(me: Learner) -> None:
    """on_click: delete everything of this profile, if the learner typed the word."""
    if STATE.get("confirm") != CONFIRM_WORD:
        st.session_state["progress.notice"] = ("warning", f"Type {CONFIRM_WORD} to confirm.")
        return
    texts = attempt_texts(me.storage, me.profile.id)
    delete_profile_data(me.storage, me.profile.id)
    default_cache().forget_texts(texts)  # cached results of their takes are their data too
    PROFILE.set("id", None)
    STATE.set("confirm", "")
    st.session_state.pop("history.last_saved", None)
    st.session_state["progress.notice"] = (
        "success", f"All of {me.profile.name}'s attempts, recordings and conversations are "
        "deleted.")


def delete_section(me: Learner) -> None:
    """“Delete my data”, behind a typed confirmation."""
    with st.expander("🗑️ Delete my data"):
        st.write(f"This deletes the profile **{me.profile.name}** with every attempt, "
                 "recording and conversation, and the cached results of their sentences, "
                 "permanently.")
        st.text_input(f"Type {CONFIRM_WORD} to confirm", **STATE.bind("confirm"))
        st.button("Delete everything", type="primary", on_click=_delete, args=(me,))


def show_notice() -> None:
    """The outcome of the last delete (set in its callback)."""
    notice = st.session_state.pop("progress.notice", None)
    if notice:
        getattr(st, notice[0])(notice[1])
