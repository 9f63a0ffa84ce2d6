"""The training recipe's plumbing: speaker-held-out split, layer-wise rates, resuming.

Runs on tiny random states, so it needs neither the corpus nor the Whisper weights;
the recipe's quality is measured by ``training/evaluate.py``, not here.
"""

from __future__ import annotations

import json
import sys
from argparse import Namespace

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


def _features(root, clips: int = 6, depth: int = 3, dim: int = 384) -> None:
    g = torch.Generator().manual_seed(0)
    labels = [["w", "iː", "k", "ɔː", "l"][: 2 + i % 4] for i in range(clips)]
    states = [torch.randn(depth, 20 + 5 * i, dim, generator=g).half() for i in range(clips)]
    blob = {"ids": [f"u{i}" for i in range(clips)], "labels": labels, "states": states}
    root.mkdir()
    torch.save(blob, root / "clean.pt")
    torch.save(blob, root / "dev.pt")


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
