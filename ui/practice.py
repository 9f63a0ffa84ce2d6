"""The Practice page's Streamlit glue: saved choices, the learner's take, cached
reference audio, and the analysis run with stages and every failure turned into a
message for the learner.

The page (``pages/practice.py``) arranges widgets; the work it triggers is here and in
:mod:`accent_coach.practice`. Results belong to the take and text that produced them:
a new take, another text or an error hides them.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from accent_coach.engine.audio import AudioError
from accent_coach.engine.g2p import TextError
from accent_coach.engine.g2p import reference as text_reference
from accent_coach.practice.drills import drill_for
from accent_coach.practice.session import Analysis, analyse
from accent_coach.speech.registry import EMBEDDED, ModelLoadError, embedded_installed, resolve_model
from ui.models import app_manager, load_with_feedback
from ui.state import PageState

log = logging.getLogger(__name__)

ANY = "any"
STATE = PageState(
    "practice",
    {
        "source": "library",
        "level": "beginner",
        "sound": ANY,
        "sentence": "",
        "custom": "",
        "accent": "us",
        "take": "record",
    },
)


@dataclass(frozen=True)
class Take:
    """The learner's recording or upload, kept until a new one replaces it."""

    data: bytes
    name: str
    digest: str


def take_round() -> int:
    """Bumped by "Discard": the recorder and uploader get new keys, so they start empty."""
    return int(st.session_state.get("practice.take_round", 0))


def keep_take(data: bytes | None, name: str) -> Take | None:
    """The current take: a new recording or upload replaces the kept one; without one, the
    kept take survives reruns, page switches and text edits."""
    kept: Take | None = st.session_state.get("practice.current_take")
    if data:
        digest = hashlib.sha256(data).hexdigest()
        if kept is None or kept.digest != digest:
            kept = Take(data, name, digest)
            st.session_state["practice.current_take"] = kept
    return kept


def discard_take() -> None:
    """on_click: forget the take and its results, and empty the recorder."""
    st.session_state.pop("practice.current_take", None)
    st.session_state.pop("practice.analysis", None)
    st.session_state["practice.take_round"] = take_round() + 1


def results_for(take: Take | None, text: str, accent: str) -> tuple[dict | None, bool]:
    """(the analysis of exactly this take, text and accent, whether older results exist)."""
    saved = st.session_state.get("practice.analysis")
    if not saved:
        return None, False
    if take is not None and (saved["digest"], saved["text"], saved["accent"]) == (
        take.digest, text, accent
    ):
        return saved, False
    return None, True


@st.cache_data(show_spinner=False, max_entries=256)
def reference(text: str, accent: str, speed: str) -> Any:
    """The reference recording, kept in memory so reruns don't re-read and decode it.

    The voice reads the engine's normalized spoken text (numbers, abbreviations and
    case resolved as the phones are). Imported late: piper loads only when needed. The
    disk cache under the data dir keeps it across restarts.
    """
    from accent_coach.engine.g2p import spoken_text
    from accent_coach.speech.voices import reference_audio

    return reference_audio(spoken_text(text) or text, accent, speed)


@st.cache_data(show_spinner=False, max_entries=256)
def target_ipa(text: str, accent: str) -> str:
    """The sentence in IPA with stress, kept across reruns (espeak is not called on every
    click); TextError for unpronounceable text is raised, not cached."""
    from ui.views import ipa_line

    return ipa_line(text_reference(text, accent))


def left_out(text: str) -> list[str]:
    """Emoji and other symbols that neither the voice nor the analysis reads."""
    return sorted({c for c in text if unicodedata.category(c) in ("So", "Sk", "Cs", "Co")})


class _ShownError(Exception):
    """The problem was already shown to the learner (by the model loader)."""


def model_problem() -> str | None:
    """Why no scores can be given right now (embedded model missing), else None."""
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


def run_analysis(
    audio: bytes, text: str, accent: str, stage: Callable[[str], None] = lambda _: None
) -> Analysis:
    """Text check → cached assessment (model loaded only on a cache miss); ``stage`` is
    told what is happening, for the status box.

    Raises TextError, AudioError, ModelLoadError with messages meant for the learner.
    """
    stage("Checking the text…")
    text_reference(text, accent)  # TextError before any model work
    manager = app_manager()
    name = resolve_model(manager.selected_name).name

    def load_model() -> Any:
        if not manager.is_loaded(name):
            stage("Loading the speech model (only the first analysis waits for this)…")
        loaded = load_with_feedback(name)
        if loaded is None:
            raise _ShownError
        stage("Listening to your take and scoring each sound…")
        return loaded

    # The prosody score compares against the engine's own espeak reading, the reference
    # its formula is calibrated on (a different voice would move the pitch similarity),
    # as the API does: so a take sent to both shares one cache entry. Piper is for listening.
    return analyse(audio, text, accent=accent, model_name=name, load_model=load_model)


def analyse_and_keep(take: Take, text: str, accent: str) -> Analysis | None:
    """Run the analysis with a status box of its stages; keep it for the results, or
    show what went wrong (and no older results). Returns the analysis (None when it
    failed) so the page can save it to the history."""
    st.session_state.pop("practice.analysis", None)
    problem = None
    with st.status("Analysing your take…", expanded=False) as status:
        try:
            analysis = run_analysis(take.data, text, accent, lambda s: status.update(label=s))
        except (AudioError, TextError, ModelLoadError) as exc:
            problem = str(exc)[:1].upper() + str(exc)[1:]
        except _ShownError:
            problem = ""
        except Exception as exc:  # noqa: BLE001 - never show a learner a traceback
            log.exception("analysis failed")
            problem = f"The analysis failed unexpectedly ({type(exc).__name__}: {exc})."
        if problem is None:
            status.update(label="Analysis done", state="complete")
        else:
            status.update(label="This take could not be analysed", state="error")
    if problem is not None:
        if problem:
            st.error(problem)
        return None
    st.session_state["practice.analysis"] = {
        "analysis": analysis, "text": text, "accent": accent, "digest": take.digest
    }
    return analysis


def drill(result: dict[str, Any]) -> None:
    """on_click: make the weakest words (or a sentence for the weakest sound) the text."""
    level = STATE.get("level")
    chosen = drill_for(result, None if level == ANY else level)
    if chosen is None:
        return
    STATE.set("source", "custom")
    STATE.set("custom", chosen.text)
    st.session_state["practice.notice"] = f"Drill: {chosen.reason}. Listen, then record again."
    st.session_state.pop("practice.analysis", None)
