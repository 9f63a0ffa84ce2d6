"""Memory over many takes of different lengths (issue #13): RSS every 50 assessments.

Every take in the app has a new length, and oneDNN (torch's CPU kernels) caches a
compiled primitive per input shape; glibc keeps freed arenas. This runs N assessments
of one espeak reading padded with silence to N different lengths, in one process, and
prints the RSS series and the growth after the first 50.

    OMP_NUM_THREADS=1 python -m benchmarks.memory [--n 1000] [--no-prosody]

Compare with the process-start settings of accent_coach.runtime switched off:
``ACCENT_COACH_RAW_RUNTIME=1 python -m benchmarks.memory``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if os.environ.get("ACCENT_COACH_RAW_RUNTIME") != "1":
    import accent_coach.runtime  # noqa: F401 - sets the memory caps before torch loads


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--no-prosody", action="store_true")
    args = p.parse_args(argv)

    import numpy as np

    from accent_coach.engine.assess import assess, loaded_model
    from accent_coach.engine.audio import resample
    from accent_coach.speech.espeak import synthesize

    text = "The quick brown fox jumps over the lazy dog."
    wav, sr = synthesize(text, rate_wpm=150)
    base = resample(wav, sr)
    model = loaded_model(None)
    t0 = time.perf_counter()
    series = []
    for k in range(args.n):
        pad = 160 * k + 7 * (k % 13)  # a new length every take: +10 ms and some jitter
        take = np.concatenate([np.zeros(1600, np.float32), base, np.zeros(pad, np.float32)])
        assess(take, text, loaded=model, with_prosody=not args.no_prosody)
        if (k + 1) % 50 == 0:
            series.append(rss_mb())
            print(f"{k + 1:5d} takes  {len(take) / 16000:5.1f} s  RSS {series[-1]:7.1f} MB",
                  flush=True)
    growth = series[-1] - series[0] if series else 0.0
    mode = "raw" if os.environ.get("ACCENT_COACH_RAW_RUNTIME") == "1" else "runtime caps"
    print(f"{mode}: RSS after 50 {series[0]:.0f} MB, after {args.n} {series[-1]:.0f} MB, "
          f"growth {growth:+.0f} MB, max {max(series):.0f} MB, "
          f"{(time.perf_counter() - t0) / args.n * 1000:.0f} ms/take")
    return 0


if __name__ == "__main__":
    sys.exit(main())
