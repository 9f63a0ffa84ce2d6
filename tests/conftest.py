"""Test-wide settings: one CPU thread, never the network, a throwaway data folder."""

from __future__ import annotations

import os
import tempfile

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ["HF_HUB_OFFLINE"] = "1"  # tests must pass without network
# The app's background warm-up would load models outside the load-counting tests'
# control; tests/test_app_warmup.py and the browser tests turn it on themselves.
os.environ.setdefault("ACCENT_COACH_PRELOAD", "0")
os.environ.setdefault("ACCENT_COACH_DATA_DIR", tempfile.mkdtemp(prefix="accent-coach-test-"))

from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from tests.support.tiny_models import CHAR_VOCAB, build_tiny_ctc  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two IPA models (to switch between) and a character model, real and tiny."""
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "ipa_a": build_tiny_ctc(root / "ipa-a", seed=0),
        "ipa_b": build_tiny_ctc(root / "ipa-b", seed=1),
        "chars": build_tiny_ctc(root / "chars", CHAR_VOCAB, seed=2),
    }


@pytest.fixture
def fresh_manager(monkeypatch: pytest.MonkeyPatch):
    """A new process-wide manager (and empty Streamlit resource cache) for one test."""
    import streamlit as st

    from accent_coach.speech import manager as model_manager

    monkeypatch.delenv("ACCENT_COACH_DEVICE", raising=False)
    monkeypatch.delenv("ACCENT_COACH_MODEL", raising=False)
    model_manager.reset_manager()
    st.cache_resource.clear()
    yield model_manager
    model_manager.reset_manager()
    st.cache_resource.clear()


@pytest.fixture
def load_counts(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts real ``AutoModelForCTC.from_pretrained`` calls and model ``.to`` transfers.

    The spies call the real functions, so loading still happens for real.
    """
    import transformers

    counts: Counter = Counter()
    real_from_pretrained = transformers.AutoModelForCTC.from_pretrained
    real_to = torch.nn.Module.to

    def from_pretrained(*args, **kwargs):
        counts["from_pretrained"] += 1
        counts["trust_remote_code"] += bool(kwargs.get("trust_remote_code"))
        return real_from_pretrained(*args, **kwargs)

    def to(self, *args, **kwargs):
        if isinstance(self, transformers.PreTrainedModel):
            counts["to"] += 1
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCTC, "from_pretrained", from_pretrained)
    monkeypatch.setattr(torch.nn.Module, "to", to)
    return counts


@pytest.fixture(autouse=True)
def _streamlit_navigation_like_live_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest reruns go through app.py's ``st.navigation`` as a live server does.

    With a ``pages/`` folder beside app.py, Streamlit's PagesManager starts in the
    legacy "pages directory" mode until ``st.navigation`` runs once; a live server
    keeps that flag per process, but AppTest resets it before every run, so its
    reruns would execute the page script alone and skip app.py (sidebar included).
    """
    from streamlit.runtime.pages_manager import PagesManager

    real_init = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
