"""Engine benchmark: warm latency (p50/p95) for 2, 5 and 15 s clips, peak memory, batch
throughput. Speech is synthesised with espeak-ng so the benchmark runs anywhere.

    OMP_NUM_THREADS=1 python -m benchmarks.assess [--repeats 10] [--batch-items 12]
    OMP_NUM_THREADS=1 python -m benchmarks.assess --profile [--durations 5]

``--profile`` prints where the time of one warm assessment goes, stage by stage
(cProfile cumulative time per take; the profiler adds its own overhead).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import accent_coach.runtime  # noqa: F401 - the product's memory caps, before torch loads
from benchmarks.scorer_choice import resolve_all

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea shells by the sea shore.",
    "I think three thin thieves thought a thousand thoughts.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "Very well, we will visit the village on Wednesday evening.",
    "Red lorry, yellow lorry, the lazy leopard likes to run.",
    "The weather is nice today, so we can walk to the park.",
]


def _clip(target_s: float) -> tuple[np.ndarray, str]:
    """espeak speech of about ``target_s`` seconds and its text."""
    from accent_coach.engine.audio import resample
    from accent_coach.speech.espeak import synthesize

    words = " ".join(SENTENCES * 10).split()
    lo, hi = 1, len(words)
    while lo < hi:  # fewest words whose reading lasts at least target_s
        mid = (lo + hi) // 2
        wav, sr = synthesize(" ".join(words[:mid]), rate_wpm=150)
        if len(wav) / sr >= target_s:
            hi = mid
        else:
            lo = mid + 1
    text = " ".join(words[:lo])
    wav, sr = synthesize(text, rate_wpm=150)
    return resample(wav, sr), text


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(repeats: int, batch_items: int, durations: list[float], prosody: bool,
        scorers: dict | None = None) -> dict:
    scorers = scorers or {"auto": "auto"}
    import soundfile as sf
    import torch

    from accent_coach.engine.assess import assess
    from accent_coach.engine.batch import assess_batch
    from accent_coach.engine.stages.featurize import espeak_reference_contour
    from accent_coach.speech.manager import get_manager

    torch.set_num_threads(1)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    loaded = get_manager().load_model(None)
    report: dict = {"model": loaded.name, "load_seconds": round(time.perf_counter() - t0, 2),
                    "threads": torch.get_num_threads(), "prosody": prosody,
                    "peak_rss_mb_after_load": round(_rss_mb(), 1),
                    "rss_mb_before_load": round(rss0, 1), "latency": {}}
    clips = {d: _clip(d) for d in durations}
    for d, (wav, text) in clips.items():
        times: dict[str, list[float]] = {name: [] for name in scorers}
        for name, scorer in scorers.items():
            assess(wav, text, loaded=loaded, with_prosody=prosody, scorer=scorer)  # warm-up
        for _ in range(repeats):  # scorers interleaved: the same machine load for each
            for name, scorer in scorers.items():
                espeak_reference_contour.cache_clear()  # a new sentence each time: worst case
                t = time.perf_counter()
                assess(wav, text, loaded=loaded, with_prosody=prosody, scorer=scorer)
                times[name].append((time.perf_counter() - t) * 1000)
        for name, series in times.items():
            key = f"{d:g}s" if len(times) == 1 else f"{d:g}s {name}"
            report["latency"][key] = {
                "audio_s": round(len(wav) / 16000, 2),
                "p50_ms": round(float(np.percentile(series, 50)), 1),
                "p95_ms": round(float(np.percentile(series, 95)), 1),
                "rtf": round(float(np.median(series)) / 1000 / (len(wav) / 16000), 3),
            }
    report["peak_rss_mb"] = round(_rss_mb(), 1)
    with tempfile.TemporaryDirectory() as tmp:
        lines, total = [], 0.0
        for i in range(batch_items):
            wav, text = clips[durations[i % len(durations)]]
            sf.write(Path(tmp) / f"{i}.wav", wav, 16000)
            lines.append(json.dumps({"id": str(i), "audio": f"{i}.wav", "text": text}))
            total += len(wav) / 16000
        (Path(tmp) / "m.jsonl").write_text("\n".join(lines) + "\n")
        espeak_reference_contour.cache_clear()
        t = time.perf_counter()
        counts = assess_batch(Path(tmp) / "m.jsonl", Path(tmp) / "r.jsonl", loaded=loaded,
                              with_prosody=prosody)
        el = time.perf_counter() - t
    report["batch"] = {"items": batch_items, "failed": counts["failed"],
                       "audio_s": round(total, 1), "seconds": round(el, 2),
                       "items_per_s": round(batch_items / el, 2),
                       "audio_s_per_s": round(total / el, 2)}
    report["peak_rss_mb_end"] = round(_rss_mb(), 1)
    return report


def _stages() -> list[tuple[str, object]]:
    """(label, function) of the assessment's stages, outermost first."""
    from accent_coach.engine import (
        alignment,
        audio,
        g2p,
        prosody,
        scoring,
        verification,
    )
    from accent_coach.engine.stages import featurize, recognize
    from accent_coach.runtime import release_memory
    from accent_coach.speech import espeak, posteriors, whisper_ctc

    return [
        ("reference (G2P)", g2p.reference),
        ("audio decode/checks", audio.load_audio),
        ("recognizer (all)", posteriors.posteriors),
        ("  log-mel features", whisper_ctc.WhisperCTCFeatureExtractor.__call__),
        ("  encoder + head", whisper_ctc.WhisperCTCForCTC.forward),
        ("trailing-speech check", recognize.without_trailing_speech),
        ("forced alignment (all calls)", alignment.forced_align),
        ("GOP scoring", scoring.phone_gops),
        ("text verification", verification.text_match),
        ("prosody (all)", featurize._prosody),
        ("  pitch + energy contours", prosody.contours),
        ("  espeak reference reading", espeak.synthesize),
        ("  DTW", prosody._dtw_path),
        ("release_memory", release_memory),
    ]


