"""One-shot ``accent-coach assess`` as a user meets it: a fresh process per take, timed
from launch to exit, with its CPU time (user + sys of the child) beside the wall time —
on a shared machine the wall time says how busy the other cores were, the CPU time
what the command itself cost.

    python -m benchmarks.cli_start AUDIO --text "..." [--runs 5] [--checkout DIR]

``--checkout`` runs another copy of the code (e.g. an older commit unpacked with
``git archive``) for a before/after comparison. Prints JSON: every run and the medians,
and whether anything but the report reached stderr (progress bars, warnings).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(audio: str, text: str, checkout: Path, extra: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "assess", audio, "--text", text, *extra],
        cwd=checkout, env=env, capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "exit": done.returncode,
        "wall_s": round(wall, 2),
        "cpu_user_s": round(after.ru_utime - before.ru_utime, 2),
        "cpu_sys_s": round(after.ru_stime - before.ru_stime, 2),
        "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
        "stderr_lines": len(done.stderr.splitlines()),
        "stderr_head": done.stderr[:200],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("audio")
    ap.add_argument("--text", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--checkout", type=Path, default=ROOT, help="code to run (default: this)")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                    help="more assess options, e.g. --extra --json")
    args = ap.parse_args(argv)
    runs = [one_run(args.audio, args.text, args.checkout.resolve(), args.extra)
            for _ in range(args.runs)]
    keys = ("wall_s", "cpu_user_s", "cpu_sys_s", "cpu_s", "stderr_lines")
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in keys}
    print(json.dumps({"checkout": str(args.checkout), "audio": args.audio,
                      "load_average": os.getloadavg(), "runs": runs, "median": median},
                     indent=2, ensure_ascii=False))
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
