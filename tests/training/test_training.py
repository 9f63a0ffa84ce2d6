"""The training recipe's plumbing: speaker-held-out split, layer-wise rates, resuming.

Runs on tiny random states, so it needs neither the corpus nor the Whisper weights;
the recipe's quality is measured by ``training/evaluate.py``, not here.
"""

from __future__ import annotations

import json
import sys
from argparse import Namespace

import numpy as np
import pytest
import torch

from accent_coach.speech.whisper_ctc import WhisperCTCConfig, WhisperCTCForCTC
from training import data, train


def _corpus(root, speakers: int = 15, per_speaker: int = 2) -> None:
    (root / "audio").mkdir()
    with open(root / "text", "w") as text, open(root / "utt2spk", "w") as spk:
        for s in range(speakers):
            for k in range(per_speaker):
                utt = f"{s:04d}{k:05d}"
                text.write(f"{utt}\tWE CALL IT BEAR\n")
                spk.write(f"{utt} {9000 + s}\n")


def test_split_holds_out_whole_speakers(tmp_path) -> None:
    _corpus(tmp_path)
    train_utts, dev_utts = data.split(data.read_corpus(tmp_path))
    dev_speakers = {u.speaker for u in dev_utts}
    assert dev_speakers == {str(9000 + s) for s in range(3, 15)}
    assert not dev_speakers & {u.speaker for u in train_utts}
    assert dev_utts[0].text == "we call it bear"  # lower-cased before G2P


def _model(upto: int) -> WhisperCTCForCTC:
    config = WhisperCTCConfig(
        vocab_size=5,
        d_model=32,
        encoder_attention_heads=2,
        encoder_ffn_dim=64,
        head_attention_heads=2,
        head_ffn_dim=64,
    )
    return train.freeze_below(WhisperCTCForCTC(config), upto)


def test_layer_decay_gives_lower_layers_smaller_rates() -> None:
    model = _model(upto=1)
    args = Namespace(upto=1, lr=1e-3, encoder_lr=1e-4, layer_decay=0.5)
    groups = train.param_groups(model, args)
    rates = {id(p): g["lr"] for g in groups for p in g["params"]}
    assert sum(len(g["params"]) for g in groups) == len(rates)  # each parameter once
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert set(rates) == trainable
    layer_lr = [rates[id(next(model.layers[i].parameters()))] for i in (1, 2, 3)]
    assert layer_lr == pytest.approx([2.5e-5, 5e-5, 1e-4])
    assert rates[id(model.lm_head.weight)] == 1e-3


def _features(root, clips: int = 16, depth: int = 3, dim: int = 384) -> None:
    g = torch.Generator().manual_seed(0)
    labels = [["w", "iː", "k", "ɔː", "l"][: 2 + i % 4] for i in range(clips)]
    states = [torch.randn(depth, 20 + 5 * i, dim, generator=g).half() for i in range(clips)]
    speakers = [f"{9000 + i % 14}" for i in range(clips)]  # 14 speakers: 12 are dev
    blob = {"ids": [f"u{i}" for i in range(clips)], "speakers": speakers, "labels": labels,
            "states": states}
    root.mkdir()
    torch.save(blob, root / "clean.pt")
    torch.save({**blob, "states": [s * 0.5 for s in states]}, root / "noisy.pt")


