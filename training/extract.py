"""Run the frozen lower encoder layers once per clip and store their states.

Training then starts from these states: only the top encoder layers and the CTC head
are trained, which is what makes a CPU run of under an hour enough.

    python -m training.extract --data ../shared/data/speechocean762-train --out work_data
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch

from accent_coach.speech.whisper_ctc import (
    WhisperCTCConfig,
    WhisperCTCFeatureExtractor,
    WhisperCTCForCTC,
)
from training import data
from training.whisper_weights import encoder_state_dict, packaged_tiny_en, read_ct2


def frozen_encoder(upto: int) -> WhisperCTCForCTC:
    model = WhisperCTCForCTC(WhisperCTCConfig(vocab_size=2)).eval()
    model.load_state_dict(encoder_state_dict(read_ct2(packaged_tiny_en())), strict=False)
    model.layers = model.layers[:upto]
    return model


@torch.no_grad()
def states_of(model, fe, audio: np.ndarray, upto: int) -> torch.Tensor:
    mel = fe(audio, sampling_rate=data.SR, return_tensors="pt")["input_features"]
    return torch.stack(model.encode(mel, upto=upto))[:, 0].half()  # [upto+1, T, D]


def extract(items, model, fe, upto: int, out: Path, log_every: int = 200) -> None:
    """items: iterable of (id, accent, text, audio-callable)."""
    ids, labels, states = [], [], []
    t0 = time.time()
    for i, (uid, accent, text, get_audio) in enumerate(items):
        audio = get_audio()
        if len(audio) < data.SR * 0.2:
            continue
        ids.append(uid)
        labels.append(data.text_to_phones(text, accent))
        states.append(states_of(model, fe, audio, upto))
        if i % log_every == 0:
            print(f"{out.name}: {i} clips, {time.time() - t0:.0f}s", flush=True)
    torch.save({"ids": ids, "labels": labels, "states": states}, out)
    print(f"{out.name}: wrote {len(ids)} clips in {time.time() - t0:.0f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--out", type=Path, default=Path("work_data"))
    ap.add_argument("--upto", type=int, default=2, help="frozen encoder layers")
    ap.add_argument("--synthetic", type=int, default=2000, help="espeak-ng clips")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="subset of: dev clean speed noisy synth")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    train, dev = data.split(data.read_corpus(args.data))
    model, fe = frozen_encoder(args.upto), WhisperCTCFeatureExtractor()

    def real(utts, transform):
        for u in utts:
            yield u.utt, "en-us", u.text, lambda u=u: transform(data.load(u.audio))

    speeds = {u.utt: rng.choice([0.9, 1.1]) for u in train}
    noise_rng = random.Random(args.seed + 1)
    synth_rng = random.Random(args.seed + 2)
    texts = data.synthetic_texts(train, args.synthetic, synth_rng)
    accents = [synth_rng.choice(["en-us", "en-us", "en-gb"]) for _ in texts]

    def synth():
        for i, (text, accent) in enumerate(zip(texts, accents)):

            def clip(text=text, accent=accent):
                audio = data.espeak_clip(text, accent, synth_rng)
                return data.noise_reverb(audio, noise_rng) if synth_rng.random() < 0.3 else audio

            yield f"synth{i:05d}", accent, text, clip

    jobs = {
        "dev": lambda: real(dev, lambda a: a),
        "clean": lambda: real(train, lambda a: a),
        "synth": synth,
        "speed": lambda: (
            (u.utt, "en-us", u.text, lambda u=u: data.speed(data.load(u.audio), speeds[u.utt]))
            for u in train
        ),
        "noisy": lambda: real(train, lambda a: data.noise_reverb(a, noise_rng)),
    }
    for name in args.only or list(jobs):
        target = args.out / f"{name}.pt"
        if target.exists():
            print(f"{target} exists, skipping")
            continue
        extract(jobs[name](), model, fe, args.upto, target)


if __name__ == "__main__":
    main()
