"""REST API and job benchmark on loopback: assessments/s and p50/p95 for 1, 4 and 8
concurrent clients, cache-hit latency, server RSS before load / loaded / after unload,
and batch-job throughput with 1 and 2 Celery workers (real redis-server).

    OMP_NUM_THREADS=1 python -m benchmarks.api [--requests 24] [--job-items 16]

Every figure comes from real HTTP against `accent-coach serve` in its own process.
Each request sends a distinct recording (the same sentence with a different inaudible
dither), so nothing is served from the result cache unless measured as a cache hit.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
TEXT = "I think three thin thieves thought a thousand thoughts."


def _variants(n: int, seed: int) -> list[bytes]:
    """``n`` distinct WAV files of the same reading (different dither → different hash)."""
    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(TEXT, voice="us")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        buf = io.BytesIO()
        sf.write(buf, wav + rng.normal(0, 1e-4, wav.shape).astype(np.float32), sr,
                 format="WAV", subtype="PCM_16")
        out.append(buf.getvalue())
    return out


def _server(data_dir: Path, port: int, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
           "ACCENT_COACH_PRELOAD": "0", **extra_env}  # RSS before load is measured
    return subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--port", str(port),
         "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )


def _wait_up(client: httpx.Client) -> None:
    from service_helpers import wait_for

    def up() -> bool:
        try:
            return client.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 120, 0.2)


def _assess(client: httpx.Client, audio: bytes) -> float:
    start = time.perf_counter()
    r = client.post("/v1/assess", files={"audio": ("a.wav", audio)}, data={"text": TEXT})
    r.raise_for_status()
    return time.perf_counter() - start


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def _rss_mb(client: httpx.Client) -> float:
    return client.get("/v1/models/status").json()["process_rss_bytes"] / 2**20


def bench_api(requests: int) -> None:
    from service_helpers import free_port

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = _server(Path(tmp), port, {})
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
                _wait_up(client)
                for cycle in ("first load (imports torch/transformers)", "second load"):
                    before = _rss_mb(client)
                    client.post("/v1/models/embedded/load").raise_for_status()
                    loaded = _rss_mb(client)
                    client.post("/v1/models/embedded/unload").raise_for_status()
                    after = _rss_mb(client)
                    print(f"server RSS, {cycle}: before {before:.0f} MiB, loaded {loaded:.0f} "
                          f"MiB, after unload {after:.0f} MiB")
                _assess(client, _variants(1, 999)[0])  # warm: model load, espeak, caches
                print(f"{'clients':>7} {'assess/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
                for clients, seed in ((1, 1), (4, 2), (8, 3)):
                    clips = _variants(requests, seed)
                    start = time.perf_counter()
                    with ThreadPoolExecutor(clients) as pool:
                        lat = list(pool.map(lambda a: _assess(client, a), clips))
                    wall = time.perf_counter() - start
                    print(f"{clients:>7} {requests / wall:>9.2f} {_pct(lat, 50):>8.0f} "
                          f"{_pct(lat, 95):>8.0f}")
                hits = [_assess(client, clips[0]) for _ in range(30)]
                print(f"cache hit: p50 {_pct(hits, 50):.1f} ms, p95 {_pct(hits, 95):.1f} ms "
                      f"(mean {statistics.mean(hits) * 1000:.1f} ms)")
        finally:
            server.terminate()
            server.wait(30)


def bench_jobs(items: int) -> None:
    from service_helpers import celery_worker, free_port, redis_server, wait_job

    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as url:
            worker_dirs = [Path(tmp) / f"w{i}" for i in range(workers)]
            stack = [celery_worker(url, d) for d in worker_dirs]
            for cm in stack:
                cm.__enter__()
            port = free_port()
            server = _server(Path(tmp) / "api", port, {"ACCENT_COACH_BROKER_URL": url})
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
                    _wait_up(client)
                    warm = _variants(workers * 2, 100 + workers)  # load the model in each worker
                    files = [("files", (f"w{i}.wav", a)) for i, a in enumerate(warm)]
                    job = client.post("/v1/jobs", files=files, data={"texts": [TEXT] * len(warm)})
                    wait_job(client, job.json()["id"], 300)
                    clips = _variants(items, 200 + workers)
                    files = [("files", (f"{i}.wav", a)) for i, a in enumerate(clips)]
                    start = time.perf_counter()
                    job = client.post("/v1/jobs", files=files, data={"texts": [TEXT] * items})
                    done = wait_job(client, job.json()["id"], 600)
                    wall = time.perf_counter() - start
                    assert done["progress"].get("done") == items, done["progress"]
                    print(f"jobs, {workers} Celery worker(s): {items} items in {wall:.1f} s = "
                          f"{items / wall:.2f} items/s")
            finally:
                server.terminate()
                server.wait(30)
                for cm in reversed(stack):
                    cm.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--job-items", type=int, default=16)
    parser.add_argument("--skip-jobs", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"API workers: {os.environ.get('ACCENT_COACH_API_WORKERS', '2')}")
    bench_api(args.requests)
    if not args.skip_jobs:
        bench_jobs(args.job_items)


if __name__ == "__main__":
    main()
