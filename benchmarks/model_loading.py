"""What the load-once guard saves: cold load, warm ``load_model`` call, 10 analyses ± guard.

"Analysis" here is the model's share of one assessment: a forward pass over 5 s
of audio. *With guard* each analysis calls ``manager.load_model(name)`` (the
app's path); *without guard* each analysis does a full ``from_pretrained`` and
``.to(device)``, as the product this replaces did on every rerun.

    OMP_NUM_THREADS=1 python -m benchmarks.model_loading [--model NAME_OR_FOLDER] [--analyses 10]

Without ``--model`` it measures a tiny Wav2Vec2 built on the fly and, when it is
installed, the embedded model; ``--base`` adds a wav2vec2-base-sized model (95 M
random weights, ~380 MB written to a temp folder) for realistic load times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accent_coach.config import Settings  # noqa: E402
from accent_coach.speech.loaders.recognizer import (  # noqa: E402
    LoadedModel,
    load_checkpoint,
    quiet_transformers,
)
from accent_coach.speech.manager import ModelManager  # noqa: E402
from accent_coach.speech.registry import EMBEDDED, embedded_installed, resolve_model  # noqa: E402

SAMPLE_RATE = 16_000


def analyse(loaded: LoadedModel, audio: Any) -> None:
    """One forward pass: the model work of a single analysis."""
    import torch

    inputs = loaded.processor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    tensors = {
        k: v.to(loaded.device, loaded.dtype if v.is_floating_point() else v.dtype)
        for k, v in inputs.items()
        if hasattr(v, "to")
    }
    with torch.inference_mode():
        loaded.model(**tensors)


def measure(name: str, analyses: int, seconds: float, device: str) -> dict[str, float]:
    import numpy as np

    audio = (np.random.default_rng(0).standard_normal(int(seconds * SAMPLE_RATE)) * 0.1).astype(
        np.float32
    )
    manager = ModelManager(Settings(model=name, device=device))

    start = time.perf_counter()
    loaded = manager.load_model(name)
    cold = time.perf_counter() - start

    warm_calls = []
    for _ in range(200):
        t = time.perf_counter()
        manager.load_model(name)
        warm_calls.append(time.perf_counter() - t)
    analyse(loaded, audio)  # warm up kernels so both loops start equal

    start = time.perf_counter()
    for _ in range(analyses):
        analyse(manager.load_model(name), audio)
    with_guard = time.perf_counter() - start

    spec = resolve_model(name)
    start = time.perf_counter()
    for _ in range(analyses):
        analyse(load_checkpoint(spec, manager.device, manager.dtype), audio)
    without_guard = time.perf_counter() - start

    return {
        "params_m": loaded.parameters / 1e6,
        "cold_s": cold,
        "warm_us": statistics.median(warm_calls) * 1e6,
        "with_s": with_guard,
        "without_s": without_guard,
        "saving_pct": 100 * (1 - with_guard / without_guard),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model name/folder (repeatable)")
    parser.add_argument("--analyses", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0, help="audio length per analysis")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda, mps (default cpu)")
    parser.add_argument("--base", action="store_true", help="add a wav2vec2-base-sized model")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp, quiet_transformers():
        models = [(m, m) for m in args.model or []]
        if not models:
            from tests.tiny_models import build_tiny_ctc

            tiny = build_tiny_ctc(Path(tmp) / "tiny")
            models = [("tiny wav2vec2 (random)", str(tiny))]
            if args.base:
                base = build_tiny_ctc(Path(tmp) / "base", base_sized=True)
                models.append(("wav2vec2-base size (random)", str(base)))
            if embedded_installed():
                models.append((EMBEDDED, EMBEDDED))
        rows = [(label, measure(m, args.analyses, args.seconds, args.device))
                for label, m in models]

    n = args.analyses
    print(f"device={args.device} threads=1 audio={args.seconds:g}s analyses={n}\n")
    header = (f"{'model':28} {'params':>8} {'cold load':>10} {'warm call':>10} "
              f"{f'{n}x with guard':>15} {f'{n}x without':>13} {'saving':>7}")
    print(header)
    print("-" * len(header))
    for name, r in rows:
        label = name if len(name) <= 28 else "…" + name[-27:]
        print(f"{label:28} {r['params_m']:7.2f}M {r['cold_s']:9.3f}s {r['warm_us']:8.1f}µs "
              f"{r['with_s']:14.3f}s {r['without_s']:12.3f}s {r['saving_pct']:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
