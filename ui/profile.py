"""Who is practising: the history database and the learner's profile, for every page.

Offline (the default) a learner picks or creates a local profile by name in the
sidebar; the first run creates "Me" so history works with no setup. When the app's
secrets have an ``[auth]`` section, learners sign in through Streamlit's OIDC
(``st.login``) instead and each sees only their own profile. The choice lives in
``st.session_state`` so it survives reruns and page switches.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from accent_coach.config import get_settings
from accent_coach.storage import (
    ProfileInfo,
    Storage,
    StorageError,
    get_or_create_profile,
    get_profile,
    list_profiles,
    open_storage,
    profile_for_subject,
)
from ui.state import PageState

DEFAULT_NAME = "Me"
NEW = "➕ New profile…"


def _default_keep_audio() -> bool:
    try:
        return get_settings().save_audio
    except ValueError:
        return False


STATE = PageState(
    "profile", {"id": None, "keep_audio": None, "new_name": "", "creating": False}
)


@dataclass(frozen=True)
class Learner:
    """The open history database and whose history it is."""

    storage: Storage
    profile: ProfileInfo

    @property
    def keep_audio(self) -> bool:
        """Whether this learner opted in to keeping recordings (default from settings)."""
        chosen = STATE.get("keep_audio")
        return _default_keep_audio() if chosen is None else bool(chosen)


def auth_configured() -> bool:
    """True when the app's secrets configure OIDC sign-in (an ``[auth]`` section)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all: local mode
        return False


def _signed_in_profile(storage: Storage) -> ProfileInfo | None:
    if not st.user.get("is_logged_in"):  # absent, not False, where no login ever ran
        return None
    subject = str(st.user.get("sub") or st.user.get("email") or "")
    name = str(st.user.get("name") or st.user.get("email") or "learner")
    return profile_for_subject(storage, subject, name) if subject else None


def _local_profile(storage: Storage) -> ProfileInfo:
    chosen = STATE.get("id")
    profile = get_profile(storage, chosen) if chosen is not None else None
    if profile is None or profile.signed_in:
        profiles = list_profiles(storage)
        profile = profiles[0] if profiles else get_or_create_profile(storage, DEFAULT_NAME)
        STATE.set("id", profile.id)
    return profile


def learner() -> tuple[Learner | None, str | None]:
    """(the current learner, None), or (None, why history is unavailable right now)."""
    try:
        storage = open_storage()
        if auth_configured():
            profile = _signed_in_profile(storage)
            if profile is None:
                return None, "Sign in (sidebar) to keep and see your history."
        else:
            profile = _local_profile(storage)
    except StorageError as exc:
        return None, f"History is unavailable: {exc}"
    return Learner(storage, profile), None


def _create_profile(storage: Storage) -> None:
    """on_click: create (or find) the typed profile and switch to it."""
    try:
        profile = get_or_create_profile(storage, str(STATE.get("new_name") or ""))
    except StorageError as exc:
        st.session_state["profile.problem"] = str(exc)
        return
    STATE.set("id", profile.id)
    STATE.set("new_name", "")
    STATE.set("creating", False)


def _pick(ids: dict[str, int]) -> None:
    """on_change: switch to the picked profile."""
    name = st.session_state["_w.profile.pick"]
    STATE.set("creating", name == NEW)
    if name in ids:
        STATE.set("id", ids[name])


def _local_picker(me: Learner) -> None:
    ids = {p.name: p.id for p in list_profiles(me.storage)}
    st.session_state["_w.profile.pick"] = NEW if STATE.get("creating") else me.profile.name
    st.selectbox("Profile", [*ids, NEW], key="_w.profile.pick", on_change=_pick, args=(ids,),
                 help="Profiles keep separate histories on this computer; no account needed.")
    if STATE.get("creating"):
        st.text_input("Name", max_chars=80, **STATE.bind("new_name"))
        st.button("Create profile", on_click=_create_profile, args=(me.storage,))
    problem = st.session_state.pop("profile.problem", None)
    if problem:
        st.warning(problem)


def profile_sidebar() -> None:
    """Sidebar: sign-in or profile picker, and the opt-in to keep recordings."""
    me, problem = learner()
    if auth_configured():
        if me is None:
            st.button("Sign in", on_click=st.login)
        else:
            st.caption(f"Signed in as **{me.profile.name}**")
            st.button("Sign out", on_click=st.logout)
    elif me is not None:
        _local_picker(me)
    if problem:
        st.caption(problem)
    if me is not None:
        if STATE.get("keep_audio") is None:
            STATE.set("keep_audio", _default_keep_audio())
        st.toggle("Keep my recordings", help="Off by default. When on, each take's audio is "
                  "saved with its scores so you can replay it on the Progress page.",
                  **STATE.bind("keep_audio"))
