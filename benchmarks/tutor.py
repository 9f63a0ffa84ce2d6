"""Conversation tutor figures: Whisper WER and real-time factor on held-out speakers,
end-of-turn → reply-and-feedback latency (built-in and with a local LLM stand-in), memory.

    python -m benchmarks.tutor [--utterances 60] [--turns 12]

* WER / RTF: ``--utterances`` held-out speechocean762 utterances (the last 12 speakers,
  as in training/), spread evenly over the speakers; one CPU thread; RTF = transcription
  time / audio duration. Skipped when ../shared/data is absent.
* Latency: spoken answers (espeak model answers, uploaded) sent on the real Tutor page in
  Streamlit's AppTest; the time of the "Send" run (transcribe → assess → reply → page
  rendered), p50/p95 over ``--turns`` turns; once with the built-in tutor and once with
  an OpenAI-compatible stand-in server on 127.0.0.1 that answers at once (so the figure
  is our overhead, not an LLM's generation time).
* Memory: process RSS before models, with the recognizer, and with the transcriber too.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.devdata import spread_over_speakers

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ACCENT_COACH_DATA_DIR", tempfile.mkdtemp(prefix="accent-coach-bench-"))

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    from accent_coach.speech.memory import process_rss_bytes

    return (process_rss_bytes() or 0) / 2**20


def whisper_figures(n: int) -> None:
    from accent_coach.engine.audio import load_audio
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.transcriber import transcribe
    from accent_coach.tutor.wer import wer
    from benchmarks.devdata import available, held_out

    if not available():
        print("WER/RTF: skipped (../shared/data/speechocean762-train not found)")
        return
    utts = spread_over_speakers(held_out(), n)
    clips = [(u, load_audio(str(u.audio)).samples) for u in utts]
    audio_s = sum(len(c) for _, c in clips) / 16_000
    speakers = len({u.speaker for u in utts})
    print(f"WER/RTF on {len(clips)} held-out utterances, {speakers} speakers, {audio_s:.0f} s")
    manager = get_manager()
    for name in ("whisper-tiny.en", "whisper-base"):
        loaded = manager.load_transcriber(name)
        transcribe(loaded, clips[0][1])  # warm-up, not counted
        pairs, sure, spent = [], [], 0.0
        for u, samples in clips:
            heard = transcribe(loaded, samples)
            spent += heard.seconds
            pairs.append((u.text, heard.text))
            if heard.confident:
                sure.append((u.text, heard.text))
        print(f"  {name:16} load {loaded.load_seconds:4.1f} s  WER {wer(pairs):6.1%}  "
              f"RTF {spent / audio_s:.3f}  ({loaded.compute_type}, 1 thread); "
              f"{len(clips) - len(sure)} flagged unsure, WER on the rest {wer(sure):6.1%}")
    manager.unload_transcriber()


def _wav(text: str) -> bytes:
    import soundfile as sf

    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(text, voice="us")
    buf = io.BytesIO()
    sf.write(buf, wav, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _answers(turns: int) -> list[tuple[str, str, str]]:
    """(scenario, level, answer): model answers, scenario by scenario."""
    from accent_coach.tutor.scenarios import scenarios

    out = []
    for key, spec in scenarios().items():
        for step in spec.steps:
            out.append((key, "B1", step.model["B1"]))
    return out[:turns]


def _page_latency(turns: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    page = str(ROOT / "pages" / "tutor.py")
    times: list[float] = []
    at, current = None, None
    for scenario, level, answer in _answers(turns):
        if scenario != current:
            at = AppTest.from_file(page, default_timeout=300)
            at.session_state["tutor.scenario"] = scenario
            at.session_state["tutor.level"] = level
            at.session_state["tutor.answer_by"] = "upload"
            if os.environ.get("ACCENT_COACH_LLM_URL"):
                at.session_state["tutor.tutor"] = "llm"
            at.run()
            current = scenario
        assert at is not None
        n = sum(1 for m in at.chat_message if m.avatar == "user")
        at.file_uploader(key=f"tutor.upload.{n}").set_value(("a.wav", _wav(answer), "audio/wav"))
        at.run()
        start = time.perf_counter()
        at.button(key="tutor.send").click().run()
        times.append(time.perf_counter() - start)
        if at.exception or at.error:
            raise RuntimeError(f"turn failed: {at.exception or [e.value for e in at.error]}")
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_figures(turns: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    from llm_server import ChatServer

    _page_latency(1)  # models loaded and caches warm, as after the first turn in the app
    builtin = _page_latency(turns)
    with ChatServer() as server:
        os.environ["ACCENT_COACH_LLM_URL"] = server.url
        os.environ["ACCENT_COACH_LLM_MODEL"] = "stand-in"
        try:
            llm = _page_latency(turns)
        finally:
            del os.environ["ACCENT_COACH_LLM_URL"], os.environ["ACCENT_COACH_LLM_MODEL"]
        assert len(server.requests) >= turns, "the LLM stand-in was not called"
    print(f"End of a spoken turn → reply + feedback on the page ({turns} turns, espeak answers, "
          "whisper-tiny.en + embedded recognizer):")
    for name, values in (("built-in tutor", builtin), ("LLM stand-in", llm)):
        print(f"  {name:15} p50 {_pct(values, 0.5):5.2f} s  p95 {_pct(values, 0.95):5.2f} s  "
              f"(mean {statistics.mean(values):.2f} s)")


def memory_figures() -> None:
    from accent_coach.speech.manager import get_manager

    manager = get_manager()
    manager.unload()
    import gc

    gc.collect()
    before = _rss_mb()
    recognizer = manager.load_model()
    with_recognizer = _rss_mb()
    transcriber = manager.load_transcriber()
    both = _rss_mb()
    print(f"Memory (RSS): {before:.0f} MB before models, {with_recognizer:.0f} MB with "
          f"'{recognizer.name}', {both:.0f} MB with '{transcriber.name}' too "
          f"(weights: {recognizer.memory_bytes / 2**20:.0f} MB + "
          f"{transcriber.memory_bytes / 2**20:.0f} MB on disk)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--utterances", type=int, default=60)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--skip", nargs="*", default=[], choices=["wer", "latency", "memory"])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    if "memory" not in args.skip:
        memory_figures()
    if "wer" not in args.skip:
        whisper_figures(args.utterances)
    if "latency" not in args.skip:
        latency_figures(args.turns)


if __name__ == "__main__":
    main()
