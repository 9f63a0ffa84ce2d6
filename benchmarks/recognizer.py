"""Embedded recognizer: size on disk, load time and forward latency on one CPU core.

    python -m benchmarks.recognizer [--model PATH] [--repeats 20] [--weights int8|float32]

``--weights int8`` (the default, as the app runs the embedded model on CPU) applies
dynamic int8 quantization after loading; ``float32`` measures the unquantized model.

The target from the model's issue: 5 s of audio in ≤ 100 ms on one core, any clip
length without padding to 30 s. Audio is real speech when ../shared is present,
otherwise espeak-ng speech from the app's own TTS.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch


def speech(seconds: float) -> np.ndarray:
    from accent_coach.speech.espeak import synthesize

    text = "the quick brown fox jumps over the lazy dog while we read this sentence aloud. "
    audio, sr = synthesize(text * 8)
    if sr != 16000:
        import librosa

        audio = librosa.resample(audio, orig_sr=sr, target_sr=16000)
    n = int(seconds * 16000)
    return np.resize(audio.astype(np.float32), n)


def main() -> None:
    from transformers import AutoModelForCTC, AutoProcessor

    import accent_coach.speech.whisper_ctc  # noqa: F401  (registers the architecture)
    from accent_coach.speech.registry import EMBEDDED_MODEL_DIR

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=EMBEDDED_MODEL_DIR)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--weights", choices=("int8", "float32"), default="int8")
    ap.add_argument("--keep-float", action="append", default=[], metavar="REGEX",
                    help="with int8: linear layers left in float32 (whole module name)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    size = sum(p.stat().st_size for p in args.model.iterdir() if p.is_file())
    t0 = time.perf_counter()
    processor = AutoProcessor.from_pretrained(args.model)
    model = AutoModelForCTC.from_pretrained(args.model).eval()
    params = sum(p.numel() for p in model.parameters())
    if args.weights == "int8":
        from accent_coach.speech.quantization import quantize_int8

        model = quantize_int8(model, args.keep_float)
    load_s = time.perf_counter() - t0
    print(f"model: {args.model}")
    print(
        f"size on disk: {size / 1e6:.1f} MB, parameters: {params / 1e6:.2f} M, "
        f"weights at run time: {args.weights}"
    )
    print(f"load (AutoProcessor + AutoModelForCTC): {load_s:.2f} s")
    print("\nforward latency, 1 thread (features + model), median / p95 over repeats:")
    for seconds in (2, 5, 15, 30, 60):
        audio = speech(seconds)
        times = []
        with torch.inference_mode():
            for i in range(args.repeats + 2):
                t = time.perf_counter()
                inputs = processor(audio, sampling_rate=16000, return_tensors="pt")
                frames = model(**inputs).logits.shape[1]
                if i >= 2:  # warm-up runs excluded
                    times.append(time.perf_counter() - t)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        med = statistics.median(times)
        print(
            f"  {seconds:>3} s clip → {frames:>5} frames: {1000 * med:7.1f} ms"
            f" / {1000 * p95:7.1f} ms  (RTF {med / seconds:.3f})"
        )


if __name__ == "__main__":
    main()
