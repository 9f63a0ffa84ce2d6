"""The expert-supervised pieces: corpus judgments lined up with our tokens, the agreement
yardstick, the learned scorer's file format and its loading through the model manager.

All on small real objects (a synthetic scores line, a tiny scorer with random weights,
the tiny Wav2Vec2 checkpoints); the scorer's quality is measured by
``benchmarks/human_agreement.py``, not here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from accent_coach.engine.g2p import reference
from accent_coach.speech.loaders import scorer as scorer_loader
from accent_coach.speech.registry import EXPERT_SCORER, SCORERS, ModelSpec
from accent_coach.speech.scorer import file_sha256, load_scorer
from tests.support.tiny_models import build_tiny_scorer
from training import agreement, experts

ROW = {  # the corpus's format (README of speechocean762-train), one take
    "id": "000010113", "text": "THEN HE WENT TO THEME PARK", "accuracy": 6,
    "completeness": 10, "fluency": 9, "prosodic": 8, "total": 5,
    "words": [
        {"text": "THEME", "accuracy": 2, "stress": 10, "total": 3,
         "phones": ["TH", "IY1", "M"], "pa": [1.2, 0, 1.6],
         "mis": [{"i": 1, "c": "IY", "p": "AH"}]},
        {"text": "PARK", "accuracy": 5, "stress": 10, "total": 5,
         "phones": ["P", "AA1", "R", "K"], "pa": [2, 2, 0, 1.0],
         "mis": [{"i": 2, "c": "R", "p": "<DEL>"}, {"i": 3, "c": "K", "p": "K*"}]},
    ],
}


def test_expert_phones_line_up_with_our_tokens_and_correct_the_labels() -> None:
    take = experts.parse_take(ROW)
    assert experts.cmu_to_ipa("AH0") == "ə" and experts.cmu_to_ipa("AH1") == "ʌ"
    refs = experts.expert_reference(take)
    assert [r.text for r in refs] == ["theme", "park"]
    targets = experts.token_targets(refs, take)
    tokens = [t for r in refs for t in r.tokens]
    assert tokens == ["θ", "iː", "m", "p", "ɑː", "ɹ", "k"]
    assert [(t.word, t.phone, t.score) for t in targets] == [
        (0, 0, 1.2), (0, 1, 0.0), (0, 2, 1.6), (1, 0, 2.0), (1, 1, 2.0), (1, 2, 0.0),
        (1, 3, 1.0),
    ]
    # the named substitute (stressed AH → ʌ) replaces the token, <DEL> drops it, a
    # distorted K* keeps the canonical token
    assert experts.corrected_tokens(refs, targets) == ["θ", "ʌ", "m", "p", "ɑː", "k"]
    assert experts.unclear_share(targets) == pytest.approx(2 / 7)  # θ 1.2 and k* 1.0
    with pytest.raises(experts.WordMismatch):
        experts.token_targets(reference("theme"), take)


def test_agreement_maps_tokens_to_expert_phones_and_scores_flags() -> None:
    take = experts.parse_take(ROW)
    refs = experts.expert_reference(take)
    targets = experts.token_targets(refs, take)
    truth = [t.score for t in targets]
    collected = agreement.Collected()
    words = [(2.0, 10.0, 3.0, True), (5.0, 10.0, 5.0, True)]
    flags = [s < 1.5 for s in truth]
    utterance = {"accuracy": 6.0, "completeness": 10.0, "fluency": 9.0, "prosodic": 8.0,
                 "total": 5.0}
    for _ in range(3):  # three identical takes: perfect agreement on phones and words
        collected.add_take(take, targets, truth, flags, words, utterance, "s1")
    report = collected.report()
    assert report["phone"] == pytest.approx(1.0)
    assert report["word_accuracy"] == pytest.approx(1.0)
    assert report["flag_precision_1.5"] == 1.0 and report["flag_recall_1.5"] == 1.0
    assert math.isnan(report["accuracy"])  # no variance across identical takes
    assert agreement.flag_quality([True, True, False], [True, False, True]) == (0.5, 0.5, 0.5)
    assert agreement.pcc([1, 2, 3, float("nan")], [2, 4, 6, 1]) == pytest.approx(1.0)


def test_scorer_round_trips_through_safetensors_and_predicts_every_level(tmp_path) -> None:
    model = build_tiny_scorer(tmp_path / "s")
    loaded = load_scorer(tmp_path / "s")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "config.json", "scorer.safetensors"]  # weights and JSON only: nothing executable
    rng = np.random.default_rng(0)
    phone = rng.normal(size=(5, 7)).astype(np.float32)
    ids, word_of = np.array([1, 2, 3, 4, 5]), np.array([0, 0, 1, 1, 1])
    utt = rng.normal(size=5).astype(np.float32)
    out = loaded.predict(phone, ids, word_of, utt, n_words=2)
    assert out["phone"].shape == (5,) and np.all((out["phone"] >= 0) & (out["phone"] <= 2))
    assert out["word_accuracy"].shape == (2,) and 5 <= out["word_stress"].min()
    assert 0 <= out["total"] <= 10
    with torch.no_grad():
        same = model(torch.from_numpy(phone)[None], torch.from_numpy(ids)[None],
                     torch.ones(1, 5, dtype=torch.bool), torch.from_numpy(utt)[None],
                     torch.from_numpy(word_of)[None], 2)
    assert np.allclose(out["phone"], same["phone"][0].numpy(), atol=1e-6)
    # a word's prediction depends on its own sounds: padding another take around it
    # (batching in training) changes nothing
    assert loaded.predict(phone[:2], ids[:2], word_of[:2], utt, 1)["phone"].shape == (2,)


def test_manager_loads_the_scorer_of_its_recognizer_once(
    tmp_path, fresh_manager, tiny_models, monkeypatch
) -> None:
    recognizer = tiny_models["ipa_a"]
    build_tiny_scorer(tmp_path / "scorer", file_sha256(recognizer / "model.safetensors"))
    spec = ModelSpec(EXPERT_SCORER, "package", str(tmp_path / "scorer"), kind="scorer")
    monkeypatch.setitem(SCORERS, EXPERT_SCORER, spec)
    scorer_loader.trained_on_sha256.cache_clear()
    loads = []
    real = scorer_loader.load_scorer
    monkeypatch.setattr(scorer_loader, "load_scorer",
                        lambda *a, **k: loads.append(1) or real(*a, **k))
    manager = fresh_manager.get_manager()
    other = manager.load_model(str(tiny_models["ipa_b"]))
    assert manager.scorer_for(other) is None  # trained on another recognizer's outputs
    a = manager.load_model(str(recognizer))
    first = manager.scorer_for(a)
    assert first is not None and first.kind == "scorer"
    for _ in range(5):
        assert manager.scorer_for(a) is first
    assert loads == [1]
    assert manager.current is a  # a scorer never replaces the recognizer in use
    kinds = {row["id"]: row["kind"] for row in manager.loaded_models()}
    assert kinds[EXPERT_SCORER] == "scorer"
    assert manager.unload(EXPERT_SCORER) and manager.scorer_for(a) is not first
    assert loads == [1, 1]
    scorer_loader.trained_on_sha256.cache_clear()


def test_shipped_scorer_is_used_with_the_embedded_recognizer_and_reused_posteriors() -> None:
    """The app's default: the embedded recognizer's takes are scored by the shipped
    learned scorer, also when a caller reuses posteriors computed without hidden states
    (the tutor, the benchmarks) — same result as a fresh assessment, never an error."""
    from accent_coach.engine.assess import assess
    from accent_coach.speech.posteriors import posteriors
    from tests.support.engine_fixtures import embedded_model, speech

    model = embedded_model()
    wav, text = speech("I think so too"), "I think so too"
    fresh = assess(wav, text, loaded=model, with_prosody=False)
    reused = assess(wav, text, loaded=model, with_prosody=False,
                    precomputed=posteriors(model, wav))
    assert fresh.details["scorer"] == EXPERT_SCORER
    assert reused.to_dict()["scores"] == fresh.to_dict()["scores"]
    assert [w.score for w in reused.words] == [w.score for w in fresh.words]
    rules = assess(wav, text, loaded=model, with_prosody=False, scorer="rules")
    assert rules.details["scorer"] == "rules"
