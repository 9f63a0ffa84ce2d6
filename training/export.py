"""Write the best checkpoint as the shipped model folder (fp16 safetensors + processor).

python -m training.export --run runs/tiny --out accent_coach/speech/models/whisper-tiny-ipa-ctc
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch
from transformers import Wav2Vec2PhonemeCTCTokenizer, Wav2Vec2Processor

from accent_coach.speech.registry import EMBEDDED_MODEL_DIR
from accent_coach.speech.whisper_ctc import (
    WhisperCTCConfig,
    WhisperCTCFeatureExtractor,
    WhisperCTCForCTC,
)
from training.whisper_weights import ENCODERS


def build_processor(vocab: list[str]) -> Wav2Vec2Processor:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vocab.json"
        path.write_text(json.dumps({p: i for i, p in enumerate(vocab)}, ensure_ascii=False))
        tokenizer = Wav2Vec2PhonemeCTCTokenizer(
            str(path),
            pad_token="<pad>",
            unk_token="<unk>",
            bos_token=None,
            eos_token=None,
            word_delimiter_token=None,
            do_phonemize=False,
            phonemizer_lang="en-us",
        )
    return Wav2Vec2Processor(feature_extractor=WhisperCTCFeatureExtractor(), tokenizer=tokenizer)


def export(checkpoint: Path, out: Path) -> None:
    ck = torch.load(checkpoint, weights_only=False)
    vocab = ck["vocab"]
    encoder = ck.get("args", {}).get("encoder", "tiny.en")
    model = WhisperCTCForCTC(WhisperCTCConfig(vocab_size=len(vocab), **ENCODERS[encoder]))
    model.load_state_dict(ck["model"])
    out.mkdir(parents=True, exist_ok=True)
    model.eval().half().save_pretrained(out, safe_serialization=True)
    config = json.loads((out / "config.json").read_text())
    config["dtype"] = "float32"  # fp16 is for storage; CPUs run fp32 faster
    (out / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))
    build_processor(vocab).save_pretrained(out)
    log = ck["state"]["log"]
    (out / "training_log.json").write_text(json.dumps(log, indent=1))
    print(f"exported {checkpoint} → {out} (best dev PER {ck['state']['best']:.4f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", type=Path, default=Path("runs/tiny"))
    ap.add_argument("--checkpoint", default="best.pt")
    ap.add_argument("--out", type=Path, default=EMBEDDED_MODEL_DIR)
    args = ap.parse_args()
    export(args.run / args.checkpoint, args.out)


if __name__ == "__main__":
    main()
