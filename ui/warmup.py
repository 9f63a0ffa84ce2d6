"""Warm the app up in the background when the server starts, so the page is usable at
once and the first analysis is not the slow one.

A cold process pays for importing torch/transformers and loading the recognizer
(~8 s here), numba compiling librosa's DTW on its first call and the first forward
pass. One background thread per server process (``st.cache_resource``) does all of
that on a synthesised sentence; pages read its stage and never wait on it, except an
analysis that needs the model it is still loading.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import streamlit as st

log = logging.getLogger(__name__)
SENTENCE = "Think of three things."


@dataclass
class WarmUp:
    """What the background warm-up is doing; read by the sidebar and tests."""

    stage: str = "starting"
    done: bool = False
    error: str | None = None
    seconds: float | None = None
    thread: threading.Thread | None = None


def _run(state: WarmUp) -> None:
    from accent_coach.engine.assess import assess
    from accent_coach.engine.audio import resample
    from accent_coach.speech.espeak import synthesize
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.voices import piper_available

    t0 = time.perf_counter()
    try:
        state.stage = "loading the speech model"
        manager = get_manager()
        manager.preload()  # the selected model, or the ids ACCENT_COACH_PRELOAD lists
        loaded = manager.current
        if loaded is not None:
            state.stage = "warming up the scoring"
            wav, sr = synthesize(SENTENCE, voice="us")
            assess(resample(wav, sr), SENTENCE, loaded=loaded)
        state.stage = "preparing the voices"
        piper_available()
        state.stage = "ready"
    except Exception as exc:  # noqa: BLE001 - the page shows the model's own error later
        log.warning("warm-up stopped: %s", exc)
        state.error = str(exc)
        state.stage = "stopped"
    finally:
        state.seconds = round(time.perf_counter() - t0, 2)
        state.done = True


@st.cache_resource(show_spinner=False)
def warm_up() -> WarmUp:
    """Start the warm-up once per server process; later calls return its state."""
    state = WarmUp()
    state.thread = threading.Thread(
        target=_run, args=(state,), name="accent-coach-warm-up", daemon=True
    )
    state.thread.start()
    return state


def warming() -> WarmUp | None:
    """The warm-up still running in this process, if any (None when off or finished)."""
    try:
        from accent_coach.config import get_settings

        if not get_settings().preload:
            return None
    except ValueError:
        return None
    state = warm_up()
    return None if state.done else state
