"""The Conversation Tutor page's Streamlit glue: saved choices, the conversation in the
session, model loading with feedback, the tutor's voice, a turn run, and feedback views.

The page (``pages/tutor.py``) arranges widgets; the work is in :mod:`accent_coach.tutor`.
The conversation lives in ``st.session_state`` under permanent keys, so it survives
reruns and page switches; finished ones are kept in ``tutor.history`` for review.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import streamlit as st

from accent_coach.config import get_settings
from accent_coach.engine.audio import AudioError
from accent_coach.speech.registry import ModelLoadError, ModelSpec
from accent_coach.tutor.conversation import Conversation, learner_turns, new_conversation
from accent_coach.tutor.llm import LLMConfig, LLMTutor
from accent_coach.tutor.turns import end, take_turn
from ui import results, views
from ui.history import save_finished_conversation
from ui.models import app_manager, load_with_feedback
from ui.state import PageState

log = logging.getLogger(__name__)

STATE = PageState(
    "tutor",
    {"scenario": "cafe", "level": "A2", "mode": "practice", "answer_by": "type",
     "tutor": "built-in", "accent": "us"},
)
CONV, HISTORY, ERROR = "tutor.conversation", "tutor.history", "tutor.error"


# --- the conversation ----------------------------------------------------------------


def _chosen() -> tuple[str, str, str]:
    return STATE.get("scenario"), STATE.get("level"), STATE.get("mode")


def conversation() -> Conversation:
    """The running conversation; a fresh one follows the choices until the learner speaks."""
    conv = st.session_state.get(CONV)
    chosen = _chosen()
    if conv is None or (
        not learner_turns(conv) and (conv["scenario"], conv["level"], conv["mode"]) != chosen
    ):
        conv = new_conversation(*chosen)
        st.session_state[CONV] = conv
    return conv


def settings_differ(conv: Conversation) -> bool:
    return (conv["scenario"], conv["level"], conv["mode"]) != _chosen()


def restart() -> None:
    """on_click: keep the current conversation in the history, start one with the choices."""
    conv = st.session_state.get(CONV)
    if conv is not None and learner_turns(conv):
        end(conv)
        save_finished_conversation(conv)
        st.session_state.setdefault(HISTORY, []).append(conv)
    st.session_state[CONV] = new_conversation(*_chosen())
    st.session_state.pop(ERROR, None)


def finish() -> None:
    """on_click: end the running conversation with its summary, and keep it."""
    end(st.session_state[CONV])
    save_finished_conversation(st.session_state[CONV])


# --- models and the LLM --------------------------------------------------------------


def llm_config() -> LLMConfig | None:
    """The endpoint from ACCENT_COACH_LLM_* or Streamlit secrets (llm_url/_model/_key)."""
    try:
        settings = get_settings()
    except ValueError:
        return None
    secrets: dict[str, Any] = {}
    with contextlib.suppress(Exception):  # no secrets file is the normal case
        secrets = {k: st.secrets[k] for k in ("llm_url", "llm_model", "llm_key") if k in st.secrets}
    url = settings.llm_url or secrets.get("llm_url")
    model = settings.llm_model or secrets.get("llm_model")
    if not url or not model:
        return None
    return LLMConfig(url, model, settings.llm_key or secrets.get("llm_key"), settings.llm_timeout)


@st.cache_resource(show_spinner=False)
def _llm_tutor(config: LLMConfig) -> LLMTutor:
    return LLMTutor(config)


def chosen_tutor() -> LLMTutor | None:
    config = llm_config()
    if STATE.get("tutor") != "llm" or config is None:
        return None
    return _llm_tutor(config)


def _transcriber_feedback(spec: ModelSpec) -> contextlib.AbstractContextManager[None]:
    @contextlib.contextmanager
    def hook() -> Iterator[None]:
        with st.spinner(f"Loading speech-to-text model '{spec.name}'…"):
            yield
        loaded = app_manager().transcriber
        if loaded is not None:
            st.toast(f"Loaded '{loaded.name}' ({loaded.compute_type} on {loaded.device}) "
                     f"in {loaded.load_seconds:.1f} s")

    return hook()


def transcriber_choices() -> list[str]:
    """Packaged transcribers, plus the configured one when it is something else."""
    from accent_coach.speech.registry import transcribers

    names = [spec.name for spec in transcribers()]
    configured = app_manager().settings.transcriber
    return names if configured in names else [configured, *names]


def chosen_transcriber() -> str:
    """Process-wide, like the recognizer: one choice for every session (no thrashing)."""
    return app_manager().selected_transcriber


def pick_transcriber() -> None:
    """on_change of the speech-to-text box: load the new choice on this run."""
    st.session_state["tutor.switch_to"] = st.session_state["tutor.transcriber_pick"]


def apply_transcriber_switch() -> None:
    """Load a newly picked transcriber once (spinner, toast); on failure keep the old one."""
    name = st.session_state.pop("tutor.switch_to", None)
    if not name or app_manager().transcriber_loaded(name):
        return
    try:
        app_manager().load_transcriber(name, on_load=_transcriber_feedback)
    except ModelLoadError as exc:
        st.error(str(exc))


def transcriber_status() -> str:
    """One line: which speech-to-text model is loaded, or that it loads on first use."""
    manager = app_manager()
    name = chosen_transcriber()
    loaded = manager.transcriber
    if loaded is not None and manager.transcriber_loaded(name):
        return (f"Speech-to-text: **{loaded.name}** ({loaded.compute_type} on {loaded.device}, "
                f"{loaded.memory_bytes / 2**20:.0f} MB), loaded once for all sessions.")
    reason = manager.transcriber_error
    if reason and reason[0] == name:
        return f"Speech-to-text: '{name}' could not be loaded: {reason[1]}"
    return f"Speech-to-text: **{name}**, loaded on your first spoken answer."


def _load_transcriber() -> Any:
    return app_manager().load_transcriber(chosen_transcriber(), on_load=_transcriber_feedback)


def _load_recognizer() -> Any:
    loaded = load_with_feedback()
    if loaded is None:
        raise ModelLoadError("The pronunciation model is not available (see above).")
    return loaded


@st.cache_data(show_spinner=False, max_entries=256)
def tutor_voice(text: str) -> bytes | None:
    """The tutor's line in the Practice page's offline voice (Piper, else espeak-ng)."""
    from accent_coach.speech.voices import reference_audio

    try:
        return reference_audio(text, "us", "normal").wav_bytes()
    except Exception:  # noqa: BLE001 - no voice must not stop the conversation
        log.exception("tutor voice failed")
        return None


# --- a turn --------------------------------------------------------------------------


def submit(text: str | None = None, audio: bytes | None = None) -> None:
    """Run one learner turn; any problem becomes a message and the conversation is kept."""
    st.session_state.pop(ERROR, None)
    conv = conversation()
    try:
        with st.spinner("Listening and preparing feedback…" if audio else "Thinking…"):
            result = take_turn(
                conv, text=text, audio=audio, tutor=chosen_tutor(),
                load_transcriber=_load_transcriber, load_recognizer=_load_recognizer,
                accent=STATE.get("accent"),
            )
    except (AudioError, ModelLoadError, ValueError) as exc:
        st.session_state[ERROR] = str(exc)
        return
    except Exception as exc:  # noqa: BLE001 - never a traceback for the learner
        log.exception("tutor turn failed")
        st.session_state[ERROR] = f"That turn failed unexpectedly ({type(exc).__name__}: {exc})."
        return
    result.learner["feedback"]["seconds"] = round(result.timings.total, 2)
    save_finished_conversation(conv)  # the script's last turn ends the conversation


# --- feedback views ------------------------------------------------------------------


def show_tutor_notes(turn: dict[str, Any], practice: bool) -> None:
    fb = turn.get("feedback") or {}
    if fb.get("note"):
        st.warning(fb["note"])
    if practice and fb.get("correction") and fb.get("source") == "llm":  # built-in: see above
        st.markdown(f"✏️ *Better:* **{fb['correction']}**  \n{fb.get('explanation') or ''}")


def _same(a: str | None, b: str | None) -> bool:
    from accent_coach.tutor.listening import normalise

    return bool(a and b) and normalise(a) == normalise(b)


def show_learner_feedback(turn: dict[str, Any], index: int) -> None:
    """Grammar slips and pronunciation findings of one learner turn."""
    fb = turn.get("feedback") or {}
    if fb.get("corrected"):
        st.markdown(f"✏️ Better: **{fb['corrected']}**")
    for g in fb.get("grammar") or []:
        st.markdown(f"✏️ “{g['wrong']}” → **{g['right']}** — {g['explanation']}")
    model = fb.get("model_answer")
    said_it = isinstance(model, dict) and _same(model.get("text"), turn.get("text"))
    if isinstance(model, dict) and model.get("text") and not said_it:  # the question above
        st.caption(f"Model answer to “{model.get('question') or 'the question'}”: "
                   f"“{model['text']}”")
    speech = fb.get("pronunciation")
    if not speech:
        return
    if speech.get("uncertain"):
        st.info(speech["message"])
        return
    scores = speech.get("scores") or {}
    worst = ", ".join(f"{w['text']} ({w['score']:.0f})" for w in speech.get("worst_words", []))
    st.markdown(
        f"🎯 Pronunciation **{scores.get('overall', 0):.0f}**/100 · fluency "
        f"**{scores.get('fluency', 0):.0f}**/100" + (f" · work on: {worst}" if worst else "")
    )
    chosen = views.select_tips(speech["result"].get("tips") or [])
    for line in views.tip_lines(chosen)[:3]:
        st.markdown("- " + line)
    if st.toggle("Word by word", key=f"tutor.details.{index}"):  # expanders can't nest
        results.show_words(speech["result"])
        close = speech.get("model_answer")
        if close:
            st.markdown(f"**Against the model answer** “{close['text']}” "
                        f"({close['similarity']:.0f}% similar)")
            results.show_words(close["result"])
