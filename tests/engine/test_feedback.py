"""Curated tips and minimal pairs."""

from __future__ import annotations

from accent_coach.engine import feedback


def test_known_pairs_have_minimal_pairs() -> None:
    for (exp, heard), pair in {("θ", "s"): "think / sink", ("ð", "d"): "they / day",
                               ("v", "w"): "vest / west", ("ɹ", "l"): "right / light",
                               ("iː", "ɪ"): "sheep / ship", ("æ", "ɛ"): "bad / bed",
                               ("ŋ", "n"): "sing / sin", ("z", "s"): "zoo / Sue",
                               ("ʃ", "s"): "she / see", ("ʌ", "ɑː"): "cut / cot"}.items():
        tip = feedback.substitution_tip("w", exp, heard)
        assert tip.minimal_pair == pair
        assert tip.expected == exp and tip.heard == heard and len(tip.tip) > 20


def test_unknown_pair_gets_feature_based_tip() -> None:
    tip = feedback.substitution_tip("word", "m", "b")
    assert "manner" in tip.tip
    tip = feedback.substitution_tip("word", "ɪ", "ɛ")
    assert "tongue too low" in tip.tip


def test_deletion_classes() -> None:
    final = feedback.deletion_tip("bed", "d", final=True)
    assert final.kind == "final_consonant_deletion" and final.minimal_pair
    middle = feedback.deletion_tip("bed", "ɛ", final=False)
    assert middle.kind == "deletion" and "ɛ" in middle.tip


def test_insertion_classes() -> None:
    assert feedback.insertion_tip("big", "ə").kind == "epenthesis"
    assert feedback.insertion_tip("big", "s").kind == "insertion"
