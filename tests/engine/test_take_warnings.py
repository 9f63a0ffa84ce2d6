# ruff: noqa: F811  (the fox_clip fixture is imported)
"""Warnings for takes that are not speech (noise, a tone, DC) or are cut off."""

from __future__ import annotations

import numpy as np

from accent_coach.engine.assess import assess
from tests.support.engine_fixtures import (
    FOX,
    fox_clip,  # noqa: F401  (fixture)
    managed_embedded_model,
    needs_embedded,
)


@needs_embedded
def test_noise_tone_and_dc_warn_not_speech_and_half_a_take_warns_cut_off(fox_clip) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(3 * 16000) / 16000
    model = managed_embedded_model()
    for fake in (0.3 * rng.standard_normal(3 * 16000), 0.5 * np.sin(2 * np.pi * 220 * t),
                 np.full(3 * 16000, 0.3)):
        r = assess(fake.astype(np.float32), FOX, loaded=model, with_prosody=False)
        assert [w["code"] for w in r.warnings] == ["not_speech"]
    r = assess(fox_clip, FOX, loaded=model, with_prosody=False)
    assert r.warnings == []
    half = assess(fox_clip[: len(fox_clip) // 2], FOX, loaded=model, with_prosody=False)
    assert "cut_off" in [w["code"] for w in half.warnings]
