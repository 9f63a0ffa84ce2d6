"""ModelManager: registry, vocabulary kinds, device choice and the load-once guard."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

import pytest
import torch

from accent_coach.config import Settings
from accent_coach.speech import devices, whisper_ctc
from accent_coach.speech import registry as reg
from accent_coach.speech.loaders import recognizer as recognizer_loader
from accent_coach.speech.manager import ModelManager
from accent_coach.speech.registry import ModelLoadError


def manager(**settings) -> ModelManager:
    return ModelManager(Settings(device="cpu", **settings))


# --- registry ---------------------------------------------------------------


def test_registry_lists_embedded_default_then_known_hub_models():
    names = [spec.name for spec in reg.registry()]
    assert names[0] == "embedded"
    assert names[1:] == [
        "facebook/wav2vec2-lv-60-espeak-cv-ft",
        "facebook/wav2vec2-xlsr-53-espeak-cv-ft",
        "facebook/wav2vec2-base-960h",
        "facebook/wav2vec2-large-960h",
    ]
    kinds = {spec.name: spec.output_kind for spec in reg.registry()}
    assert kinds["facebook/wav2vec2-lv-60-espeak-cv-ft"] == "ipa"
    assert kinds["facebook/wav2vec2-base-960h"] == "chars"
    assert {s.name for s in reg.registry() if s.recommended} == {
        "facebook/wav2vec2-lv-60-espeak-cv-ft",
        "facebook/wav2vec2-xlsr-53-espeak-cv-ft",
    }


def test_resolve_embedded_known_local_and_any_hub_id(tmp_path: Path):
    embedded = reg.resolve_model("embedded")
    assert (embedded.source, Path(embedded.path_or_id)) == ("embedded", reg.EMBEDDED_MODEL_DIR)
    assert reg.EMBEDDED_MODEL_DIR == Path(reg.__file__).parent / "models" / "whisper-tiny-ipa-ctc"
    assert reg.resolve_model("facebook/wav2vec2-base-960h").source == "hub"
    local = reg.resolve_model(str(tmp_path))
    assert (local.source, local.name) == ("local", str(tmp_path.resolve()))
    other = reg.resolve_model("someone/some-ctc-model")
    assert (other.source, other.path_or_id) == ("hub", "someone/some-ctc-model")


@pytest.mark.parametrize("bad", ["", "   ", "./no/such/folder", "not a model id!"])
def test_resolve_rejects_names_that_are_neither_folder_nor_hub_id(bad: str):
    with pytest.raises(ModelLoadError):
        reg.resolve_model(bad)


def test_resolve_rejects_a_file(tmp_path: Path):
    file = tmp_path / "model.bin"
    file.write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="is a file"):
        reg.resolve_model(str(file))


# --- vocabulary kind --------------------------------------------------------

ESPEAK_LIKE = ["<pad>", "<s>", "</s>", "<unk>", "a", "b", "d", "ə", "ɪ", "θ", "tʃ", "ʃ", "ŋ",
               "iː", "aɪ", "k", "s", "t"]
ARPABET_LIKE = ["<pad>", "<unk>", "AA0", "AA1", "AE1", "AH0", "B", "CH", "D", "DH", "HH", "IY1",
                "K", "NG", "S", "SH", "T", "TH", "ZH"]
CHARS_960H = ["<pad>", "<s>", "</s>", "<unk>", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R",
              "D", "L", "U", "M", "W", "C", "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J",
              "Q", "Z"]


@pytest.mark.parametrize(
    ("vocab", "kind"),
    [(ESPEAK_LIKE, "ipa"), (ARPABET_LIKE, "arpabet"), (CHARS_960H, "chars"),
     ([t.lower() for t in CHARS_960H], "chars")],
)
def test_detect_output_kind(vocab: list[str], kind: str):
    assert reg.detect_output_kind(vocab) == kind


def test_detect_output_kind_refuses_unknown_vocabularies():
    with pytest.raises(ModelLoadError, match="Can't tell"):
        reg.detect_output_kind(["<pad>", "hello", "world", "token", "piece"])
    with pytest.raises(ModelLoadError):
        reg.detect_output_kind(["<pad>", "<unk>", "|"])


# --- device -----------------------------------------------------------------


def _fake_accelerators(monkeypatch, cuda: bool, mps: bool, count: int = 1) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count if cuda else 0)
    monkeypatch.setattr(devices, "mps_available", lambda: mps)


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    _fake_accelerators(monkeypatch, cuda, mps)
    assert devices.choose_device("auto") == (expected, None)


def test_device_override(monkeypatch):
    _fake_accelerators(monkeypatch, cuda=True, mps=False, count=2)
    assert devices.choose_device("cpu") == ("cpu", None)
    assert devices.choose_device("cuda:1") == ("cuda:1", None)
    device, note = devices.choose_device("cuda:5")
    assert device == "cpu" and "not available" in note
    device, note = devices.choose_device("mps")
    assert device == "cpu" and "MPS" in note
    with pytest.raises(ModelLoadError, match="ACCENT_COACH_DEVICE"):
        devices.choose_device("tpu")


def test_manager_takes_device_from_environment(monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_DEVICE", "cpu")
    _fake_accelerators(monkeypatch, cuda=True, mps=False)
    assert ModelManager().device == "cpu"
    monkeypatch.setenv("ACCENT_COACH_DEVICE", "auto")
    assert ModelManager().device == "cuda"


def test_bad_settings_become_warnings_not_crashes(monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_DEVICE", "tpu")
    device_warning = ModelManager().warnings
    assert len(device_warning) == 1 and "ACCENT_COACH_DEVICE='tpu'" in device_warning[0]
    monkeypatch.setenv("ACCENT_COACH_MAX_MODELS", "lots")
    monkeypatch.setenv("ACCENT_COACH_MODEL", "someone/model")
    m = ModelManager()
    assert m.selected_name == "someone/model" and m.settings.max_loaded_models == 1
    assert any("ACCENT_COACH_MAX_MODELS" in w for w in m.warnings)
    assert m.status()["warnings"] == m.warnings


def test_gpu_out_of_memory_falls_back_to_cpu_and_says_so(monkeypatch, tiny_models):
    real_to = torch.nn.Module.to

    def to(self, *args, device=None, **kwargs):
        if device is not None and str(device) != "cpu":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_to(self, *args, device=device, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", to)
    loaded = recognizer_loader.load_checkpoint(reg.resolve_model(str(tiny_models["ipa_a"])), "cuda")
    assert loaded.device == "cpu"
    assert next(loaded.model.parameters()).device.type == "cpu"
    assert any("Not enough memory on cuda" in n for n in loaded.notes)


# --- loading ----------------------------------------------------------------


def test_load_returns_eval_model_with_vocabulary_and_blank(tiny_models):
    loaded = manager().load_model(str(tiny_models["ipa_a"]))
    assert loaded.source == "local" and loaded.device == "cpu" and loaded.dtype == torch.float32
    assert not loaded.model.training
    assert loaded.output_kind == "ipa"
    assert loaded.vocab[:4] == ["<pad>", "<unk>", "|", "ə"] and len(loaded.vocab) == 12
    assert loaded.blank_id == 0 and loaded.load_seconds > 0
    inputs = loaded.processor(torch.zeros(16000).numpy(), sampling_rate=16000,
                              return_tensors="pt")
    with torch.no_grad():
        logits = loaded.model(inputs.input_values.to(loaded.device, loaded.dtype)).logits
    assert logits.shape[-1] == len(loaded.vocab)


def test_character_model_is_detected(tiny_models):
    assert manager().load_model(str(tiny_models["chars"])).output_kind == "chars"


def test_same_name_returns_immediately_new_name_loads_once(tiny_models, load_counts):
    m = manager()
    a, b = str(tiny_models["ipa_a"]), str(tiny_models["ipa_b"])
    first = m.load_model(a)
    for _ in range(10):
        assert m.load_model(a) is first
        assert m.load_model() is first  # None = the selected model
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)
    hooks: list[str] = []

    def on_load(spec):
        hooks.append(spec.name)
        return contextlib.nullcontext()

    second = m.load_model(b, on_load=on_load)
    assert second is not first and m.current is second
    for _ in range(5):
        m.load_model(b, on_load=on_load)
    assert (load_counts["from_pretrained"], load_counts["to"]) == (2, 2)
    assert hooks == [str(tiny_models["ipa_b"].resolve())]
    assert [e.name for e in m.events] == [first.name, second.name]
    assert load_counts["trust_remote_code"] == 0


def test_cache_keeps_max_models_and_reloads_evicted(tiny_models, load_counts):
    a, b = str(tiny_models["ipa_a"]), str(tiny_models["ipa_b"])
    one = manager()  # default keeps a single model in memory
    one.load_model(a), one.load_model(b), one.load_model(a)
    assert load_counts["from_pretrained"] == 3
    two = manager(max_loaded_models=2)
    two.load_model(a), two.load_model(b), two.load_model(a), two.load_model(b)
    assert load_counts["from_pretrained"] == 5


def test_failed_load_keeps_previous_model(tiny_models, tmp_path, load_counts):
    m = manager()
    good = m.load_model(str(tiny_models["ipa_a"]))
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    with pytest.raises(ModelLoadError, match="not a CTC speech recognizer"):
        m.load_model(str(tmp_path))
    assert m.current is good and m.selected_name == good.name
    assert m.failed() is None  # the selected model is fine
    assert "not a CTC speech recognizer" in m.failed(str(tmp_path))


def test_folder_without_config_is_not_a_model(tmp_path):
    with pytest.raises(ModelLoadError, match="no config.json"):
        manager().load_model(str(tmp_path))


def test_embedded_default_says_plainly_no_trained_model(monkeypatch, tmp_path, load_counts):
    monkeypatch.setattr(reg, "EMBEDDED_MODEL_DIR", tmp_path / "whisper-tiny-ipa-ctc")
    m = manager()
    assert m.selected_name == "embedded" and not reg.embedded_installed()
    with pytest.raises(ModelLoadError, match="No trained model is installed"):
        m.load_model()
    assert m.failed() and m.current is None
    assert load_counts["from_pretrained"] == 0


def test_offline_hub_id_names_model_and_fetch_command(tiny_models, load_counts):
    m = manager()
    previous = m.load_model(str(tiny_models["ipa_a"]))
    with pytest.raises(ModelLoadError) as err:
        m.load_model("facebook/wav2vec2-base-960h")
    message = str(err.value)
    assert "facebook/wav2vec2-base-960h" in message
    assert "accent-coach fetch facebook/wav2vec2-base-960h" in message
    assert m.current is previous and load_counts["from_pretrained"] == 1
    assert not reg.hub_reachable()  # HF_HUB_OFFLINE=1 in conftest


def test_concurrent_sessions_load_once(tiny_models, load_counts):
    m = manager()
    barrier = threading.Barrier(6)
    results: list[object] = []

    def session() -> None:
        barrier.wait()
        results.append(m.load_model(str(tiny_models["ipa_a"])))

    threads = [threading.Thread(target=session) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r is results[0] for r in results)
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)


def test_unload_frees_and_next_load_reloads(tiny_models, load_counts):
    m = manager()
    m.load_model(str(tiny_models["ipa_a"]))
    m.unload()
    assert m.current is None and m.unloaded and m.pool.keys() == []
    assert m.status()["current"] is None
    m.load_model()  # the selection survives unload
    assert load_counts["from_pretrained"] == 2 and not m.unloaded


def test_status_reports_what_is_loaded_where(tiny_models):
    m = manager()
    m.load_model(str(tiny_models["ipa_a"]))
    status = m.status()
    assert status["device"] == "cpu" and status["loads"] == 1
    current = status["current"]
    assert current["device"] == "cpu" and current["output_kind"] == "ipa"
    assert current["parameters"] > 0 and current["memory_bytes"] == current["parameters"] * 4


def test_get_manager_is_process_wide(fresh_manager, monkeypatch, tiny_models):
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(tiny_models["ipa_a"]))
    assert fresh_manager.get_manager() is fresh_manager.get_manager()
    assert fresh_manager.get_manager().selected_name == str(tiny_models["ipa_a"])


def test_embedded_architecture_loads_through_the_same_auto_classes(
    monkeypatch, tmp_path, load_counts
):
    """A tiny model of our own Whisper-CTC type, saved the way training exports it."""
    from transformers import Wav2Vec2PhonemeCTCTokenizer, Wav2Vec2Processor

    folder = tmp_path / "whisper-tiny-ipa-ctc"
    vocab = ["<pad>", "<unk>", "ə", "ɪ", "θ", "s", "t", "k", "æ", "ð", "tʃ"]
    (tmp_path / "vocab.json").write_text(
        json.dumps({p: i for i, p in enumerate(vocab)}, ensure_ascii=False), encoding="utf-8"
    )
    tokenizer = Wav2Vec2PhonemeCTCTokenizer(
        str(tmp_path / "vocab.json"), pad_token="<pad>", unk_token="<unk>", bos_token=None,
        eos_token=None, word_delimiter_token=None, do_phonemize=False,
    )
    config = whisper_ctc.WhisperCTCConfig(
        vocab_size=len(vocab), d_model=16, encoder_layers=1, encoder_attention_heads=2,
        encoder_ffn_dim=32, head_layers=1, head_attention_heads=2, head_ffn_dim=32,
    )
    whisper_ctc.WhisperCTCForCTC(config).half().save_pretrained(folder)
    Wav2Vec2Processor(
        feature_extractor=whisper_ctc.WhisperCTCFeatureExtractor(), tokenizer=tokenizer
    ).save_pretrained(folder)
    monkeypatch.setattr(reg, "EMBEDDED_MODEL_DIR", folder)
    assert reg.embedded_installed()

    loaded = manager().load_model()  # the configured default: embedded
    assert (loaded.name, loaded.source, loaded.output_kind) == ("embedded", "embedded", "ipa")
    assert loaded.dtype == torch.float32 and next(loaded.model.parameters()).dtype == torch.float32
    assert loaded.vocab == vocab and loaded.blank_id == 0
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)
    inputs = loaded.processor(torch.zeros(16000).numpy(), sampling_rate=16000,
                              return_tensors="pt")
    with torch.no_grad():
        logits = loaded.model(inputs.input_features.to(loaded.device, loaded.dtype)).logits
    assert logits.shape[-1] == len(vocab)
    # on CPU the default ("auto") runs the embedded model's linear layers in int8
    assert loaded.quantized and manager().status()["dtype"] == "auto"
    assert manager(dtype="float32").load_model().quantized is False


def test_int8_setting_quantizes_any_model_on_cpu_and_status_says_so(tiny_models):
    m = manager(dtype="int8")
    loaded = m.load_model(str(tiny_models["ipa_a"]))
    assert loaded.quantized and not loaded.notes
    current = m.status()["current"]
    assert current["dtype"] == "int8"
    assert current["memory_bytes"] < current["parameters"] * 4  # int8 weights: 1 byte each
    plain = manager().load_model(str(tiny_models["ipa_a"]))  # auto: other models stay float
    assert not plain.quantized and plain.parameters == loaded.parameters
    audio = torch.randn(16000).numpy() * 0.1
    feats = loaded.processor(audio, sampling_rate=16000, return_tensors="pt").input_values
    with torch.no_grad():
        assert loaded.model(feats).logits.shape == plain.model(feats).logits.shape


def test_int8_and_auto_plans_per_device_and_source():
    assert recognizer_loader.weights_plan("int8", "cuda", "local") == ("float32", False)
    assert recognizer_loader.weights_plan("auto", "cuda", "embedded") == ("float32", False)
    assert recognizer_loader.weights_plan("auto", "cpu", "embedded") == ("float32", True)
    assert recognizer_loader.weights_plan("auto", "cpu", "hub") == ("float32", False)
    assert recognizer_loader.weights_plan("float16", "cpu", "embedded") == ("float16", False)


def test_current_model_is_served_while_another_session_loads(tiny_models):
    """The guard's fast path takes no lock, so one session's load never stalls the others."""
    m = manager()
    a, b = str(tiny_models["ipa_a"]), str(tiny_models["ipa_b"])
    first = m.load_model(a)
    entered, release = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def slow_load(spec):
        entered.set()
        assert release.wait(30)
        yield

    loader = threading.Thread(target=lambda: m.load_model(b, on_load=slow_load))
    loader.start()
    try:
        assert entered.wait(30)
        start = time.perf_counter()
        assert m.load_model(a) is first
        assert time.perf_counter() - start < 0.5
    finally:
        release.set()
        loader.join(30)
    assert m.current.name == str(tiny_models["ipa_b"].resolve())
