"""Issue 20 figures: what a hostile upload and timed-out items cost a real server.

    OMP_NUM_THREADS=1 python -m benchmarks.service_limits [--clips 4] [--watch 10]

Starts ``accent-coach serve`` (from whatever ``accent_coach`` is importable, so
``PYTHONPATH=<other checkout>`` measures that code) in its own process and reports:

* the 476 KB FLAC bomb (300 s, 8 channels, 192 kHz silence) sent to ``/v1/assess``:
  status, seconds to the answer, and the growth of the server's peak RSS (VmHWM);
* ``--clips`` distinct ~40 s readings sent at once with ``ACCENT_COACH_ITEM_TIMEOUT=1``:
  the answers, seconds until the last one, and the server's CPU seconds (utime + stime
  from /proc) in the ``--watch`` seconds after the last answer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
BASE = ("The quick brown fox jumps over the lazy dog near the quiet river bank, and then it "
        "runs far away into the green forest before the night falls. ")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(data_dir: str, **env_extra: str) -> tuple[subprocess.Popen, httpx.Client]:
    from service_helpers import free_port, wait_for

    port = free_port()
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": data_dir, "ACCENT_COACH_PRELOAD": "1",
           **env_extra}
    env.pop("ACCENT_COACH_API_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--port", str(port),
         "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)

    def up() -> bool:
        try:
            return client.get("/health").json()["models_loaded"] == 1
        except httpx.HTTPError:
            return False

    wait_for(up, 180, 0.2)
    return server, client


def bomb_figures(data_dir: str) -> dict:
    from service_helpers import flac_bomb, peak_rss_mb

    bomb = flac_bomb()
    server, client = _serve(data_dir)
    try:
        before = peak_rss_mb(server.pid)
        started = time.perf_counter()
        answer = client.post("/v1/assess", data={"text": "hello"},
                             files={"audio": ("bomb.flac", bomb, "audio/flac")})
        took = time.perf_counter() - started
        return {"bomb_bytes": len(bomb), "status": answer.status_code,
                "code": answer.json().get("code"), "seconds_to_answer": round(took, 3),
                "peak_rss_before_mb": round(before, 1),
                "peak_rss_growth_mb": round(peak_rss_mb(server.pid) - before, 1)}
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def timeout_figures(data_dir: str, clips: int, watch: float) -> dict:
    from service_helpers import wav_bytes

    takes = [wav_bytes(f"Take number {n}. " + BASE * 4) for n in range(clips)]
    server, client = _serve(data_dir, ACCENT_COACH_ITEM_TIMEOUT="1",
                            ACCENT_COACH_API_WORKERS="2")
    try:
        def send(take: bytes) -> tuple[int, str]:
            r = client.post("/v1/assess", data={"text": BASE * 4},
                            files={"audio": ("a.wav", take, "audio/wav")})
            return r.status_code, r.json().get("code", "")

        started = time.perf_counter()
        with ThreadPoolExecutor(clips) as pool:
            answers = list(pool.map(send, takes))
        last = time.perf_counter() - started
        cpu0 = _cpu_seconds(server.pid)
        time.sleep(watch)
        return {"answers": answers, "seconds_to_last_answer": round(last, 2),
                f"server_cpu_s_in_{watch:g}_s_after": round(_cpu_seconds(server.pid) - cpu0, 2)}
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--watch", type=float, default=10.0)
    args = parser.parse_args()
    import accent_coach

    with tempfile.TemporaryDirectory() as tmp:
        out = {"code_from": str(Path(accent_coach.__file__).parent),
               "bomb": bomb_figures(f"{tmp}/bomb"),
               "timeouts": timeout_figures(f"{tmp}/timeouts", args.clips, args.watch)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
