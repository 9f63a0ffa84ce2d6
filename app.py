"""Streamlit entry point: navigation, then the speech-model status in the sidebar."""

from __future__ import annotations

import streamlit as st

import accent_coach.runtime  # noqa: F401 - memory caps, before anything loads torch
from ui.models import model_sidebar
from ui.profile import profile_sidebar
from ui.warmup import warming

st.set_page_config(page_title="Accent Coach", page_icon="🗣️", layout="wide")

page = st.navigation(
    [
        st.Page("pages/practice.py", title="Practice", icon="🎙️", default=True),
        st.Page("pages/tutor.py", title="Conversation Tutor", icon="💬"),
        st.Page("pages/progress.py", title="Progress", icon="📈"),
        st.Page("pages/settings.py", title="Settings", icon="⚙️"),
    ]
)
page.run()
# The background warm-up (ACCENT_COACH_PRELOAD) starts once per server process, after the
# first page is drawn: started earlier, it slows that page down (they share the GIL).
warming()

with st.sidebar:
    model_sidebar()
    profile_sidebar()
