"""Page choices that survive reruns and page switches.

Streamlit deletes a widget's key when its page is not shown, so each choice is kept
under a permanent ``<page>.<name>`` key and the widget gets a ``_w.<page>.<name>``
copy that is restored before every render.
"""

from __future__ import annotations

from typing import Any

import streamlit as st


class PageState:
    """The saved choices of one page, with their defaults."""

    def __init__(self, page: str, defaults: dict[str, Any]) -> None:
        self.page = page
        self.defaults = defaults

    def get(self, name: str) -> Any:
        """The learner's saved choice (or its default)."""
        return st.session_state.get(f"{self.page}.{name}", self.defaults.get(name))

    def set(self, name: str, value: Any) -> None:
        """Save a choice where Streamlit won't clear it (not a widget key)."""
        st.session_state[f"{self.page}.{name}"] = value

    def _keep(self, name: str) -> None:
        """on_change: copy the widget's value to the permanent key."""
        self.set(name, st.session_state[f"_w.{self.page}.{name}"])

    def bind(self, name: str) -> dict[str, Any]:
        """Widget kwargs that restore the saved value (widget keys vanish on page switch)."""
        st.session_state[f"_w.{self.page}.{name}"] = self.get(name)
        return {"key": f"_w.{self.page}.{name}", "on_change": self._keep, "args": (name,)}
