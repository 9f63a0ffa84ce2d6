"""Corpus reading, the speaker-held-out split, labels and augmentation.

Labels are ``accent_coach.engine.g2p.text_to_phones`` of the lower-cased transcript:
the same G2P and tokenization the app uses for its references.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
from scipy.signal import fftconvolve

from accent_coach.engine.g2p import text_to_phones

SR = 16000
DEV_SPEAKERS = 12  # the last 12 speaker ids (sorted) are held out for model selection


@dataclass
class Utterance:
    utt: str
    speaker: str
    text: str
    audio: str  # path, or "" for synthetic clips produced in memory
    accent: str = "en-us"

    def phones(self) -> list[str]:
        return text_to_phones(self.text, self.accent)


def read_corpus(root: Path) -> list[Utterance]:
    texts = dict(line.rstrip("\n").split("\t", 1) for line in open(root / "text"))
    spk = dict(line.split() for line in open(root / "utt2spk"))
    return [
        Utterance(u, spk[u], texts[u].lower(), str(root / "audio" / f"{u}.flac"))
        for u in sorted(texts)
    ]


def split(utts: list[Utterance]) -> tuple[list[Utterance], list[Utterance]]:
    """Train / dev by speaker, so dev PER measures unseen voices."""
    dev = set(sorted({u.speaker for u in utts})[-DEV_SPEAKERS:])
    return [u for u in utts if u.speaker not in dev], [u for u in utts if u.speaker in dev]


def load(path: str) -> np.ndarray:
    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    return audio if sr == SR else librosa.resample(audio, orig_sr=sr, target_sr=SR)


def speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """Kaldi-style speed perturbation: tempo and pitch change together."""
    return librosa.resample(audio, orig_sr=int(SR * factor), target_sr=SR)


def noise_reverb(audio: np.ndarray, rng: random.Random) -> np.ndarray:
    """Room reverberation and coloured noise, the conditions of a laptop microphone."""
    out = audio
    if rng.random() < 0.6:
        rt60 = rng.uniform(0.15, 0.6)
        n = int(rt60 * SR)
        t = np.arange(n) / SR
        rir = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(n)
        rir *= np.exp(-6.9 * t / rt60)
        rir[0] = 1.0
        out = fftconvolve(out, rir / np.sqrt((rir**2).sum()))[: len(out)]
    g = np.random.default_rng(rng.randrange(1 << 30))
    white = g.standard_normal(len(out))
    colour = rng.choice([0.0, 1.0, 2.0])  # white, pink, brown
    spec = np.fft.rfft(white)
    spec /= np.maximum(np.arange(len(spec)), 1) ** (colour / 2)
    noise = np.fft.irfft(spec, n=len(out))
    snr_db = rng.uniform(5, 30)
    p_sig = np.mean(out**2) + 1e-9
    noise *= np.sqrt(p_sig / (np.mean(noise**2) + 1e-12) / 10 ** (snr_db / 10))
    out = out + noise
    return (out / max(1.0, np.abs(out).max())).astype(np.float32)


_VARIANTS = [
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "klatt",
    "klatt2",
    "klatt3",
    "Andy",
    "Annie",
    "Alex",
    "Michael",
    "belinda",
    "benjamin",
    "david",
    "steph",
    "robert",
    "edward",
    "linda",
    "quincy",
]


def espeak_clip(text: str, voice: str, rng: random.Random) -> np.ndarray:
    """One synthetic clip from the espeak-ng command (apt package, training only)."""
    variant = rng.choice(_VARIANTS)
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                f"{voice}+{variant}",
                "-s",
                str(rng.randint(120, 200)),
                "-p",
                str(rng.randint(25, 75)),
                "-w",
                f.name,
                text,
            ],
            check=True,
            capture_output=True,
        )
        audio, sr = sf.read(f.name, dtype="float32")
    audio = librosa.resample(audio, orig_sr=sr, target_sr=SR)
    pad = np.zeros(int(SR * rng.uniform(0.1, 0.5)), dtype=np.float32)
    return np.concatenate([pad, audio, pad])


_RARE = (
    "measure vision usual television garage treasure boy choice noise toy join "
    "think thank three bath with mother father weather breathe this that "
    "hot lot watch car start bird word go home show phone cure tour near hair "
    "hour fire power button little bottle bottle matter water better"
).split()


def synthetic_texts(train: list[Utterance], n: int, rng: random.Random) -> list[str]:
    """Corpus sentences plus random word strings, so the head learns sounds, not sentences."""
    words = sorted({w for u in train for w in u.text.split()}) + _RARE
    texts = []
    for i in range(n):
        if i % 2 == 0:
            texts.append(rng.choice(train).text)
        else:
            texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))))
    return texts
