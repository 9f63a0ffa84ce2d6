"""The embedded recognizer's architecture, its shipped folder and what it hears."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForCTC, AutoProcessor

from accent_coach.engine.g2p import text_to_phones
from accent_coach.practice.sentences import load_sentences
from accent_coach.speech import whisper_ctc
from accent_coach.speech.registry import EMBEDDED_MODEL_DIR

SHIPPED = (EMBEDDED_MODEL_DIR / "model.safetensors").is_file()
needs_model = pytest.mark.skipif(not SHIPPED, reason="embedded model folder not installed")


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """A small random WhisperCTC saved the way training/export.py saves the real one."""
    return _tiny(tmp_path_factory, ["<pad>", "<unk>", "a", "b", "tʃ", "ə"])


@pytest.fixture(scope="module")
def ipa_folder(tmp_path_factory):
    """The same, with a vocabulary the app recognises as IPA phones."""
    return _tiny(tmp_path_factory, ["<pad>", "<unk>", "ə", "ɪ", "θ", "s", "t", "k", "æ", "ð",
                                    "tʃ"])


def _tiny(tmp_path_factory, vocab: list[str]):
    from training.export import build_processor

    config = whisper_ctc.WhisperCTCConfig(
        vocab_size=len(vocab),
        d_model=32,
        encoder_layers=2,
        encoder_attention_heads=2,
        encoder_ffn_dim=64,
        head_layers=1,
        head_attention_heads=2,
        head_ffn_dim=64,
    )
    torch.manual_seed(0)
    model = whisper_ctc.WhisperCTCForCTC(config)
    model.stem.embed_positions.data = whisper_ctc.sinusoids(1500, 32)
    folder = tmp_path_factory.mktemp("wctc")
    model.eval().half().save_pretrained(folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["dtype"] = "float32"
    (folder / "config.json").write_text(json.dumps(cfg))
    build_processor(vocab).save_pretrained(folder)
    return folder


def test_auto_classes_load_the_custom_architecture(tiny_folder):
    processor = AutoProcessor.from_pretrained(tiny_folder)
    model = AutoModelForCTC.from_pretrained(tiny_folder)
    assert isinstance(model, whisper_ctc.WhisperCTCForCTC)
    assert isinstance(processor.feature_extractor, whisper_ctc.WhisperCTCFeatureExtractor)
    assert next(model.parameters()).dtype == torch.float32  # stored fp16, run fp32
    assert processor.tokenizer.convert_ids_to_tokens([4]) == ["tʃ"]


@pytest.mark.parametrize("seconds, frames", [(0.5, 25), (5.0, 250), (65.0, 3250)])
def test_clip_length_is_kept_without_30_s_padding(tiny_folder, seconds, frames):
    processor = AutoProcessor.from_pretrained(tiny_folder)
    model = AutoModelForCTC.from_pretrained(tiny_folder).eval()
    audio = np.random.default_rng(0).normal(0, 0.05, int(seconds * 16000)).astype(np.float32)
    inputs = processor(audio, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    assert logits.shape == (1, frames, 6)


def test_ctc_loss_trains_the_head(tiny_folder):
    model = AutoModelForCTC.from_pretrained(tiny_folder).train()
    feats = torch.randn(2, 80, 200)
    labels = torch.tensor([[2, 3, 4, 5], [3, 2, -100, -100]])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss = model(input_features=feats, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@needs_model
def test_shipped_model_is_small_and_offline_loadable():
    size = sum(p.stat().st_size for p in EMBEDDED_MODEL_DIR.iterdir())
    assert size < 30e6
    assert (EMBEDDED_MODEL_DIR / "MODEL_CARD.md").is_file()
    config = json.loads((EMBEDDED_MODEL_DIR / "config.json").read_text())
    assert config["model_type"] == whisper_ctc.MODEL_TYPE
    assert "auto_map" not in config  # nothing for trust_remote_code to run


@needs_model
def test_shipped_vocab_covers_the_sentence_library_in_both_accents():
    vocab = set(json.loads((EMBEDDED_MODEL_DIR / "vocab.json").read_text()))
    for accent in ("en-us", "en-gb"):
        for sentence in load_sentences():
            missing = set(text_to_phones(sentence.text, accent)) - vocab
            assert not missing, (accent, sentence.text, missing)


_UNSEEN = (
    "my grandmother planted seven apple trees behind the old farmhouse",
    "please check whether the museum opens early on sunday mornings",
    "the children watched a thunderstorm from the kitchen window",
)


def _synthetic_per(processor, model) -> float:
    """Greedy PER of ``model`` on espeak-ng readings of sentences it never trained on."""
    import librosa

    from accent_coach.engine.alignment import greedy_decode
    from accent_coach.speech.espeak import synthesize
    from training.metrics import edit_distance

    vocab = processor.tokenizer.convert_ids_to_tokens(list(range(model.config.vocab_size)))
    errors = total = 0
    for text in _UNSEEN:
        audio, sr = synthesize(text, voice="en-us", rate_wpm=150)
        audio = librosa.resample(audio, orig_sr=sr, target_sr=16000)
        with torch.no_grad():
            ids = model(**processor(audio, sampling_rate=16000, return_tensors="pt")).logits
        hyp = [vocab[t] for t, _, _ in greedy_decode(ids[0].numpy(), blank=0)]
        ref = text_to_phones(text)
        errors += edit_distance(ref, hyp)
        total += len(ref)
    return errors / total


@needs_model
def test_shipped_model_hears_synthetic_speech():
    """Greedy phones of espeak-ng speech (sentences not in training) match the G2P."""
    processor = AutoProcessor.from_pretrained(EMBEDDED_MODEL_DIR)
    model = AutoModelForCTC.from_pretrained(EMBEDDED_MODEL_DIR).eval()
    assert _synthetic_per(processor, model) < 0.25


@needs_model
def test_int8_model_hears_as_well_and_keeps_posteriors_close():
    """Dynamic int8 (the CPU default) hears what float32 hears: same PER bound, posteriors
    within a few hundredths, the output layer untouched, a quarter of the linear bytes."""
    from accent_coach.speech.quantization import is_quantized, quantize_int8, weight_tensors

    processor = AutoProcessor.from_pretrained(EMBEDDED_MODEL_DIR)
    model = AutoModelForCTC.from_pretrained(EMBEDDED_MODEL_DIR).eval()
    int8 = quantize_int8(model)
    assert is_quantized(int8) and not is_quantized(model)
    assert isinstance(int8.lm_head, torch.nn.Linear)  # not quantized: posteriors keep detail
    assert _synthetic_per(processor, int8) < 0.25
    audio = np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.05
    feats = processor(audio, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        p32 = torch.softmax(model(**feats).logits, -1)
        p8 = torch.softmax(int8(**feats).logits, -1)
    assert (p32 - p8).abs().max() < 0.1
    size = lambda m: sum(t.numel() * t.element_size() for t in weight_tensors(m))  # noqa: E731
    assert size(int8) < 0.45 * size(model)


def test_int8_can_leave_chosen_layers_in_float(tiny_folder):
    """``keep_float`` names more layers to leave in float32 (the whole module name)."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from accent_coach.speech.quantization import quantize_int8

    model = AutoModelForCTC.from_pretrained(tiny_folder).eval()
    int8 = quantize_int8(model, keep_float=[r"layers\.0\.fc2"])
    assert type(int8.layers[0].fc2) is torch.nn.Linear
    assert isinstance(int8.layers[0].fc1, DynamicLinear)
    assert isinstance(int8.layers[1].fc2, DynamicLinear)
    assert type(int8.lm_head) is torch.nn.Linear


