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
from training.whisper_weights import ENCODERS, encoder_file, encoder_state_dict, read_ct2


def frozen_encoder(upto: int, encoder: str = "tiny.en") -> WhisperCTCForCTC:
    model = WhisperCTCForCTC(WhisperCTCConfig(vocab_size=2, **ENCODERS[encoder])).eval()
    model.load_state_dict(encoder_state_dict(read_ct2(encoder_file(encoder))), strict=False)
    if upto < len(model.layers):
        model.layers = model.layers[:upto]
    return model


@torch.no_grad()
def states_of(model, fe, audio: np.ndarray, upto: int) -> torch.Tensor:
    mel = fe(audio, sampling_rate=data.SR, return_tensors="pt")["input_features"]
    return torch.stack(model.encode(mel, upto=upto))[:, 0].half()  # [upto+1, T, D]


def extract(items, model, fe, upto: int, out: Path, log_every: int = 200) -> None:
    """items: iterable of (id, speaker, accent, text, audio-callable)."""
    ids, speakers, labels, states = [], [], [], []
    t0 = time.time()
    for i, (uid, speaker, accent, text, get_audio) in enumerate(items):
        audio = get_audio()
        if len(audio) < data.SR * 0.2:
            continue
        ids.append(uid)
        speakers.append(speaker)
        labels.append(data.text_to_phones(text, accent))
        states.append(states_of(model, fe, audio, upto))
        if i % log_every == 0:
            print(f"{out.name}: {i} clips, {time.time() - t0:.0f}s", flush=True)
    torch.save({"ids": ids, "speakers": speakers, "labels": labels, "states": states}, out)
    print(f"{out.name}: wrote {len(ids)} clips in {time.time() - t0:.0f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--out", type=Path, default=Path("work_data"))
    ap.add_argument("--upto", type=int, default=2, help="frozen encoder layers")
    ap.add_argument("--encoder", default="tiny.en", choices=sorted(ENCODERS),
                    help="packaged Whisper encoder (base: frozen-features runs)")
    ap.add_argument("--synthetic", type=int, default=2000, help="espeak-ng clips")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="subset of: clean speed noisy synth")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    corpus = data.read_corpus(args.data)
    train, _ = data.split(corpus)  # synthetic sentences come from the usual train split
    model, fe = frozen_encoder(args.upto, args.encoder), WhisperCTCFeatureExtractor()

    # Every speaker's clips are stored (clean, speed and noisy copies): which speakers a
    # run holds out is decided at training time (train.py --holdout dev | fold:K).
    def real(utts, transform):
        for u in utts:
            yield u.utt, u.speaker, "en-us", u.text, lambda u=u: transform(data.load(u.audio))

    speeds = {u.utt: rng.choice([0.9, 1.1]) for u in corpus}
    noise_rng = random.Random(args.seed + 1)
    synth_rng = random.Random(args.seed + 2)
    texts = data.synthetic_texts(train, args.synthetic, synth_rng)
    accents = [synth_rng.choice(["en-us", "en-us", "en-gb"]) for _ in texts]

    def synth():
        for i, (text, accent) in enumerate(zip(texts, accents)):

            def clip(text=text, accent=accent):
                audio = data.espeak_clip(text, accent, synth_rng)
                return data.noise_reverb(audio, noise_rng) if synth_rng.random() < 0.3 else audio

            yield f"synth{i:05d}", "synth", accent, text, clip

    def sped():
        for u in corpus:
            yield u.utt, u.speaker, "en-us", u.text, lambda u=u: data.speed(
                data.load(u.audio), speeds[u.utt]
            )

    jobs = {
        "clean": lambda: real(corpus, lambda a: a),
        "synth": synth,
        "speed": sped,
        "noisy": lambda: real(corpus, lambda a: data.noise_reverb(a, noise_rng)),
    }
    for name in args.only or list(jobs):
        target = args.out / f"{name}.pt"
        if target.exists():
            print(f"{target} exists, skipping")
            continue
        extract(jobs[name](), model, fe, args.upto, target)


if __name__ == "__main__":
    main()
