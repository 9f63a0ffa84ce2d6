"""Pages ↔ history glue: save each analysed take and each finished tutor conversation,
and "Practise my weak sounds".

Kept apart from ``ui.practice`` and ``ui.tutor`` so their own glue stays small.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import streamlit as st

from accent_coach.config import get_settings
from accent_coach.practice import weak_sounds
from accent_coach.practice.session import Analysis
from accent_coach.storage import StorageError, save_attempt, save_conversation
from ui.profile import learner
from ui.state import PageState

log = logging.getLogger(__name__)

MIME = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "webm": "audio/webm",
        "m4a": "audio/mp4", "flac": "audio/flac"}


def _audio_cap_bytes() -> int:
    try:
        return int(get_settings().audio_max_mb * 1_000_000)
    except ValueError:
        return 10_000_000


def save_take(analysis: Analysis, text: str, accent: str, audio: bytes, name: str) -> None:
    """Save one analysed take to the learner's history; problems become a caption.

    Analysing the same take again (served from the result cache) is not saved twice.
    """
    me, problem = learner()
    if me is None:
        st.caption(f"Not saved to your history. {problem or ''}".strip())
        return
    key = (me.profile.id, hashlib.sha256(audio).hexdigest(), text, accent)
    if analysis.from_cache and st.session_state.get("history.last_saved") == key:
        return
    result: dict[str, Any] = {**analysis.result, "text": text, "accent": accent}
    mime = MIME.get(Path(name or "take.wav").suffix.lstrip(".").lower(), "audio/wav")
    try:
        saved = save_attempt(me.storage, me.profile.id, result,
                             audio=audio if me.keep_audio else None, audio_mime=mime,
                             audio_max_bytes=_audio_cap_bytes())
    except StorageError as exc:
        st.warning(f"This take was scored but not saved: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - scoring worked; never lose it to a traceback
        log.exception("saving an attempt failed")
        st.warning(f"This take was scored but not saved ({type(exc).__name__}: {exc}).")
        return
    st.session_state["history.last_saved"] = key
    if saved.note:
        st.warning(saved.note)
    st.toast(f"Saved to {me.profile.name}'s history")


def save_finished_conversation(conv: dict[str, Any]) -> None:
    """Keep a finished tutor conversation in the learner's history (once), recordings only
    when the learner opted in; a problem becomes a warning, never a traceback."""
    if conv.get("saved_id") or not conv.get("ended_at"):
        return
    me, problem = learner()
    if me is None:
        st.caption(f"Conversation not saved to your history. {problem or ''}".strip())
        return
    record = {k: v for k, v in conv.items() if k != "saved_id"}
    if not me.keep_audio:
        record["turns"] = [{**t, "audio": None} for t in record.get("turns") or []]
    try:
        conv["saved_id"] = save_conversation(me.profile.id, record, storage=me.storage)
    except StorageError as exc:
        st.warning(f"This conversation was not saved: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - the conversation stays in the session
        log.exception("saving a conversation failed")
        st.warning(f"This conversation was not saved ({type(exc).__name__}: {exc}).")
        return
    st.toast(f"Conversation saved to {me.profile.name}'s history")


def practise_weak_sounds(state: PageState, any_value: str) -> None:
    """on_click: put the next weak-sounds sentence on the Practice page, with the reason."""
    me, problem = learner()
    if me is None:
        st.session_state["practice.notice"] = problem
        return
    level = state.get("level")
    plan = weak_sounds.plan(me.storage, me.profile.id, None if level == any_value else level)
    if plan is None:
        st.session_state["practice.notice"] = (
            "No weak sounds yet: analyse a few takes first, and they will be tracked.")
        return
    state.set("source", "library")
    state.set("level", plan.sentence.level if level != any_value else any_value)
    state.set("sound", plan.sounds[0] if plan.sounds else any_value)
    state.set("sentence", plan.sentence.text)
    st.session_state["practice.notice"] = f"Weak sounds — {plan.reason}."
    st.session_state.pop("practice.analysis", None)
