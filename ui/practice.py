"""The Practice page's Streamlit glue: saved choices, cached reference audio, and the
analysis run with every failure turned into a message for the learner.

The page (``pages/practice.py``) arranges widgets; the work it triggers is here and in
:mod:`accent_coach.practice`.
"""

from __future__ import annotations

import logging
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


@st.cache_data(show_spinner=False, max_entries=64)
def reference(text: str, accent: str, speed: str) -> Any:
    """The reference recording, kept in memory so reruns don't re-read and decode it.

    The voice reads the engine's normalized spoken text (numbers, abbreviations and
    case resolved as the phones are). Imported late: piper loads only when needed. The
    disk cache under the data dir keeps it across restarts.
    """
    from accent_coach.engine.g2p import spoken_text
    from accent_coach.speech.voices import reference_audio

    return reference_audio(spoken_text(text) or text, accent, speed)


class _ShownError(Exception):
    """The problem was already shown to the learner (by the model loader)."""


def _load_model(name: str) -> Any:
    """The app's documented loader: spinner/toast only on a real load, errors shown."""
    loaded = load_with_feedback(name)
    if loaded is None:
        raise _ShownError
    return loaded


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


def run_analysis(audio: bytes, text: str, accent: str) -> Analysis:
    """Text check → cached assessment (model loaded only on a cache miss).

    Raises TextError, AudioError, ModelLoadError with messages meant for the learner.
    """
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


def analyse_and_keep(audio: bytes, text: str, accent: str) -> None:
    """Run the analysis and keep it for the results; any problem becomes a message."""
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