@pytest.mark.parametrize("dtype", ["auto", "float32"])
def test_light_loading_is_the_same_model_without_transformers(ipa_folder, monkeypatch, dtype):
    """The CLI's transformers-free load gives the Auto classes' posteriors, bit for bit
    (a random tiny model stored in fp16, int8 or float32 at run time)."""
    from accent_coach.speech import registry as reg
    from accent_coach.speech.loaders import recognizer as loader
    from accent_coach.speech.posteriors import posteriors

    monkeypatch.setattr(reg, "EMBEDDED_MODEL_DIR", ipa_folder)
    spec = reg.resolve_model("embedded")
    monkeypatch.setitem(loader._LIGHT, "embedded", True)
    light = loader.load_checkpoint(spec, "cpu", dtype)
    monkeypatch.setitem(loader._LIGHT, "embedded", False)
    full = loader.load_checkpoint(spec, "cpu", dtype)
    assert not isinstance(light.model, whisper_ctc.WhisperCTCForCTC)
    assert isinstance(full.model, whisper_ctc.WhisperCTCForCTC)
    assert (light.vocab, light.blank_id, light.output_kind, light.quantized) == (
        full.vocab, full.blank_id, full.output_kind, full.quantized)
    audio = np.random.default_rng(1).normal(0, 0.05, 40_000).astype(np.float32)
    a, b = posteriors(light, audio, states=True), posteriors(full, audio, states=True)
    assert np.array_equal(a.logp, b.logp) and np.array_equal(a.states, b.states)
    assert a.frame_seconds == b.frame_seconds


def test_mel_filters_are_whispers(tiny_folder):
    from accent_coach.speech.whisper_ctc_net import mel_filters

    want = whisper_ctc.WhisperCTCFeatureExtractor().mel_filters
    assert np.allclose(mel_filters(), want, rtol=1e-12, atol=1e-15)


def test_one_shot_assess_imports_no_transformers_and_prints_no_progress_bar(tmp_path):
    """`accent-coach assess` on the embedded model: the report on stdout, nothing on
    stderr (no "Loading weights" bar), and neither transformers nor librosa imported."""
    import subprocess
    import sys

    import soundfile as sf

    from accent_coach.speech.espeak import synthesize

    if not SHIPPED:
        pytest.skip("embedded model folder not installed")
    wav, sr = synthesize("Think of three things.", voice="us")
    take = tmp_path / "take.wav"
    sf.write(take, wav, sr, subtype="PCM_16")
    code = ("import sys; from accent_coach.cli import main; "
            f"rc = main(['assess', {str(take)!r}, '--text', 'Think of three things.']); "
            "print('MODULES', 'transformers' in sys.modules, 'librosa' in sys.modules, "
            "'scipy.signal' in sys.modules); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Think" in done.stdout and "MODULES False False False" in done.stdout