def test_training_resumes_from_its_last_checkpoint(tmp_path, monkeypatch, capsys) -> None:
    # random encoder weights: this checks the loop, not the Whisper initialisation
    monkeypatch.setattr(train, "packaged_tiny_en", lambda: None)
    monkeypatch.setattr(train, "read_ct2", lambda _: {})
    monkeypatch.setattr(train, "encoder_state_dict", lambda _: {})
    feats, run = tmp_path / "feats", tmp_path / "run"
    _features(feats)
    argv = [
        "train",
        "--features",
        str(feats),
        "--run",
        str(run),
        "--epochs",
        "2",
        "--upto",
        "1",
        "--threads",
        "1",
        "--max-frames",
        "200",
        "--layer-decay",
        "0.8",
    ]
    monkeypatch.setattr(sys, "argv", [*argv, "--stop-after", "1"])
    train.main()
    first = torch.load(run / "last.pt", weights_only=False)
    assert first["state"]["epoch"] == 1 and (run / "best.pt").exists()
    frozen = first["model"]["layers.0.fc1.weight"]
    monkeypatch.setattr(sys, "argv", argv)
    train.main()
    assert "resumed at epoch 1" in capsys.readouterr().out
    log = json.loads((run / "log.json").read_text())
    assert [e["epoch"] for e in log] == [1, 2]
    second = torch.load(run / "last.pt", weights_only=False)
    assert torch.equal(second["model"]["layers.0.fc1.weight"], frozen)  # --upto 1 froze it
    assert not torch.equal(
        second["model"]["layers.1.fc1.weight"], first["model"]["layers.1.fc1.weight"]
    )
    monkeypatch.setattr(sys, "argv", [*argv, "--stop-after", "1"])  # a done stage, rerun
    train.main()
    assert "nothing to do" in capsys.readouterr().out
    assert len(json.loads((run / "log.json").read_text())) == 2
    ck = torch.load(run / "last.pt", weights_only=False)
    ck["state"]["best"] = 0.0  # a float epoch no int8 epoch could beat
    torch.save(ck, run / "last.pt")
    monkeypatch.setattr(sys, "argv", [*argv[:6], "3", *argv[7:], "--qat"])  # int8 epoch 3
    train.main()
    assert "simulated int8" in capsys.readouterr().out
    best = torch.load(run / "best.pt", weights_only=False)
    assert best["state"]["epoch"] == 3 and best["state"]["qat"]  # chosen among int8 epochs


def test_holdout_takes_every_copy_of_a_held_out_speakers_clips() -> None:
    sets = {
        "clean": {"ids": ["a1", "b1", "a2"], "speakers": ["A", "B", "A"], "labels": [1, 2, 3],
                  "states": ["ca1", "cb1", "ca2"]},
        "speed": {"ids": ["b1", "a2"], "speakers": ["B", "A"], "labels": [2, 3],
                  "states": ["sb1", "sa2"]},
        "synth": {"ids": ["s"], "speakers": ["synth"], "labels": [9], "states": ["x"]},
    }
    dev = train.split_sets(sets, {"A"})
    assert dev["ids"] == ["a1", "a2"] and dev["states"] == ["ca1", "ca2"]
    assert sets["clean"]["ids"] == ["b1"] and sets["clean"]["states"] == ["cb1"]
    assert sets["speed"]["ids"] == ["b1"] and sets["synth"]["ids"] == ["s"]
    # a clip missing from one copy (too short after speed change) is still drawn
    items = train.epoch_items(sets, __import__("random").Random(0), synth_share=1.0)
    assert sorted(items) == sorted([(items[0][0], 0), ("synth", 0)])


def test_folds_partition_speakers_and_balance_ages(tmp_path) -> None:
    from training import folds

    speakers = [f"{s:04d}" for s in range(25)]
    ages = {s: (8 if int(s) % 2 else 30) for s in speakers}  # 12 children, 13 adults
    by = folds.speaker_folds(speakers, ages, k=5)
    assert set(by) == set(speakers) and set(by.values()) == set(range(5))
    for k in range(5):
        members = [s for s in speakers if by[s] == k]
        assert len(members) == 5
        assert 2 <= sum(ages[s] < 16 for s in members) <= 3
    assert folds.speaker_folds(reversed(speakers), ages, k=5) == by  # order-free
    sets = {"clean": {"speakers": [*speakers, "synth"]}}
    held = train.held_out_speakers(sets, "fold:1", tmp_path)  # no spk2age: ids only
    assert held == {s for s, k in folds.speaker_folds(speakers, {}).items() if k == 1}
    assert train.held_out_speakers(sets, "dev", tmp_path) == set(speakers[-12:])


