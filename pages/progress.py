"""Progress: score trends, the sounds that fail most, streak and daily goal, past
attempts with replay, export and "delete my data" — for the current profile only.

Layout only: queries in ``accent_coach.storage``, the review schedule in
``accent_coach.practice.weak_sounds``, figures and widgets in ``ui.progress``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from accent_coach.config import get_settings
from accent_coach.practice.sentences import SOUNDS
from accent_coach.practice.weak_sounds import schedule
from accent_coach.storage import Filters, daily_of, weakness_of
from ui import progress
from ui.profile import Learner, learner


def _daily_goal() -> int:
    try:
        return get_settings().daily_goal
    except ValueError:
        return 10


def _activity(me: Learner) -> int:
    """Streak, today against the goal, total; returns the total."""
    act = progress.query(me, "activity", _daily_goal(), date.today())
    cols = st.columns(3)
    cols[0].metric("Streak", f"{act.streak_days} day{'s' * (act.streak_days != 1)}")
    cols[1].metric("Today", f"{act.today} / {act.goal}")
    cols[2].metric("Attempts", act.total)
    st.progress(min(act.today / act.goal, 1.0),
                text="Daily goal reached 🎉" if act.today >= act.goal
                else f"{act.goal - act.today} more to reach today's goal")
    return act.total


def _trends(me: Learner, filters) -> None:
    rows = progress.query(me, "trend", filters)
    if not rows:
        st.info("No attempts match these filters.")
        return
    st.plotly_chart(progress.trend_figure(rows), width="stretch")


def _sounds(me: Learner, filters) -> None:
    days = progress.query(me, "phone_days", filters)  # one scan; the views below derive
    stats = weakness_of(days)
    if not stats:
        st.info("Not enough scored sounds for these filters yet (each needs 3 or more).")
        return
    st.plotly_chart(progress.weakness_figure(stats), width="stretch")
    worst = [s.phone for s in stats[:5]]
    st.plotly_chart(progress.sound_change_figure(daily_of(days, worst)), width="stretch")
    everything = progress.query(me, "phone_days", Filters())  # the same scan when unfiltered
    boxes = schedule(me.storage, me.profile.id, everything)
    if boxes:
        st.caption("Review schedule (Leitner boxes 1–5; “Practise my weak sounds” on the "
                   "Practice page drills what is due):")
        st.dataframe(
            [{"sound": SOUNDS[b.key].label, "box": b.box, "last score": b.last_score,
              "last practised": b.last_day, "due": b.due} for b in boxes],
            hide_index=True, width="stretch")


def _attempts(me: Learner, filters) -> None:
    recent = progress.query(me, "recent", filters)
    if not recent:
        st.info("No attempts match these filters.")
        return
    labels = {r["id"]: progress.attempt_label(r) for r in recent}
    chosen = st.selectbox(f"Recent attempts ({len(recent)} newest shown)", list(labels),
                          format_func=labels.get, key="progress.attempt")
    progress.attempt_details(me, chosen)


def main() -> None:
    st.title("Progress")
    progress.show_notice()
    me, problem = learner()
    if me is None:
        st.warning(problem)
        return
    st.caption(f"**{me.profile.name}**'s history, stored on "
               f"{'this computer' if me.storage.is_sqlite else 'the shared database'} "
               "(switch profile in the sidebar).")
    if not _activity(me):
        st.info("No attempts saved yet. Scores from the Practice page appear here over time.")
        progress.delete_section(me)
        return
    filters = progress.filters(me)
    trends, sounds, attempts, data = st.tabs(["📈 Trends", "🔤 Sounds", "🗂️ Attempts",
                                              "💾 Export & delete"])
    with trends:
        _trends(me, filters)
    with sounds:
        _sounds(me, filters)
    with attempts:
        _attempts(me, filters)
    with data:
        progress.export_buttons(me)
        progress.delete_section(me)


main()
