"""Whisper transcribers: registered by kind, loaded once through the manager, real
transcription of synthesized speech by the packaged tiny.en (WER printed)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from accent_coach import cli
from accent_coach.speech.registry import (
    ModelLoadError,
    resolve_transcriber,
    transcribers,
)
from accent_coach.speech.transcriber import joined_base_dir, transcribe
from accent_coach.tutor.wer import wer
from accent_coach.tutor.wer import words as wer_words

SENTENCES = [
    "I would like a large coffee with milk, please.",
    "My name is Anna and I work as a nurse.",
    "I have had a sore throat since Monday.",
    "Could you tell me how to get to the train station?",
    "I would like to return this jacket, please.",
    "We went to the park with our friends at the weekend.",
]


def _speech(text: str) -> np.ndarray:
    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(text, voice="us")
    return librosa.resample(wav, orig_sr=sr, target_sr=16_000)


def test_registry_names_and_errors(tmp_path):
    assert [s.name for s in transcribers()] == ["whisper-tiny.en", "whisper-base"]
    assert all(s.kind == "transcriber" and s.output_kind == "text" for s in transcribers())
    assert resolve_transcriber("small.en").source == "hub"
    assert resolve_transcriber("Systran/faster-whisper-small").source == "hub"
    with pytest.raises(ModelLoadError, match="no model.bin"):
        resolve_transcriber(str(tmp_path))
    with pytest.raises(ModelLoadError, match="not a known transcriber"):
        resolve_transcriber("no such model!")


def test_models_command_lists_both_kinds(capsys):
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert "kind" in out.splitlines()[0]
    line = next(ln for ln in out.splitlines() if ln.startswith("whisper-tiny.en"))
    assert "transcriber" in line and "installed" in line and "[default]" in line
    assert any(ln.startswith("embedded") and "recognizer" in ln for ln in out.splitlines())


def test_tiny_en_transcribes_synthesized_speech(fresh_manager):
    manager = fresh_manager.get_manager()
    loaded = manager.load_transcriber()
    assert (loaded.name, loaded.compute_type, loaded.device) == ("whisper-tiny.en", "int8", "cpu")
    pairs, sure = [], 0
    for text in SENTENCES:
        heard = transcribe(loaded, _speech(text))
        sure += heard.confident
        pairs.append((text, heard.text))
    assert sure >= len(SENTENCES) - 1  # clear synthetic speech is (nearly) always trusted
    score = wer(pairs)
    print(f"\nwhisper-tiny.en WER on {len(SENTENCES)} espeak sentences: {score:.1%}")
    for ref, hyp in pairs:
        print(f"  {ref!r} -> {hyp!r}")
    assert score < 0.3
    assert manager.load_transcriber() is loaded and len(manager.transcriber_events) == 1
    status = manager.status()
    assert status["transcriber"]["name"] == "whisper-tiny.en"
    assert status["transcriber"]["memory_bytes"] > 10_000_000
    assert status["transcriber_loads"] == 1


def test_reversed_speech_is_flagged_as_unsure(fresh_manager):
    loaded = fresh_manager.get_manager().load_transcriber()
    heard = transcribe(loaded, _speech(SENTENCES[0])[::-1].copy())
    assert not heard.confident, heard


def test_whisper_base_is_joined_once_atomically_and_loads(fresh_manager, tmp_path):
    first = joined_base_dir(tmp_path)
    stamp = (first / "model.bin").stat().st_mtime_ns
    assert joined_base_dir(tmp_path) == first
    assert (first / "model.bin").stat().st_mtime_ns == stamp  # reused, not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whisper-base-ct2"]  # no leftovers
    manager = fresh_manager.get_manager()
    base = manager.load_transcriber("whisper-base")
    pairs = [(text, transcribe(base, _speech(text)).text) for text in SENTENCES]
    print(f"\nwhisper-base WER on {len(pairs)} espeak sentences: {wer(pairs):.1%}: {pairs}")
    assert wer(pairs) < 0.45  # loose: espeak's robotic voice, and int8 output varies a little
    assert any(wer([pair]) == 0 for pair in pairs)
    manager.unload()
    assert manager.transcriber is None and manager.status()["transcriber"] is None


def test_missing_hub_model_offline_is_a_clear_error(fresh_manager):
    with pytest.raises(ModelLoadError, match="not downloaded .* offline"):
        fresh_manager.get_manager().load_transcriber("Systran/faster-whisper-small")


def test_idle_transcriber_is_unloaded_and_reloads(fresh_manager, monkeypatch):
    import time

    monkeypatch.setenv("ACCENT_COACH_IDLE_UNLOAD", "transcriber=30")
    fresh_manager.reset_manager()
    manager = fresh_manager.get_manager()
    loaded = manager.load_transcriber()
    assert manager.unload_idle(time.time() + 5) == []  # not idle long enough yet
    assert manager.unload_idle(time.time() + 31) == [loaded.name]
    assert manager.transcriber is None
    assert not [r for r in manager.loaded_models() if r["kind"] == "transcriber"]
    assert manager.load_transcriber().name == loaded.name
    assert len(manager.transcriber_events) == 2
    manager.close()


def test_preload_list_can_name_a_transcriber(fresh_manager, tiny_models, monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_PRELOAD", f"{tiny_models['ipa_a']},whisper-tiny.en")
    fresh_manager.reset_manager()
    manager = fresh_manager.get_manager()
    assert manager.preload() == [str(tiny_models["ipa_a"]), "whisper-tiny.en"]
    assert manager.transcriber is not None and manager.current is not None
    assert not manager.warnings


def test_context_prompt_does_not_put_words_in_the_learners_mouth(fresh_manager):
    """Whisper told what the tutor expects (the question and its model answers, as the
    tutor does) does not write the expected words when the learner says something else,
    and still hears the expected answer when it is said."""
    from accent_coach.tutor.conversation import new_conversation
    from accent_coach.tutor.turns import transcription_context

    loaded = fresh_manager.get_manager().load_transcriber()
    context = transcription_context(new_conversation("cafe", "B1", "practice"))
    assert context and "What can I get you today?" in context and "latte" in context
    expected_words = {"latte", "coffee", "flat", "white", "oat", "milk", "large", "love"}
    for said in SENTENCES[1:]:  # none of them is about a drink
        heard = transcribe(loaded, _speech(said), prompt=context)
        assert not expected_words & (set(wer_words(heard.text)) - set(wer_words(said))), (
            said, heard.text)
    expected = SENTENCES[0]  # "I would like a large coffee with milk, please."
    assert wer([(expected, transcribe(loaded, _speech(expected), prompt=context).text)]) < 0.2