def _posteriors(path: list[int], vocab: int = 6, sure: float = 0.9) -> np.ndarray:
    """Frame log-posteriors that clearly say ``path`` (one token per frame, 0 = blank)."""
    p = np.full((len(path), vocab), (1 - sure) / (vocab - 1))
    p[np.arange(len(path)), path] = sure
    return np.log(p).astype(np.float32)


def test_relabel_takes_a_substitution_the_audio_supports() -> None:
    from training import relabel

    prompt = [2, 3, 4]  # the audio says 2 5 4: a clear substitution of 3 by 5
    logp = _posteriors([0, 2, 2, 0, 5, 5, 0, 4, 4, 0])
    refined, edits, _ = relabel.refine(logp, prompt, 0, 1, tau=2.0, tau_delete=4.0,
                                       max_share=0.5)
    assert refined == [2, 5, 4]
    assert edits == [relabel.Edit(1, 5)]


def test_relabel_keeps_a_prompt_the_audio_matches_and_drops_a_skipped_phone() -> None:
    from training import relabel

    logp = _posteriors([0, 2, 2, 0, 3, 3, 0, 4, 4, 0])
    assert relabel.refine(logp, [2, 3, 4], 0, 1, 2.0, 4.0, 0.5)[0] == [2, 3, 4]
    skipped = _posteriors([0, 2, 2, 0, 0, 0, 0, 4, 4, 0], sure=0.97)  # nothing where 3 is
    assert relabel.refine(skipped, [2, 3, 4], 0, 1, 2.0, 3.0, 0.5)[0] == [2, 4]
    # a higher confidence threshold keeps the prompt
    assert relabel.refine(skipped, [2, 3, 4], 0, 1, 2.0, 50.0, 0.5)[0] == [2, 3, 4]


def test_refined_labels_and_weights_replace_the_real_clips_only(tmp_path) -> None:
    sets = {
        "clean": {"ids": ["a", "b"], "labels": [["p"], ["t"]]},
        "noisy": {"ids": ["a", "b"], "labels": [["p"], ["t"]]},
        "synth": {"ids": ["a"], "labels": [["k"]]},
    }
    torch.save({"labels": {"a": ["b"]}, "weights": {"a": 1.0, "b": 0.3}}, tmp_path / "r.pt")
    train.refine_labels(sets, tmp_path / "r.pt", use_weights=True)
    assert sets["clean"]["labels"] == [["b"], ["t"]] == sets["noisy"]["labels"]
    assert sets["synth"]["labels"] == [["k"]] and "weights" not in sets["synth"]
    w = train.batch_weights([("noisy", 1), ("synth", 0)], sets)
    assert w.tolist() == pytest.approx([0.3, 1.0])


def test_weighted_ctc_loss_scales_each_clip() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 8, 5)
    pad = torch.ones(2, 8, dtype=torch.bool)
    labels = torch.tensor([[1, 2, 3], [2, 4, -100]])
    plain = train.ctc_loss(None, logits, pad, labels)
    ref = torch.nn.functional.ctc_loss(  # transformers/PyTorch "mean" reduction
        torch.log_softmax(logits, -1).transpose(0, 1), torch.tensor([1, 2, 3, 2, 4]),
        torch.tensor([8, 8]), torch.tensor([3, 2]), blank=0, zero_infinity=True)
    assert plain.item() == pytest.approx(ref.item(), rel=1e-5)
    only_first = train.ctc_loss(None, logits, pad, labels, torch.tensor([1.0, 0.0]))
    first = train.ctc_loss(None, logits[:1], pad[:1], labels[:1, :3])
    assert only_first.item() == pytest.approx(first.item() / 2, rel=1e-5)


