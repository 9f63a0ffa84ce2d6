"""Real servers for the service tests: uvicorn on a free loopback port, redis-server, audio."""

from __future__ import annotations

import contextlib
import io
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import soundfile as sf

from accent_coach.config import Settings, get_settings
from accent_coach.speech.registry import embedded_installed

# The marks every test module against a real server carries: slow (uvicorn, real model)
# and skipped without the embedded recognizer.
REAL_SERVER_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(not embedded_installed(), reason="embedded model not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wav_bytes(text: str, *, rate_suffix: str = "WAV") -> bytes:
    """Real speech: espeak-ng reading ``text``, as a 16-bit WAV file."""
    from accent_coach.speech.espeak import synthesize

    samples, sr = synthesize(text, voice="us")
    buf = io.BytesIO()
    sf.write(buf, samples, sr, format=rate_suffix, subtype="PCM_16")
    return buf.getvalue()


def settings_for(data_dir: Path, **overrides) -> Settings:
    """The environment's settings with a private data dir and the given overrides."""
    return get_settings().model_copy(update={"data_dir": data_dir, **overrides})


@contextlib.contextmanager
def live_api(settings: Settings, manager=None) -> Iterator[httpx.Client]:
    """``create_app(settings)`` served by uvicorn in a thread; a client bound to its URL."""
    import uvicorn

    from accent_coach.service.api import create_app

    port = free_port()
    config = uvicorn.Config(create_app(settings, manager), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; that value, or AssertionError."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def redis_binary() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port in ``folder``; yields its URL."""
    binary = redis_binary()
    assert binary, "redis-server is not installed (.ci/run installs it)"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        def ready() -> bool:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return True
            return False

        wait_for(ready, 20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class WebhookReceiver:
    """A local HTTP server that records POSTs; the first ``fail_first`` answers are 500."""

    def __init__(self, fail_first: int = 0, redirect_to: str | None = None) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[tuple[dict[str, str], bytes]] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                if receiver.attempts <= fail_first:
                    self.send_response(500)
                elif redirect_to:  # "see over there": a client must not follow
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                else:
                    receiver.received.append((dict(self.headers), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def submit_job(client, takes: list[tuple[str, bytes]], texts: list[str], **fields):
    files = [("files", (name, data, "audio/wav")) for name, data in takes]
    return client.post("/v1/jobs", files=files, data={"texts": texts, **fields})


def wait_job(client, job_id: str, timeout: float = 120.0, done=("completed", "cancelled")):
    def finished():
        job = client.get(f"/v1/jobs/{job_id}").json()
        return job if job["status"] in done else None

    return wait_for(finished, timeout, 0.1)


@contextlib.contextmanager
def celery_worker(broker_url: str, data_dir: Path, concurrency: int = 1) -> Iterator[None]:
    """A real ``accent-coach worker`` process on ``broker_url``, ready when yielded."""
    import os
    import sys

    from accent_coach.service.jobs.celery_backend import make_celery

    env = {**os.environ, "ACCENT_COACH_BROKER_URL": broker_url,
           "ACCENT_COACH_DATA_DIR": str(data_dir), "PYTHONPATH": os.getcwd()}
    log = open(data_dir.parent / f"worker-{data_dir.name}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "worker", "--concurrency", str(concurrency)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    app = make_celery(broker_url)
    try:
        wait_for(lambda: proc.poll() is None and app.control.ping(timeout=0.5), 90, 0.5)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def flac_bomb(seconds: int = 300, channels: int = 8, rate: int = 192_000) -> bytes:
    """The issue-20 decompression bomb: ~476 KB of FLAC silence that decodes to ~1.8 GB."""
    import numpy as np

    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=rate, channels=channels, format="FLAC",
                      subtype="PCM_16") as f:
        block = np.zeros((rate, channels), dtype=np.int16)
        for _ in range(seconds):
            f.write(block)
    return buf.getvalue()


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident memory) of a process, in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


class RawHTTP:
    """One hand-driven HTTP/1.1 connection, for what httpx will not do: send headers and
    then stall, stream a chunked body and watch for an early answer."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sent = 0

    def head(self, method: str, path: str, headers: dict[str, str]) -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def answered(self) -> bool:
        """True when the server has sent something (without blocking)."""
        import select

        return bool(select.select([self.sock], [], [], 0)[0])

    def send(self, data: bytes, chunked: bool = False) -> bool:
        """Send a piece of body; False when the server closed the connection."""
        try:
            self.sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
        except OSError:
            return False
        self.sent += len(data)
        return True

    def response(self) -> tuple[int, dict]:
        """(status, JSON body) of the answer, read until the server closes."""
        import json

        raw = b""
        while True:
            try:
                part = self.sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not part:
                break
            raw += part
            if b"\r\n\r\n" in raw:
                head, _, body = raw.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(body) >= length:
                    break
        head, _, body = raw.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), json.loads(body or b"{}")

    def close(self) -> None:
        self.sock.close()