def profile(duration: float, repeats: int) -> dict:
    """Per-stage milliseconds per take of a warm assessment of one clip."""
    import cProfile
    import pstats

    import torch

    from accent_coach.engine.assess import assess
    from accent_coach.engine.stages.featurize import espeak_reference_contour
    from accent_coach.speech.manager import get_manager

    torch.set_num_threads(1)
    loaded = get_manager().load_model(None)
    wav, text = _clip(duration)
    assess(wav, text, loaded=loaded)
    prof = cProfile.Profile()
    walls = []
    for _ in range(repeats):
        espeak_reference_contour.cache_clear()
        t = time.perf_counter()
        prof.enable()
        assess(wav, text, loaded=loaded)
        prof.disable()
        walls.append((time.perf_counter() - t) * 1000)
    stats = pstats.Stats(prof).stats
    rows = {}
    for label, fn in _stages():
        code = getattr(fn, "__wrapped__", fn).__code__
        key = (code.co_filename, code.co_firstlineno, code.co_name)
        cum = stats.get(key, (0, 0, 0, 0))[3]
        rows[label] = round(cum * 1000 / repeats, 1)
    return {"model": loaded.name, "int8": bool(getattr(loaded, "quantized", False)),
            "audio_s": round(len(wav) / 16000, 2), "profiled_take_ms_p50":
            round(float(np.median(walls)), 1), "stages_ms_per_take": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--batch-items", type=int, default=12)
    ap.add_argument("--durations", default="2,5,15")
    ap.add_argument("--no-prosody", action="store_true")
    ap.add_argument("--scorer", default="auto",
                    help="auto | rules | scorer folder; several comma-separated (same run)")
    ap.add_argument("--profile", action="store_true", help="stage breakdown instead")
    args = ap.parse_args(argv)
    durations = [float(x) for x in args.durations.split(",")]
    if args.profile:
        print(json.dumps(profile(durations[-1] if len(durations) == 1 else 5.0, args.repeats),
                         indent=2))
        return 0
    print(json.dumps(run(args.repeats, args.batch_items, durations, not args.no_prosody,
                         resolve_all(args.scorer)),
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