def test_an_ensemble_averages_posteriors_and_one_model_is_itself() -> None:
    from training.evaluate import frame_logprobs

    torch.manual_seed(0)
    a, b = _model(upto=0).eval(), _model(upto=0).eval()
    inputs = {"input_features": torch.randn(1, 80, 200)}
    with torch.no_grad():
        pa = torch.softmax(a(**inputs).logits[0], -1)
        pb = torch.softmax(b(**inputs).logits[0], -1)
    alone = frame_logprobs([a], inputs)
    both = frame_logprobs([a, b], inputs)
    assert torch.allclose(alone.exp(), pa, atol=1e-6)
    assert torch.allclose(both.exp(), (pa + pb) / 2, atol=1e-6)
    assert not torch.allclose(both, alone)


def test_crossfit_passes_training_options_through_the_recipe(tmp_path) -> None:
    from training import crossfit, recipe

    args = Namespace(features=tmp_path, data=tmp_path, runs=tmp_path, threads=2, labels=None,
                     use_weights=False, qat_epochs=2, extra=["--encoder", "base", "--upto", "4"])
    cmd = crossfit.recipe_command(args, 1)
    assert cmd[-7:] == ["--qat-epochs", "2", "--", "--encoder", "base", "--upto", "4"]
    stages = recipe.stage_commands(Namespace(
        features=tmp_path, run=tmp_path / "fold1", holdout="fold:1", data=tmp_path, threads=2,
        labels=None, use_weights=False, qat_epochs=2, extra=cmd[-4:],
    ))
    assert all(stage[-4:] == ["--encoder", "base", "--upto", "4"] for stage in stages)
    assert [("--qat" in stage, stage[stage.index("--stop-after") + 1]) for stage in stages] == [
        (False, "5"), (False, "8"), (True, "10")]  # two int8 epochs continue the schedule


def test_time_masks_zero_frames_unless_switched_off() -> None:
    sets = {"clean": {"states": [torch.ones(3, 600, 4)], "labels": [["a"]]}}
    vocab = {"<pad>": 0, "<unk>": 1, "a": 2}

    def zero_frames(mask_every: int) -> int:
        x, pad, _ = train.collate([("clean", 0)], sets, vocab, True, np.random.default_rng(0),
                                  mask_every=mask_every)
        return int((x[0][0].abs().sum(-1) == 0).sum())

    assert zero_frames(60) >= 10  # ten masks of 1–3 frames (seeded: no overlap here)
    assert zero_frames(0) == 0


def test_errors_are_counted_by_kind() -> None:
    from training.evaluate import error_kind
    from training.metrics import align

    pairs = align(["a", "b", "c"], ["a", "x", "c", "d"])
    kinds = sorted(k for k in (error_kind(r, h) for r, h in pairs) if k)
    assert kinds == ["I", "S"]
    assert error_kind("a", None) == "D"


def test_simulated_int8_computes_what_the_apps_int8_kernel_computes() -> None:
    import copy

    from accent_coach.speech.quantization import quantize_int8
    from training import qat

    torch.manual_seed(0)
    model = _model(upto=2).eval()
    x = torch.randn(1, 40, 32)
    x[..., 3] *= 30  # an outlier channel, as Whisper base's fine-tuned fc2 inputs have
    block = model.layers[-1]
    with torch.no_grad():
        float_out = block(x)
        int8_out = quantize_int8(copy.deepcopy(block))(x)
    simulated = copy.deepcopy(block)
    assert qat.fake_quantize([simulated]) == ["attn.qkv", "attn.out", "fc1", "fc2"]
    out = simulated(x)
    assert (out - int8_out).abs().max() < 1e-4 < (float_out - int8_out).abs().max()
    out.sum().backward()  # straight-through: the float weights still learn
    assert simulated.fc2.weight.grad.abs().sum() > 0
    trained = qat.trained_modules(model)
    assert all(m not in trained for m in model.layers[:2]) and model.head[0] in trained
