"""Memory over many takes of different lengths (issue #13): RSS every 50 assessments.

Every take in the app has a new length, and oneDNN (torch's CPU kernels) caches a
compiled primitive per input shape; glibc keeps freed arenas. This runs N assessments
of one espeak reading padded with silence to N different lengths (2.9–12.9 s, in a
shuffled order so the working set is reached early; ``--growing`` for rising
lengths), in one process, and prints the RSS series and the growth after the first 50.

    OMP_NUM_THREADS=1 python -m benchmarks.memory [--n 1000] [--no-prosody] [--growing]

``--raw`` switches accent_coach.runtime's measures off for comparison (oneDNN's
default cache of 1024 primitives, no ``malloc_trim`` after each take).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

RAW = "--raw" in sys.argv
if RAW:  # before anything imports torch
    os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = "1024"  # oneDNN's default
import accent_coach.runtime  # noqa: E402,F401 - the memory caps, before torch loads


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--no-prosody", action="store_true")
    p.add_argument("--growing", action="store_true", help="rising lengths, not shuffled")
    p.add_argument("--raw", action="store_true", help="without accent_coach.runtime's caps")
    args = p.parse_args(argv)

    import numpy as np

    from accent_coach.engine import assess as assess_module
    from accent_coach.engine.assess import assess, loaded_model
    from accent_coach.engine.audio import resample
    from accent_coach.speech.espeak import synthesize

    if args.raw:
        assess_module.release_memory = lambda: None
    text = "The quick brown fox jumps over the lazy dog."
    wav, sr = synthesize(text, rate_wpm=150)
    base = resample(wav, sr)
    model = loaded_model(None)
    t0 = time.perf_counter()
    series = []
    pads = 160 * np.arange(args.n) * 1000 // max(args.n, 1) + 7 * (np.arange(args.n) % 13)
    if not args.growing:
        pads = np.random.default_rng(0).permutation(pads)
    for k, pad in enumerate(pads):  # a new length every take
        take = np.concatenate([np.zeros(1600, np.float32), base, np.zeros(pad, np.float32)])
        assess(take, text, loaded=model, with_prosody=not args.no_prosody)
        if (k + 1) % 50 == 0:
            series.append(rss_mb())
            print(f"{k + 1:5d} takes  {len(take) / 16000:5.1f} s  RSS {series[-1]:7.1f} MB",
                  flush=True)
    growth = series[-1] - series[0] if series else 0.0
    mode = "raw" if args.raw else "runtime caps + malloc_trim"
    mode += ", growing lengths" if args.growing else ", shuffled lengths"
    print(f"{mode}: RSS after 50 {series[0]:.0f} MB, after {args.n} {series[-1]:.0f} MB, "
          f"growth {growth:+.0f} MB, max {max(series):.0f} MB, "
          f"{(time.perf_counter() - t0) / args.n * 1000:.0f} ms/take")
    return 0


if __name__ == "__main__":
    sys.exit(main())
