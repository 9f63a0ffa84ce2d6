"""Swapped-word detection on held-out speakers of speechocean762 (skips without data/model)."""

from __future__ import annotations

import pytest
from engine_fixtures import EMBEDDED

from benchmarks.devdata import available

pytestmark = [
    pytest.mark.skipif(not available(), reason="../shared/data/speechocean762-train not found"),
    pytest.mark.skipif(not (EMBEDDED / "model.safetensors").is_file(),
                       reason=f"embedded model not installed at {EMBEDDED}"),
]


def test_swapped_words_detected_on_real_learner_speech() -> None:
    from benchmarks.swap_detection import evaluate

    res = evaluate(limit=12, speakers="second", seed=1)
    assert res["utterances"] >= 10
    assert res["detection_rate"] >= 0.6
    assert res["false_flag_rate_swapped_text"] <= 0.4
